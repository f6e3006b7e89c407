import assert from 'node:assert/strict';
import type { Harness } from '../helpers/harness.js';

export interface UsageEvent {
  event_id: string;
  type: string;
  occurred_at: string;
  node_id?: string;
  method?: string;
  path?: string;
  status?: number;
  latency_ms?: number;
  provider?: string;
  model?: string;
  prompt_tokens?: number;
  completion_tokens?: number;
  cost_usd?: number;
}

export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

export async function ingest(h: Harness, key: string, events: unknown[]) {
  return h.call('POST', '/api/v1/usage/events', { headers: bearer(key), body: { events } });
}

export async function ingestOk(h: Harness, key: string, events: unknown[]): Promise<{ accepted: number; duplicates: number }> {
  const r = await ingest(h, key, events);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

export async function summary(h: Harness, cookie: string, query = ''): Promise<any> {
  const r = await h.call('GET', `/api/v1/usage/summary${query}`, { cookie });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

export async function usage(h: Harness, cookie: string, query = ''): Promise<any> {
  const r = await h.call('GET', `/api/v1/usage${query}`, { cookie });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

export const METRIC_KEYS = [
  'api_calls',
  'llm_requests',
  'total_requests',
  'prompt_tokens',
  'completion_tokens',
  'total_tokens',
  'estimated_cost_usd',
  'avg_latency_ms',
  'success_rate',
] as const;

/** The metrics of a list of raw events, computed the slow obvious way: what every report must equal. */
export function expectedMetrics(events: UsageEvent[]): Record<(typeof METRIC_KEYS)[number], number | null> {
  const latencies = events.filter((e) => e.latency_ms !== undefined).map((e) => Math.round(e.latency_ms! * 1000));
  const prompt = events.reduce((s, e) => s + (e.prompt_tokens ?? 0), 0);
  const completion = events.reduce((s, e) => s + (e.completion_tokens ?? 0), 0);
  const success = events.filter((e) => e.status === undefined || e.status < 400).length;
  const apiCalls = events.filter((e) => e.type === 'api_call').length;
  return {
    api_calls: apiCalls,
    llm_requests: events.length - apiCalls,
    total_requests: events.length,
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    estimated_cost_usd: events.reduce((s, e) => s + Math.round((e.cost_usd ?? 0) * 1e6), 0) / 1e6,
    avg_latency_ms: latencies.length ? Math.round(latencies.reduce((a, b) => a + b, 0) / latencies.length) / 1000 : null,
    success_rate: events.length ? Math.round((success / events.length) * 1e6) / 1e6 : null,
  };
}

export function pickMetrics(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(METRIC_KEYS.map((k) => [k, row[k]]));
}

/** Adds the additive metrics of several report rows (series buckets, groups). */
export function sumCounts(rows: Record<string, number>[]): Record<string, number> {
  const keys = ['api_calls', 'llm_requests', 'total_requests', 'prompt_tokens', 'completion_tokens', 'total_tokens'];
  const out: Record<string, number> = Object.fromEntries(keys.map((k) => [k, 0]));
  let cost = 0;
  for (const r of rows) {
    for (const k of keys) out[k] += r[k];
    cost += Math.round(r.estimated_cost_usd * 1e6);
  }
  out.estimated_cost_usd = cost / 1e6;
  return out;
}

export function countsOf(row: Record<string, number>): Record<string, number> {
  const { avg_latency_ms: _a, success_rate: _s, ...rest } = pickMetrics(row) as Record<string, number>;
  return rest;
}
