import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../src/clock.js';
import { ADMIN_KEY, Harness } from '../helpers/harness.js';
import { CONFORMITY, bearer, created, insertExport, step } from './conformity-helpers.js';

// Dashboards: counts per status (or severity) in the window and per bucket, checked against data placed on known
// days with the clock; gated by the module asked for.

const EU = '/api/v1/euaiact/dashboard';
const HITL = '/api/v1/hitl/dashboard';
// A date-only `to` includes its day: this is [06-01, 06-10T00:00).
const WINDOW = 'from=2026-06-01&to=2026-06-09';

async function insertHitl(h: Harness, orgId: string, status: string, createdAt: string): Promise<void> {
  await h.runtime.database.db
    .insertInto('hitl_requests')
    .values({
      id: `hitl_${randomBytes(6).toString('hex')}`,
      org_id: orgId,
      request_id: `req-${randomBytes(6).toString('hex')}`,
      severity: 'high',
      reason: 'a person must look',
      context: '{}',
      eu_ai_act_article: null,
      status,
      expires_at: null,
      requested_by: 'key_test',
      created_at: createdAt,
      decided_by: null,
      decided_at: null,
      comments: null,
      decision_reason: null,
    } as any)
    .execute();
}

/** The series of one key as {bucket day: count}, non-zero buckets only. */
function nonZero(breakdown: any, key: string): Record<string, number> {
  const s = breakdown.by_key.find((x: any) => x.key === key);
  assert.ok(s, `no series ${key}`);
  return Object.fromEntries(s.points.filter((p: any) => p.count > 0).map((p: any) => [p.bucket.slice(0, 10), p.count]));
}

function totals(breakdown: any): Record<string, number> {
  return Object.fromEntries(breakdown.by_key.filter((s: any) => s.count > 0).map((s: any) => [s.key, s.count]));
}

describe('compliance dashboards', () => {
  let h: Harness;
  let owner: string;
  let reviewer: string;
  let readKey: string;

  before(async () => {
    // Sessions outlive the ten days the clock moves through.
    const days = 60 * 86400;
    h = await Harness.start({ sessionIdleSeconds: days, sessionAbsoluteSeconds: days }, new ManualClock('2026-06-01T08:00:00Z'));
    await h.createOrg('acme', { tier: 'ENTERPRISE' });
    await h.createOrg('globex', { tier: 'ENTERPRISE' });
    await h.createOrg('initech', { tier: 'PROFESSIONAL' });
    owner = await h.login('acme');
    reviewer = (await h.userSession('acme', 'policy_admin', owner)).cookie;
    readKey = (await h.apiKey('acme', ['compliance:read'], owner)).key;
    const usageKey = (await h.apiKey('acme', ['usage:write'], owner)).key;
    const gOwner = await h.login('globex');
    const gUsageKey = (await h.apiKey('globex', ['usage:write'], gOwner)).key;
    const report = async (k: string, violations: unknown[]) => {
      const r = await h.call('POST', '/api/v1/policy-violations', { headers: bearer(k), body: { violations } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
    };
    const v = (id: string, severity: string, occurredAt: string) => ({ violation_id: id, policy_name: 'p', policy_type: 'static', severity, action: 'block', occurred_at: occurredAt });

    // Monday 2026-06-01: two assessments (one submitted), two eu_ai_act exports, a sebi export, a pending request.
    h.clock.set('2026-06-01T09:00:00Z');
    await created(h, { cookie: owner });
    const submitted = await created(h, { cookie: owner });
    await step(h, submitted.id, 'submit', { cookie: owner });
    await insertExport(h, 'acme', { status: 'completed' });
    await insertExport(h, 'acme', { status: 'failed' });
    await insertExport(h, 'acme', { status: 'completed', framework: 'sebi' });
    // An oversight export is an EU AI Act export of an oversight type: both dashboards count it.
    await insertExport(h, 'acme', { status: 'completed', exportType: 'hitl_summary' });
    await insertHitl(h, 'acme', 'pending', '2026-06-01T09:30:00.000Z');
    await report(usageKey, [v('a', 'high', '2026-06-01T08:00:00Z'), v('b', 'high', '2026-06-01T23:59:59Z')]);
    // Wednesday 2026-06-03: one assessment rejected, two decisions.
    h.clock.set('2026-06-03T10:00:00Z');
    const rejected = await created(h, { cookie: owner });
    await step(h, rejected.id, 'submit', { cookie: owner });
    await step(h, rejected.id, 'reject', { cookie: reviewer }, { reason: 'incomplete technical file' });
    await insertHitl(h, 'acme', 'approved', '2026-06-03T11:00:00.000Z');
    await insertHitl(h, 'acme', 'rejected', '2026-06-03T12:00:00.000Z');
    await report(usageKey, [v('c', 'critical', '2026-06-03T01:00:00Z')]);
    // Tuesday 2026-06-09 (the next week): one assessment approved, a completed export, a low violation.
    h.clock.set('2026-06-09T10:00:00Z');
    const approved = await created(h, { cookie: owner });
    await step(h, approved.id, 'submit', { cookie: owner });
    await step(h, approved.id, 'approve', { cookie: reviewer });
    await insertExport(h, 'acme', { status: 'completed' });
    await insertHitl(h, 'acme', 'expired', '2026-06-09T10:00:00.000Z');
    await report(usageKey, [v('d', 'low', '2026-06-09T10:00:00Z')]);
    // Outside the window: before it, and at its exclusive end.
    await report(usageKey, [v('e', 'high', '2026-05-31T23:59:59Z'), v('f', 'high', '2026-06-10T00:00:00Z')]);
    await insertHitl(h, 'acme', 'approved', '2026-06-10T00:00:00.000Z');
    // Another organization's data never counts.
    await report(gUsageKey, [v('a', 'medium', '2026-06-02T00:00:00Z')]);
    await insertExport(h, 'globex', { status: 'completed', createdAt: '2026-06-02T00:00:00.000Z' });
    await insertHitl(h, 'globex', 'pending', '2026-06-02T00:00:00.000Z');
    h.clock.set('2026-06-10T12:00:00Z');
  });
  after(() => h.close());

  it('eu_ai_act by day: totals and series match the data placed', async () => {
    const r = await h.call('GET', `${EU}?${WINDOW}&granularity=day`, { cookie: owner });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const d = r.body;
    assert.equal(d.module, 'eu_ai_act');
    assert.equal(d.granularity, 'day');
    assert.equal(d.from, '2026-06-01T00:00:00.000Z');
    assert.equal(d.to, '2026-06-10T00:00:00.000Z');
    assert.equal(d.buckets.length, 9);
    assert.equal(d.buckets[0], '2026-06-01T00:00:00.000Z');
    assert.equal(d.buckets[8], '2026-06-09T00:00:00.000Z');

    assert.equal(d.assessments.total, 4);
    assert.deepEqual(totals(d.assessments), { draft: 1, submitted: 1, approved: 1, rejected: 1 });
    assert.deepEqual(d.assessments.by_key.map((s: any) => s.key), ['draft', 'submitted', 'approved', 'rejected']);
    assert.deepEqual(nonZero(d.assessments, 'draft'), { '2026-06-01': 1 });
    assert.deepEqual(nonZero(d.assessments, 'submitted'), { '2026-06-01': 1 });
    assert.deepEqual(nonZero(d.assessments, 'rejected'), { '2026-06-03': 1 });
    assert.deepEqual(nonZero(d.assessments, 'approved'), { '2026-06-09': 1 });
    for (const s of d.assessments.by_key) assert.equal(s.points.length, 9);

    assert.equal(d.exports.total, 4);
    assert.deepEqual(totals(d.exports), { completed: 3, failed: 1 });
    assert.deepEqual(nonZero(d.exports, 'completed'), { '2026-06-01': 2, '2026-06-09': 1 });
    assert.deepEqual(d.exports.by_key.map((s: any) => s.key), ['queued', 'running', 'completed', 'failed', 'expired']);

    assert.equal(d.hitl_decisions.total, 4);
    assert.deepEqual(totals(d.hitl_decisions), { pending: 1, approved: 1, rejected: 1, expired: 1 });
    assert.deepEqual(nonZero(d.hitl_decisions, 'approved'), { '2026-06-03': 1 });

    assert.equal(d.policy_violations.total, 4);
    assert.deepEqual(totals(d.policy_violations), { high: 2, critical: 1, low: 1 });
    assert.deepEqual(nonZero(d.policy_violations, 'high'), { '2026-06-01': 2 });
    assert.deepEqual(nonZero(d.policy_violations, 'critical'), { '2026-06-03': 1 });
    assert.deepEqual(nonZero(d.policy_violations, 'low'), { '2026-06-09': 1 });
  });

  it('by week (Monday starts) and by month: the same totals, folded', async () => {
    const w = (await h.call('GET', `${EU}?${WINDOW}&granularity=week`, { cookie: owner })).body;
    assert.deepEqual(w.buckets, ['2026-06-01T00:00:00.000Z', '2026-06-08T00:00:00.000Z']);
    assert.deepEqual(nonZero(w.policy_violations, 'high'), { '2026-06-01': 2 });
    assert.deepEqual(nonZero(w.policy_violations, 'low'), { '2026-06-08': 1 });
    assert.deepEqual(nonZero(w.exports, 'completed'), { '2026-06-01': 2, '2026-06-08': 1 });
    assert.deepEqual(nonZero(w.assessments, 'rejected'), { '2026-06-01': 1 });
    assert.equal(w.assessments.total, 4);

    const m = (await h.call('GET', `${EU}?from=2026-05-15&to=2026-06-09&granularity=month`, { cookie: owner })).body;
    assert.deepEqual(m.buckets, ['2026-05-01T00:00:00.000Z', '2026-06-01T00:00:00.000Z']);
    // The violation of 05-31 is in this window; the one at 06-10T00:00 (the exclusive end) is not.
    assert.deepEqual(nonZero(m.policy_violations, 'high'), { '2026-05-01': 1, '2026-06-01': 2 });
    assert.equal(m.policy_violations.total, 5);
  });

  it('defaults: the last 30 days by day; the hitl dashboard has no assessments', async () => {
    const d = (await h.call('GET', EU, { cookie: owner })).body;
    assert.equal(d.to, '2026-06-10T12:00:00.000Z');
    assert.equal(d.from, '2026-05-11T12:00:00.000Z');
    assert.equal(d.granularity, 'day');
    assert.equal(d.buckets.length, 31);
    assert.equal(d.policy_violations.total, 6);
    assert.equal(d.hitl_decisions.total, 5);

    const hd = await h.call('GET', `${HITL}?${WINDOW}`, { headers: bearer(readKey) });
    assert.equal(hd.status, 200, JSON.stringify(hd.body));
    assert.equal(hd.body.module, 'hitl');
    assert.equal('assessments' in hd.body, false);
    assert.equal(hd.body.hitl_decisions.total, 4);
    // Oversight exports only (hitl_summary, decision_chain).
    assert.equal(hd.body.exports.total, 1);
    assert.equal(hd.body.policy_violations.total, 4);
  });

  it('GraphQL: complianceDashboard(module:) answers the module asked for', async () => {
    const q = `query($m: ComplianceModule!) { complianceDashboard(module: $m, from: "2026-06-01", to: "2026-06-09", granularity: month) {
      module assessments { total } hitlDecisions { total } exports { total byKey { key count } } policyViolations { total } } }`;
    const eu = await h.graphql(q, { m: 'eu_ai_act' }, { cookie: owner });
    assert.equal(eu.errors, undefined, JSON.stringify(eu.errors));
    assert.equal(eu.data.complianceDashboard.assessments.total, 4);
    const hitl = await h.graphql(q, { m: 'hitl' }, { cookie: owner });
    assert.equal(hitl.data.complianceDashboard.assessments, null);
    assert.equal(hitl.data.complianceDashboard.hitlDecisions.total, 4);
    // ENTERPRISE has no sebi: the gate names the module asked for.
    const sebi = await h.graphql(q, { m: 'sebi' }, { cookie: owner });
    assert.equal(sebi.errors[0].extensions.code, 'MODULE_NOT_ENABLED');
    assert.equal(sebi.errors[0].extensions.module, 'sebi');
  });

  it('bad windows: 400 naming the field', async () => {
    for (const [query, field] of [
      ['granularity=hour', 'granularity'],
      ['from=2026-13-01', 'from'],
      ['to=soon', 'to'],
      ['from=2026-06-10&to=2026-06-01', 'to'],
      ['from=2024-01-01&to=2026-01-01&granularity=day', 'from'],
    ]) {
      const r = await h.call('GET', `${EU}?${query}`, { cookie: owner });
      assert.equal(r.status, 400, query);
      assert.equal(r.body.error.field, field, query);
    }
    // A coarser granularity serves the long window.
    assert.equal((await h.call('GET', `${EU}?from=2024-01-01&to=2026-01-01&granularity=month`, { cookie: owner })).status, 200);
  });

  it('who may look: compliance:read sessions and keys; the wrong door 401, no scope 403, no module 403 MODULE_NOT_ENABLED', async () => {
    const viewer = (await h.userSession('acme', 'viewer', owner)).cookie;
    const usageKey = (await h.apiKey('acme', ['usage:write'], owner)).key;
    const scim = (await h.scimToken('acme', owner)).token;
    for (const path of [EU, HITL]) {
      assert.equal((await h.call('GET', path, { cookie: viewer })).status, 200);
      assert.equal((await h.call('GET', path, { headers: bearer(readKey) })).status, 200);
      for (const query of ['', '?granularity=hour']) {
        const noScope = await h.call('GET', `${path}${query}`, { headers: bearer(usageKey) });
        assert.equal(noScope.status, 403);
        assert.match(noScope.body.error.message, /lacks the scope compliance:read/);
        for (const headers of [{ 'x-admin-api-key': ADMIN_KEY }, { authorization: `Bearer ${scim}` }, {}] as Record<string, string>[]) {
          assert.equal((await h.call('GET', `${path}${query}`, { headers })).status, 401);
        }
      }
    }
    const iOwner = await h.login('initech');
    for (const [path, module] of [
      [EU, 'eu_ai_act'],
      [HITL, 'hitl'],
    ]) {
      for (const query of ['', '?granularity=hour', '?from=nonsense']) {
        const r = await h.call('GET', `${path}${query}`, { cookie: iOwner });
        assert.equal(r.status, 403, `${path}${query}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error.code, 'MODULE_NOT_ENABLED');
        assert.equal(r.body.error.module, module);
      }
    }
    // Enabled by the operator, initech sees its own (empty) figures.
    assert.equal((await h.admin('PATCH', '/api/v1/admin/organizations/initech', { modules: ['eu_ai_act'] })).status, 200);
    const r = await h.call('GET', `${EU}?${WINDOW}`, { cookie: iOwner });
    assert.equal(r.status, 200);
    assert.equal(r.body.policy_violations.total, 0);
    assert.equal(r.body.assessments.total, 0);
    assert.equal((await h.call('GET', HITL, { cookie: iOwner })).status, 403);
    assert.equal((await h.call('GET', `${CONFORMITY}`, { cookie: iOwner })).body.total, 0);
  });
});
