import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Harness } from '../helpers/harness.js';
import { type UsageEvent, countsOf, expectedMetrics, ingestOk, pickMetrics, sumCounts, usage } from './helpers.js';

const HOUR = 3_600_000;
const NOW = Date.parse('2026-06-01T12:00:00.000Z');

/** A small seeded generator: the same events every run, so a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function randomEvents(n: number, rand: () => number): UsageEvent[] {
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  return Array.from({ length: n }, (_, i) => {
    // Spread over the 45 days before now, across a month boundary, at odd minutes and milliseconds.
    const at = NOW - Math.floor(rand() * 45 * 24 * HOUR);
    const e: UsageEvent = { event_id: `r-${i}`, type: rand() < 0.5 ? 'api_call' : 'llm_request', occurred_at: new Date(at).toISOString() };
    if (rand() < 0.8) e.node_id = pick(['n1', 'n2', 'n3']);
    if (rand() < 0.8) e.status = pick([200, 201, 204, 302, 400, 404, 429, 500, 503]);
    if (rand() < 0.9) e.latency_ms = Math.round(rand() * 200000) / 100;
    if (e.type === 'llm_request') {
      e.provider = pick(['openai', 'anthropic']);
      e.model = pick(['m-a', 'm-b', 'm-c']);
      e.prompt_tokens = Math.floor(rand() * 4000);
      e.completion_tokens = Math.floor(rand() * 1000);
      e.cost_usd = Math.round(rand() * 1e5) / 1e7;
    }
    return e;
  });
}

function within(events: UsageEvent[], from: string, to: string): UsageEvent[] {
  const f = Date.parse(from);
  const t = Date.parse(to);
  return events.filter((e) => Date.parse(e.occurred_at) >= f && Date.parse(e.occurred_at) < t);
}

describe('usage series and windows', () => {
  let h: Harness;
  let cookie: string;
  const events = randomEvents(1500, rng(42));
  before(async () => {
    h = await Harness.start();
    await h.createOrg('acme');
    cookie = await h.login('acme');
    const { key } = await h.apiKey('acme', ['usage:write'], cookie);
    for (let i = 0; i < events.length; i += 500) await ingestOk(h, key, events.slice(i, i + 500));
  });
  after(() => h.close());

  for (const granularity of ['hour', 'day', 'month'] as const) {
    it(`granularity ${granularity}: buckets are contiguous and sum to the totals`, async () => {
      const query = granularity === 'hour' ? '?from=2026-05-20T07:30:00Z&to=2026-06-01T03:10:00Z' : '?from=2026-04-20T07:30:00Z&to=2026-06-01T03:10:00Z';
      const r = await usage(h, cookie, `${query}&granularity=${granularity}`);
      assert.equal(r.granularity, granularity);
      const raw = within(events, r.from, r.to);
      assert.ok(raw.length > 100);
      assert.deepEqual(pickMetrics(r.totals), expectedMetrics(raw));
      assert.deepEqual(sumCounts(r.series), countsOf(r.totals));
      const step = { hour: HOUR, day: 24 * HOUR, month: 0 }[granularity];
      for (let i = 1; i < r.series.length; i++) {
        const prev = Date.parse(r.series[i - 1].bucket);
        const cur = Date.parse(r.series[i].bucket);
        if (step) assert.equal(cur - prev, step);
        else assert.equal(new Date(cur).getUTCDate(), 1);
      }
      // Each bucket holds exactly the window's part of its calendar period.
      for (const b of r.series) {
        const start = Date.parse(b.bucket);
        const end = granularity === 'month' ? Date.UTC(new Date(start).getUTCFullYear(), new Date(start).getUTCMonth() + 1) : start + step;
        const inBucket = within(raw, new Date(start).toISOString(), new Date(end).toISOString());
        assert.deepEqual(pickMetrics(b), expectedMetrics(inBucket), `bucket ${b.bucket}`);
      }
      if (granularity === 'month') assert.deepEqual(r.series.map((b: any) => b.bucket.slice(0, 7)), ['2026-04', '2026-05', '2026-06']);
      if (granularity === 'day') assert.equal(r.series[0].bucket, '2026-04-20T00:00:00.000Z');
    });
  }

  it('matches the raw events for windows of every shape (whole days, partial edges, inside one day)', async () => {
    const rand = rng(7);
    for (let i = 0; i < 25; i++) {
      const a = NOW - Math.floor(rand() * 46 * 24 * HOUR);
      const b = Math.min(NOW + 2 * HOUR, a + Math.floor(rand() * (i % 3 === 0 ? 30 * HOUR : 20 * 24 * HOUR)));
      const query = `?from=${new Date(a).toISOString()}&to=${new Date(b).toISOString()}&group_by=${['provider', 'model', 'node'][i % 3]}`;
      const r = await usage(h, cookie, query);
      assert.ok(Date.parse(r.from) <= a && Date.parse(r.from) > a - HOUR, query);
      assert.ok(Date.parse(r.to) >= b && Date.parse(r.to) < b + HOUR, query);
      const raw = within(events, r.from, r.to);
      assert.deepEqual(pickMetrics(r.totals), expectedMetrics(raw), query);
      for (const t of r.by_type) assert.deepEqual(pickMetrics(t), expectedMetrics(raw.filter((e) => e.type === t.type)), `${query} ${t.type}`);
      const dim = (e: UsageEvent) => [e.provider, e.model, e.node_id][i % 3] ?? null;
      for (const g of r.groups) assert.deepEqual(pickMetrics(g), expectedMetrics(raw.filter((e) => dim(e) === g.key)), `${query} ${g.key}`);
      assert.equal(new Set(raw.map(dim)).size, r.groups.length, query);
      assert.deepEqual(sumCounts(r.series), countsOf(r.totals), query);
    }
  });

  it('defaults to the 30 days before now, by day', async () => {
    const r = await usage(h, cookie);
    assert.equal(r.to, '2026-06-01T12:00:00.000Z');
    assert.equal(r.from, '2026-05-02T12:00:00.000Z');
    assert.equal(r.granularity, 'day');
    assert.equal(r.series.length, 31);
    assert.equal(r.groups, undefined);
    assert.deepEqual(pickMetrics(r.totals), expectedMetrics(within(events, r.from, r.to)));
  });
});
