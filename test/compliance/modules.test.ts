import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Harness } from '../helpers/harness.js';

const EXPORTS = '/api/v1/euaiact/export';

describe('compliance modules: license or operator, and the gate before any other work', () => {
  let h: Harness;
  let cookie: string;
  before(async () => {
    h = await Harness.start();
    await h.createOrg('small', { tier: 'PROFESSIONAL' });
    await h.createOrg('big', { tier: 'ENTERPRISE' });
    cookie = await h.login('small');
  });
  after(() => h.close());

  it('the organization shows every module, enabled or not, and where each comes from', async () => {
    const small = await h.admin('GET', '/api/v1/admin/organizations/small');
    assert.equal(small.status, 200);
    assert.deepEqual(small.body.modules.map((m: any) => [m.module, m.enabled]), [
      ['eu_ai_act', false],
      ['hitl', false],
      ['mas_feat', false],
      ['rbi', false],
      ['sebi', false],
    ]);
    const big = await h.admin('GET', '/api/v1/admin/organizations/big');
    assert.deepEqual(big.body.modules.filter((m: any) => m.enabled).map((m: any) => [m.module, m.sources]), [
      ['eu_ai_act', ['license']],
      ['hitl', ['license']],
    ]);
    const mine = await h.graphql('{ organization { modules { module enabled sources } } }', {}, { cookie });
    assert.equal(mine.data.organization.modules.every((m: any) => !m.enabled), true);
  });

  it('a disabled module answers 403 MODULE_NOT_ENABLED naming it and how it is enabled, whatever the body', async () => {
    for (const body of [{ export_type: 'full_audit', format: 'csv' }, { nonsense: true }]) {
      const r = await h.call('POST', EXPORTS, { cookie, body });
      assert.equal(r.status, 403);
      assert.equal(r.body.error.code, 'MODULE_NOT_ENABLED');
      assert.equal(r.body.error.module, 'eu_ai_act');
      assert.match(r.body.error.message, /PATCH \/api\/v1\/admin\/organizations\/small/);
    }
    assert.equal((await h.call('GET', EXPORTS, { cookie })).body.error.code, 'MODULE_NOT_ENABLED');
    assert.equal((await h.call('GET', `${EXPORTS}/exp_nope/download`, { cookie })).body.error.code, 'MODULE_NOT_ENABLED');
    const gql = await h.graphql('{ euAiActExports { totalCount } }', {}, { cookie });
    assert.equal(gql.errors[0].extensions.code, 'MODULE_NOT_ENABLED');
    assert.equal(gql.errors[0].extensions.module, 'eu_ai_act');
    const key = await h.apiKey('small', ['compliance:read'], cookie);
    const byKey = await h.call('GET', EXPORTS, { headers: { authorization: `Bearer ${key.key}` } });
    assert.equal(byKey.body.error.code, 'MODULE_NOT_ENABLED');
  });

  it('the wrong door is still a 401 naming the credential, before the module is looked at', async () => {
    const anon = await h.call('GET', EXPORTS);
    assert.equal(anon.status, 401);
    assert.deepEqual(anon.body.error.required_auth, ['portal_session', 'api_key']);
    const admin = await h.admin('GET', EXPORTS);
    assert.equal(admin.status, 401);
    const scim = await h.scimToken('small', cookie);
    const byScim = await h.call('GET', EXPORTS, { headers: { authorization: `Bearer ${scim.token}` } });
    assert.equal(byScim.status, 401);
    assert.match(byScim.body.error.message, /SCIM bearer token was presented/);
  });

  it('the operator enables modules with the full list; unknown names are a 400 and change nothing', async () => {
    const bad = await h.admin('PATCH', '/api/v1/admin/organizations/small', { modules: ['eu_ai_act', 'astrology'] });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /modules\[1\] is not a module/);
    assert.equal((await h.admin('GET', '/api/v1/admin/organizations/small')).body.modules.some((m: any) => m.enabled), false);

    const on = await h.admin('PATCH', '/api/v1/admin/organizations/small', { modules: ['eu_ai_act', 'sebi', 'eu_ai_act'] });
    assert.equal(on.status, 200);
    assert.deepEqual(on.body.modules.filter((m: any) => m.enabled).map((m: any) => [m.module, m.sources]), [
      ['eu_ai_act', ['operator']],
      ['sebi', ['operator']],
    ]);
    const r = await h.call('POST', EXPORTS, { cookie, body: { export_type: 'full_audit', format: 'csv' } });
    assert.equal(r.status, 202);

    const audit = await h.admin('GET', '/api/v1/admin/audit?org_id=small&action=organization.modules_set');
    assert.equal(audit.body.events.length, 1);
    assert.deepEqual(audit.body.events[0].details.modules, ['eu_ai_act', 'sebi']);

    const off = await h.admin('PATCH', '/api/v1/admin/organizations/small', { modules: [] });
    assert.equal(off.body.modules.some((m: any) => m.enabled), false);
    assert.equal((await h.call('GET', `${EXPORTS}/${r.body.id}`, { cookie })).body.error.code, 'MODULE_NOT_ENABLED', 'off means off, for what was made before too');

    const both = await h.admin('PATCH', '/api/v1/admin/organizations/big', { modules: ['hitl'] });
    assert.deepEqual(both.body.modules.find((m: any) => m.module === 'hitl').sources, ['license', 'operator']);
    const other = await h.admin('PATCH', '/api/v1/admin/organizations/big', { name: 'Big Inc' });
    assert.deepEqual(other.body.modules.find((m: any) => m.module === 'hitl').sources, ['license', 'operator'], 'a patch without modules keeps them');
  });

  it('an expired license stops granting its modules', async () => {
    const exp = await h.admin('POST', '/api/v1/admin/organizations/big/license', { validity_days: 1 });
    assert.equal(exp.status, 201);
    h.clock.set(new Date(h.clock.now().getTime() + 2 * 86_400_000));
    const big = await h.admin('GET', '/api/v1/admin/organizations/big');
    assert.deepEqual(big.body.modules.filter((m: any) => m.enabled).map((m: any) => [m.module, m.sources]), [['hitl', ['operator']]]);
    const bigCookie = await h.login('big');
    assert.equal((await h.call('GET', EXPORTS, { cookie: bigCookie })).body.error.code, 'MODULE_NOT_ENABLED');
  });
});

describe('who may export', () => {
  let h: Harness;
  let owner: string;
  before(async () => {
    h = await Harness.start();
    await h.createOrg('acme', { tier: 'ENTERPRISE' });
    owner = await h.login('acme');
  });
  after(() => h.close());

  it('sessions by permission, keys by scope', async () => {
    const body = { export_type: 'hitl_summary', format: 'json' };
    const viewer = await h.userSession('acme', 'viewer', owner);
    assert.equal((await h.call('GET', EXPORTS, { cookie: viewer.cookie })).status, 200, 'viewers read (compliance:read)');
    const refused = await h.call('POST', EXPORTS, { cookie: viewer.cookie, body });
    assert.equal(refused.status, 403);
    assert.match(refused.body.error.message, /lacks the permission compliance:export/);
    const policyAdmin = await h.userSession('acme', 'policy_admin', owner);
    assert.equal((await h.call('POST', EXPORTS, { cookie: policyAdmin.cookie, body })).status, 202);

    const reader = await h.apiKey('acme', ['compliance:read'], owner);
    const asReader = { authorization: `Bearer ${reader.key}` };
    assert.equal((await h.call('GET', EXPORTS, { headers: asReader })).status, 200);
    const keyRefused = await h.call('POST', EXPORTS, { headers: asReader, body });
    assert.equal(keyRefused.status, 403);
    assert.match(keyRefused.body.error.message, /lacks the scope compliance:export/);
    const unrelated = await h.apiKey('acme', ['usage:write'], owner);
    assert.equal((await h.call('GET', EXPORTS, { headers: { authorization: `Bearer ${unrelated.key}` } })).status, 403);
    const exporter = await h.apiKey('acme', ['compliance:export'], owner);
    const made = await h.call('POST', EXPORTS, { headers: { 'x-api-key': exporter.key }, body });
    assert.equal(made.status, 202);
    assert.equal(made.body.requested_by, `api_key:${exporter.id}`);
    await h.runtime.jobs.runDue();
    const file = await h.runtime.app.request(`${EXPORTS}/${made.body.id}/download`, { headers: { 'x-api-key': exporter.key, 'x-forwarded-for': '198.51.100.7' } });
    assert.equal(file.status, 403, 'downloading is reading: compliance:read, which this key lacks');
    const read = await h.runtime.app.request(`${EXPORTS}/${made.body.id}/download`, { headers: { authorization: `Bearer ${reader.key}`, 'x-forwarded-for': '198.51.100.7' } });
    assert.equal(read.status, 200);
  });

  it("a full_audit file is the audit trail: it needs audit:read (or a key's export scope), beyond compliance:read", async () => {
    const trail = await h.call('POST', EXPORTS, { cookie: owner, body: { export_type: 'full_audit', format: 'csv' } });
    await h.runtime.jobs.runDue();
    const viewer = await h.userSession('acme', 'viewer', owner);
    const asViewer = await h.call('GET', `${EXPORTS}/${trail.body.id}`, { cookie: viewer.cookie });
    assert.equal(asViewer.status, 403);
    assert.match(asViewer.body.error.message, /lacks the permission audit:read/);
    const file = await h.runtime.app.request(`${EXPORTS}/${trail.body.id}/download`, { headers: { cookie: `axonflow_session=${viewer.cookie}`, 'x-forwarded-for': '198.51.100.7' } });
    assert.equal(file.status, 403);
    const reader = await h.apiKey('acme', ['compliance:read'], owner);
    assert.equal((await h.call('GET', `${EXPORTS}/${trail.body.id}`, { headers: { authorization: `Bearer ${reader.key}` } })).status, 403);
    const exporter = await h.apiKey('acme', ['compliance:export'], owner);
    assert.equal((await h.call('POST', EXPORTS, { headers: { authorization: `Bearer ${exporter.key}` }, body: { export_type: 'full_audit', format: 'json' } })).status, 202);
    const policyAdmin = await h.userSession('acme', 'policy_admin', owner);
    assert.equal((await h.call('GET', `${EXPORTS}/${trail.body.id}`, { cookie: policyAdmin.cookie })).status, 200, 'policy admins read the audit trail');
    await h.runtime.jobs.runDue();
  });

  it('at most ten exports queued or running per organization', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await h.call('POST', EXPORTS, { cookie: owner, body: { export_type: 'hitl_summary', format: 'csv' } })).status);
    assert.deepEqual(statuses, [...Array(10).fill(202), 429, 429]);
    await h.runtime.jobs.runDue();
    assert.equal((await h.call('POST', EXPORTS, { cookie: owner, body: { export_type: 'hitl_summary', format: 'csv' } })).status, 202);
  });

  it('at most EXPORT_MAX_RUNNING_PER_ORG run at once: the next waits queued for a slot', async () => {
    await h.runtime.jobs.runDue();
    const db = h.runtime.database.db;
    const made = [];
    for (let i = 0; i < 3; i++) made.push((await h.call('POST', EXPORTS, { cookie: owner, body: { export_type: 'hitl_summary', format: 'csv' } })).body.id);
    // Two are running elsewhere (another instance): the limit in tests is 2.
    const at = h.clock.now().toISOString();
    await db.updateTable('compliance_exports').set({ status: 'running', started_at: at }).where('id', 'in', made.slice(0, 2)).execute();
    const lease = new Date(h.clock.now().getTime() + 3600_000).toISOString();
    await db.updateTable('jobs').set({ status: 'running', lease_owner: 'another-instance', lease_expires_at: lease, attempts: 1 }).where('key', 'in', made.slice(0, 2)).execute();
    await h.runtime.jobs.runDue();
    const third = await h.call('GET', `${EXPORTS}/${made[2]}`, { cookie: owner });
    assert.equal(third.body.status, 'queued', 'no slot: it waits');
    await db.updateTable('compliance_exports').set({ status: 'failed' }).where('id', '=', made[0]).execute();
    h.clock.set(new Date(h.clock.now().getTime() + 10_000));
    await h.runtime.jobs.runDue();
    assert.equal((await h.call('GET', `${EXPORTS}/${made[2]}`, { cookie: owner })).body.status, 'completed', 'a slot freed: it ran');
  });
});
