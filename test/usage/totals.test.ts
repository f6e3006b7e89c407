import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Harness } from '../helpers/harness.js';
import { type UsageEvent, ingest, ingestOk, pickMetrics, summary } from './helpers.js';

// The clock stands at 2026-06-01T12:00Z; the default window is the 30 days before it.
const MIXED: UsageEvent[] = [
  { event_id: 'e1', type: 'api_call', occurred_at: '2026-06-01T10:15:00Z', node_id: 'n1', method: 'GET', path: '/v1/x', status: 200, latency_ms: 10 },
  { event_id: 'e2', type: 'api_call', occurred_at: '2026-06-01T10:45:00Z', node_id: 'n1', method: 'POST', path: '/v1/y', status: 500, latency_ms: 30 },
  { event_id: 'e3', type: 'api_call', occurred_at: '2026-05-31T23:30:00Z', node_id: 'n2', status: 404, latency_ms: 20 },
  {
    event_id: 'e4', type: 'llm_request', occurred_at: '2026-06-01T11:00:00Z', node_id: 'n1', provider: 'openai', model: 'gpt-4o',
    prompt_tokens: 100, completion_tokens: 50, cost_usd: 0.0015, latency_ms: 400, status: 200,
  },
  {
    event_id: 'e5', type: 'llm_request', occurred_at: '2026-05-31T08:00:00Z', node_id: 'n2', provider: 'anthropic', model: 'claude-3',
    prompt_tokens: 200, completion_tokens: 80, cost_usd: 0.0031, latency_ms: 600,
  },
  {
    event_id: 'e6', type: 'llm_request', occurred_at: '2026-06-01T09:59:59.999Z', provider: 'openai', model: 'gpt-4o-mini',
    prompt_tokens: 10, completion_tokens: 5, cost_usd: 0.0001, status: 429,
  },
];

const TOTALS = {
  api_calls: 3,
  llm_requests: 3,
  total_requests: 6,
  prompt_tokens: 310,
  completion_tokens: 135,
  total_tokens: 445,
  estimated_cost_usd: 0.0047,
  avg_latency_ms: 212,
  success_rate: 0.5,
};

describe('usage totals', () => {
  let h: Harness;
  let key: string;
  let cookie: string;
  before(async () => {
    h = await Harness.start();
    await h.createOrg('acme');
    cookie = await h.login('acme');
    key = (await h.apiKey('acme', ['usage:write'], cookie)).key;
    assert.deepEqual(await ingestOk(h, key, MIXED), { accepted: 6, duplicates: 0 });
  });
  after(() => h.close());

  it('sums a mixed batch: totals and by type', async () => {
    const s = await summary(h, cookie);
    assert.equal(s.from, '2026-05-02T12:00:00.000Z');
    assert.equal(s.to, '2026-06-01T12:00:00.000Z');
    assert.deepEqual(s.totals, TOTALS);
    assert.deepEqual(s.by_type, [
      {
        type: 'api_call', api_calls: 3, llm_requests: 0, total_requests: 3, prompt_tokens: 0, completion_tokens: 0, total_tokens: 0,
        estimated_cost_usd: 0, avg_latency_ms: 20, success_rate: 0.333333,
      },
      {
        type: 'llm_request', api_calls: 0, llm_requests: 3, total_requests: 3, prompt_tokens: 310, completion_tokens: 135, total_tokens: 445,
        estimated_cost_usd: 0.0047, avg_latency_ms: 500, success_rate: 0.666667,
      },
    ]);
    assert.equal(s.groups, undefined);
  });

  it('groups by provider, model and node, absent dimensions under key null', async () => {
    const byProvider = await summary(h, cookie, '?group_by=provider');
    assert.equal(byProvider.group_by, 'provider');
    assert.deepEqual(
      byProvider.groups.map((g: any) => [g.key, g.total_requests, g.prompt_tokens, g.completion_tokens, g.estimated_cost_usd, g.avg_latency_ms, g.success_rate]),
      [
        [null, 3, 0, 0, 0, 20, 0.333333],
        ['openai', 2, 110, 55, 0.0016, 400, 0.5],
        ['anthropic', 1, 200, 80, 0.0031, 600, 1],
      ],
    );
    assert.deepEqual(byProvider.totals, TOTALS);

    const byModel = await summary(h, cookie, '?group_by=model');
    assert.deepEqual(
      byModel.groups.map((g: any) => [g.key, g.total_requests]),
      [[null, 3], ['claude-3', 1], ['gpt-4o', 1], ['gpt-4o-mini', 1]],
    );

    const byNode = await summary(h, cookie, '?group_by=node');
    assert.deepEqual(
      byNode.groups.map((g: any) => pickMetrics(g)),
      [
        { api_calls: 2, llm_requests: 1, total_requests: 3, prompt_tokens: 100, completion_tokens: 50, total_tokens: 150, estimated_cost_usd: 0.0015, avg_latency_ms: 146.667, success_rate: 0.666667 },
        { api_calls: 1, llm_requests: 1, total_requests: 2, prompt_tokens: 200, completion_tokens: 80, total_tokens: 280, estimated_cost_usd: 0.0031, avg_latency_ms: 310, success_rate: 0.5 },
        { api_calls: 0, llm_requests: 1, total_requests: 1, prompt_tokens: 10, completion_tokens: 5, total_tokens: 15, estimated_cost_usd: 0.0001, avg_latency_ms: null, success_rate: 0 },
      ],
    );
    assert.deepEqual(byNode.groups.map((g: any) => g.key), ['n1', 'n2', null]);
  });

  it('answers an hour-aligned window exactly, echoing the aligned bounds', async () => {
    // 10:30..10:59 widens to 10:00..11:00: e1 and e2, not e4 at 11:00 sharp.
    const s = await summary(h, cookie, '?from=2026-06-01T10:30:00Z&to=2026-06-01T10:59:00Z');
    assert.equal(s.from, '2026-06-01T10:00:00.000Z');
    assert.equal(s.to, '2026-06-01T11:00:00.000Z');
    assert.equal(s.totals.total_requests, 2);
    assert.equal(s.totals.avg_latency_ms, 20);
    // Offsets are honoured: 12:00+02:00 is 10:00Z.
    const z = await summary(h, cookie, '?from=2026-06-01T12:00:00%2B02:00&to=2026-06-01T13:00:00%2B02:00');
    assert.equal(z.from, '2026-06-01T10:00:00.000Z');
    assert.equal(z.totals.total_requests, 2);
  });

  it('shows zeros and nulls for an empty window', async () => {
    const s = await summary(h, cookie, '?from=2026-01-01&to=2026-01-02');
    assert.deepEqual(s.totals, {
      api_calls: 0, llm_requests: 0, total_requests: 0, prompt_tokens: 0, completion_tokens: 0, total_tokens: 0,
      estimated_cost_usd: 0, avg_latency_ms: null, success_rate: null,
    });
    assert.deepEqual(s.by_type.map((t: any) => [t.type, t.total_requests]), [['api_call', 0], ['llm_request', 0]]);
  });

  it('is idempotent: the same batch again is all duplicates and changes nothing', async () => {
    assert.deepEqual(await ingestOk(h, key, MIXED), { accepted: 0, duplicates: 6 });
    // Partly new: only the new event counts.
    const fresh = { event_id: 'e7', type: 'api_call', occurred_at: '2026-06-01T11:30:00Z', status: 201, latency_ms: 5 };
    assert.deepEqual(await ingestOk(h, key, [MIXED[0], fresh, MIXED[3]]), { accepted: 1, duplicates: 2 });
    const s = await summary(h, cookie);
    assert.equal(s.totals.total_requests, 7);
    assert.equal(s.totals.prompt_tokens, 310);
    assert.equal(s.totals.estimated_cost_usd, 0.0047);
    assert.deepEqual(await ingestOk(h, key, [fresh]), { accepted: 0, duplicates: 1 });
    assert.equal((await summary(h, cookie)).totals.total_requests, 7);
  });

  it('counts an event id repeated inside one batch once (the first occurrence)', async () => {
    const a = { event_id: 'dup-1', type: 'llm_request', occurred_at: '2026-06-01T11:10:00Z', prompt_tokens: 1000 };
    const b = { ...a, prompt_tokens: 5 };
    const before = (await summary(h, cookie)).totals;
    assert.deepEqual(await ingestOk(h, key, [a, b, a]), { accepted: 1, duplicates: 2 });
    const after = (await summary(h, cookie)).totals;
    assert.equal(after.total_requests, before.total_requests + 1);
    assert.equal(after.prompt_tokens, before.prompt_tokens + 1000);
  });

  it('is all or nothing: one bad event among good ones stores none of them', async () => {
    const before = (await summary(h, cookie)).totals;
    const good = (i: number) => ({ event_id: `ok-${i}`, type: 'api_call', occurred_at: '2026-06-01T11:20:00Z', status: 200 });
    const r = await ingest(h, key, [good(1), good(2), { event_id: 'bad-1', type: 'api_call', occurred_at: '2026-06-01T11:20:00Z', status: 700 }, good(3)]);
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'INVALID_INPUT');
    assert.deepEqual(r.body.error.details, [
      { index: 2, event_id: 'bad-1', field: 'events[2].status', message: 'events[2].status must be a whole number from 100 to 599' },
    ]);
    assert.deepEqual((await summary(h, cookie)).totals, before);
    // Nothing of the refused batch was kept: the good events are new when sent again.
    assert.deepEqual(await ingestOk(h, key, [good(1), good(2), good(3)]), { accepted: 3, duplicates: 0 });
  });

  it('keeps organizations apart: other events never show, and the same event id is another event', async () => {
    await h.createOrg('globex');
    const gCookie = await h.login('globex');
    const gKey = (await h.apiKey('globex', ['usage:write'], gCookie)).key;
    const before = (await summary(h, cookie)).totals;
    // e1 is acme's id too; for globex it is new.
    assert.deepEqual(await ingestOk(h, gKey, [{ ...MIXED[0] }, { ...MIXED[3], prompt_tokens: 7777 }]), { accepted: 2, duplicates: 0 });
    const g = await summary(h, gCookie, '?group_by=provider');
    assert.equal(g.totals.total_requests, 2);
    assert.equal(g.totals.prompt_tokens, 7777);
    assert.deepEqual(g.groups.map((x: any) => x.key), [null, 'openai']);
    assert.deepEqual((await summary(h, cookie)).totals, before);
    // The GraphQL face answers for the session's own organization only.
    const q = await h.graphql(`{ organization { orgId usage { totals { promptTokens totalRequests } } } }`, {}, { cookie: gCookie });
    assert.deepEqual(q.data.organization, { orgId: 'globex', usage: { totals: { promptTokens: 7777, totalRequests: 2 } } });
  });
});
