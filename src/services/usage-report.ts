import { type RollupRange, type UsageAggregate, aggregateUsage, emptyAggregate } from '../db/usage.js';
import type { ServiceDeps } from './deps.js';
import { InvalidInput } from '../domain/errors.js';
import { LATEST, parseInstant } from './instant.js';
import { DAY_MS, HOUR_MS, USAGE_EVENT_TYPES, type UsageEventType } from './usage-events.js';

// Reports over the rollups: the window, its buckets, and the metrics computed in SQL.

export const USAGE_GRANULARITIES = ['hour', 'day', 'month'] as const;
export type UsageGranularity = (typeof USAGE_GRANULARITIES)[number];
export const USAGE_GROUP_BY = ['provider', 'model', 'node'] as const;
export type UsageGroupBy = (typeof USAGE_GROUP_BY)[number];

const MAX_WINDOW_DAYS = 400;
const MAX_HOURLY_WINDOW_DAYS = 31;
/** Top groups reported by group_by; a hard bound like every list. */
export const MAX_GROUPS = 1000;

const DEFAULT_WINDOW_DAYS = 30;
export interface UsageMetrics {
  apiCalls: number;
  llmRequests: number;
  totalRequests: number;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  estimatedCostUsd: number;
  /** null when no event in the window carried a latency. */
  avgLatencyMs: number | null;
  /** Share of events with status < 400 (or no status); null when there were none. */
  successRate: number | null;
}

export interface UsageReportArgs {
  from?: string | null;
  to?: string | null;
  granularity?: UsageGranularity | null;
  groupBy?: UsageGroupBy | null;
}

function metricsOf(a: UsageAggregate): UsageMetrics {
  return {
    apiCalls: a.apiCalls,
    llmRequests: a.count - a.apiCalls,
    totalRequests: a.count,
    promptTokens: a.promptTokens,
    completionTokens: a.completionTokens,
    totalTokens: a.promptTokens + a.completionTokens,
    estimatedCostUsd: a.costMicros / 1e6,
    avgLatencyMs: a.latencyCount > 0 ? Math.round(a.latencySumUs / a.latencyCount) / 1000 : null,
    successRate: a.count > 0 ? Math.round((a.successCount / a.count) * 1e6) / 1e6 : null,
  };
}

function addAggregates(key: string, parts: UsageAggregate[]): UsageAggregate {
  const sum = emptyAggregate(key);
  for (const p of parts) {
    sum.apiCalls += p.apiCalls;
    sum.count += p.count;
    sum.successCount += p.successCount;
    sum.latencySumUs += p.latencySumUs;
    sum.latencyCount += p.latencyCount;
    sum.promptTokens += p.promptTokens;
    sum.completionTokens += p.completionTokens;
    sum.costMicros += p.costMicros;
  }
  return sum;
}

const hourKey = (t: number) => new Date(t).toISOString().slice(0, 13);
const dayKey = (t: number) => new Date(t).toISOString().slice(0, 10);
const floorTo = (t: number, unit: number) => Math.floor(t / unit) * unit;
const ceilTo = (t: number, unit: number) => Math.ceil(t / unit) * unit;

/**
 * The window of a report, hour-aligned: from is rounded down and to up to whole UTC hours, because the
 * finest rollup is the hour. The answer echoes the aligned window, and its numbers are exactly those of
 * the events with from <= occurred_at < to. Whole UTC days inside the window are read from the daily
 * rollup, the partial first and last days from the hourly one.
 */
class UsageWindow {
  constructor(
    readonly from: number,
    readonly to: number,
  ) {}

  hourly(): RollupRange[] {
    return this.from < this.to ? [{ table: 'usage_hourly', from: hourKey(this.from), to: hourKey(this.to) }] : [];
  }

  mixed(): RollupRange[] {
    const firstDay = ceilTo(this.from, DAY_MS);
    const lastDay = floorTo(this.to, DAY_MS);
    if (firstDay >= lastDay) return this.hourly();
    const ranges: RollupRange[] = [{ table: 'usage_daily', from: dayKey(firstDay), to: dayKey(lastDay) }];
    if (this.from < firstDay) ranges.push({ table: 'usage_hourly', from: hourKey(this.from), to: hourKey(firstDay) });
    if (lastDay < this.to) ranges.push({ table: 'usage_hourly', from: hourKey(lastDay), to: hourKey(this.to) });
    return ranges;
  }
}

const GROUP_COLUMN: Record<UsageGroupBy, 'provider' | 'model' | 'node_id'> = {
  provider: 'provider',
  model: 'model',
  node: 'node_id',
};

const BUCKET_LENGTH: Record<UsageGranularity, 7 | 10 | 13> = { hour: 13, day: 10, month: 7 };

/** The start of each bucket touching the window, as rollup key prefix and ISO timestamp. */
function bucketsOf(window: UsageWindow, granularity: UsageGranularity): { key: string; start: string }[] {
  const out: { key: string; start: string }[] = [];
  const d = new Date(window.from);
  if (granularity === 'hour') d.setUTCMinutes(0, 0, 0);
  else d.setUTCHours(0, 0, 0, 0);
  if (granularity === 'month') d.setUTCDate(1);
  while (d.getTime() < window.to) {
    const start = d.toISOString();
    out.push({ key: start.slice(0, BUCKET_LENGTH[granularity]), start });
    if (granularity === 'hour') d.setUTCHours(d.getUTCHours() + 1);
    else if (granularity === 'day') d.setUTCDate(d.getUTCDate() + 1);
    else d.setUTCMonth(d.getUTCMonth() + 1);
  }
  return out;
}

/**
 * One report's answers, each computed in SQL over the rollups when first asked for: a caller that wants
 * only the totals never pays for the series.
 */
export class UsageReport {
  private byTypeRows?: Promise<UsageAggregate[]>;

  constructor(
    private readonly deps: ServiceDeps,
    private readonly orgId: string,
    private readonly window: UsageWindow,
    readonly granularity: UsageGranularity,
    readonly groupBy: UsageGroupBy | null,
  ) {}

  get from(): string {
    return new Date(this.window.from).toISOString();
  }

  get to(): string {
    return new Date(this.window.to).toISOString();
  }

  private typeRows(): Promise<UsageAggregate[]> {
    this.byTypeRows ??= aggregateUsage(this.deps.db, this.orgId, this.window.mixed(), {
      kind: 'dimension',
      column: 'type',
      limit: USAGE_EVENT_TYPES.length,
    });
    return this.byTypeRows;
  }

  /** Every type is listed, with zeros when it had no events, so a chart's legend stays put. */
  async byType(): Promise<(UsageMetrics & { type: UsageEventType })[]> {
    const rows = await this.typeRows();
    return USAGE_EVENT_TYPES.map((type) => ({ type, ...metricsOf(rows.find((r) => r.key === type) ?? emptyAggregate(type)) }));
  }

  /** The sum of the per-type rows: the types partition the events and every counter is additive. */
  async totals(): Promise<UsageMetrics> {
    return metricsOf(addAggregates('', await this.typeRows()));
  }

  /** The top groups by requests; null when the report was not asked to group. Absent dimension -> key null. */
  async groups(): Promise<(UsageMetrics & { key: string | null })[] | null> {
    if (!this.groupBy) return null;
    const rows = await aggregateUsage(this.deps.db, this.orgId, this.window.mixed(), {
      kind: 'dimension',
      column: GROUP_COLUMN[this.groupBy],
      limit: MAX_GROUPS,
    });
    return rows.map((r) => ({ key: r.key === '' ? null : r.key, ...metricsOf(r) }));
  }

  /**
   * One entry per bucket touching the window, zeros included; a bucket is labelled by its calendar start
   * even where the window cuts it, and then holds only the window's part.
   */
  async series(): Promise<(UsageMetrics & { bucket: string })[]> {
    const ranges = this.granularity === 'hour' ? this.window.hourly() : this.window.mixed();
    const rows = await aggregateUsage(this.deps.db, this.orgId, ranges, { kind: 'bucket', length: BUCKET_LENGTH[this.granularity] });
    const byKey = new Map(rows.map((r) => [r.key, r]));
    return bucketsOf(this.window, this.granularity).map((b) => ({
      bucket: b.start,
      ...metricsOf(byKey.get(b.key) ?? emptyAggregate(b.key)),
    }));
  }
}

function windowArg(field: 'from' | 'to', value: string | null | undefined): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const t = parseInstant(value);
  if (t === null) {
    throw new InvalidInput('must be an ISO-8601 timestamp with a zone (or a date, YYYY-MM-DD) from year 2000 to 9998', field);
  }
  return t;
}


/** Validates the window and grouping; the numbers are computed when the report is read. */
export function buildReport(deps: ServiceDeps, orgId: string, args: UsageReportArgs): UsageReport {
  const granularity = args.granularity ?? 'day';
  if (!(USAGE_GRANULARITIES as readonly string[]).includes(granularity)) {
    throw new InvalidInput(`must be one of ${USAGE_GRANULARITIES.join(', ')}`, 'granularity');
  }
  const groupBy = args.groupBy ?? null;
  if (groupBy !== null && !(USAGE_GROUP_BY as readonly string[]).includes(groupBy)) {
    throw new InvalidInput(`must be one of ${USAGE_GROUP_BY.join(', ')}`, 'groupBy');
  }
  const to = windowArg('to', args.to) ?? deps.clock.now().getTime();
  const from = windowArg('from', args.from) ?? to - DEFAULT_WINDOW_DAYS * DAY_MS;
  if (from > to) throw new InvalidInput('must not be after to', 'from');
  if (to - from > MAX_WINDOW_DAYS * DAY_MS) {
    throw new InvalidInput(`must be at most ${MAX_WINDOW_DAYS} days before to`, 'from');
  }
  if (granularity === 'hour' && to - from > MAX_HOURLY_WINDOW_DAYS * DAY_MS) {
    throw new InvalidInput(`hour allows a window of at most ${MAX_HOURLY_WINDOW_DAYS} days`, 'granularity');
  }
  const window = new UsageWindow(floorTo(from, HOUR_MS), Math.min(ceilTo(to, HOUR_MS), LATEST));
  return new UsageReport(deps, orgId, window, granularity, groupBy);
}
