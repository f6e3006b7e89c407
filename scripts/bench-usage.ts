// Usage ingest and report figures on a fresh SQLite database: events/s through the real HTTP path, and
// the 30-day summary's latency over a million stored events. Called by scripts/bench.ts; runnable alone:
//   npm run -s build && node dist/scripts/bench-usage.js
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Config, loadConfig } from '../src/config.js';
import { generateSigningKeyPem } from '../src/licenses/license-format.js';
import { createLogger } from '../src/logger.js';
import { createRuntime } from '../src/server.js';
import { median } from './bench-server.js';

export const ADMIN_KEY = 'adm_bench_key_0123456789abcdef';
const HTTP_EVENTS = 20_000;
const HTTP_BATCH = 500;
const LOAD_EVENTS = 1_000_000;
const LOAD_BATCH = 5_000;
const SUMMARY_RUNS = 20;
const DAY_MS = 86_400_000;

export interface UsageBenchResult {
  ingestEventsPerSecond: number;
  /** Batches a second through the service, and through the baseline with the same bodies: the same unit. */
  ingestBatchesPerSecond: number;
  baselineBatchesPerSecond: number;
  summaryMs: number;
  baselineSummaryMs: number;
  summaryQueryMs: number;
}

/**
 * The floor for in-process requests, measured in the same run: a bare fetch handler that reads and parses
 * the same JSON body and answers a JSON body, with nothing else between request and answer.
 */
const reportShaped = JSON.stringify({ from: '', to: '', totals: {}, by_type: [{}, {}] }).padEnd(600, ' ');
async function baselineFetch(request: Request): Promise<Response> {
  if (request.method === 'POST') {
    const body = (await request.json()) as { events: unknown[] };
    return Response.json({ accepted: body.events.length, duplicates: 0 });
  }
  return new Response(reportShaped, { headers: { 'content-type': 'application/json' } });
}

/** Through loadConfig, like a real start: a field added to Config later gets its default here too. */
export function benchConfig(dir: string): Config {
  return loadConfig({
    ENVIRONMENT: 'development',
    DATA_DIR: dir,
    DATABASE_URL: `sqlite:${join(dir, 'bench.db')}`,
    ADMIN_API_KEY: ADMIN_KEY,
    ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    LICENSE_SIGNING_KEY: generateSigningKeyPem(),
    TRUST_PROXY_HOPS: '1',
    LOG_LEVEL: 'silent',
  }).config;
}

type Fetch = (request: Request) => Response | Promise<Response>;

async function call(fetch: Fetch, method: string, path: string, opts: { body?: unknown; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { 'x-forwarded-for': '198.51.100.9', ...opts.headers };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(new Request(`http://localhost${path}`, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) }));
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return { res, body: text ? JSON.parse(text) : null };
}

/** REST speaks snake_case; the service takes the camelCase keys the REST adapter hands it. */
function snake(event: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(event).map(([k, v]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), v]));
}

/** A mix like a real fleet: 8 nodes, two-thirds API calls, LLM requests over 3 providers and 6 models. */
function makeEvent(id: string, at: number, n: number): Record<string, unknown> {
  const node = `node-${n % 8}`;
  if (n % 3 !== 0) {
    return { eventId: id, type: 'api_call', occurredAt: new Date(at).toISOString(), nodeId: node, method: n % 5 ? 'GET' : 'POST', path: `/api/v1/things/${n % 50}`, status: n % 20 ? 200 : 500, latencyMs: 5 + (n % 97) };
  }
  const m = n % 6;
  return {
    eventId: id,
    type: 'llm_request',
    occurredAt: new Date(at).toISOString(),
    nodeId: node,
    provider: ['openai', 'anthropic', 'bedrock'][m % 3],
    model: `model-${m}`,
    status: n % 50 ? 200 : 429,
    latencyMs: 200 + (n % 900),
    promptTokens: 100 + (n % 1000),
    completionTokens: 20 + (n % 300),
    costUsd: (n % 1000) / 100_000,
  };
}

/** The bulk load acts as the bench organization's workload would. */
const benchActor = { type: 'api_key' as const, id: 'bench', orgId: 'bench', ip: null, userAgent: null };

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

export async function benchUsage(opts: { log: (line: string) => void }): Promise<UsageBenchResult> {
  const { log } = opts;
  const dir = mkdtempSync(join(tmpdir(), 'axon-bench-usage-'));
  const runtime = await createRuntime(benchConfig(dir), createLogger('silent'));
  const app: Fetch = (request) => runtime.app.fetch(request);
  try {
    await call(app, 'POST', '/api/v1/admin/organizations', {
      headers: { 'x-admin-api-key': ADMIN_KEY },
      body: { org_id: 'bench', name: 'Bench Inc', password: 'bench-password-1', tier: 'ENTERPRISE' },
    });
    const login = await call(app, 'POST', '/api/v1/auth/login', { body: { org_id: 'bench', password: 'bench-password-1' } });
    const cookie = login.res.headers.getSetCookie().find((c) => c.startsWith('axonflow_session='))!.split(';')[0];
    const created = await call(app, 'POST', '/api/v1/keys', { headers: { cookie }, body: { name: 'bench', scopes: ['usage:write'] } });
    const auth = { authorization: `Bearer ${created.body.key}` };
    const now = Date.now();

    // (a) The real path: JSON body, auth, REST -> GraphQL, validation, one transaction per batch. Ids are
    // random UUIDs as SDKs make them, the costly case for the (org_id, event_id) index.
    const post = (events: unknown[], fetch: Fetch = app) => call(fetch, 'POST', '/api/v1/usage/events', { headers: auth, body: { events } });
    await post(Array.from({ length: HTTP_BATCH }, (_, i) => snake(makeEvent(randomUUID(), now - (i % 1440) * 60_000, i))));
    const batches = Array.from({ length: HTTP_EVENTS / HTTP_BATCH }, (_, b) =>
      Array.from({ length: HTTP_BATCH }, (_, i) => {
        const n = b * HTTP_BATCH + i;
        return snake(makeEvent(randomUUID(), now - (n % 1440) * 60_000, n));
      }),
    );
    const httpStart = performance.now();
    for (const batch of batches) {
      const r = await post(batch);
      if (r.body.accepted !== HTTP_BATCH) throw new Error(`batch accepted ${r.body.accepted}`);
    }
    const httpSeconds = (performance.now() - httpStart) / 1000;
    const ingestEventsPerSecond = Math.round(HTTP_EVENTS / httpSeconds);
    const ingestBatchesPerSecond = batches.length / httpSeconds;
    const baseStart = performance.now();
    for (const batch of batches) await post(batch, baselineFetch);
    const baselineBatchesPerSecond = batches.length / ((performance.now() - baseStart) / 1000);
    log(`usage ingest (in-process requests, ${HTTP_EVENTS} events in batches of ${HTTP_BATCH}): ${ingestEventsPerSecond} events/s (${round(httpSeconds, 2)} s)`);

    // (b) Bulk load through the service (same validation, insert and rollup code, bigger batches). It only
    // sets the stage for the summary, so ids are ordered, which keeps the index writes local and the load short.
    const loadStart = performance.now();
    const span = 30 * DAY_MS;
    for (let b = 0; b < LOAD_EVENTS / LOAD_BATCH; b++) {
      const events = Array.from({ length: LOAD_BATCH }, (_, i) => {
        const n = b * LOAD_BATCH + i;
        return makeEvent(`load-${n}`, now - Math.floor(((n * 7919) % LOAD_EVENTS) * (span / LOAD_EVENTS)), n);
      });
      await runtime.services.usage.ingest(benchActor, events, { maxEvents: LOAD_BATCH });
      if ((b + 1) % 50 === 0) log(`  loaded ${(b + 1) * LOAD_BATCH} events`);
    }
    const loadSeconds = (performance.now() - loadStart) / 1000;
    log(`usage load (service, ${LOAD_EVENTS} events over 30 days in batches of ${LOAD_BATCH}): ${Math.round(LOAD_EVENTS / loadSeconds)} events/s (${round(loadSeconds)} s)`);

    // The 30-day summary as the portal asks for it, end to end, then the SQL alone.
    const httpTimes: number[] = [];
    let total = 0;
    for (let i = 0; i < SUMMARY_RUNS + 2; i++) {
      const t = performance.now();
      const r = await call(app, 'GET', '/api/v1/usage/summary', { headers: { cookie } });
      if (i >= 2) httpTimes.push(performance.now() - t);
      total = r.body.totals.total_requests;
    }
    const baseTimes: number[] = [];
    for (let i = 0; i < SUMMARY_RUNS + 2; i++) {
      const t = performance.now();
      await call(baselineFetch, 'GET', '/api/v1/usage/summary', { headers: { cookie } });
      if (i >= 2) baseTimes.push(performance.now() - t);
    }
    const queryTimes: number[] = [];
    for (let i = 0; i < SUMMARY_RUNS + 2; i++) {
      const t = performance.now();
      await runtime.services.usage.report(benchActor, {}).byType();
      if (i >= 2) queryTimes.push(performance.now() - t);
    }
    const summaryMs = median(httpTimes);
    const summaryQueryMs = median(queryTimes);
    log(`usage summary (30 days, ${total} events): median ${round(summaryMs, 2)} ms as a request, ${round(summaryQueryMs, 2)} ms for the SQL`);
    return {
      ingestEventsPerSecond,
      ingestBatchesPerSecond,
      baselineBatchesPerSecond,
      summaryMs,
      baselineSummaryMs: median(baseTimes),
      summaryQueryMs,
    };
  } finally {
    await runtime.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  benchUsage({ log: (line) => console.log(line) })
    .then((r) => console.log(JSON.stringify(r)))
    .catch((err) => {
      console.error(err);
      process.exitCode = 1;
    });
}
