import { type RawBuilder, sql } from 'kysely';
import type { Executor } from './database.js';
import type { UsageDailyTable, UsageEventsTable, UsageHourlyTable } from './tables/usage.js';

export type UsageEventRow = UsageEventsTable;
export type UsageHourlyRow = UsageHourlyTable;
export type UsageDailyRow = UsageDailyTable;

/**
 * Rows per multi-row statement. SQLite allows 32,766 bound parameters (pg 65,535): 2,000 rows of at most
 * 15 columns stay under both, so one size serves either database.
 */
const ROWS_PER_STATEMENT = 2000;

function chunks<T>(rows: T[], size = ROWS_PER_STATEMENT): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

/**
 * Inserts the events that are new and returns their ids. Already-stored ids are skipped by the
 * (org_id, event_id) key, so a retried batch changes nothing; callers pass rows sorted by event_id so
 * concurrent batches on PostgreSQL take the key locks in one order and cannot deadlock.
 */
export async function insertNewEvents(db: Executor, rows: UsageEventRow[]): Promise<Set<string>> {
  const inserted = new Set<string>();
  for (const part of chunks(rows)) {
    const returned = await db
      .insertInto('usage_events')
      .values(part)
      .onConflict((oc) => oc.columns(['org_id', 'event_id']).doNothing())
      .returning('event_id')
      .execute();
    for (const r of returned) inserted.add(r.event_id);
  }
  return inserted;
}

const COUNTERS = [
  'count',
  'success_count',
  'latency_sum_us',
  'latency_count',
  'prompt_tokens',
  'completion_tokens',
  'cost_micros',
] as const;

function increments(table: 'usage_hourly' | 'usage_daily') {
  return Object.fromEntries(
    COUNTERS.map((c) => [c, sql`${sql.ref(`${table}.${c}`)} + ${sql.ref(`excluded.${c}`)}`]),
  ) as Record<(typeof COUNTERS)[number], RawBuilder<number>>;
}

const HOURLY_INCREMENTS = increments('usage_hourly');
const DAILY_INCREMENTS = increments('usage_daily');

/**
 * Adds pre-aggregated counters (one row per key, sorted by key for lock order) to the hourly rollup.
 * Each key appears once per statement: PostgreSQL refuses to update one row twice in an upsert.
 */
export async function addToHourly(db: Executor, rows: UsageHourlyRow[]): Promise<void> {
  for (const part of chunks(rows)) {
    await db
      .insertInto('usage_hourly')
      .values(part)
      .onConflict((oc) => oc.columns(['org_id', 'hour', 'type', 'provider', 'model', 'node_id']).doUpdateSet(HOURLY_INCREMENTS))
      .execute();
  }
}

export async function addToDaily(db: Executor, rows: UsageDailyRow[]): Promise<void> {
  for (const part of chunks(rows)) {
    await db
      .insertInto('usage_daily')
      .values(part)
      .onConflict((oc) => oc.columns(['org_id', 'day', 'type', 'provider', 'model', 'node_id']).doUpdateSet(DAILY_INCREMENTS))
      .execute();
  }
}

/** A half-open range of one rollup's bucket keys: hours 'YYYY-MM-DDTHH' or days 'YYYY-MM-DD'. */
export interface RollupRange {
  table: 'usage_hourly' | 'usage_daily';
  from: string;
  to: string;
}

/** What rows are grouped by: a rollup dimension (top groups first), or a prefix of the bucket key (13 hour, 10 day, 7 month). */
export type Grouping =
  | { kind: 'dimension'; column: 'type' | 'provider' | 'model' | 'node_id'; limit: number }
  | { kind: 'bucket'; length: 7 | 10 | 13 };

/** Summed counters of one group. */
export interface UsageAggregate {
  key: string;
  apiCalls: number;
  count: number;
  successCount: number;
  latencySumUs: number;
  latencyCount: number;
  promptTokens: number;
  completionTokens: number;
  costMicros: number;
}

interface AggregateRow {
  grp: string | null;
  api_calls: number | string | null;
  requests: number | string | null;
  success_count: number | string | null;
  latency_sum_us: number | string | null;
  latency_count: number | string | null;
  prompt_tokens: number | string | null;
  completion_tokens: number | string | null;
  cost_micros: number | string | null;
}

function groupExpression(range: RollupRange, grouping: Grouping): RawBuilder<string> {
  switch (grouping.kind) {
    case 'dimension':
      return sql<string>`${sql.ref(grouping.column)}`;
    case 'bucket': {
      const column = range.table === 'usage_hourly' ? 'hour' : 'day';
      return sql<string>`substr(${sql.ref(column)}, 1, ${sql.raw(String(grouping.length))})`;
    }
  }
}

/**
 * Sums the rollups over the ranges (UNION ALL of hourly and daily pieces), grouped in SQL. Only rollup
 * rows are read, never raw events; the work grows with buckets x dimension combinations, not with events.
 */
export async function aggregateUsage(db: Executor, orgId: string, ranges: RollupRange[], grouping: Grouping): Promise<UsageAggregate[]> {
  if (ranges.length === 0) return [];
  const pieces = ranges.map((r) => {
    const bucket = sql.ref(r.table === 'usage_hourly' ? 'hour' : 'day');
    return sql`select ${groupExpression(r, grouping)} as grp, "type", "count", success_count, latency_sum_us, latency_count,
      prompt_tokens, completion_tokens, cost_micros
      from ${sql.table(r.table)} where org_id = ${orgId} and ${bucket} >= ${r.from} and ${bucket} < ${r.to}`;
  });
  const order =
    grouping.kind === 'dimension'
      ? sql`order by requests desc, grp limit ${sql.raw(String(grouping.limit))}`
      : sql`order by grp`;
  const query = sql<AggregateRow>`select grp,
      sum(case when "type" = 'api_call' then "count" else 0 end) as api_calls,
      sum("count") as requests, sum(success_count) as success_count,
      sum(latency_sum_us) as latency_sum_us, sum(latency_count) as latency_count,
      sum(prompt_tokens) as prompt_tokens, sum(completion_tokens) as completion_tokens, sum(cost_micros) as cost_micros
    from (${sql.join(pieces, sql` union all `)}) as r group by grp ${order}`;
  const { rows } = await query.execute(db);
  return rows.map((r) => ({
    key: r.grp ?? '',
    apiCalls: Number(r.api_calls ?? 0),
    count: Number(r.requests ?? 0),
    successCount: Number(r.success_count ?? 0),
    latencySumUs: Number(r.latency_sum_us ?? 0),
    latencyCount: Number(r.latency_count ?? 0),
    promptTokens: Number(r.prompt_tokens ?? 0),
    completionTokens: Number(r.completion_tokens ?? 0),
    costMicros: Number(r.cost_micros ?? 0),
  }));
}

export function emptyAggregate(key: string): UsageAggregate {
  return {
    key,
    apiCalls: 0,
    count: 0,
    successCount: 0,
    latencySumUs: 0,
    latencyCount: 0,
    promptTokens: 0,
    completionTokens: 0,
    costMicros: 0,
  };
}
