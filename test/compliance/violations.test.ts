import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_KEY, Harness } from '../helpers/harness.js';

// Policy violations the runtime reports: a runtime key with usage:write, all or nothing per batch, idempotent by
// (organization, violation id), every problem of every item at once; read by sessions with policies:read.

const PATH = '/api/v1/policy-violations';
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const V = (id: string, extra: Record<string, unknown> = {}) => ({
  violation_id: id,
  policy_name: 'pii-email',
  policy_type: 'static',
  severity: 'high',
  action: 'redact',
  occurred_at: '2026-06-01T11:00:00Z',
  ...extra,
});

describe('policy violations', () => {
  let h: Harness;
  let owner: string;
  let key: string;
  const count = async (orgId?: string) => {
    let q = h.runtime.database.db.selectFrom('policy_violations').select((eb) => eb.fn.countAll<number>().as('n'));
    if (orgId) q = q.where('org_id', '=', orgId);
    return Number((await q.executeTakeFirstOrThrow()).n);
  };
  const report = (k: string, violations: unknown) => h.call('POST', PATH, { headers: bearer(k), body: { violations } });

  before(async () => {
    // No compliance module: violations belong to policies.
    h = await Harness.start();
    await h.createOrg('acme');
    await h.createOrg('globex');
    owner = await h.login('acme');
    key = (await h.apiKey('acme', ['usage:write'], owner)).key;
  });
  after(() => h.close());

  it('stores a batch and answers accepted and duplicates; a retry changes nothing', async () => {
    const batch = [
      V('v-1', { policy_id: 'sp_1', node_id: 'agent-1', request_id: 'req-9', details: { matched: 'a@b.example', Nested_Key: { keepMe: 1 } } }),
      V('v-2', { severity: 'critical', action: 'block', policy_type: 'dynamic' }),
      V('v-1', { severity: 'low' }),
    ];
    const r = await report(key, batch);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body, { accepted: 2, duplicates: 1 });
    const again = await report(key, batch);
    assert.deepEqual(again.body, { accepted: 0, duplicates: 3 });
    const mixed = await report(key, [V('v-2'), V('v-3', { severity: 'medium' })]);
    assert.deepEqual(mixed.body, { accepted: 1, duplicates: 1 });
    assert.equal(await count('acme'), 3);

    const list = await h.call('GET', PATH, { cookie: owner });
    assert.equal(list.status, 200, JSON.stringify(list.body));
    assert.equal(list.body.total, 3);
    const v1 = list.body.violations.find((v: any) => v.violation_id === 'v-1');
    // The first occurrence in a batch won; details keep the runtime's own keys.
    assert.deepEqual(v1, {
      violation_id: 'v-1',
      policy_id: 'sp_1',
      policy_name: 'pii-email',
      policy_type: 'static',
      severity: 'high',
      action: 'redact',
      occurred_at: '2026-06-01T11:00:00.000Z',
      node_id: 'agent-1',
      request_id: 'req-9',
      details: { matched: 'a@b.example', Nested_Key: { keepMe: 1 } },
      received_at: '2026-06-01T12:00:00.000Z',
    });
    const audit = await h.runtime.database.db.selectFrom('audit_events').select(['details']).where('action', '=', 'policy_violations.reported').execute();
    assert.equal(audit.length, 2);
  });

  it('every problem of every item at once, each naming its field and violation id; nothing stored', async () => {
    const before = await count();
    const r = await report(key, [
      V('ok-1'),
      V('bad-1', { severity: 'severe', action: 'shout' }),
      { ...V('bad-2'), policy_name: undefined, occurred_at: '2026-06-01 11:00' },
      V('bad-3', { policy_type: 'regex', details: [1, 2], extra_field: 1 }),
      V('bad-4', { occurred_at: '2026-06-03T12:00:01Z' }),
      V('x'.repeat(129)),
    ]);
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.equal(r.body.error.field, 'violations');
    assert.match(r.body.error.message, /holds 5 invalid violations of 6; nothing was stored/);
    const got = r.body.error.details.map((d: any) => [d.index, d.violation_id, d.field]);
    assert.deepEqual(got, [
      [1, 'bad-1', 'violations[1].severity'],
      [1, 'bad-1', 'violations[1].action'],
      [2, 'bad-2', 'violations[2].policy_name'],
      [2, 'bad-2', 'violations[2].occurred_at'],
      [3, 'bad-3', 'violations[3].extra_field'],
      [3, 'bad-3', 'violations[3].policy_type'],
      [3, 'bad-3', 'violations[3].details'],
      [4, 'bad-4', 'violations[4].occurred_at'],
      [5, null, 'violations[5].violation_id'],
    ]);
    assert.match(r.body.error.details[0].message, /^violations\[1\]\.severity must be one of low, medium, high, critical$/);
    assert.match(r.body.error.details[7].message, /at most 24 hours in the future/);
    assert.equal(await count(), before);

    const shapes: [unknown, string, RegExp][] = [
      [[], 'violations', /at least one/],
      ['nope', 'violations', /must be a list/],
      [[V('a'), 'b'], 'violations', /items that are not objects/],
      [Array.from({ length: 1001 }, (_, i) => V(`n-${i}`)), 'violations', /at most 1000/],
    ];
    for (const [violations, field, message] of shapes) {
      const res = await report(key, violations);
      assert.equal(res.status, 400, JSON.stringify(res.body).slice(0, 300));
      assert.equal(res.body.error.field, field);
      assert.match(res.body.error.message, message);
    }
    const big = await report(key, [V('big', { details: { blob: 'x'.repeat(17_000) } })]);
    assert.equal(big.body.error.details[0].field, 'violations[0].details');
    assert.equal(await count(), before);
  });

  it('1000 violations in one batch are fine', async () => {
    const r = await report(key, Array.from({ length: 1000 }, (_, i) => V(`bulk-${String(i).padStart(4, '0')}`)));
    assert.deepEqual(r.body, { accepted: 1000, duplicates: 0 });
  });

  it('credentials: ingest needs a runtime key with usage:write; reads need a session with policies:read', async () => {
    const scim = (await h.scimToken('acme', owner)).token;
    const other = (await h.apiKey('acme', ['policies:read'], owner)).key;
    const before = await count();
    const wrong: [Record<string, string> | undefined, string | undefined, number, RegExp][] = [
      [{ 'x-admin-api-key': ADMIN_KEY }, undefined, 401, /needs a runtime API key.*admin API key was presented/],
      [{ authorization: `Bearer ${scim}` }, undefined, 401, /SCIM bearer token was presented/],
      [undefined, owner, 401, /needs a runtime API key.*portal session was presented/],
      [undefined, undefined, 401, /no credential was presented/],
      [bearer(other), undefined, 403, /lacks the scope usage:write/],
    ];
    for (const [headers, cookie, status, message] of wrong) {
      for (const violations of [[V('w-1')], [{ violation_id: 'w-2' }], 'x']) {
        const r = await h.call('POST', PATH, { headers, cookie, body: { violations } });
        assert.equal(r.status, status, JSON.stringify(r.body));
        assert.match(r.body.error.message, message);
      }
    }
    assert.equal(await count(), before);

    const viewer = (await h.userSession('acme', 'viewer', owner)).cookie;
    assert.equal((await h.call('GET', PATH, { cookie: viewer })).status, 200);
    for (const [headers, status] of [
      [bearer(key), 401],
      [{ 'x-admin-api-key': ADMIN_KEY }, 401],
      [{ authorization: `Bearer ${scim}` }, 401],
      [{}, 401],
    ] as const) {
      assert.equal((await h.call('GET', PATH, { headers })).status, status);
    }
  });

  it('reads filter by window and severity, page, and see only their own organization', async () => {
    const gOwner = await h.login('globex');
    const gKey = (await h.apiKey('globex', ['usage:write'], gOwner)).key;
    // acme's ids are new for globex.
    assert.deepEqual((await report(gKey, [V('v-1'), V('v-2', { occurred_at: '2026-05-30T00:00:00Z', severity: 'low' })])).body, { accepted: 2, duplicates: 0 });
    const g = await h.call('GET', PATH, { cookie: gOwner });
    assert.deepEqual(g.body.violations.map((v: any) => v.violation_id), ['v-1', 'v-2']);
    assert.equal(g.body.total, 2);
    const low = await h.call('GET', `${PATH}?severity=low`, { cookie: gOwner });
    assert.deepEqual(low.body.violations.map((v: any) => v.violation_id), ['v-2']);
    const window = await h.call('GET', `${PATH}?from=2026-05-29&to=2026-05-31`, { cookie: gOwner });
    assert.deepEqual(window.body.violations.map((v: any) => v.violation_id), ['v-2']);
    const page = await h.call('GET', `${PATH}?limit=1`, { cookie: gOwner });
    assert.equal(page.body.violations.length, 1);
    assert.ok(page.body.next_cursor);

    for (const [query, field] of [
      ['severity=severe', 'severity'],
      ['from=yesterday', 'from'],
      ['from=2026-06-02&to=2026-06-01', 'to'],
      ['limit=201', 'limit'],
    ]) {
      const r = await h.call('GET', `${PATH}?${query}`, { cookie: gOwner });
      assert.equal(r.status, 400, query);
      assert.equal(r.body.error.field, field);
    }
  });

  it('GraphQL: reportPolicyViolations and policyViolations', async () => {
    const m = await h.graphql(
      `mutation($input: PolicyViolationBatchInput!) { reportPolicyViolations(input: $input) { accepted duplicates } }`,
      { input: { violations: [{ violationId: 'gq-1', policyName: 'toxicity', policyType: 'dynamic', severity: 'medium', action: 'warn', occurredAt: '2026-06-01T10:00:00Z' }] } },
      { headers: bearer(key) },
    );
    assert.deepEqual(m.data, { reportPolicyViolations: { accepted: 1, duplicates: 0 } });
    const bad = await h.graphql(
      `mutation($input: PolicyViolationBatchInput!) { reportPolicyViolations(input: $input) { accepted } }`,
      { input: { violations: [{ violation_id: 'gq-2' }] } },
      { headers: bearer(key) },
    );
    assert.equal(bad.errors[0].extensions.code, 'INVALID_INPUT');
    assert.equal(bad.errors[0].extensions.details[0].violationId, null);
    assert.match(bad.errors[0].extensions.details[0].message, /violation_id is written violationId in GraphQL/);
    const q = await h.graphql(`{ policyViolations(severity: medium, first: 5) { totalCount edges { node { violationId action policyType } } } }`, {}, { cookie: owner });
    assert.ok(q.data.policyViolations.edges.some((e: any) => e.node.violationId === 'gq-1' && e.node.action === 'warn'));
  });
});
