import { inTransaction } from '../db/database.js';
import {
  type RollupRange,
  type UsageAggregate,
  type UsageDailyRow,
  type UsageEventRow,
  type UsageHourlyRow,
  addToDaily,
  addToHourly,
  aggregateUsage,
  emptyAggregate,
  insertNewEvents,
} from '../db/usage.js';
import type { ServiceDeps } from './deps.js';
import { InvalidInput } from './errors.js';

export const USAGE_EVENT_TYPES = ['api_call', 'llm_request'] as const;
export type UsageEventType = (typeof USAGE_EVENT_TYPES)[number];
export const USAGE_GRANULARITIES = ['hour', 'day', 'month'] as const;
export type UsageGranularity = (typeof USAGE_GRANULARITIES)[number];
export const USAGE_GROUP_BY = ['provider', 'model', 'node'] as const;
export type UsageGroupBy = (typeof USAGE_GROUP_BY)[number];

/** Events per ingest call on the API. */
export const MAX_BATCH_EVENTS = 1000;
/** Beyond this many problems a rejected batch reports only the first problem of each bad event. */
const MAX_DETAILS = 1000;
const MAX_WINDOW_DAYS = 400;
const MAX_HOURLY_WINDOW_DAYS = 31;
const DEFAULT_WINDOW_DAYS = 30;
/** Top groups reported by group_by; a hard bound like every list. */
export const MAX_GROUPS = 1000;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export interface IngestResult {
  accepted: number;
  duplicates: number;
}

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

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}(?::?\d{2})?))?$/i;
const EARLIEST = Date.UTC(2000, 0, 1);
const LATEST = Date.UTC(9999, 0, 1);

/**
 * A strict ISO-8601 reading: a date (midnight UTC) or a date-time with its offset. new Date() alone would
 * take "2026-02-30" as March 2 and a zone-less time as the server's local time.
 */
function parseInstant(value: string): number | null {
  const m = ISO.exec(value);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return null;
  if (h === undefined) return clampYears(Date.UTC(year, month - 1, day));
  const hour = Number(h);
  const minute = Number(mi);
  const second = s === undefined ? 0 : Number(s);
  if (hour > 23 || minute > 59 || second > 59) return null;
  let offset = 0;
  if (zone.toUpperCase() !== 'Z') {
    const oh = Number(zone.slice(1, 3));
    const om = zone.length > 3 ? Number(zone.slice(-2)) : 0;
    if (oh > 23 || om > 59) return null;
    offset = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om) * 60_000;
  }
  const ms = frac ? Math.floor(Number(`0${frac}`) * 1000) : 0;
  return clampYears(Date.UTC(year, month - 1, day, hour, minute, second, ms) - offset);
}

// Bucket keys are fixed-width text compared as strings: years outside 2000..9998 would break that.
function clampYears(t: number): number | null {
  return t >= EARLIEST && t < LATEST ? t : null;
}

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
    throw new InvalidInput(`${field} must be an ISO-8601 timestamp with a zone (or a date, YYYY-MM-DD) from year 2000 to 9998`, field);
  }
  return t;
}

interface RollupCounters {
  count: number;
  success_count: number;
  latency_sum_us: number;
  latency_count: number;
  prompt_tokens: number;
  completion_tokens: number;
  cost_micros: number;
}

export class UsageService {
  constructor(private readonly deps: ServiceDeps) {}

  /**
   * Stores a batch: all or nothing. Every problem of every event is reported at once; a valid batch is
   * written in one transaction with its rollups, counting each event id once per organization, ever.
   * No audit event: usage is telemetry, not a change anyone made to the organization.
   */
  async ingest(orgId: string, events: unknown[], limits: { maxEvents: number } = { maxEvents: MAX_BATCH_EVENTS }): Promise<IngestResult> {
    if (!Array.isArray(events) || events.length === 0) throw new InvalidInput('events must hold at least one event', 'events');
    if (events.length > limits.maxEvents) {
      throw new InvalidInput(`events must hold at most ${limits.maxEvents} events; split the batch (${events.length} sent)`, 'events');
    }
    const nowMs = this.deps.clock.now().getTime();
    const receivedAt = new Date(nowMs).toISOString();
    const latest = nowMs + DAY_MS;
    const rows: UsageEventRow[] = [];
    const problems: EventProblem[][] = [];
    for (let i = 0; i < events.length; i++) {
      const r = validateEvent(events[i], i, latest);
      if (r.problems.length > 0) problems.push(r.problems);
      else if (r.event && problems.length === 0) rows.push({ org_id: orgId, ...r.event, received_at: receivedAt });
    }
    if (problems.length > 0) {
      const all = problems.flat();
      const details = all.length <= MAX_DETAILS ? all : problems.map((p) => p[0]);
      throw new InvalidInput(
        `${problems.length} of ${events.length} events are invalid; nothing was stored (see details)`,
        'events',
        details as unknown as Record<string, unknown>[],
      );
    }

    // First occurrence wins inside a batch; sorted ids give concurrent batches one lock order.
    const unique = new Map<string, UsageEventRow>();
    for (const row of rows) if (!unique.has(row.event_id)) unique.set(row.event_id, row);
    const sorted = [...unique.values()].sort((a, b) => (a.event_id < b.event_id ? -1 : a.event_id > b.event_id ? 1 : 0));

    const accepted = await inTransaction(this.deps.db, async (trx) => {
      const inserted = await insertNewEvents(trx, sorted);
      if (inserted.size === 0) return 0;
      const { hourly, daily } = rollupsOf(sorted.filter((r) => inserted.has(r.event_id)));
      await addToHourly(trx, hourly);
      await addToDaily(trx, daily);
      return inserted.size;
    });
    return { accepted, duplicates: events.length - accepted };
  }

  /** Validates the window and grouping; the numbers are computed when the report is read. */
  report(orgId: string, args: UsageReportArgs): UsageReport {
    const granularity = args.granularity ?? 'day';
    if (!(USAGE_GRANULARITIES as readonly string[]).includes(granularity)) {
      throw new InvalidInput(`granularity must be one of ${USAGE_GRANULARITIES.join(', ')}`, 'granularity');
    }
    const groupBy = args.groupBy ?? null;
    if (groupBy !== null && !(USAGE_GROUP_BY as readonly string[]).includes(groupBy)) {
      throw new InvalidInput(`group_by must be one of ${USAGE_GROUP_BY.join(', ')}`, 'group_by');
    }
    const to = windowArg('to', args.to) ?? this.deps.clock.now().getTime();
    const from = windowArg('from', args.from) ?? to - DEFAULT_WINDOW_DAYS * DAY_MS;
    if (from > to) throw new InvalidInput('from must not be after to', 'from');
    if (to - from > MAX_WINDOW_DAYS * DAY_MS) {
      throw new InvalidInput(`the window from..to must be at most ${MAX_WINDOW_DAYS} days`, 'from');
    }
    if (granularity === 'hour' && to - from > MAX_HOURLY_WINDOW_DAYS * DAY_MS) {
      throw new InvalidInput(`granularity hour allows a window of at most ${MAX_HOURLY_WINDOW_DAYS} days`, 'granularity');
    }
    const window = new UsageWindow(floorTo(from, HOUR_MS), Math.min(ceilTo(to, HOUR_MS), LATEST));
    return new UsageReport(this.deps, orgId, window, granularity, groupBy);
  }
}

/** One problem of one event in a rejected batch; field is the path a REST caller wrote. */
export interface EventProblem {
  index: number;
  event_id: string | null;
  field: string;
  message: string;
}

type NewEvent = Omit<UsageEventRow, 'org_id' | 'received_at'>;

// camelCase as GraphQL and the REST adapter hand them over; problems name them in snake_case.
const EVENT_FIELDS: Record<string, string> = {
  eventId: 'event_id',
  type: 'type',
  occurredAt: 'occurred_at',
  nodeId: 'node_id',
  method: 'method',
  path: 'path',
  status: 'status',
  latencyMs: 'latency_ms',
  provider: 'provider',
  model: 'model',
  promptTokens: 'prompt_tokens',
  completionTokens: 'completion_tokens',
  costUsd: 'cost_usd',
};

const MAX_TOKENS = 2_147_483_647;
/** A day: beyond it a latency is a clock bug, and micro-ms sums stay far inside 2^53. */
const MAX_LATENCY_MS = DAY_MS;
/** Per event; keeps micro-dollar sums exact in a JavaScript number. */
const MAX_COST_USD = 1_000_000;
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Checks one event, collecting every problem rather than stopping at the first, and returns the row to
 * store. Absent, null and '' optional values are all "not given".
 */
function validateEvent(value: unknown, index: number, latestMs: number): { event?: NewEvent; problems: EventProblem[] } {
  const problems: EventProblem[] = [];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { problems: [{ index, event_id: null, field: `events[${index}]`, message: `events[${index}] must be an object` }] };
  }
  const raw = value as Record<string, unknown>;
  const rawId = raw.eventId;
  const eventId = typeof rawId === 'string' && rawId.length >= 1 && rawId.length <= 128 ? rawId : null;
  const problem = (name: string, message: string) =>
    problems.push({ index, event_id: eventId, field: `events[${index}].${name}`, message: `${name} ${message}` });

  for (const key of Object.keys(raw)) {
    if (key in EVENT_FIELDS) continue;
    // A GraphQL caller writing REST's snake_case gets pointed at the camelCase name.
    const camel = key.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
    if (camel !== key && camel in EVENT_FIELDS) problem(key, `is written ${camel} in GraphQL`);
    else problem(key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), 'is not a field of a usage event');
  }

  const str = (key: string, max: number, required: boolean): string | null => {
    const v = raw[key];
    const name = EVENT_FIELDS[key];
    if (v === undefined || v === null || v === '') {
      if (required) problem(name, 'is required');
      return null;
    }
    if (typeof v !== 'string') problem(name, 'must be a string');
    else if (v.length > max) problem(name, `must be at most ${max} characters`);
    else if (CONTROL.test(v)) problem(name, 'must not contain control characters');
    else return v;
    return null;
  };
  const num = (key: string, min: number, max: number, whole: boolean): number | null => {
    const v = raw[key];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (whole && !Number.isInteger(v))) {
      problem(EVENT_FIELDS[key], `must be ${whole ? 'a whole number' : 'a finite number'} from ${min} to ${max}`);
      return null;
    }
    return v;
  };

  const id = str('eventId', 128, true);
  const type = str('type', 32, true);
  if (type !== null && !(USAGE_EVENT_TYPES as readonly string[]).includes(type)) {
    problem('type', `must be one of ${USAGE_EVENT_TYPES.join(', ')}`);
  }
  const occurred = str('occurredAt', 64, true);
  let occurredAt: string | null = null;
  if (occurred !== null) {
    const t = parseInstant(occurred);
    if (t === null) problem('occurred_at', 'must be an ISO-8601 timestamp with a zone (e.g. 2026-06-01T12:00:00Z) from year 2000 to 9998');
    else if (t > latestMs) problem('occurred_at', 'must be at most 24 hours in the future');
    else occurredAt = new Date(t).toISOString();
  }
  const nodeId = str('nodeId', 128, false);
  const method = str('method', 16, false);
  const path = str('path', 2048, false);
  const provider = str('provider', 128, false);
  const model = str('model', 128, false);
  const status = num('status', 100, 599, true);
  const latencyMs = num('latencyMs', 0, MAX_LATENCY_MS, false);
  const promptTokens = num('promptTokens', 0, MAX_TOKENS, true);
  const completionTokens = num('completionTokens', 0, MAX_TOKENS, true);
  const costUsd = num('costUsd', 0, MAX_COST_USD, false);

  if (problems.length > 0 || id === null || type === null || occurredAt === null) return { problems };
  return {
    problems,
    event: {
      event_id: id,
      type,
      occurred_at: occurredAt,
      node_id: nodeId,
      method,
      path,
      status,
      latency_ms: latencyMs,
      provider,
      model,
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      cost_micros: costUsd === null ? null : Math.round(costUsd * 1e6),
    },
  };
}

/**
 * The batch's increments, one row per rollup key, sorted by key (the lock order on PostgreSQL). Events fold
 * into hours, hours into days: the per-event work is one map lookup. Control characters are refused in
 * every dimension, so \u0001 cannot occur inside a key part.
 */
function rollupsOf(rows: UsageEventRow[]): { hourly: UsageHourlyRow[]; daily: UsageDailyRow[] } {
  const hours = new Map<string, UsageHourlyRow>();
  for (const e of rows) {
    const hour = e.occurred_at.slice(0, 13);
    const provider = e.provider ?? '';
    const model = e.model ?? '';
    const nodeId = e.node_id ?? '';
    const key = `${hour}\u0001${e.type}\u0001${provider}\u0001${model}\u0001${nodeId}`;
    let h = hours.get(key);
    if (h === undefined) {
      h = { org_id: e.org_id, hour, type: e.type, provider, model, node_id: nodeId, ...zeroCounters() };
      hours.set(key, h);
    }
    h.count += 1;
    if (e.status === null || e.status < 400) h.success_count += 1;
    if (e.latency_ms !== null) {
      h.latency_sum_us += Math.round(e.latency_ms * 1000);
      h.latency_count += 1;
    }
    if (e.prompt_tokens !== null) h.prompt_tokens += e.prompt_tokens;
    if (e.completion_tokens !== null) h.completion_tokens += e.completion_tokens;
    if (e.cost_micros !== null) h.cost_micros += e.cost_micros;
  }
  const hourKeys = [...hours.keys()].sort();
  const hourly = hourKeys.map((k) => hours.get(k)!);
  const days = new Map<string, UsageDailyRow>();
  for (let i = 0; i < hourly.length; i++) {
    const h = hourly[i];
    const day = h.hour.slice(0, 10);
    const key = `${day}${hourKeys[i].slice(13)}`;
    let d = days.get(key);
    if (d === undefined) {
      d = { org_id: h.org_id, day, type: h.type, provider: h.provider, model: h.model, node_id: h.node_id, ...zeroCounters() };
      days.set(key, d);
    }
    for (const c of COUNTER_NAMES) d[c] += h[c];
  }
  return { hourly, daily: [...days.keys()].sort().map((k) => days.get(k)!) };
}

const COUNTER_NAMES = ['count', 'success_count', 'latency_sum_us', 'latency_count', 'prompt_tokens', 'completion_tokens', 'cost_micros'] as const;

function zeroCounters(): RollupCounters {
  return { count: 0, success_count: 0, latency_sum_us: 0, latency_count: 0, prompt_tokens: 0, completion_tokens: 0, cost_micros: 0 };
}
