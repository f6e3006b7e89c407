import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Harness } from '../helpers/harness.js';

// A PUT that changes nothing is not a change: no version, no audit event, the same answer.
describe('an update that changes nothing', () => {
  let h: Harness;
  let cookie: string;
  before(async () => {
    ({ h, cookie } = await Harness.withOrgSession('acme'));
  });
  after(() => h.close());

  const trail = async (id: string) => ({
    versions: (await h.runtime.database.db.selectFrom('policy_versions').select('version').where('policy_id', '=', id).execute()).length,
    audit: (await h.runtime.database.db.selectFrom('audit_events').select('id').where('target_id', '=', id).execute()).length,
  });

  it('static: {} and the same values leave the version and the trail alone; a real change adds one of each', async () => {
    const created = await h.call('POST', '/api/v1/static-policies', { cookie, body: { name: 'Ticket ids', pattern: 'TCK-\\d{5}', action: 'warn' } });
    assert.equal(created.status, 201);
    const id = created.body.id;
    const before = await trail(id);
    for (const body of [{}, { name: 'Ticket ids', action: 'warn' }]) {
      const r = await h.call('PUT', `/api/v1/static-policies/${id}`, { cookie, body });
      assert.equal(r.status, 200);
      assert.equal(r.body.version, 1);
    }
    assert.deepEqual(await trail(id), before);
    const changed = await h.call('PUT', `/api/v1/static-policies/${id}`, { cookie, body: { action: 'block' } });
    assert.equal(changed.body.version, 2);
    assert.deepEqual(await trail(id), { versions: before.versions + 1, audit: before.audit + 1 });
  });

  it('dynamic: {} and the same values leave the version and the trail alone; a real change adds one of each', async () => {
    const created = await h.call('POST', '/api/v1/dynamic-policies', {
      cookie,
      body: { name: 'Big spenders', type: 'cost', conditions: [{ field: 'estimated_cost_usd', operator: 'greater_than', value: 5 }], actions: [{ type: 'require_approval', config: {} }] },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.id;
    const before = await trail(id);
    for (const body of [{}, { name: 'Big spenders', priority: 100 }]) {
      const r = await h.call('PUT', `/api/v1/dynamic-policies/${id}`, { cookie, body });
      assert.equal(r.status, 200);
      assert.equal(r.body.version, 1);
    }
    assert.deepEqual(await trail(id), before);
    const changed = await h.call('PUT', `/api/v1/dynamic-policies/${id}`, { cookie, body: { priority: 300 } });
    assert.equal(changed.body.version, 2);
    assert.deepEqual(await trail(id), { versions: before.versions + 1, audit: before.audit + 1 });
  });
});
