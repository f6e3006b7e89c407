// SSO figures on a fresh SQLite database, in process: a whole SAML login (start, the IdP's signed answer at
// the ACS, our checks, node-saml's signature check, the person, the session) next to a password login (one
// argon2 verification) measured in the same run; and a fetch through the guarded outbound client next to
// Node's own fetch of the same local document. Called by scripts/bench.ts; runnable alone:
// npm run -s build && node dist/scripts/bench-sso.js
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createLogger } from '../src/logger.js';
import { OutboundClient } from '../src/outbound/client.js';
import { createRuntime } from '../src/server.js';
import { TestIdp, readAuthnRequest } from '../test/helpers/saml-idp.js';
import { median } from './bench-server.js';
import { ADMIN_KEY, benchConfig } from './bench-usage.js';

const LOGINS = Number(process.env.BENCH_SSO_LOGINS ?? 200);
const FETCHES = Number(process.env.BENCH_SSO_FETCHES ?? 1000);

export interface SsoBenchResult {
  samlLoginMs: number;
  passwordLoginMs: number;
  outboundFetchMs: number;
  plainFetchMs: number;
}

async function timeEach(n: number, run: (i: number) => Promise<void>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await run(i);
    times.push(performance.now() - t);
  }
  return median(times);
}

export async function benchSso(): Promise<SsoBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'axon-bench-sso-'));
  const runtime = await createRuntime(benchConfig(dir), createLogger('silent'));
  const app = (r: Request) => runtime.app.fetch(r);
  const ip = (i: number) => `198.18.${(i >> 8) & 255}.${i & 255}`;
  const send = async (method: string, path: string, opts: { headers?: Record<string, string>; body?: string } = {}) => {
    const res = await app(new Request(`http://localhost${path}`, { method, headers: opts.headers, body: opts.body }));
    await res.arrayBuffer();
    return res;
  };
  const docs = createServer((_req, res) => res.end('x'.repeat(1024)));
  try {
    await send('POST', '/api/v1/admin/organizations', {
      headers: { 'content-type': 'application/json', 'x-admin-api-key': ADMIN_KEY },
      body: JSON.stringify({ org_id: 'bench', name: 'Bench', password: 'bench-password-1', tier: 'ENTERPRISE' }),
    });
    const passwordLogin = (i: number) => send('POST', '/api/v1/auth/login', { headers: { 'content-type': 'application/json', 'x-forwarded-for': ip(i) }, body: JSON.stringify({ org_id: 'bench', password: 'bench-password-1' }) });
    const owner = (await passwordLogin(60_000)).headers.getSetCookie()[0].split(';')[0];
    const idp = await TestIdp.create({ entityId: 'https://idp.bench.example', ssoUrl: 'https://idp.bench.example/sso' });
    const cfg = await send('POST', '/api/v1/sso/config', {
      headers: { 'content-type': 'application/json', cookie: owner },
      body: JSON.stringify({ provider: 'okta', idp_entity_id: idp.entityId, idp_sso_url: idp.ssoUrl, idp_certificate: idp.certificate.pem, enabled: true }),
    });
    if (cfg.status !== 201) throw new Error(`sso config: ${cfg.status}`);
    const acs = 'http://localhost/auth/saml/bench/callback';

    const samlLogin = async (i: number) => {
      const start = await send('GET', '/auth/saml/bench/login', { headers: { 'x-forwarded-for': ip(i) } });
      const binding = start.headers.getSetCookie()[0].split(';')[0];
      const request = readAuthnRequest(start.headers.get('location')!);
      const xml = idp.response({ destination: acs, recipient: acs, audience: 'http://localhost/auth/saml/bench/metadata', inResponseTo: request.id, nameId: `person${i % 50}@bench.example` });
      const done = await send('POST', '/auth/saml/bench/callback', {
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: binding, 'x-forwarded-for': ip(i) },
        body: `SAMLResponse=${encodeURIComponent(TestIdp.encode(xml))}`,
      });
      if (done.status !== 303) throw new Error(`ACS: ${done.status}`);
    };
    await samlLogin(0);
    await passwordLogin(1);
    // Interleaved rounds, so a noisy neighbour slows both sides alike.
    const saml: number[] = [];
    const password: number[] = [];
    for (let round = 0; round < 4; round++) {
      saml.push(await timeEach(LOGINS / 4, (i) => samlLogin(round * 1000 + i + 10)));
      password.push(await timeEach(LOGINS / 4, async (i) => {
        const r = await passwordLogin(round * 1000 + i + 10);
        if (r.status !== 200) throw new Error(`password login: ${r.status}`);
      }));
    }

    await new Promise<void>((r) => docs.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(docs.address() as AddressInfo).port}/metadata`;
    const outbound = new OutboundClient({ allowHosts: [new URL(url).host] });
    const guarded: number[] = [];
    const plain: number[] = [];
    for (let round = 0; round < 4; round++) {
      guarded.push(await timeEach(FETCHES / 4, async () => void (await outbound.getText(url))));
      plain.push(await timeEach(FETCHES / 4, async () => void (await (await fetch(url)).text())));
    }
    return { samlLoginMs: median(saml), passwordLoginMs: median(password), outboundFetchMs: median(guarded), plainFetchMs: median(plain) };
  } finally {
    docs.close();
    await runtime.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function printSso(r: SsoBenchResult, log: (line: string) => void): void {
  log('SSO (SQLite, in-process requests; each next to its baseline measured in the same run)');
  log(`  SAML login (start + ACS)        ${r.samlLoginMs.toFixed(2)} ms median vs a password login ${r.passwordLoginMs.toFixed(2)} ms: ratio ${(r.samlLoginMs / r.passwordLoginMs).toFixed(2)}`);
  log(`  guarded outbound fetch (1 KiB)  ${r.outboundFetchMs.toFixed(3)} ms median vs Node's fetch ${r.plainFetchMs.toFixed(3)} ms: ratio ${(r.outboundFetchMs / r.plainFetchMs).toFixed(2)}`);
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  printSso(await benchSso(), (s) => process.stdout.write(`${s}\n`));
}
