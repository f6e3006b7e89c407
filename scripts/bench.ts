import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { benchUsage } from './bench-usage.js';

// Servers run in child processes so the load generator does not share their event loop.
const DURATION_S = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = 16;

async function spawnServer(script: string, env: Record<string, string>): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(process.execPath, [script], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d;
      const m = /"address":"(http:\/\/[^"]+)"/.exec(out);
      if (m) {
        // From here on the server's log lines are drained unread: reading them would tax the load generator.
        proc.stdout!.off('data', onData);
        proc.stdout!.resume();
        resolve({ proc, url: m[1] });
      }
    };
    proc.stdout!.on('data', onData);
    proc.on('exit', (code) => reject(new Error(`${script} exited with ${code}:\n${out}`)));
  });
}

async function load(url: string, headers: Record<string, string> = {}): Promise<{ rps: number; p50: number; p99: number; errors: number }> {
  const r = await autocannon({ url, connections: CONNECTIONS, duration: DURATION_S, headers });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx };
}

async function sessionThroughput(log: (s: string) => void): Promise<Record<string, number>> {
  const dist = join(import.meta.dirname, '..');
  const baseline = await spawnServer(join(dist, 'scripts', 'bench-baseline.js'), {});
  const base = await load(baseline.url);
  baseline.proc.kill('SIGTERM');

  const dataDir = mkdtempSync(join(tmpdir(), 'axon-bench-'));
  const app = await spawnServer(join(dist, 'src', 'main.js'), { DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'info' });
  try {
    const adminKey = JSON.parse(readFileSync(join(dataDir, 'dev-secrets.json'), 'utf8')).ADMIN_API_KEY as string;
    await fetch(`${app.url}/api/v1/admin/organizations`, {
      method: 'POST',
      headers: { 'x-admin-api-key': adminKey, 'content-type': 'application/json' },
      body: JSON.stringify({ org_id: 'bench', name: 'Bench', password: 'bench-password-1' }),
    });
    const login = await fetch(`${app.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ org_id: 'bench', password: 'bench-password-1' }),
    });
    const cookie = login.headers.getSetCookie()[0].split(';')[0];
    const session = await load(`${app.url}/api/v1/auth/session`, { cookie });
    log(`GET /api/v1/auth/session (SQLite, ${CONNECTIONS} connections, ${DURATION_S} s each)`);
    log(`  node:http baseline   ${base.rps.toFixed(0).padStart(7)} req/s   p50 ${base.p50} ms  p99 ${base.p99} ms`);
    log(`  service              ${session.rps.toFixed(0).padStart(7)} req/s   p50 ${session.p50} ms  p99 ${session.p99} ms  errors ${session.errors}`);
    log(`  ratio                ${(session.rps / base.rps).toFixed(3)} of baseline`);
    return { baselineRps: base.rps, sessionRps: session.rps, ratio: session.rps / base.rps };
  } finally {
    app.proc.kill('SIGTERM');
    await new Promise((r) => app.proc.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const log = (s: string) => process.stdout.write(`${s}\n`);
  await sessionThroughput(log);
  log('');
  const usage = await benchUsage({ log });
  log('');
  log('usage (SQLite, in-process requests, each next to the bare baseline handler in the same run)');
  log(`  ingest, batches of 500          ${usage.ingestEventsPerSecond.toFixed(0)} events/s (target >= 20,000)`);
  log(`    batches/s                     ${usage.ingestBatchesPerSecond.toFixed(1)} vs baseline ${usage.baselineBatchesPerSecond.toFixed(1)}: ratio ${(usage.ingestBatchesPerSecond / usage.baselineBatchesPerSecond).toFixed(3)}`);
  log(`  30-day summary over 1M events   ${usage.summaryMs.toFixed(2)} ms median (target < 50 ms)`);
  log(`    latency                       ${usage.summaryMs.toFixed(3)} ms vs baseline ${usage.baselineSummaryMs.toFixed(3)} ms: ${(usage.summaryMs / usage.baselineSummaryMs).toFixed(1)}x the baseline`);
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
