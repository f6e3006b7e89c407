// SCIM figures on a fresh SQLite database, through the real HTTP path in process (auth, rate limit, traffic
// accounting, one transaction per change), each next to a bare handler that reads and answers the same
// JSON in the same run. Called by scripts/bench.ts; runnable alone: npm run -s build && node dist/scripts/bench-scim.js
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createLogger } from '../src/logger.js';
import { createRuntime } from '../src/server.js';
import { median } from './bench-server.js';
import { ADMIN_KEY, benchConfig } from './bench-usage.js';

const CREATE_USERS = 2_000;
const IN_FLIGHT = 8;
const BIG_GROUP = 10_000;
const DIRECTORY = 100_000;
const SEED_BATCH = 500;

type Fetch = (request: Request) => Response | Promise<Response>;

async function baselineFetch(request: Request): Promise<Response> {
  if (request.method === 'GET') return new Response('{"Resources":[]}'.padEnd(700, ' '), { headers: { 'content-type': 'application/scim+json' } });
  const body = (await request.json()) as Record<string, unknown>;
  return new Response(JSON.stringify({ id: 'x', ...body }), { status: 201, headers: { 'content-type': 'application/scim+json' } });
}

export interface ScimBenchResult {
  usersPerSecond: number;
  baselinePerSecond: number;
  patch1000Ms: number;
  addOneTo10kMs: number;
  baselineRequestMs: number;
  filterMs: number;
}

export async function benchScim(opts: { log: (line: string) => void }): Promise<ScimBenchResult> {
  const { log } = opts;
  const dir = mkdtempSync(join(tmpdir(), 'axon-bench-scim-'));
  const runtime = await createRuntime({ ...benchConfig(dir), scimRequestsPerSecond: 100_000 }, createLogger('silent'));
  const app: Fetch = (request) => runtime.app.fetch(request);
  let token = '';
  const send = async (fetch: Fetch, method: string, path: string, body?: unknown, expect = [200, 201, 204]) => {
    const headers: Record<string, string> = { 'x-forwarded-for': '198.51.100.9', authorization: `Bearer ${token}` };
    if (body !== undefined) headers['content-type'] = 'application/scim+json';
    const res = await fetch(new Request(`http://localhost${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) }));
    const text = await res.text();
    if (!expect.includes(res.status)) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
    return text ? JSON.parse(text) : null;
  };
  try {
    const admin = { 'x-admin-api-key': ADMIN_KEY, 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.9' };
    await app(new Request('http://localhost/api/v1/admin/organizations', { method: 'POST', headers: admin, body: JSON.stringify({ org_id: 'bench', name: 'Bench Inc', password: 'bench-password-1', tier: 'ENTERPRISE' }) }));
    const login = await app(new Request('http://localhost/api/v1/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ org_id: 'bench', password: 'bench-password-1' }) }));
    const cookie = login.headers.getSetCookie().find((c) => c.startsWith('axonflow_session='))!.split(';')[0];
    const made = await app(new Request('http://localhost/api/v1/scim/tokens', { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'bench' }) }));
    token = ((await made.json()) as { token: string }).token;

    // (1) POST /Users, Okta-shaped bodies, IN_FLIGHT at a time like a provider's worker pool.
    const userBody = (n: number) => ({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'],
      userName: `person-${n}@bench.example.com`,
      name: { givenName: `Given${n}`, familyName: `Family${n}` },
      emails: [{ primary: true, value: `person-${n}@bench.example.com`, type: 'work' }],
      displayName: `Person ${n}`,
      active: true,
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: `Dept ${n % 20}`, employeeNumber: String(n) },
    });
    const timed = async (fetch: Fetch, count: number) => {
      const ids: string[] = [];
      const start = performance.now();
      for (let i = 0; i < count; i += IN_FLIGHT) {
        const batch = await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, count - i) }, (_, j) => send(fetch, 'POST', '/scim/v2/Users', userBody(i + j))));
        for (const u of batch) ids.push(u.id);
      }
      return { ids, perSecond: count / ((performance.now() - start) / 1000) };
    };
    const created = await timed(app, CREATE_USERS);
    const baseline = await timed(baselineFetch, CREATE_USERS);
    log(`SCIM POST /Users: ${created.perSecond.toFixed(0)} users/s vs bare handler ${baseline.perSecond.toFixed(0)}/s`);

    // (2) One PATCH adding 1,000 members (Okta's largest), on fresh groups, median of 5.
    const members = created.ids.slice(0, 1000).map((value) => ({ value }));
    const patchTimes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const g = await send(app, 'POST', '/scim/v2/Groups', { displayName: `Thousand ${i}`, members: [] });
      const start = performance.now();
      await send(app, 'PATCH', `/scim/v2/Groups/${g.id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'add', path: 'members', value: members }] });
      patchTimes.push(performance.now() - start);
    }

    // (3) and (4) need a big directory: seeded through the directory service (no HTTP), in transactions.
    const actor = { type: 'scim' as const, id: 'bench', orgId: 'bench', ip: null, userAgent: null };
    const seedStart = performance.now();
    const all: string[] = [...created.ids];
    for (let n = CREATE_USERS; n < DIRECTORY; n += SEED_BATCH) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(SEED_BATCH, DIRECTORY - n) }, (_, j) => runtime.services.directory.createUser(actor, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `person-${n + j}@bench.example.com`, active: true })),
      );
      for (const u of batch) all.push(u.id);
    }
    log(`  (seeded ${DIRECTORY} users in ${((performance.now() - seedStart) / 1000).toFixed(1)} s)`);
    const big = await send(app, 'POST', '/scim/v2/Groups', { displayName: 'Everyone', members: [] });
    for (let i = 0; i < BIG_GROUP; i += 5000) {
      await send(app, 'PATCH', `/scim/v2/Groups/${big.id}`, { Operations: [{ op: 'add', path: 'members', value: all.slice(i, i + 5000).map((value) => ({ value })) }] });
    }
    const addTimes: number[] = [];
    const baseTimes: number[] = [];
    for (let i = 0; i < 40; i++) {
      const who = all[BIG_GROUP + i];
      let start = performance.now();
      await send(app, 'PATCH', `/scim/v2/Groups/${big.id}`, { Operations: [{ op: 'add', path: 'members', value: [{ value: who }] }] });
      addTimes.push(performance.now() - start);
      start = performance.now();
      await send(baselineFetch, 'PATCH', `/scim/v2/Groups/${big.id}`, { Operations: [{ op: 'add', path: 'members', value: [{ value: who }] }] });
      baseTimes.push(performance.now() - start);
    }
    const filterTimes: number[] = [];
    for (let i = 0; i < 50; i++) {
      const n = (i * 7919) % DIRECTORY;
      const start = performance.now();
      const r = await send(app, 'GET', `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "PERSON-${n}@bench.example.com"`)}`);
      filterTimes.push(performance.now() - start);
      if (r.totalResults !== 1) throw new Error(`filter found ${r.totalResults}`);
    }
    return {
      usersPerSecond: created.perSecond,
      baselinePerSecond: baseline.perSecond,
      patch1000Ms: median(patchTimes),
      addOneTo10kMs: median(addTimes),
      baselineRequestMs: median(baseTimes),
      filterMs: median(filterTimes),
    };
  } finally {
    await runtime.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function printScim(r: ScimBenchResult, log: (line: string) => void): void {
  log('SCIM (SQLite, in-process requests, each next to a bare handler of the same JSON in the same run)');
  log(`  POST /Users                          ${r.usersPerSecond.toFixed(0)} users/s (target >= 200); bare handler ${r.baselinePerSecond.toFixed(0)}/s: ratio ${(r.usersPerSecond / r.baselinePerSecond).toFixed(3)}`);
  log(`  one PATCH adding 1,000 members       ${r.patch1000Ms.toFixed(1)} ms median (target < 1,000 ms)`);
  log(`  add one member to a group of 10,000  ${r.addOneTo10kMs.toFixed(2)} ms median (target < 20 ms); bare handler ${r.baselineRequestMs.toFixed(3)} ms`);
  log(`  userName eq among 100,000 users      ${r.filterMs.toFixed(2)} ms median (target < 10 ms)`);
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const log = (s: string) => process.stdout.write(`${s}\n`);
  benchScim({ log })
    .then((r) => printScim(r, log))
    .catch((err) => {
      process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    });
}
