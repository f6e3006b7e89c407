// Static-policy evaluation on a fresh SQLite database, in process: POST /api/v1/static-policies/test with 200
// organization policies (plus the system tier) active on a 10 KB text, next to a bare authenticated read of one
// policy measured in the same run (what the request path costs without evaluation); and the matching alone
// with RE2 (re2js, linear) next to V8's backtracking RegExp over the same patterns and text. Called by
// scripts/bench.ts; runnable alone: npm run -s build && node dist/scripts/bench-policies.js
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RE2JS } from 're2js';
import { SYSTEM_POLICIES } from '../src/domain/policies.js';
import { createLogger } from '../src/logger.js';
import { createRuntime } from '../src/server.js';
import { median } from './bench-server.js';
import { ADMIN_KEY, benchConfig } from './bench-usage.js';

const POLICIES = 200;
const ROUNDS = Number(process.env.BENCH_POLICY_ROUNDS ?? 60);

export interface PolicyBenchResult {
  policies: number;
  textBytes: number;
  testMs: number;
  readMs: number;
  re2Ms: number;
  v8Ms: number;
  pathologicalMs: number;
  pathologicalComplete: boolean;
}

/** Patterns of the kinds customers write: identifiers, keywords, formats. */
function pattern(i: number): string {
  switch (i % 4) {
    case 0:
      return `\\bPROJ-${i}-[A-Z]{3}\\d{4}\\b`;
    case 1:
      return `(?i)\\bcodename[ _-]?${i}\\b`;
    case 2:
      return `\\b${i}\\d{2}-\\d{3}-\\d{4}\\b`;
    default:
      return `(?i)(?:internal|confidential) report ${i}`;
  }
}

function text10k(): string {
  const words = 'the quarterly review covers revenue churn and the roadmap; contact bob@example.com or call 555-0100 about PROJ-8-ABC1234 ';
  let t = '';
  while (t.length < 10_000) t += words;
  return t.slice(0, 10_000);
}

export async function benchPolicies(): Promise<PolicyBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'axon-bench-policies-'));
  const runtime = await createRuntime(benchConfig(dir), createLogger('silent'));
  const send = async (method: string, path: string, opts: { headers?: Record<string, string>; body?: string } = {}) => {
    const res = await runtime.app.fetch(new Request(`http://localhost${path}`, { method, headers: opts.headers, body: opts.body }));
    return { status: res.status, body: (await res.json()) as any };
  };
  try {
    await send('POST', '/api/v1/admin/organizations', {
      headers: { 'content-type': 'application/json', 'x-admin-api-key': ADMIN_KEY },
      body: JSON.stringify({ org_id: 'bench', name: 'Bench', password: 'bench-password-1', tier: 'ENTERPRISE' }),
    });
    const login = await runtime.app.fetch(
      new Request('http://localhost/api/v1/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ org_id: 'bench', password: 'bench-password-1' }) }),
    );
    const cookie = login.headers.getSetCookie()[0].split(';')[0];
    const json = { 'content-type': 'application/json', cookie };
    const actions = ['block', 'redact', 'warn', 'log'];
    for (let i = 0; i < POLICIES; i++) {
      const r = await send('POST', '/api/v1/static-policies', { headers: json, body: JSON.stringify({ name: `bench ${i}`, pattern: pattern(i), action: actions[i % 4], priority: i % 1000 }) });
      if (r.status !== 201) throw new Error(`policy ${i}: ${r.status} ${JSON.stringify(r.body)}`);
    }
    const text = text10k();
    const body = JSON.stringify({ text });
    const first = await send('POST', '/api/v1/static-policies/test', { headers: json, body });
    if (first.status !== 200 || first.body.policies_evaluated !== POLICIES + SYSTEM_POLICIES.length) throw new Error(`test: ${first.status} ${JSON.stringify(first.body).slice(0, 300)}`);

    const test: number[] = [];
    const read: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      let t = performance.now();
      await send('POST', '/api/v1/static-policies/test', { headers: json, body });
      test.push(performance.now() - t);
      t = performance.now();
      await send('GET', '/api/v1/static-policies/sys_pii_email', { headers: { cookie } });
      read.push(performance.now() - t);
    }

    // The matching alone: the same patterns over the same text, RE2 and V8.
    const sources = [...SYSTEM_POLICIES.map((p) => p.pattern), ...Array.from({ length: POLICIES }, (_, i) => pattern(i))];
    const re2 = sources.map((p) => RE2JS.compile(p));
    const v8 = sources.map((p) => new RegExp(p.replace(/^\(\?i\)/, ''), p.startsWith('(?i)') ? 'gi' : 'g'));
    const re2Times: number[] = [];
    const v8Times: number[] = [];
    let sink = 0;
    for (let i = 0; i < ROUNDS; i++) {
      let t = performance.now();
      for (const re of re2) {
        const m = re.matcher(text);
        while (m.find()) sink++;
      }
      re2Times.push(performance.now() - t);
      t = performance.now();
      for (const re of v8) for (const _ of text.matchAll(re)) sink++;
      v8Times.push(performance.now() - t);
    }
    if (sink < 0) throw new Error('unreachable');

    // A pattern that is exponential for a backtracking engine, on the largest text /test takes.
    await send('POST', '/api/v1/static-policies', { headers: json, body: JSON.stringify({ name: 'pathological', pattern: '(a|aa)+c', action: 'warn' }) });
    const t = performance.now();
    const worst = await send('POST', '/api/v1/static-policies/test', { headers: json, body: JSON.stringify({ text: 'a'.repeat(256 * 1024 - 1) }) });
    const pathologicalMs = performance.now() - t;
    return {
      policies: POLICIES,
      textBytes: text.length,
      testMs: median(test),
      readMs: median(read),
      re2Ms: median(re2Times),
      v8Ms: median(v8Times),
      pathologicalMs,
      pathologicalComplete: worst.body.complete,
    };
  } finally {
    await runtime.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function printPolicies(r: PolicyBenchResult, log: (line: string) => void): void {
  log(`static policies (SQLite, in-process requests; ${r.policies} organization policies + the system tier, a ${r.textBytes / 1000} KB text)`);
  log(`  POST /static-policies/test      ${r.testMs.toFixed(2)} ms median vs reading one policy ${r.readMs.toFixed(2)} ms: ratio ${(r.testMs / r.readMs).toFixed(1)}`);
  log(`  matching alone (RE2, re2js)     ${r.re2Ms.toFixed(2)} ms median vs V8 RegExp ${r.v8Ms.toFixed(2)} ms: ratio ${(r.re2Ms / r.v8Ms).toFixed(1)}`);
  log(`  (a|aa)+c on 256 KiB of "a"      answered in ${r.pathologicalMs.toFixed(0)} ms, complete: ${r.pathologicalComplete} (budget 1000 ms; V8 would not return)`);
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  printPolicies(await benchPolicies(), (s) => process.stdout.write(`${s}\n`));
}
