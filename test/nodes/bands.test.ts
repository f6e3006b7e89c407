import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Harness } from '../helpers/harness.js';
import { FIVE_MINUTES, bandEvents, beat, heartbeat, listNodes, node } from './helpers.js';

describe('the node limit bands', () => {
  let h: Harness;
  let cookie: string;
  let key: string;

  before(async () => {
    h = await Harness.start();
    await h.createOrg('acme', { tier: 'ENTERPRISE' });
    const patched = await h.admin('PATCH', '/api/v1/admin/organizations/acme', { max_nodes: 10 });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    cookie = await h.login('acme');
    key = (await h.apiKey('acme', ['nodes:write'], cookie)).key;
  });
  after(() => h.close());

  it('7 of 10 is OK, and no band event is written while the band stays OK', async () => {
    for (let i = 1; i <= 7; i++) {
      const r = await beat(h, key, `n${i}`);
      assert.deepEqual(r.body.limits, { active_count: i, max_nodes: 10, band: 'OK' });
    }
    const list = await listNodes(h, cookie);
    assert.equal(list.body.band, 'OK');
    assert.equal(list.body.band_changed_at, null);
    assert.deepEqual(await bandEvents(h, 'acme'), []);
  });

  it('8 is CAUTION, 9 WARNING, 10 VIOLATION, 11 still accepted and VIOLATION', async () => {
    const expected: [number, string][] = [
      [8, 'CAUTION'],
      [9, 'WARNING'],
      [10, 'VIOLATION'],
      [11, 'VIOLATION'],
    ];
    for (const [i, band] of expected) {
      const r = await heartbeat(h, key, node(`n${i}`));
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(r.body.limits, { active_count: i, max_nodes: 10, band });
      const list = await listNodes(h, cookie);
      assert.equal(list.body.active_count, i);
      assert.equal(list.body.band, band);
    }
    assert.equal((await listNodes(h, cookie)).body.nodes.length, 11);
  });

  it('writes exactly one audit event per change, with from, to and the counts', async () => {
    // Repeated reads and heartbeats inside one band add nothing.
    await listNodes(h, cookie);
    await beat(h, key, 'n11');
    const events = await bandEvents(h, 'acme');
    assert.deepEqual(
      events.map((e) => e.details),
      [
        { from: 'OK', to: 'CAUTION', active_count: 8, max_nodes: 10 },
        { from: 'CAUTION', to: 'WARNING', active_count: 9, max_nodes: 10 },
        { from: 'WARNING', to: 'VIOLATION', active_count: 10, max_nodes: 10 },
      ],
    );
    for (const e of events) {
      assert.equal(e.org_id, 'acme');
      assert.equal(e.target_type, 'organization');
      assert.equal(e.target_id, 'acme');
      assert.equal(e.actor_type, 'api_key');
    }
    assert.equal((await listNodes(h, cookie)).body.band_changed_at, events[2].created_at);
  });

  it('a read sees nodes go stale, moves the band back to OK and audits it once', async () => {
    h.clock.advance(FIVE_MINUTES + 1000);
    const first = await listNodes(h, cookie);
    assert.equal(first.body.active_count, 0);
    assert.equal(first.body.band, 'OK');
    assert.equal(first.body.band_changed_at, h.clock.now().toISOString());
    await listNodes(h, cookie);
    const events = await bandEvents(h, 'acme');
    assert.equal(events.length, 4);
    assert.deepEqual(events[3].details, { from: 'VIOLATION', to: 'OK', active_count: 0, max_nodes: 10 });
    // The session whose read observed the change is the recorded actor.
    assert.equal(events[3].actor_type, 'user');
  });

  it('a lowered limit is seen on the next heartbeat', async () => {
    await beat(h, key, 'n1');
    await h.admin('PATCH', '/api/v1/admin/organizations/acme', { max_nodes: 1 });
    const r = await beat(h, key, 'n1');
    assert.deepEqual(r.body.limits, { active_count: 1, max_nodes: 1, band: 'VIOLATION' });
    const events = await bandEvents(h, 'acme');
    assert.deepEqual(events.at(-1).details, { from: 'OK', to: 'VIOLATION', active_count: 1, max_nodes: 1 });
  });

  it('concurrent heartbeats crossing a boundary write one event per change', async () => {
    h.clock.advance(FIVE_MINUTES + 1000);
    await h.admin('PATCH', '/api/v1/admin/organizations/acme', { max_nodes: 10 });
    assert.equal((await listNodes(h, cookie)).body.band, 'OK');
    const before = (await bandEvents(h, 'acme')).length;
    await Promise.all(Array.from({ length: 8 }, (_, i) => beat(h, key, `c${i}`)));
    const list = await listNodes(h, cookie);
    assert.equal(list.body.active_count, 8);
    assert.equal(list.body.band, 'CAUTION');
    const added = (await bandEvents(h, 'acme')).slice(before);
    assert.deepEqual(added.map((e) => [e.details.from, e.details.to]), [['OK', 'CAUTION']]);
  });

  it('concurrent reads observing one change write one event, and the audit chain stays whole', async () => {
    h.clock.advance(FIVE_MINUTES + 1000);
    const before = (await bandEvents(h, 'acme')).length;
    const reads = await Promise.all(Array.from({ length: 10 }, () => h.call('GET', '/api/v1/nodes', { cookie })));
    for (const r of reads) {
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.band, 'OK');
    }
    const added = (await bandEvents(h, 'acme')).slice(before);
    assert.deepEqual(added.map((e) => [e.details.from, e.details.to]), [['CAUTION', 'OK']]);
    const verify = await h.admin('GET', '/api/v1/admin/audit/verify?org_id=acme');
    assert.equal(verify.status, 200, JSON.stringify(verify.body));
    assert.equal(verify.body.valid, true, JSON.stringify(verify.body));
  });
});

describe('max_nodes 0', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start();
    await h.createOrg('zero', { max_nodes: 0 });
  });
  after(() => h.close());

  it('is OK with no active node and VIOLATION with one, which is still accepted', async () => {
    const cookie = await h.login('zero');
    const list = await listNodes(h, cookie);
    assert.equal(list.body.band, 'OK');
    assert.equal(list.body.max_nodes, 0);
    const { key } = await h.apiKey('zero', ['nodes:write'], cookie);
    const r = await beat(h, key, 'only');
    assert.deepEqual(r.body.limits, { active_count: 1, max_nodes: 0, band: 'VIOLATION' });
    assert.deepEqual((await bandEvents(h, 'zero')).map((e) => e.details), [
      { from: 'OK', to: 'VIOLATION', active_count: 1, max_nodes: 0 },
    ]);
  });
});
