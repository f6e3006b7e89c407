// What an export of a million audit rows costs, on a fresh SQLite database, in process: the baseline measured
// in the same run is reading every row through the same source pages the export reads (db/export-sources.ts,
// pages of 5,000, nothing written); then a CSV and a JSON export of the same rows through the real job
// (ExportService.create, then the job runner), with rows/s, the ratio to the read, the file's size, and memory
// sampled every 50 ms during the export (peak RSS, peak heap, the heap before it and after it, both after a full
// collection). The peak heap counts garbage V8 has not collected yet, so it grows with a longer export while the
// live heap stays flat: a page at a time (run with --max-old-space-size=160 to see a million rows fit).
// BENCH_EXPORT_ROWS changes the row count.
// Called by scripts/bench.ts; runnable alone: npm run -s build && node dist/scripts/bench-exports.js
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { auditSource } from '../src/db/export-sources.js';
import { createLogger } from '../src/logger.js';
import { createRuntime } from '../src/server.js';
import type { Actor } from '../src/services/actor.js';
import { seedAuditEvents } from '../test/compliance/audit-seed.js';
import { ADMIN_KEY, benchConfig } from './bench-usage.js';

const ROWS = Number(process.env.BENCH_EXPORT_ROWS ?? 1_000_000);
/** The export's page size (PAGE_ROWS in services/compliance/exports.ts): the baseline reads the same pages. */
const PAGE_ROWS = 5000;
const SAMPLE_MS = 50;
const ORG = 'bench';

export interface ExportRun {
  ms: number;
  rows: number;
  bytes: number;
  heapBeforeMb: number;
  rssBeforeMb: number;
  peakHeapMb: number;
  peakRssMb: number;
  /** After a full collection once the export is done: what the export left live. */
  heapAfterMb: number;
}

export interface ExportBenchResult {
  seededRows: number;
  seedMs: number;
  /** The read baseline, once before the CSV export and once after the JSON one. */
  readMs: [number, number];
  readRows: number;
  csv: ExportRun;
  json: ExportRun;
}

const mb = (bytes: number) => bytes / 1024 / 1024;

/** A full collection before each measure, so "heap before" is what is live, not what is yet to be collected. */
function collector(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return exposed;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** Samples memory every 50 ms while fn runs; the peaks include a last sample at the end. */
async function sampled<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number; peakRss: number; peakHeap: number }> {
  let peakRss = 0;
  let peakHeap = 0;
  const sample = () => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  };
  sample();
  const timer = setInterval(sample, SAMPLE_MS);
  const t = performance.now();
  try {
    const value = await fn();
    const ms = performance.now() - t;
    sample();
    return { value, ms, peakRss, peakHeap };
  } finally {
    clearInterval(timer);
  }
}

export async function benchExports(): Promise<ExportBenchResult> {
  const gc = collector();
  const dir = mkdtempSync(join(tmpdir(), 'axon-bench-exports-'));
  const runtime = await createRuntime(benchConfig(dir), createLogger('silent'));
  const db = runtime.database.db;
  try {
    const res = await runtime.app.fetch(
      new Request('http://localhost/api/v1/admin/organizations', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-admin-api-key': ADMIN_KEY },
        body: JSON.stringify({ org_id: ORG, name: 'Bench', password: 'bench-password-1', tier: 'ENTERPRISE' }),
      }),
    );
    if (res.status !== 201) throw new Error(`create organization: ${res.status} ${await res.text()}`);
    const t = performance.now();
    await seedAuditEvents(db, ORG, ROWS, (i) => ({ i, note: `change ${i}`, fields: ['name', 'rules'] }));
    const seedMs = performance.now() - t;
    // The periodic jobs run now and reschedule themselves, so the runs below run the export alone.
    await runtime.jobs.runDue();

    const query = { orgId: ORG, from: null, to: null };
    const read = async () => {
      const started = performance.now();
      let rows = 0;
      let after: string | null = null;
      do {
        const page = await auditSource.page(db, query, after, PAGE_ROWS);
        rows += page.rows.length;
        after = page.next;
      } while (after !== null);
      return { ms: performance.now() - started, rows };
    };
    const first = await read();

    const actor: Actor = { type: 'user', id: 'usr_bench', orgId: ORG, ip: null, userAgent: null };
    const exportOf = async (format: 'csv' | 'json'): Promise<ExportRun> => {
      const created = await runtime.services.exports.create(actor, 'eu_ai_act', { exportType: 'full_audit', format });
      gc();
      const before = process.memoryUsage();
      const run = await sampled(() => runtime.jobs.runDue());
      gc();
      const heapAfter = process.memoryUsage().heapUsed;
      const done = await runtime.services.exports.get(actor, 'eu_ai_act', created.id);
      if (done.status !== 'completed') throw new Error(`the ${format} export is ${done.status}: ${done.error}`);
      if (done.rows < ROWS) throw new Error(`the ${format} export has ${done.rows} rows, fewer than the ${ROWS} seeded`);
      return {
        ms: run.ms,
        rows: done.rows,
        bytes: done.bytes ?? 0,
        heapBeforeMb: mb(before.heapUsed),
        rssBeforeMb: mb(before.rss),
        peakHeapMb: mb(run.peakHeap),
        peakRssMb: mb(run.peakRss),
        heapAfterMb: mb(heapAfter),
      };
    };
    const csv = await exportOf('csv');
    const json = await exportOf('json');
    const second = await read();
    return { seededRows: ROWS, seedMs, readMs: [first.ms, second.ms], readRows: first.rows, csv, json };
  } finally {
    await runtime.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function printExports(r: ExportBenchResult, log: (line: string) => void): void {
  const readMs = (r.readMs[0] + r.readMs[1]) / 2;
  const perSecond = (rows: number, ms: number) => Math.round((rows * 1000) / ms).toLocaleString('en-US').padStart(9);
  log(`exports (SQLite, in process; ${r.seededRows.toLocaleString('en-US')} audit rows of one organization, pages of ${PAGE_ROWS}; seeded in ${(r.seedMs / 1000).toFixed(1)} s)`);
  log(`  read baseline (pages only)      ${(readMs / 1000).toFixed(2)} s (${(r.readMs[0] / 1000).toFixed(2)} before, ${(r.readMs[1] / 1000).toFixed(2)} after), ${perSecond(r.readRows, readMs)} rows/s`);
  for (const [name, run] of [['CSV', r.csv], ['JSON', r.json]] as const) {
    log(
      `  ${`${name} export (the job)`.padEnd(31)} ${(run.ms / 1000).toFixed(2)} s, ${perSecond(run.rows, run.ms)} rows/s: ratio ${(run.ms / readMs).toFixed(2)} to the read; ` +
        `file ${mb(run.bytes).toFixed(1)} MB`,
    );
    log(
      `    memory                        heap ${run.heapBeforeMb.toFixed(1)} MB before, peak ${run.peakHeapMb.toFixed(1)} MB, ${run.heapAfterMb.toFixed(1)} MB after; ` +
        `RSS ${run.rssBeforeMb.toFixed(0)} MB before, peak ${run.peakRssMb.toFixed(0)} MB`,
    );
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  printExports(await benchExports(), (s) => process.stdout.write(`${s}\n`));
}
