import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Harness } from '../helpers/harness.js';

const PAGE = `{
  viewer { kind user { email } organization { orgId } }
  organization {
    orgId name license { status }
    users(first: 50) { edges { node { id email role } } }
    apiKeys(first: 50) { edges { node { id prefix scopes lastUsedAt } } }
    nodes(first: 50) { totalCount edges { node { nodeId status } } }
    nodeUsage { activeCount maxNodes band }
    usage { totals { apiCalls llmRequests } }
  }
}`;

describe('a portal page costs a bounded number of queries', () => {
  let h: Harness;
  let cookie: string;
  before(async () => {
    h = await Harness.start();
    await h.createOrg('acme', { max_nodes: 1000 });
    cookie = await h.login('acme');
  });
  after(() => h.close());

  async function count(): Promise<number> {
    const before = h.queries.length;
    const r = await h.graphql(PAGE, {}, { cookie });
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    return h.queries.length - before;
  }

  async function grow(n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      const { key } = await h.apiKey('acme', ['nodes:write'], cookie);
      const hb = await h.call('POST', '/api/v1/nodes/heartbeat', {
        headers: { authorization: `Bearer ${key}` },
        body: { node_id: `node-${h.queries.length}-${i}`, hostname: 'h', role: 'agent', version: '1.0.0' },
      });
      assert.equal(hb.status, 200);
      await h.userSession('acme', 'viewer', cookie);
    }
  }

  it('does not grow with the number of keys, nodes and users listed', async () => {
    await grow(1);
    await count(); // settles the band row, which is written once when it first changes
    const small = await count();
    await grow(10);
    await count();
    const large = await count();
    assert.equal(large, small, `${small} queries for 1 of each, ${large} for 11 of each`);
    assert.ok(small <= 20, `${small} queries for one page`);
  });
});
