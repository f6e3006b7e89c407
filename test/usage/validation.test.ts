import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Harness } from '../helpers/harness.js';
import { bearer, ingest, ingestOk, summary } from './helpers.js';

const NOW = '2026-06-01T12:00:00.000Z';
const base = (over: Record<string, unknown> = {}) => ({ event_id: 'v-1', type: 'llm_request', occurred_at: '2026-06-01T11:00:00Z', ...over });

// Each row: a change to an otherwise valid event, and the field and words of the refusal.
const RULES: [string, Record<string, unknown>, string, RegExp][] = [
  ['event_id missing', { event_id: undefined }, 'event_id', /event_id is required/],
  ['event_id empty', { event_id: '' }, 'event_id', /event_id is required/],
  ['event_id too long', { event_id: 'x'.repeat(129) }, 'event_id', /at most 128 characters/],
  ['event_id not a string', { event_id: 42 }, 'event_id', /must be a string/],
  ['type unknown', { type: 'page_view' }, 'type', /type must be one of api_call, llm_request/],
  ['type missing', { type: undefined }, 'type', /type is required/],
  ['occurred_at missing', { occurred_at: undefined }, 'occurred_at', /is required/],
  ['occurred_at garbage', { occurred_at: 'yesterday' }, 'occurred_at', /ISO-8601/],
  ['occurred_at impossible date', { occurred_at: '2026-02-30T10:00:00Z' }, 'occurred_at', /ISO-8601/],
  ['occurred_at without zone', { occurred_at: '2026-06-01T10:00:00' }, 'occurred_at', /ISO-8601/],
  ['occurred_at over 24 h ahead', { occurred_at: '2026-06-02T12:00:00.001Z' }, 'occurred_at', /at most 24 hours in the future/],
  ['status below 100', { status: 99 }, 'status', /from 100 to 599/],
  ['status above 599', { status: 600 }, 'status', /from 100 to 599/],
  ['status fractional', { status: 200.5 }, 'status', /whole number/],
  ['status as text', { status: '200' }, 'status', /whole number/],
  ['latency negative', { latency_ms: -1 }, 'latency_ms', /from 0/],
  ['latency as text', { latency_ms: 'fast' }, 'latency_ms', /finite number/],
  ['prompt_tokens negative', { prompt_tokens: -1 }, 'prompt_tokens', /whole number from 0/],
  ['prompt_tokens fractional', { prompt_tokens: 1.5 }, 'prompt_tokens', /whole number/],
  ['completion_tokens negative', { completion_tokens: -3 }, 'completion_tokens', /whole number from 0/],
  ['cost negative', { cost_usd: -0.01 }, 'cost_usd', /from 0/],
  ['method too long', { method: 'X'.repeat(17) }, 'method', /at most 16 characters/],
  ['path too long', { path: `/${'p'.repeat(2048)}` }, 'path', /at most 2048 characters/],
  ['provider too long', { provider: 'p'.repeat(129) }, 'provider', /at most 128 characters/],
  ['model too long', { model: 'm'.repeat(129) }, 'model', /at most 128 characters/],
  ['node_id too long', { node_id: 'n'.repeat(129) }, 'node_id', /at most 128 characters/],
  ['node_id with a control character', { node_id: 'n\u0000' }, 'node_id', /control characters/],
  ['unknown field', { region: 'eu' }, 'region', /not a field of a usage event/],
];

describe('usage ingest validation', () => {
  let h: Harness;
  let key: string;
  let cookie: string;
  before(async () => {
    h = await Harness.start({}, undefined);
    await h.createOrg('acme');
    cookie = await h.login('acme');
    key = (await h.apiKey('acme', ['usage:write'], cookie)).key;
  });
  after(() => h.close());

  for (const [name, change, field, words] of RULES) {
    it(`refuses ${name}`, async () => {
      const event: Record<string, unknown> = base(change);
      for (const k of Object.keys(event)) if (event[k] === undefined) delete event[k];
      const r = await ingest(h, key, [base({ event_id: 'fine-0' }), event]);
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.error.field, 'events');
      const details = r.body.error.details as any[];
      assert.equal(details.length, 1, JSON.stringify(details));
      assert.equal(details[0].index, 1);
      assert.equal(details[0].field, `events[1].${field}`);
      assert.match(details[0].message, words);
      assert.equal(details[0].event_id, typeof event.event_id === 'string' && event.event_id.length <= 128 && event.event_id !== '' ? event.event_id : null);
    });
  }

  it('accepts the edges: 24 h ahead exactly, zero values, a bare date, offsets, nulls as absent', async () => {
    const r = await ingestOk(h, key, [
      base({ event_id: 'edge-1', occurred_at: '2026-06-02T12:00:00Z', status: 100, latency_ms: 0, prompt_tokens: 0, completion_tokens: 0, cost_usd: 0 }),
      base({ event_id: 'edge-2', occurred_at: '2026-06-01', status: 599, node_id: null, provider: '' }),
      base({ event_id: 'edge-3', occurred_at: '2026-06-01T13:00:00.123456+02:00', method: 'X'.repeat(16) }),
      base({ event_id: 'e'.repeat(128), path: `/${'p'.repeat(2047)}` }),
    ]);
    assert.deepEqual(r, { accepted: 4, duplicates: 0 });
  });

  it('refuses a non-finite cost sent as a JSON number too large for a double', async () => {
    const raw = `{"events":[{"event_id":"inf","type":"llm_request","occurred_at":"2026-06-01T11:00:00Z","cost_usd":1e400}]}`;
    const r = await h.call('POST', '/api/v1/usage/events', { headers: { ...bearer(key), 'content-type': 'application/json' }, rawBody: raw });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.details[0].field, 'events[0].cost_usd');
  });

  it('lists every bad event, each with its index and id, and stores nothing', async () => {
    const before = (await summary(h, cookie)).totals;
    const events = [
      base({ event_id: 'b-0', status: 42 }),
      base({ event_id: 'b-1' }),
      base({ event_id: 'b-2', type: 'nope', latency_ms: -5 }),
      base({ event_id: 'b-3' }),
      'not an event',
    ];
    const r = await ingest(h, key, events);
    assert.equal(r.status, 400);
    // Not-an-object items are refused before the rest is judged.
    assert.deepEqual(r.body.error.details, [{ index: 4, event_id: null, field: 'events[4]', message: 'events[4] must be an object' }]);
    const r2 = await ingest(h, key, events.slice(0, 4));
    assert.equal(r2.status, 400);
    assert.match(r2.body.error.message, /^events holds 2 invalid events of 4; nothing was stored/);
    assert.deepEqual(
      r2.body.error.details.map((d: any) => [d.index, d.event_id, d.field]),
      [
        [0, 'b-0', 'events[0].status'],
        [2, 'b-2', 'events[2].type'],
        [2, 'b-2', 'events[2].latency_ms'],
      ],
    );
    assert.deepEqual((await summary(h, cookie)).totals, before);
    assert.deepEqual(await ingestOk(h, key, [base({ event_id: 'b-1' }), base({ event_id: 'b-3' })]), { accepted: 2, duplicates: 0 });
  });

  it('GraphQL callers get the same problems in extensions.details', async () => {
    const res = await h.graphql(
      `mutation($input: UsageBatchInput!) { ingestUsage(input: $input) { accepted duplicates } }`,
      { input: { events: [{ eventId: 'g-1', type: 'api_call', occurredAt: 'soon' }, { eventId: 'g-2', type: 'api_call', occurredAt: NOW }] } },
      { headers: bearer(key) },
    );
    assert.equal(res.errors[0].extensions.code, 'INVALID_INPUT');
    assert.deepEqual(res.errors[0].extensions.details.map((d: any) => d.field), ['events[0].occurredAt'], 'GraphQL names fields as GraphQL does');
    const ok = await h.graphql(
      `mutation($input: UsageBatchInput!) { ingestUsage(input: $input) { accepted duplicates } }`,
      { input: { events: [{ eventId: 'g-2', type: 'api_call', occurredAt: NOW }] } },
      { headers: bearer(key) },
    );
    assert.deepEqual(ok.data.ingestUsage, { accepted: 1, duplicates: 0 });
    const snake = await h.graphql(
      `mutation($input: UsageBatchInput!) { ingestUsage(input: $input) { accepted } }`,
      { input: { events: [{ event_id: 'g-3', type: 'api_call', occurredAt: NOW }] } },
      { headers: bearer(key) },
    );
    assert.deepEqual(
      snake.errors[0].extensions.details.map((d: any) => d.message),
      ['events[0].event_id is written eventId in GraphQL', 'events[0].eventId is required'],
    );
  });

  it('refuses batch shapes: over 1,000 events, none, no events field, a field beside events', async () => {
    const many = Array.from({ length: 1001 }, (_, i) => ({ event_id: `m-${i}`, type: 'api_call', occurred_at: '2026-06-01T11:00:00Z' }));
    const r = await ingest(h, key, many);
    assert.equal(r.status, 400);
    assert.equal(r.body.error.field, 'events');
    assert.match(r.body.error.message, /at most 1000 events/);
    assert.deepEqual(await ingestOk(h, key, many.slice(0, 1000)), { accepted: 1000, duplicates: 0 });

    const empty = await ingest(h, key, []);
    assert.equal(empty.status, 400);
    assert.equal(empty.body.error.field, 'events');

    const none = await h.call('POST', '/api/v1/usage/events', { headers: bearer(key), body: {} });
    assert.equal(none.status, 400);
    assert.equal(none.body.error.field, 'events');

    const extra = await h.call('POST', '/api/v1/usage/events', { headers: bearer(key), body: { events: [base({ event_id: 'x-1' })], source: 'sdk' } });
    assert.equal(extra.status, 400);
    assert.equal(extra.body.error.field, 'source');

    const notList = await h.call('POST', '/api/v1/usage/events', { headers: bearer(key), body: { events: 'lots' } });
    assert.equal(notList.status, 400);
    assert.equal(notList.body.error.field, 'events');
  });
});

describe('usage report validation', () => {
  let h: Harness;
  let cookie: string;
  before(async () => {
    ({ h, cookie } = await Harness.withOrgSession('acme'));
  });
  after(() => h.close());

  const cases: [string, string, string, RegExp][] = [
    ['/api/v1/usage/summary', '?from=last-week', 'from', /from must be an ISO-8601 timestamp/],
    ['/api/v1/usage/summary', '?to=2026-13-01', 'to', /to must be an ISO-8601 timestamp/],
    ['/api/v1/usage', '?from=2026-05-02T10:00:00', 'from', /with a zone/],
    ['/api/v1/usage/summary', '?from=2026-06-01&to=2026-05-01', 'from', /from must not be after to/],
    ['/api/v1/usage/summary', '?from=2025-01-01&to=2026-06-01', 'from', /at most 400 days/],
    ['/api/v1/usage', '?from=2026-04-01&to=2026-06-01&granularity=hour', 'granularity', /at most 31 days/],
    ['/api/v1/usage', '?granularity=week', 'granularity', /granularity must be one of hour, day, month/],
    ['/api/v1/usage', '?group_by=region', 'group_by', /group_by must be one of provider, model, node/],
    ['/api/v1/usage/summary', '?group_by=type', 'group_by', /group_by must be one of provider, model, node/],
  ];
  for (const [path, query, field, words] of cases) {
    it(`refuses ${path}${query}`, async () => {
      const r = await h.call('GET', `${path}${query}`, { cookie });
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.error.field, field);
      assert.match(r.body.error.message, words);
    });
  }

  it('takes the limits themselves: 400 days, 31 days hourly, from = to', async () => {
    assert.equal((await h.call('GET', '/api/v1/usage/summary?from=2025-04-27T12:00:00Z&to=2026-06-01T12:00:00Z', { cookie })).status, 200);
    const hourly = await h.call('GET', '/api/v1/usage?from=2026-05-01T12:00:00Z&to=2026-06-01T12:00:00Z&granularity=hour', { cookie });
    assert.equal(hourly.status, 200);
    assert.equal(hourly.body.series.length, 31 * 24);
    const empty = await h.call('GET', '/api/v1/usage?from=2026-05-01T00:00:00Z&to=2026-05-01T00:00:00Z', { cookie });
    assert.equal(empty.status, 200);
    assert.deepEqual(empty.body.series, []);
    assert.equal(empty.body.totals.total_requests, 0);
  });
});
