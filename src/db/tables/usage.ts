/** Tables of this area; merged into Tables in ../tables.ts. */

/** One runtime event as received; (org_id, event_id) is the idempotency key. */
export interface UsageEventsTable {
  org_id: string;
  event_id: string;
  /** 'api_call' | 'llm_request' */
  type: string;
  occurred_at: string;
  node_id: string | null;
  method: string | null;
  path: string | null;
  status: number | null;
  latency_ms: number | null;
  provider: string | null;
  model: string | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  /** Integer micro-dollars: sums stay exact where floats would drift. */
  cost_micros: number | null;
  received_at: string;
}

/**
 * Counters kept at ingest, one row per bucket and dimension set. Absent dimensions are '' (not NULL) so
 * the primary key treats "no provider" as one value on both databases.
 */
export interface UsageRollupColumns {
  org_id: string;
  type: string;
  provider: string;
  model: string;
  node_id: string;
  count: number;
  success_count: number;
  /** Latency in integer microseconds, summed exactly; latency_count says how many events carried one. */
  latency_sum_us: number;
  latency_count: number;
  prompt_tokens: number;
  completion_tokens: number;
  cost_micros: number;
}

export interface UsageHourlyTable extends UsageRollupColumns {
  /** 'YYYY-MM-DDTHH' (UTC) */
  hour: string;
}

export interface UsageDailyTable extends UsageRollupColumns {
  /** 'YYYY-MM-DD' (UTC) */
  day: string;
}

export interface UsageTables {
  usage_events: UsageEventsTable;
  usage_hourly: UsageHourlyTable;
  usage_daily: UsageDailyTable;
}
