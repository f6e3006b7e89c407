import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { createLogger } from '../src/logger.js';
import { createRuntime } from '../src/server.js';
import { type BenchPath, setUpPaths } from './bench-paths.js';
import { type Server, median, spawnServer, stop } from './bench-server.js';
import { benchScim, printScim } from './bench-scim.js';
import { benchSso, printSso } from './bench-sso.js';
import { benchPolicies, printPolicies } from './bench-policies.js';
import { benchDeployments, printDeployments } from './bench-deployments.js';
import { benchExports, printExports } from './bench-exports.js';
import { ADMIN_KEY, benchConfig, benchUsage } from './bench-usage.js';

// Servers run in child processes so the load generator does not share their event loop. Every server of a
// round is driven in turn, and rounds repeat, so a slow minute of the machine touches all of them alike.
const DURATION_S = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = 20;
const dist = join(import.meta.dirname, '..');

function rssMb(server: Server): number {
  const status = readFileSync(`/proc/${server.proc.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

interface Figures {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

async function load(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Figures> {
  const r = await autocannon({ url, connections: CONNECTIONS, duration: DURATION_S, method: (opts.method ?? 'GET') as 'GET', headers: opts.headers, body: opts.body });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx };
}

interface Service {
  label: string;
  server: Server;
  paths: BenchPath[];
  cleanup: () => Promise<void>;
}

async function startService(label: string, env: Record<string, string>, cleanup: () => Promise<void>): Promise<Service> {
  const dataDir = mkdtempSync(join(tmpdir(), 'axon-bench-'));
  const server = await spawnServer(join(dist, 'src', 'main.js'), { DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'info', ...env });
  const adminKey = JSON.parse(readFileSync(join(dataDir, 'dev-secrets.json'), 'utf8')).ADMIN_API_KEY as string;
  const paths = await setUpPaths(fetch, server.url, adminKey);
  return {
    label,
    server,
    paths,
    cleanup: async () => {
      await stop(server);
      rmSync(dataDir, { recursive: true, force: true });
      await cleanup();
    },
  };
}

async function postgresService(url: string): Promise<Service> {
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(statement);
    await client.end();
  };
  await admin(`create schema ${schema}`);
  return startService('PostgreSQL', { DATABASE_URL: url, DATABASE_SCHEMA: schema }, () => admin(`drop schema ${schema} cascade`));
}

const isWrite = (statement: string) => /^\s*(insert|update|delete|replace)\b/i.test(statement);

/** SQL statements of one warm request of each path, in process (the counter sees every statement Kysely runs). */
async function statementCounts(): Promise<Map<string, { statements: number; writes: number }>> {
  const dir = mkdtempSync(join(tmpdir(), 'axon-bench-sql-'));
  const statements: string[] = [];
  const runtime = await createRuntime(benchConfig(dir), createLogger('silent'), undefined, { onQuery: (q) => statements.push(q) });
  try {
    const inProcess = (url: string, init?: RequestInit) => runtime.app.request(url, init);
    const paths = await setUpPaths(inProcess, 'http://localhost', ADMIN_KEY);
    const counts = new Map<string, { statements: number; writes: number }>();
    for (const p of paths) {
      const send = () => runtime.app.request(`http://localhost${p.path}`, { method: p.method, headers: p.headers, body: p.body });
      await send();
      statements.length = 0;
      await send();
      // BENCH_SQL=1 prints the statements behind each count.
      if (process.env.BENCH_SQL) process.stderr.write(`${p.name}:\n  ${statements.join('\n  ')}\n`);
      counts.set(p.name, { statements: statements.length, writes: statements.filter(isWrite).length });
    }
    return counts;
  } finally {
    await runtime.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (n: number, w = 7) => n.toFixed(0).padStart(w);

async function throughput(log: (s: string) => void): Promise<void> {
  const baseline = await spawnServer(join(dist, 'scripts', 'bench-baseline.js'), {});
  const yoga = await spawnServer(join(dist, 'scripts', 'bench-yoga.js'), {});
  const services = [await startService('SQLite', {}, async () => {})];
  const pgUrl = process.env.DATABASE_URL;
  if (pgUrl && /^postgres(ql)?:\/\//.test(pgUrl)) services.push(await postgresService(pgUrl));
  const results = new Map<string, Figures[]>();
  // RSS after every run: V8 grows its heap under load and gives it back at its next major collection, so
  // one reading alone says more about when it was taken than about the service.
  const rss = new Map<string, number[]>();
  const add = (key: string, f: Figures) => results.set(key, [...(results.get(key) ?? []), f]);
  const yogaBody = JSON.stringify({ query: '{ hello }' });
  try {
    for (let round = 0; round < ROUNDS; round++) {
      process.stderr.write(`round ${round + 1} of ${ROUNDS}\n`);
      add('baseline', await load(baseline.url));
      add('yoga', await load(`${yoga.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: yogaBody }));
      for (const s of services) {
        for (const p of s.paths) {
          add(`${s.label}/${p.name}`, await load(`${s.server.url}${p.path}`, p));
          rss.set(s.label, [...(rss.get(s.label) ?? []), rssMb(s.server)]);
        }
      }
    }
    const med = (key: string) => {
      const runs = results.get(key)!;
      return { rps: median(runs.map((r) => r.rps)), p50: median(runs.map((r) => r.p50)), p99: median(runs.map((r) => r.p99)), errors: runs.reduce((a, r) => a + r.errors, 0) };
    };
    const raw = med('baseline');
    const stock = med('yoga');
    log(`request paths: autocannon, ${CONNECTIONS} connections, ${DURATION_S} s a run, medians of ${ROUNDS} interleaved rounds`);
    log(`  ${'path'.padEnd(50)} ${'req/s'.padStart(7)}  ${'p50'.padStart(4)}  ${'p99'.padStart(4)}  x raw   x yoga  SQL  writes  errors`);
    const line = (name: string, f: Figures, sql = '') =>
      log(`  ${name.padEnd(50)} ${fmt(f.rps)}  ${fmt(f.p50, 4)}  ${fmt(f.p99, 4)}  ${(f.rps / raw.rps).toFixed(3)}  ${(f.rps / stock.rps).toFixed(2).padStart(6)}  ${sql}  ${f.errors}`);
    line('raw node:http', raw);
    line('stock graphql-yoga { hello }', stock);
    const counts = await statementCounts();
    for (const s of services) {
      for (const p of s.paths) {
        const c = counts.get(p.name)!;
        line(`${s.label}: ${p.name}`, med(`${s.label}/${p.name}`), `${String(c.statements).padStart(3)}  ${String(c.writes).padStart(6)}`);
      }
      const readings = rss.get(s.label)!;
      log(`  ${s.label}: RSS after each run: median ${median(readings).toFixed(0)} MB, max ${Math.max(...readings).toFixed(0)} MB; after the last ${readings[readings.length - 1].toFixed(0)} MB`);
    }
  } finally {
    await stop(baseline);
    await stop(yoga);
    for (const s of services) await s.cleanup();
  }
}

async function main(): Promise<void> {
  const log = (s: string) => process.stdout.write(`${s}\n`);
  if (process.env.BENCH_THROUGHPUT !== '0') await throughput(log);
  if (process.env.BENCH_SCIM !== '0') {
    log('');
    printScim(await benchScim({ log }), log);
  }
  if (process.env.BENCH_SSO !== '0') {
    log('');
    printSso(await benchSso(), log);
  }
  if (process.env.BENCH_POLICIES !== '0') {
    log('');
    printPolicies(await benchPolicies(), log);
  }
  if (process.env.BENCH_DEPLOYMENTS !== '0') {
    log('');
    printDeployments(await benchDeployments(), log);
  }
  if (process.env.BENCH_EXPORTS !== '0') {
    log('');
    printExports(await benchExports(), log);
  }
  if (process.env.BENCH_USAGE === '0') return;
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
