import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Harness } from '../helpers/harness.js';
import { heartbeat, node } from '../nodes/helpers.js';
import { sseEvents } from './sse.js';

/**
 * Upgrades across a restart of the service (h.restart(): the same database and clock, nothing kept in memory):
 * what was accepted and observed before goes on from there, the deadline job is still there, and time alone
 * (or a restart) never makes an upgrade look done.
 */

const DEADLINE_MS = 1800 * 1000;

const SUBSCRIPTION = `subscription($id: String!) { upgradeEvents(upgradeId: $id) { sequence fromStatus toStatus progress { desired updated } } }`;

describe('upgrades across a restart of the service', () => {
  let h: Harness;
  let n = 0;
  before(async () => {
    h = await Harness.start();
  });
  after(() => h.close());

  /** A fresh organization with agent nodes on 1.0.0, and an upgrade of them to 1.1.0. */
  async function upgradeOf(nodes: number) {
    const orgId = `rs${++n}`;
    await h.createOrg(orgId);
    let cookie = await h.login(orgId);
    const key = (await h.apiKey(orgId, ['nodes:write'], cookie)).key;
    const beat = async (id: string, version = '1.0.0') => {
      const r = await heartbeat(h, key, node(id, { version }));
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body.desired_version as string | null;
    };
    for (let i = 0; i < nodes; i++) await beat(`n${i}`);
    const t = await h.call('POST', '/api/v1/deployments/upgrade', { cookie, body: { service: 'agent', version: '1.1.0' } });
    assert.equal(t.status, 202, JSON.stringify(t.body));
    const upgradeId: string = t.body.upgrade_id;
    const read = async () => {
      const r = await h.call('GET', `/api/v1/deployments/upgrade/${upgradeId}`, { cookie });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body;
    };
    /** The audit trail of its status changes (reading it settles nothing), oldest first. */
    const trail = async () => {
      const r = await h.admin('GET', `/api/v1/admin/audit?org_id=${orgId}&action=deployments.upgrade_status&limit=500`);
      assert.equal(r.status, 200);
      return (r.body.events as any[]).filter((e) => e.target_id === upgradeId).reverse();
    };
    const stream = async () => {
      const r = await h.call('POST', '/graphql', { cookie, headers: { accept: 'text/event-stream' }, body: { query: SUBSCRIPTION, variables: { id: upgradeId } } });
      assert.equal(r.status, 200);
      return sseEvents(r.body as string);
    };
    /** Sessions end after 30 idle minutes; the operator logs in again after the clock jumps past a deadline. */
    const relogin = async () => {
      cookie = await h.login(orgId);
    };
    return { orgId, cookie: () => cookie, beat, upgradeId, read, trail, stream, relogin };
  }

  it('some nodes upgrade, the service restarts, the rest report: the new service sees SUCCESS', async () => {
    const u = await upgradeOf(3);
    assert.equal(await u.beat('n0'), '1.1.0');
    assert.equal(await u.beat('n1'), '1.1.0');
    assert.equal(await u.beat('n0', '1.1.0'), '1.1.0');
    const before = await u.read();
    assert.equal(before.status, 'IN_PROGRESS');
    assert.equal(before.success_count, 1);

    await h.restart();

    // The new service knows which nodes were targeted and what they were told.
    const resumed = await u.read();
    assert.equal(resumed.status, 'IN_PROGRESS');
    assert.deepEqual(
      resumed.progress.map((p: any) => [p.desired, p.delivered, p.updated]),
      [[3, 2, 1]],
    );
    assert.equal(await u.beat('n2'), '1.1.0', 'the node not yet told is told by the new service');
    assert.equal(await u.beat('n1', '1.1.0'), '1.1.0');
    assert.equal((await u.read()).status, 'IN_PROGRESS', 'not done while n2 has not reported');
    await u.beat('n2', '1.1.0');

    const end = await u.read();
    assert.equal(end.status, 'SUCCESS');
    assert.equal(end.success_count, 3);
    assert.equal(end.failed_count, 0);
    assert.ok(end.completed_at, 'completed');
    const events = await u.stream();
    assert.deepEqual(
      events.filter((e) => e.event === 'next').map((e) => [e.data.data.upgradeEvents.sequence, e.data.data.upgradeEvents.toStatus]),
      [[1, 'PENDING'], [2, 'IN_PROGRESS'], [3, 'SUCCESS']],
    );
    assert.equal(events.at(-1)?.event, 'complete');
    // The deadline job that comes due later finds it ended and changes nothing.
    h.clock.advance(DEADLINE_MS + 60_000);
    await h.runtime.jobs.runDue();
    assert.deepEqual((await u.trail()).map((e) => e.details.to), ['PENDING', 'IN_PROGRESS', 'SUCCESS']);
    await u.relogin();
    assert.equal((await u.read()).status, 'SUCCESS');
  });

  it('one of two nodes upgrades, the service restarts, the deadline passes: the new runtime\'s deadline job ends it PARTIAL', async () => {
    const u = await upgradeOf(2);
    assert.equal(await u.beat('n0'), '1.1.0');
    assert.equal(await u.beat('n1'), '1.1.0');
    await u.beat('n0', '1.1.0');
    await h.runtime.jobs.runDue(); // not due yet: nothing happens
    assert.equal((await u.trail()).length, 2);

    await h.restart();
    h.clock.advance(DEADLINE_MS + 60_000);
    const ran = await h.runtime.jobs.runDue();
    assert.ok(ran >= 1, `the deadline job ran on the new runtime (${ran} ran)`);

    // The audit trail, which settles nothing on reading, shows the job's move: the job survived the restart.
    const trail = await u.trail();
    assert.deepEqual(trail.map((e) => e.details.to), ['PENDING', 'IN_PROGRESS', 'PARTIAL']);
    assert.equal(trail[2].actor_type, 'system', 'made by the deadline job, not by a reader or a heartbeat');
    await u.relogin();
    const end = await u.read();
    assert.equal(end.status, 'PARTIAL');
    assert.equal(end.success_count, 1);
    assert.equal(end.failed_count, 1);
    assert.match(end.error_message, /1 of 2 nodes reported/);
    assert.equal(await u.beat('n1', '1.1.0'), null, 'an ended upgrade asks nothing of the late node');
    assert.equal((await u.read()).status, 'PARTIAL', 'and its late report changes nothing');
  });

  it('a PENDING upgrade survives a restart: it can still be cancelled, and the deadline job then has nothing to do', async () => {
    const u = await upgradeOf(1);
    await h.restart();
    assert.equal((await u.read()).status, 'PENDING');
    const c = await h.call('POST', `/api/v1/deployments/upgrade/${u.upgradeId}/cancel`, { cookie: u.cookie() });
    assert.equal(c.status, 200, JSON.stringify(c.body));
    assert.equal(c.body.status, 'CANCELLED');
    assert.equal(await u.beat('n0'), null, 'a cancelled upgrade tells no node anything');
    h.clock.advance(DEADLINE_MS + 60_000);
    await h.runtime.jobs.runDue();
    assert.deepEqual((await u.trail()).map((e) => e.details.to), ['PENDING', 'CANCELLED']);
  });

  it('restarts, time and reads alone never make it SUCCESS: only the heartbeats do', async () => {
    const u = await upgradeOf(2);
    assert.equal(await u.beat('n0'), '1.1.0');
    await u.beat('n0', '1.1.0');
    for (let round = 0; round < 3; round++) {
      await h.restart();
      h.clock.advance(5 * 60_000);
      await h.runtime.jobs.runDue();
      const seen = await u.read();
      assert.equal(seen.status, 'IN_PROGRESS', `after restart ${round + 1}`);
      assert.equal(seen.success_count, 1);
      const versions = await h.call('GET', '/api/v1/deployments/versions', { cookie: u.cookie() });
      const agent = versions.body.services.find((s: any) => s.service === 'agent');
      assert.equal(agent.upgrade_running, true);
      assert.equal(agent.active_upgrade_id, u.upgradeId);
    }
    // n1 never reports 1.1.0: at the deadline it is PARTIAL, however many restarts came before.
    h.clock.advance(DEADLINE_MS);
    await h.restart();
    await h.runtime.jobs.runDue();
    await u.relogin();
    const end = await u.read();
    assert.equal(end.status, 'PARTIAL');
    assert.deepEqual((await u.trail()).map((e) => e.details.to), ['PENDING', 'IN_PROGRESS', 'PARTIAL']);
  });

  it('a PENDING upgrade no node came back to ends FAILED after a restart, never SUCCESS', async () => {
    const u = await upgradeOf(1);
    await h.restart();
    h.clock.advance(10 * 60_000);
    assert.equal((await u.read()).status, 'PENDING');
    h.clock.advance(DEADLINE_MS);
    await h.runtime.jobs.runDue();
    const trail = await u.trail();
    assert.deepEqual(trail.map((e) => e.details.to), ['PENDING', 'FAILED']);
    assert.equal(trail[1].actor_type, 'system', 'made by the deadline job');
    await u.relogin();
    const end = await u.read();
    assert.equal(end.status, 'FAILED');
    assert.equal(end.success_count, 0);
    assert.equal(end.failed_count, 1);
    assert.match(end.error_message, /no targeted node sent a heartbeat before the deadline/);
  });
});
