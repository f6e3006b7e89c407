// What an upgrade costs the heartbeat, the one request every node sends every 2 minutes: on a fresh SQLite
// database, in process, the heartbeat of a node with no upgrade running (the baseline, measured in the same
// run) next to the heartbeat of a node an active upgrade targets that has its version already and still runs
// the old one (the steady state of a slow rollout: found, nothing written). Statements per request alongside.
// Called by scripts/bench.ts; runnable alone: npm run -s build && node dist/scripts/bench-deployments.js
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createLogger } from '../src/logger.js';
import { createRuntime } from '../src/server.js';
import { median } from './bench-server.js';
import { ADMIN_KEY, benchConfig } from './bench-usage.js';

const ROUNDS = Number(process.env.BENCH_DEPLOY_ROUNDS ?? 2000);

export interface DeploymentBenchResult {
  idleMs: number;
  upgradingMs: number;
  idleStatements: number;
  upgradingStatements: number;
}

export async function benchDeployments(): Promise<DeploymentBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'axon-bench-deploy-'));
  const statements: string[] = [];
  const runtime = await createRuntime(benchConfig(dir), createLogger('silent'), undefined, { onQuery: (q) => statements.push(q) });
  const send = async (method: string, path: string, headers: Record<string, string>, body?: unknown) => {
    const res = await runtime.app.fetch(
      new Request(`http://localhost${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body) }),
    );
    return { status: res.status, body: (await res.json()) as any, headers: res.headers };
  };
  try {
    for (const org of ['idle', 'busy']) {
      await send('POST', '/api/v1/admin/organizations', { 'x-admin-api-key': ADMIN_KEY }, { org_id: org, name: org, password: `${org}-password-1`, tier: 'ENTERPRISE' });
    }
    const keyOf = async (org: string) => {
      const login = await send('POST', '/api/v1/auth/login', {}, { org_id: org, password: `${org}-password-1` });
      const cookie = login.headers.getSetCookie()[0].split(';')[0];
      const key = await send('POST', '/api/v1/keys', { cookie }, { name: 'nodes', scopes: ['nodes:write'] });
      return { cookie, key: key.body.key as string };
    };
    const idle = await keyOf('idle');
    const busy = await keyOf('busy');
    const beat = (key: string, node: string) =>
      send('POST', '/api/v1/nodes/heartbeat', { authorization: `Bearer ${key}` }, { node_id: node, hostname: `${node}.internal`, role: 'agent', version: '2.0.0' });
    for (let i = 0; i < 20; i++) {
      await beat(idle.key, `n${i}`);
      await beat(busy.key, `n${i}`);
    }
    const up = await send('POST', '/api/v1/deployments/upgrade', { cookie: busy.cookie }, { service: 'agent', version: '2.1.0' });
    if (up.status !== 202) throw new Error(`upgrade: ${up.status} ${JSON.stringify(up.body)}`);
    const first = await beat(busy.key, 'n0');
    if (first.body.desired_version !== '2.1.0') throw new Error(`heartbeat: ${JSON.stringify(first.body)}`);

    const count = async (key: string) => {
      statements.length = 0;
      await beat(key, 'n0');
      return statements.length;
    };
    const idleStatements = await count(idle.key);
    const upgradingStatements = await count(busy.key);
    const idleTimes: number[] = [];
    const busyTimes: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      let t = performance.now();
      await beat(idle.key, 'n0');
      idleTimes.push(performance.now() - t);
      t = performance.now();
      await beat(busy.key, 'n0');
      busyTimes.push(performance.now() - t);
    }
    return { idleMs: median(idleTimes), upgradingMs: median(busyTimes), idleStatements, upgradingStatements };
  } finally {
    await runtime.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function printDeployments(r: DeploymentBenchResult, log: (line: string) => void): void {
  log('heartbeat during an upgrade (SQLite, in-process requests; a node already told its version, still on the old one)');
  log(`  no upgrade running              ${r.idleMs.toFixed(3)} ms median, ${r.idleStatements} statements`);
  log(`  upgrade running                 ${r.upgradingMs.toFixed(3)} ms median, ${r.upgradingStatements} statements: ratio ${(r.upgradingMs / r.idleMs).toFixed(2)}`);
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  printDeployments(await benchDeployments(), (s) => process.stdout.write(`${s}\n`));
}
