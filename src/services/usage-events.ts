import type { UsageDailyRow, UsageEventRow, UsageHourlyRow } from '../db/usage.js';
import type { ItemProblem } from '../domain/errors.js';
import { ItemReader } from './batch-item.js';

// What a usage event may hold, and how a valid batch folds into rollup increments.

export const USAGE_EVENT_TYPES = ['api_call', 'llm_request'] as const;
export type UsageEventType = (typeof USAGE_EVENT_TYPES)[number];
export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;


type RollupCounters = Pick<UsageHourlyRow, (typeof COUNTER_NAMES)[number]>;

type NewEvent = Omit<UsageEventRow, 'org_id' | 'received_at'>;

// The fields of an event, in the domain's names (GraphQL and the REST adapter hand them over so).
const EVENT_FIELDS = new Set([
  'eventId',
  'type',
  'occurredAt',
  'nodeId',
  'method',
  'path',
  'status',
  'latencyMs',
  'provider',
  'model',
  'promptTokens',
  'completionTokens',
  'costUsd',
]);

const MAX_TOKENS = 2_147_483_647;
/** A day: beyond it a latency is a clock bug, and micro-ms sums stay far inside 2^53. */
const MAX_LATENCY_MS = DAY_MS;
/** Per event; keeps micro-dollar sums exact in a JavaScript number. */
const MAX_COST_USD = 1_000_000;
const EVENT_SHAPE = { list: 'events', idField: 'eventId', fields: EVENT_FIELDS, noun: 'a usage event' };

/** Checks one event, collecting every problem, and returns the row to store. */
export function validateEvent(value: unknown, index: number, latestMs: number): { event?: NewEvent; problems: ItemProblem[] } {
  const item = ItemReader.of(value, index, EVENT_SHAPE);
  if (!(item instanceof ItemReader)) return { problems: [item.notAnObject] };
  const { problems } = item;
  const str = item.str.bind(item);
  const num = item.num.bind(item);

  const id = str('eventId', 128, true);
  const type = item.oneOf('type', USAGE_EVENT_TYPES);
  const occurredAt = item.instant('occurredAt', latestMs);
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
export function rollupsOf(rows: UsageEventRow[]): { hourly: UsageHourlyRow[]; daily: UsageDailyRow[] } {
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
