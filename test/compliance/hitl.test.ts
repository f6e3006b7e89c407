import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { HITL_EXPIRY_EVERY_MS } from '../../src/jobs/hitl-expiry.js';
import { MAX_CONTEXT_BYTES, MAX_EXPIRY_DAYS } from '../../src/services/compliance/hitl.js';
import { type CallOptions, Harness } from '../helpers/harness.js';

// Human oversight: the runtime asks, a person approves or rejects once, a request past its expiry is expired
// (and may then be overridden), and the metrics tell how the queue is doing. Every change is an audit event.

const BASE = '/api/v1/hitl/queue';
const MINUTE = 60_000;

describe('hitl: requests, decisions, expiry and metrics', () => {
  let h: Harness;
  let owner: string;
  let reviewer: { cookie: string; userId: string; email: string };
  let runtime: CallOptions;
  let seq = 0;

  const ask = (extra: Record<string, unknown> = {}): Record<string, any> => ({
    request_id: `req-${++seq}`,
    severity: 'high',
    reason: 'wire transfer above the limit',
    context: { amount_usd: 25_000, customer: { tier: 'gold' } },
    ...extra,
  });
  const post = (body: unknown) => h.call('POST', BASE, { ...runtime, body });
  const create = async (extra: Record<string, unknown> = {}) => {
    const r = await post(ask(extra));
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body;
  };
  const decide = (id: string, action: string, body: Record<string, unknown> = {}, cookie = reviewer.cookie) =>
    h.call('POST', `${BASE}/${id}/${action}`, { cookie, body });
  const get = async (id: string) => (await h.call('GET', `${BASE}/${id}`, { cookie: owner })).body;
  const stored = (id: string) => h.runtime.database.db.selectFrom('hitl_requests').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const rowCount = async () =>
    Number((await h.runtime.database.db.selectFrom('hitl_requests').select((eb) => eb.fn.countAll<number>().as('n')).where('org_id', '=', 'acme').executeTakeFirstOrThrow()).n);
  const auditOf = (id: string) =>
    h.runtime.database.db
      .selectFrom('audit_events')
      .select(['action', 'actor_type', 'actor_id', 'org_id', 'target_type', 'details'])
      .where('target_id', '=', id)
      .orderBy('seq')
      .execute();
  const inFuture = (ms: number) => new Date(h.clock.now().getTime() + ms).toISOString();

  before(async () => {
    h = await Harness.start();
    await h.createOrg('acme', { tier: 'PROFESSIONAL' });
    assert.equal((await h.admin('PATCH', '/api/v1/admin/organizations/acme', { modules: ['hitl'] })).status, 200);
    owner = await h.login('acme');
    reviewer = await h.userSession('acme', 'policy_admin', owner);
    runtime = { headers: { authorization: `Bearer ${(await h.apiKey('acme', ['hitl:request'], owner)).key}` } };
  });
  after(() => h.close());

  describe('asking', () => {
    it('201 with the pending request, where to find it, the context as sent, and an audit event', async () => {
      const body = ask({ context: { camelCase: 1, snake_case: { deep_key: [1, 2] } }, eu_ai_act_article: 'Article 14', expires_at: inFuture(30 * MINUTE) });
      const r = await post(body);
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.equal(r.headers.get('location'), `${BASE}/${r.body.id}`);
      assert.match(r.body.id, /^hitl_/);
      assert.equal(r.body.request_id, body.request_id);
      assert.equal(r.body.status, 'pending');
      assert.equal(r.body.severity, 'high');
      assert.deepEqual(r.body.context, { camelCase: 1, snake_case: { deep_key: [1, 2] } }, 'the runtime keys keep their spelling');
      assert.equal(r.body.eu_ai_act_article, 'Article 14');
      assert.equal(r.body.expires_at, body.expires_at);
      assert.equal(r.body.decided_by, null);
      assert.deepEqual(await get(r.body.id), r.body);
      const events = await auditOf(r.body.id);
      assert.deepEqual(events.map((e) => [e.action, e.actor_type, e.org_id, e.target_type]), [['hitl.requested', 'api_key', 'acme', 'hitl_request']]);
      assert.equal(JSON.parse(events[0].details).request_id, body.request_id);
    });

    it('a retry with the same request_id and content answers 200 with the first request and changes nothing', async () => {
      const body = ask({ expires_at: inFuture(10 * MINUTE) });
      const first = await post(body);
      assert.equal(first.status, 201);
      // The same JSON with its keys in another order is the same request.
      const retry = await post({ ...body, context: { customer: { tier: 'gold' }, amount_usd: 25_000 } });
      assert.equal(retry.status, 200, JSON.stringify(retry.body));
      assert.equal(retry.body.id, first.body.id);
      assert.equal((await auditOf(first.body.id)).length, 1, 'one hitl.requested, not two');
      // After the decision a retry reports the decision.
      assert.equal((await decide(first.body.id, 'approve')).status, 200);
      const later = await post(body);
      assert.equal(later.status, 200);
      assert.equal(later.body.status, 'approved');
      assert.equal(later.body.decided_by, reviewer.userId);
    });

    it('the same request_id with other content is 409 naming what differs, and the first stays as it was', async () => {
      const body = ask();
      const first = await post(body);
      for (const [change, field] of [
        [{ reason: 'another reason entirely' }, 'reason'],
        [{ severity: 'low' }, 'severity'],
        [{ context: { amount_usd: 1 } }, 'context'],
        [{ expires_at: inFuture(MINUTE) }, 'expiresAt'],
      ] as const) {
        const r = await post({ ...body, ...change });
        assert.equal(r.status, 409, JSON.stringify(r.body));
        assert.equal(r.body.error.code, 'CONFLICT');
        assert.match(r.body.error.message, new RegExp(`the request id ${body.request_id} was already used .* another ${field}`));
      }
      const now = await get(first.body.id);
      assert.equal(now.reason, body.reason);
      assert.equal(now.severity, 'high');
    });

    it('bad input is a 400 naming the field, and nothing is written', async () => {
      const before = await rowCount();
      const big = { blob: 'x'.repeat(MAX_CONTEXT_BYTES) };
      const cases: [Record<string, unknown>, string][] = [
        [{ severity: 'urgent' }, 'severity'],
        [{ severity: undefined }, 'severity'],
        [{ request_id: '   ' }, 'request_id'],
        [{ request_id: undefined }, 'request_id'],
        [{ request_id: 'x'.repeat(129) }, 'request_id'],
        [{ reason: '' }, 'reason'],
        [{ reason: undefined }, 'reason'],
        [{ context: undefined }, 'context'],
        [{ context: ['not', 'an', 'object'] }, 'context'],
        [{ context: 'text' }, 'context'],
        [{ context: big }, 'context'],
        [{ eu_ai_act_article: 'A'.repeat(65) }, 'eu_ai_act_article'],
        [{ expires_at: 'next tuesday' }, 'expires_at'],
        [{ expires_at: inFuture(-1000) }, 'expires_at'],
        [{ expires_at: h.clock.now().toISOString() }, 'expires_at'],
        [{ expires_at: inFuture((MAX_EXPIRY_DAYS * 24 * 60 + 1) * MINUTE) }, 'expires_at'],
        [{ priority: 'p1' }, 'priority'],
      ];
      for (const [change, field] of cases) {
        const r = await post(ask(change));
        const where = `${JSON.stringify(change).slice(0, 80)}: ${JSON.stringify(r.body).slice(0, 300)}`;
        assert.equal(r.status, 400, where);
        assert.equal(r.body.error.code, 'INVALID_INPUT', where);
        assert.equal(r.body.error.field, field, where);
        assert.match(r.body.error.message, new RegExp(`^${field} `), where);
      }
      assert.equal(await rowCount(), before, 'no request was written');
      // The edges are accepted: 30 days out exactly, and a context of just under the limit.
      assert.equal((await post(ask({ expires_at: inFuture(MAX_EXPIRY_DAYS * 24 * 60 * MINUTE) }))).status, 201);
      assert.equal((await post(ask({ context: { blob: 'x'.repeat(MAX_CONTEXT_BYTES - 20) } }))).status, 201);
    });
  });

  describe('deciding', () => {
    it('approve: final, recorded once with the reviewer and comments; a second decision is 409 naming the state', async () => {
      const item = await create();
      h.clock.advance(90_000);
      const r = await decide(item.id, 'approve', { comments: '  within policy  ' });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.status, 'approved');
      assert.equal(r.body.decision, 'approve');
      assert.equal(r.body.comments, 'within policy');
      assert.equal(r.body.decided_at, h.clock.now().toISOString());
      for (const [action, body] of [['approve', {}], ['reject', { reason: 'changed my mind about it' }]] as const) {
        const again = await decide(item.id, action, body, owner);
        assert.equal(again.status, 409, JSON.stringify(again.body));
        assert.match(again.body.error.message, new RegExp(`is already approved \\(decided by ${reviewer.email.replace(/[.]/g, '\\.')}`));
      }
      const now = await get(item.id);
      assert.equal(now.status, 'approved');
      assert.equal(now.decided_by, reviewer.userId);
      assert.deepEqual((await auditOf(item.id)).map((e) => [e.action, e.actor_type, e.actor_id]), [
        ['hitl.requested', 'api_key', now.requested_by],
        ['hitl.approved', 'user', reviewer.userId],
      ]);
    });

    it('reject keeps the trimmed reason; rejected_by in the body is ignored', async () => {
      const item = await create();
      const r = await decide(item.id, 'reject', { reason: '   amount exceeds the daily limit   ', rejected_by: 'someone-else' });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.status, 'rejected');
      assert.equal(r.body.decision, 'reject');
      assert.equal(r.body.decision_reason, 'amount exceeds the daily limit');
      assert.equal(r.body.decided_by, reviewer.userId);
      const events = await auditOf(item.id);
      assert.equal(events.at(-1)!.action, 'hitl.rejected');
      assert.equal(JSON.parse(events.at(-1)!.details).reason, 'amount exceeds the daily limit');
    });

    it('bad decision input is a 400 naming the field, and the request stays pending', async () => {
      const item = await create();
      const cases: [string, Record<string, unknown>, string][] = [
        ['reject', {}, 'reason'],
        ['reject', { reason: 'too short' }, 'reason'],
        ['reject', { reason: '   abc    ' }, 'reason'],
        ['reject', { reason: 42 }, 'reason'],
        ['reject', { reason: 'a good long reason', note: 'x' }, 'note'],
        ['approve', { comments: 7 }, 'comments'],
        ['approve', { comments: 'c'.repeat(2001) }, 'comments'],
        ['approve', { verdict: 'yes' }, 'verdict'],
      ];
      for (const [action, body, field] of cases) {
        const r = await decide(item.id, action, body);
        const where = `${action} ${JSON.stringify(body).slice(0, 60)}: ${JSON.stringify(r.body)}`;
        assert.equal(r.status, 400, where);
        assert.equal(r.body.error.field, field, where);
      }
      const now = await get(item.id);
      assert.equal(now.status, 'pending');
      assert.equal(now.decided_by, null);
      assert.equal((await auditOf(item.id)).length, 1);
    });

    it('an unknown id is 404', async () => {
      assert.equal((await decide('hitl_nope', 'approve')).status, 404);
      assert.equal((await h.call('GET', `${BASE}/hitl_nope`, { cookie: owner })).status, 404);
    });
  });

  describe('expiry and override', () => {
    it('past expires_at a pending request reads as expired before the job runs; deciding it is 409; the job writes it once, audited', async () => {
      await h.runtime.jobs.runDue();
      const item = await create({ expires_at: inFuture(10 * MINUTE) });
      const touched = await create({ expires_at: inFuture(10 * MINUTE) });
      const untouched = await create({ expires_at: inFuture(10 * MINUTE) });
      const later = await create({ expires_at: inFuture(30 * MINUTE) });
      h.clock.advance(10 * MINUTE);
      assert.equal((await get(item.id)).status, 'expired', 'at expires_at it is expired');
      assert.equal((await stored(item.id)).status, 'pending', 'not yet written');
      const pending = await h.call('GET', `${BASE}?status=pending&limit=100`, { cookie: owner });
      assert.equal(pending.body.requests.some((x: any) => x.id === item.id), false);
      const expired = await h.call('GET', `${BASE}?status=expired&limit=100`, { cookie: owner });
      assert.deepEqual(expired.body.requests.map((x: any) => x.id).sort(), [item.id, touched.id, untouched.id].sort());
      const r = await decide(item.id, 'approve');
      assert.equal(r.status, 409, JSON.stringify(r.body));
      assert.match(r.body.error.message, /expired at .* before anyone decided; the runtime applied its default/);
      assert.equal((await decide(touched.id, 'reject', { reason: 'too late for this one' })).status, 409);
      assert.equal((await stored(untouched.id)).status, 'pending', 'nobody looked at it: not yet written');

      h.clock.advance(HITL_EXPIRY_EVERY_MS);
      await h.runtime.jobs.runDue();
      assert.equal((await stored(later.id)).status, 'pending', 'one not yet due stays pending');
      assert.equal((await get(later.id)).status, 'pending');
      for (const id of [item.id, touched.id, untouched.id]) {
        const row = await stored(id);
        assert.equal(row.status, 'expired');
        assert.equal(row.decided_by, null, 'nobody decided');
        const events = (await auditOf(id)).filter((e) => e.action === 'hitl.expired');
        assert.equal(events.length, 1, 'expired once');
        assert.equal(events[0].actor_type, 'system');
        assert.equal(events[0].org_id, 'acme');
      }
      h.clock.advance(HITL_EXPIRY_EVERY_MS);
      await h.runtime.jobs.runDue();
      assert.equal((await auditOf(item.id)).filter((e) => e.action === 'hitl.expired').length, 1, 'a later run adds nothing');
    });

    it('override records what should have happened, only from expired, once', async () => {
      const item = await create({ expires_at: inFuture(5 * MINUTE) });
      const early = await decide(item.id, 'override', { decision: 'approve', reason: 'should have been approved' });
      assert.equal(early.status, 409, JSON.stringify(early.body));
      assert.match(early.body.error.message, /is pending: only an expired request can be overridden/);

      h.clock.advance(6 * MINUTE);
      for (const [body, field] of [
        [{ decision: 'maybe', reason: 'should have been approved' }, 'decision'],
        [{ reason: 'should have been approved' }, 'decision'],
        [{ decision: 'approve', reason: 'too short' }, 'reason'],
        [{ decision: 'approve' }, 'reason'],
      ] as const) {
        const r = await decide(item.id, 'override', body);
        assert.equal(r.status, 400, JSON.stringify(r.body));
        assert.equal(r.body.error.field, field);
      }
      assert.equal((await get(item.id)).status, 'expired');

      // Not yet written by the job: the override writes the expiry first, then itself.
      const r = await decide(item.id, 'override', { decision: 'reject', reason: '  the customer was on a watch list  ' });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.status, 'overridden');
      assert.equal(r.body.decision, 'reject');
      assert.equal(r.body.decision_reason, 'the customer was on a watch list');
      assert.equal(r.body.decided_by, reviewer.userId);
      assert.equal(r.body.decided_by_email, reviewer.email);
      assert.deepEqual((await auditOf(item.id)).map((e) => e.action), ['hitl.requested', 'hitl.expired', 'hitl.overridden']);

      for (const [action, body] of [
        ['override', { decision: 'approve', reason: 'second thoughts on it' }],
        ['approve', {}],
        ['reject', { reason: 'second thoughts on it' }],
      ] as const) {
        const again = await decide(item.id, action, body);
        assert.equal(again.status, 409, JSON.stringify(again.body));
        assert.match(again.body.error.message, /overridden/);
      }
      const approved = await create();
      await decide(approved.id, 'approve');
      const late = await decide(approved.id, 'override', { decision: 'reject', reason: 'should have been rejected' });
      assert.equal(late.status, 409);
      assert.match(late.body.error.message, /is approved .*: only an expired request can be overridden/);
    });
  });

  describe('listing', () => {
    it('newest first, filtered by status, with limit, cursor and total; bad parameters are 400 naming them', async () => {
      const all = (await h.call('GET', `${BASE}?limit=100`, { cookie: owner })).body;
      const first = await h.call('GET', `${BASE}?limit=2`, { cookie: owner });
      assert.equal(first.status, 200);
      assert.equal(first.body.total, all.total);
      assert.deepEqual(first.body.requests.map((x: any) => x.id), all.requests.slice(0, 2).map((x: any) => x.id));
      const second = await h.call('GET', `${BASE}?limit=2&cursor=${encodeURIComponent(first.body.next_cursor)}`, { cookie: owner });
      assert.deepEqual(second.body.requests.map((x: any) => x.id), all.requests.slice(2, 4).map((x: any) => x.id));
      const times = all.requests.map((x: any) => x.created_at);
      assert.deepEqual(times, [...times].sort().reverse(), 'newest first');
      for (const status of ['pending', 'approved', 'rejected', 'expired', 'overridden']) {
        const r = await h.call('GET', `${BASE}?status=${status}&limit=100`, { cookie: owner });
        assert.equal(r.status, 200);
        assert.ok(r.body.requests.every((x: any) => x.status === status), status);
        assert.equal(r.body.total, all.requests.filter((x: any) => x.status === status).length, status);
      }
      for (const [query, field] of [
        ['status=open', 'status'],
        ['limit=0', 'limit'],
        ['limit=101', 'limit'],
        ['cursor=garbage', 'cursor'],
      ]) {
        const r = await h.call('GET', `${BASE}?${query}`, { cookie: owner });
        assert.equal(r.status, 400, `${query}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error.field, field);
      }
    });

    it('GraphQL: hitlQueue pages with totalCount; requestHitlDecision and approveHitlRequest work as REST does', async () => {
      const asked = await h.graphql(
        `mutation($input: RequestHitlDecisionInput!) { requestHitlDecision(input: $input) { created request { id status severity context } } }`,
        { input: { requestId: 'gql-1', severity: 'critical', reason: 'delete a customer record', context: { recordId: 'c-9' } } },
        runtime,
      );
      assert.equal(asked.data.requestHitlDecision.created, true, JSON.stringify(asked));
      const id = asked.data.requestHitlDecision.request.id;
      const page = await h.graphql(
        `query { hitlQueue(status: pending, first: 1) { totalCount pageInfo { hasNextPage } edges { node { id requestId severity } } } }`,
        {},
        { cookie: owner },
      );
      assert.deepEqual(page.data.hitlQueue.edges[0].node, { id, requestId: 'gql-1', severity: 'critical' });
      assert.equal(page.data.hitlQueue.pageInfo.hasNextPage, page.data.hitlQueue.totalCount > 1);
      const approved = await h.graphql(`mutation($id: ID!) { approveHitlRequest(id: $id, comments: "ok") { status decidedBy } }`, { id }, { cookie: reviewer.cookie });
      assert.deepEqual(approved.data.approveHitlRequest, { status: 'approved', decidedBy: reviewer.userId });
      const twice = await h.graphql(`mutation($id: ID!) { rejectHitlRequest(id: $id, reason: "no, not this one") { status } }`, { id }, { cookie: reviewer.cookie });
      assert.equal(twice.errors[0].extensions.code, 'CONFLICT');
    });
  });
});

describe('hitl: metrics', () => {
  let h: Harness;
  let owner: string;
  let runtime: CallOptions;

  beforeEach(async () => {
    h = await Harness.start();
    await h.createOrg('acme', { tier: 'ENTERPRISE' });
    owner = await h.login('acme');
    runtime = { headers: { authorization: `Bearer ${(await h.apiKey('acme', ['hitl:request'], owner)).key}` } };
  });
  afterEach(() => h.close());

  const create = async (requestId: string, severity: string, expiresInMs?: number) => {
    const body: Record<string, unknown> = { request_id: requestId, severity, reason: 'check this one', context: {} };
    if (expiresInMs) body.expires_at = new Date(h.clock.now().getTime() + expiresInMs).toISOString();
    const r = await h.call('POST', BASE, { ...runtime, body });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.id as string;
  };
  const act = async (id: string, action: string, body: Record<string, unknown> = {}) => {
    const r = await h.call('POST', `${BASE}/${id}/${action}`, { cookie: owner, body });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  };

  it('an empty queue: zeros, and no median or rate yet', async () => {
    const r = await h.call('GET', '/api/v1/hitl/metrics', { cookie: owner });
    assert.equal(r.status, 200);
    assert.equal(r.body.total, 0);
    assert.equal(r.body.pending, 0);
    assert.equal(r.body.median_decision_seconds, null);
    assert.equal(r.body.approval_rate, null);
    assert.deepEqual(r.body.by_status, { pending: 0, approved: 0, rejected: 0, expired: 0, overridden: 0 });
  });

  it('counts by status and severity, the median decision time and the approval rate match the data', async () => {
    const decided = [await create('d1', 'high'), await create('d2', 'critical'), await create('d3', 'high'), await create('d4', 'low')];
    await create('p1', 'medium');
    await create('p2', 'critical');
    const lapsed = await create('e1', 'low', 5 * MINUTE);
    const overridden = await create('o1', 'medium', 5 * MINUTE);
    // Decided 60 s, 180 s, 300 s and 600 s after they were asked: the median is (180 + 300) / 2.
    h.clock.advance(60_000);
    await act(decided[0], 'approve');
    h.clock.advance(120_000);
    await act(decided[1], 'reject', { reason: 'not within policy' });
    h.clock.advance(120_000);
    await act(decided[2], 'approve');
    h.clock.advance(300_000);
    await act(decided[3], 'approve');
    // An override is not an in-time decision: it counts in by_status, not in the median or the rate.
    await act(overridden, 'override', { decision: 'approve', reason: 'should have gone through' });

    const before = h.queries.length;
    const r = await h.call('GET', '/api/v1/hitl/metrics', { cookie: owner });
    const statements = h.queries.slice(before).filter((q) => q.includes('hitl_requests'));
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.total, 8);
    assert.equal(r.body.pending, 2);
    assert.equal(r.body.decided, 4);
    assert.equal(r.body.median_decision_seconds, 240);
    assert.equal(r.body.approval_rate, 0.75);
    assert.deepEqual(r.body.by_status, { pending: 2, approved: 3, rejected: 1, expired: 1, overridden: 1 });
    assert.deepEqual(r.body.by_severity, {
      low: { count: 2, pending: 0 },
      medium: { count: 2, pending: 1 },
      high: { count: 2, pending: 0 },
      critical: { count: 2, pending: 1 },
    });
    assert.equal((await h.runtime.database.db.selectFrom('hitl_requests').select('status').where('id', '=', lapsed).executeTakeFirstOrThrow()).status, 'pending', 'counted as expired before the job wrote it');
    // Two statements, neither reading the rows themselves: one grouped count, one read of at most two values.
    assert.equal(statements.length, 2, statements.join('\n'));
    assert.ok(statements.every((q) => !q.includes('"context"') && !q.includes('select *')), statements.join('\n'));
    assert.match(statements[1], /limit/i);

    // An odd count takes the middle value.
    const fifth = await create('d5', 'low');
    h.clock.advance(1000);
    await act(fifth, 'reject', { reason: 'not within policy' });
    const odd = await h.call('GET', '/api/v1/hitl/metrics', { cookie: owner });
    assert.equal(odd.body.median_decision_seconds, 180);
    assert.equal(odd.body.approval_rate, 0.6);
  });
});
