import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from '../helpers/harness.js';

const EXPECTED = {
  saas: { mode: 'saas', tenant_isolation: 'shared', show_node_usage: false, show_platform_metrics: false, show_deployments: false },
  enterprise: { mode: 'enterprise', tenant_isolation: 'dedicated', show_node_usage: true, show_platform_metrics: true, show_deployments: true },
  'in-vpc': { mode: 'in-vpc', tenant_isolation: 'dedicated', show_node_usage: true, show_platform_metrics: true, show_deployments: true },
} as const;

for (const mode of ['saas', 'enterprise', 'in-vpc'] as const) {
  describe(`GET /api/v1/deployment/config in ${mode} mode`, () => {
    let h: Harness;
    before(async () => {
      h = await Harness.start({ deploymentMode: mode });
    });
    after(() => h.close());

    it('answers the documented shape without a credential', async () => {
      const r = await h.call('GET', '/api/v1/deployment/config');
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, EXPECTED[mode]);
    });

    it('answers the same on GraphQL, with no credential', async () => {
      const res = await h.graphql('{ deploymentConfig { mode tenantIsolation showNodeUsage showPlatformMetrics showDeployments } }');
      assert.equal(res.errors, undefined);
      const e = EXPECTED[mode];
      assert.deepEqual(res.data.deploymentConfig, {
        mode: e.mode,
        tenantIsolation: e.tenant_isolation,
        showNodeUsage: e.show_node_usage,
        showPlatformMetrics: e.show_platform_metrics,
        showDeployments: e.show_deployments,
      });
    });
  });
}

describe('GET /api/v1/deployment/config ignores credentials', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start({ deploymentMode: 'enterprise' });
    await h.createOrg('acme');
  });
  after(() => h.close());

  it('a garbage session cookie still gets 200', async () => {
    const r = await h.call('GET', '/api/v1/deployment/config', { cookie: 'not-a-session-token' });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, EXPECTED.enterprise);
  });

  it('a wrong admin key, a bogus bearer and a SCIM token still get 200', async () => {
    for (const headers of <Record<string, string>[]>[
      { 'x-admin-api-key': 'wrong-admin-key' },
      { authorization: 'Bearer axon_garbage' },
      { authorization: 'Bearer scim_abc' },
      { 'x-api-key': 'nonsense' },
    ]) {
      const r = await h.call('GET', '/api/v1/deployment/config', { headers });
      assert.equal(r.status, 200, JSON.stringify(headers));
      assert.deepEqual(r.body, EXPECTED.enterprise);
    }
  });

  it('a valid session gets the same answer as anyone', async () => {
    const r = await h.call('GET', '/api/v1/deployment/config', { cookie: await h.login('acme') });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, EXPECTED.enterprise);
  });

  it('takes no query input that could change the answer', async () => {
    const r = await h.call('GET', '/api/v1/deployment/config?mode=saas');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, EXPECTED.enterprise);
  });
});
