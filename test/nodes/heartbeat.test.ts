import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Harness } from '../helpers/harness.js';
import { FIVE_MINUTES, beat, listNodes } from './helpers.js';

describe('node heartbeats and the node list', () => {
  let h: Harness;
  let cookie: string;
  let key: string;

  before(async () => {
    h = await Harness.start();
    await h.createOrg('acme', { tier: 'ENTERPRISE' });
    cookie = await h.login('acme');
    key = (await h.apiKey('acme', ['nodes:write'], cookie)).key;
  });
  after(() => h.close());

  it('answers with what the node needs to know, license valid for a new org', async () => {
    const r = await beat(h, key, 'n1', { os: 'linux', cpu_cores: 8, memory_mb: 16384, region: 'eu-west-1' });
    assert.equal(r.body.node_id, 'n1');
    assert.equal(r.body.status, 'active');
    assert.equal(r.body.license.status, 'valid');
    assert.equal(typeof r.body.license.expires_at, 'string');
    assert.ok(r.body.license.days_remaining > 300, JSON.stringify(r.body.license));
    assert.deepEqual(r.body.limits, { active_count: 1, max_nodes: 100, band: 'OK' });
    assert.equal(r.body.desired_version, null);
    assert.deepEqual(Object.keys(r.body).sort(), ['desired_version', 'license', 'limits', 'node_id', 'status']);
  });

  it('a second heartbeat updates the node and keeps first_seen_at', async () => {
    const first = (await listNodes(h, cookie)).body.nodes.find((n: any) => n.node_id === 'n1');
    assert.equal(first.first_seen_at, '2026-06-01T12:00:00.000Z');
    h.clock.advance(120_000);
    await beat(h, key, 'n1', { version: '1.1.0', hostname: 'renamed.internal', role: 'orchestrator' });
    const r = await listNodes(h, cookie);
    assert.equal(r.body.nodes.length, 1);
    const n = r.body.nodes[0];
    assert.deepEqual(n, {
      node_id: 'n1',
      hostname: 'renamed.internal',
      role: 'orchestrator',
      version: '1.1.0',
      // Fields a heartbeat leaves out are what that heartbeat said: nothing.
      os: null,
      cpu_cores: null,
      memory_mb: null,
      region: null,
      first_seen_at: '2026-06-01T12:00:00.000Z',
      last_heartbeat_at: '2026-06-01T12:02:00.000Z',
      status: 'active',
    });
    assert.equal(r.body.active_count, 1);
    assert.equal(r.body.max_nodes, 100);
    assert.equal(r.body.band, 'OK');
    assert.equal(r.body.total, 1);
    assert.equal(r.body.next_cursor, null);
  });

  it('a node is active at exactly 5 minutes and stale one second later', async () => {
    await beat(h, key, 'n2');
    h.clock.advance(FIVE_MINUTES);
    let r = await listNodes(h, cookie);
    assert.equal(r.body.nodes.find((n: any) => n.node_id === 'n2').status, 'active');
    assert.equal(r.body.active_count, 2);
    h.clock.advance(1000);
    r = await listNodes(h, cookie);
    assert.deepEqual(
      r.body.nodes.map((n: any) => [n.node_id, n.status]),
      [
        ['n1', 'stale'],
        ['n2', 'stale'],
      ],
    );
    assert.equal(r.body.active_count, 0);
    assert.equal(r.body.total, 2);
  });

  it('a stale node comes back active with its next heartbeat', async () => {
    await beat(h, key, 'n2');
    const r = await listNodes(h, cookie);
    assert.equal(r.body.nodes.find((n: any) => n.node_id === 'n2').status, 'active');
    assert.equal(r.body.active_count, 1);
  });

  it('pages with limit and cursor', async () => {
    const first = await h.call('GET', '/api/v1/nodes?limit=1', { cookie });
    assert.equal(first.status, 200);
    assert.deepEqual(first.body.nodes.map((n: any) => n.node_id), ['n1']);
    assert.ok(first.body.next_cursor);
    const second = await h.call('GET', `/api/v1/nodes?limit=1&cursor=${encodeURIComponent(first.body.next_cursor)}`, { cookie });
    assert.deepEqual(second.body.nodes.map((n: any) => n.node_id), ['n2']);
    assert.equal(second.body.next_cursor, null);
    const bad = await h.call('GET', '/api/v1/nodes?limit=501', { cookie });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.field, 'limit');
  });

  it('GraphQL: organization.nodes and organization.nodeUsage', async () => {
    const res = await h.graphql(
      `{ organization { nodes(first: 10) { totalCount edges { node { nodeId role status lastHeartbeatAt } } }
         nodeUsage { activeCount maxNodes band bandChangedAt } } }`,
      {},
      { cookie },
    );
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    assert.equal(res.data.organization.nodes.totalCount, 2);
    assert.deepEqual(
      res.data.organization.nodes.edges.map((e: any) => e.node.nodeId),
      ['n1', 'n2'],
    );
    assert.deepEqual(res.data.organization.nodeUsage, { activeCount: 1, maxNodes: 100, band: 'OK', bandChangedAt: null });
  });
});
