import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_KEY, Harness } from '../helpers/harness.js';
import { beat, heartbeat, listNodes, node } from './helpers.js';

describe('who may report and read nodes', () => {
  let h: Harness;
  let cookieA: string;
  let cookieB: string;
  let keyA: string;
  let keyB: string;

  before(async () => {
    h = await Harness.start();
    await h.createOrg('org-a', { tier: 'ENTERPRISE' });
    await h.createOrg('org-b', { tier: 'DEVELOPER' });
    cookieA = await h.login('org-a');
    cookieB = await h.login('org-b');
    keyA = (await h.apiKey('org-a', ['nodes:write'], cookieA)).key;
    keyB = (await h.apiKey('org-b', ['*'], cookieB)).key;
    await beat(h, keyA, 'n1', { hostname: 'a-host', version: '1.0.0' });
  });
  after(() => h.close());

  async function nodesOfA(): Promise<unknown> {
    return (await listNodes(h, cookieA)).body.nodes;
  }

  describe('POST /api/v1/nodes/heartbeat', () => {
    it('no credential: 401 naming the API key', async () => {
      const r = await h.call('POST', '/api/v1/nodes/heartbeat', { body: node('x') });
      assert.equal(r.status, 401);
      assert.equal(r.body.error.code, 'UNAUTHENTICATED');
      assert.deepEqual(r.body.error.required_auth, ['api_key']);
      assert.match(r.body.error.message, /runtime API key/);
      assert.match(r.body.error.message, /no credential was presented/);
    });

    it('a portal session: 401 saying a portal session was presented', async () => {
      const r = await h.call('POST', '/api/v1/nodes/heartbeat', { cookie: cookieA, body: node('x') });
      assert.equal(r.status, 401);
      assert.deepEqual(r.body.error.required_auth, ['api_key']);
      assert.match(r.body.error.message, /a portal session was presented/);
    });

    it('the admin key: 401', async () => {
      const r = await h.call('POST', '/api/v1/nodes/heartbeat', { body: node('x'), headers: { 'x-admin-api-key': ADMIN_KEY } });
      assert.equal(r.status, 401);
      assert.deepEqual(r.body.error.required_auth, ['api_key']);
      assert.match(r.body.error.message, /admin API key was presented/);
    });

    it('an API key without nodes:write: 403 naming the scope', async () => {
      const { key } = await h.apiKey('org-a', ['usage:write'], cookieA);
      const r = await heartbeat(h, key, node('x'));
      assert.equal(r.status, 403);
      assert.equal(r.body.error.code, 'FORBIDDEN');
      assert.deepEqual(r.body.error.required_auth, ['api_key']);
      assert.match(r.body.error.message, /lacks the scope nodes:write/);
    });

    it('a revoked key: 401 saying it was revoked', async () => {
      const { key, id } = await h.apiKey('org-a', ['nodes:write'], cookieA);
      await beat(h, key, 'n-revoked');
      const revoked = await h.call('DELETE', `/api/v1/keys/${id}`, { cookie: cookieA });
      assert.equal(revoked.status, 200);
      const r = await heartbeat(h, key, node('n-after-revoke'));
      assert.equal(r.status, 401);
      assert.match(r.body.error.message, /revoked/);
      const ids = ((await nodesOfA()) as any[]).map((n) => n.node_id);
      assert.ok(!ids.includes('n-after-revoke'));
    });

    it('X-API-Key works like the bearer header', async () => {
      const r = await h.call('POST', '/api/v1/nodes/heartbeat', { body: node('n-header'), headers: { 'x-api-key': keyA } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
    });

    it('the same refusals on GraphQL', async () => {
      const q = `mutation($input: HeartbeatInput!) { reportHeartbeat(input: $input) { nodeId } }`;
      const input = { nodeId: 'g1', hostname: 'h', role: 'agent', version: '1' };
      const bySession = await h.graphql(q, { input }, { cookie: cookieA });
      assert.equal(bySession.errors[0].extensions.code, 'UNAUTHENTICATED');
      const byKey = await h.graphql(q, { input }, { headers: { authorization: `Bearer ${keyA}` } });
      assert.equal(byKey.errors, undefined, JSON.stringify(byKey.errors));
      assert.equal(byKey.data.reportHeartbeat.nodeId, 'g1');
    });
  });

  describe('GET /api/v1/nodes', () => {
    it('no credential: 401 naming the portal session', async () => {
      const r = await h.call('GET', '/api/v1/nodes');
      assert.equal(r.status, 401);
      assert.deepEqual(r.body.error.required_auth, ['portal_session']);
      assert.match(r.body.error.message, /no credential was presented/);
    });

    it('an API key: 401 saying API keys are accepted only on runtime routes', async () => {
      const r = await h.call('GET', '/api/v1/nodes', { headers: { authorization: `Bearer ${keyA}` } });
      assert.equal(r.status, 401);
      assert.deepEqual(r.body.error.required_auth, ['portal_session']);
      assert.match(r.body.error.message, /API keys are accepted only on runtime routes/);
    });

    it('the admin key: 401', async () => {
      const r = await h.call('GET', '/api/v1/nodes', { headers: { 'x-admin-api-key': ADMIN_KEY } });
      assert.equal(r.status, 401);
      assert.match(r.body.error.message, /admin API key was presented/);
    });

    it('a viewer reads the list (every role has nodes:read)', async () => {
      const viewer = await h.userSession('org-a', 'viewer', cookieA);
      const r = await listNodes(h, viewer.cookie);
      assert.ok(r.body.nodes.some((n: any) => n.node_id === 'n1'));
    });
  });

  describe('organizations stay apart', () => {
    it("org B heartbeating node_id n1 never touches org A's n1", async () => {
      const before = await nodesOfA();
      h.clock.advance(60_000);
      const r = await beat(h, keyB, 'n1', { hostname: 'b-host', version: '9.9.9' });
      assert.deepEqual(r.body.limits, { active_count: 1, max_nodes: 5, band: 'OK' });
      assert.deepEqual(await nodesOfA(), before);
      const b = await listNodes(h, cookieB);
      assert.deepEqual(
        b.body.nodes.map((n: any) => [n.node_id, n.hostname, n.version]),
        [['n1', 'b-host', '9.9.9']],
      );
    });

    it("org B's session never sees A's nodes, on REST or GraphQL", async () => {
      const b = await listNodes(h, cookieB);
      assert.ok(b.body.nodes.every((n: any) => n.hostname !== 'a-host'));
      assert.equal(b.body.total, 1);
      assert.equal(b.body.max_nodes, 5);
      const res = await h.graphql(`{ organization { orgId nodes { edges { node { hostname } } } nodeUsage { activeCount } } }`, {}, { cookie: cookieB });
      assert.equal(res.data.organization.orgId, 'org-b');
      assert.deepEqual(res.data.organization.nodes.edges, [{ node: { hostname: 'b-host' } }]);
      assert.equal(res.data.organization.nodeUsage.activeCount, 1);
    });

    it('an org_id in the query does not pick another org (org comes from the credential)', async () => {
      const r = await h.call('GET', '/api/v1/nodes?org_id=org-a', { cookie: cookieB });
      assert.equal(r.status, 200);
      assert.ok(r.body.nodes.every((n: any) => n.hostname !== 'a-host'));
    });
  });
});
