import type { UsageDailyRow, UsageEventRow, UsageHourlyRow } from '../db/usage.js';
import type { ItemProblem } from '../domain/errors.js';
import { parseInstant } from './instant.js';

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
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Checks one event, collecting every problem rather than stopping at the first, and returns the row to
 * store. Absent, null and '' optional values are all "not given".
 */
export function validateEvent(value: unknown, index: number, latestMs: number): { event?: NewEvent; problems: ItemProblem[] } {
  const problems: ItemProblem[] = [];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { problems: [{ index, id: null, field: `events[${index}]`, problem: 'must be an object' }] };
  }
  const raw = value as Record<string, unknown>;
  const rawId = raw.eventId;
  const eventId = typeof rawId === 'string' && rawId.length >= 1 && rawId.length <= 128 ? rawId : null;
  const problem = (name: string, text: string) => problems.push({ index, id: eventId, field: `events[${index}].${name}`, problem: text });

  for (const key of Object.keys(raw)) {
    if (EVENT_FIELDS.has(key)) continue;
    // A GraphQL caller writing REST's snake_case gets pointed at the camelCase name.
    const camel = key.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
    problem(key, camel !== key && EVENT_FIELDS.has(camel) ? `is written ${camel} in GraphQL` : 'is not a field of a usage event');
  }

  const str = (key: string, max: number, required: boolean): string | null => {
    const v = raw[key];
    if (v === undefined || v === null || v === '') {
      if (required) problem(key, 'is required');
      return null;
    }
    if (typeof v !== 'string') problem(key, 'must be a string');
    else if (v.length > max) problem(key, `must be at most ${max} characters`);
    else if (CONTROL.test(v)) problem(key, 'must not contain control characters');
    else return v;
    return null;
  };
  const num = (key: string, min: number, max: number, whole: boolean): number | null => {
    const v = raw[key];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (whole && !Number.isInteger(v))) {
      problem(key, `must be ${whole ? 'a whole number' : 'a finite number'} from ${min} to ${max}`);
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
    if (t === null) problem('occurredAt', 'must be an ISO-8601 timestamp with a zone (e.g. 2026-06-01T12:00:00Z) from year 2000 to 9998');
    else if (t > latestMs) problem('occurredAt', 'must be at most 24 hours in the future');
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
