import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type ApiResult, Harness } from '../helpers/harness.js';
import { beat } from '../nodes/helpers.js';

// The deployments REST contract end to end: what runs where, an upgrade accepted (202, not done), its status
// observed in heartbeats (PENDING -> IN_PROGRESS -> SUCCESS, or FAILED / PARTIAL at the deadline), the refusals
// with their reasons, one active upgrade per organization, retries, cancel, history and the audit trail.

const MINUTE = 60_000;
const HEARTBEAT_EVERY = 2 * MINUTE;

interface Org {
  id: string;
  cookie: string;
  key: string;
}

type NodeSpec = [nodeId: string, role: string, version: string];

let orgCount = 0;
async function newOrg(h: Harness, name: string): Promise<Org> {
  const id = `${name}-${++orgCount}`;
  await h.createOrg(id, { tier: 'ENTERPRISE' });
  const cookie = await h.login(id);
  const key = (await h.apiKey(id, ['nodes:write'], cookie)).key;
  return { id, cookie, key };
}

/** One heartbeat; answers the desired_version the control plane sent back. */
async function report(h: Harness, org: Org, nodeId: string, version: string, role = 'agent'): Promise<string | null> {
  const r = await beat(h, org.key, nodeId, { role, version });
  assert.ok('desired_version' in r.body, `the heartbeat answer carries desired_version: ${JSON.stringify(r.body)}`);
  return r.body.desired_version;
}

async function reportAll(h: Harness, org: Org, nodes: NodeSpec[]): Promise<Record<string, string | null>> {
  const out: Record<string, string | null> = {};
  for (const [id, role, version] of nodes) out[id] = await report(h, org, id, version, role);
  return out;
}

/** Time passes as it does for live nodes: each of them heartbeats every 2 minutes. */
async function liveFor(h: Harness, org: Org, ms: number, nodes: NodeSpec[]): Promise<void> {
  for (let t = 0; t < ms; t += HEARTBEAT_EVERY) {
    h.clock.advance(Math.min(HEARTBEAT_EVERY, ms - t));
    await reportAll(h, org, nodes);
  }
}

function trigger(h: Harness, org: Org, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<ApiResult> {
  return h.call('POST', '/api/v1/deployments/upgrade', { cookie: org.cookie, body, headers });
}

async function accepted(h: Harness, org: Org, body: Record<string, unknown>): Promise<any> {
  const r = await trigger(h, org, body);
  assert.equal(r.status, 202, JSON.stringify(r.body));
  return r.body;
}

async function upgrade(h: Harness, org: Org, id: string): Promise<any> {
  const r = await h.call('GET', `/api/v1/deployments/upgrade/${id}`, { cookie: org.cookie });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

async function cancel(h: Harness, org: Org, id: string): Promise<ApiResult> {
  return h.call('POST', `/api/v1/deployments/upgrade/${id}/cancel`, { cookie: org.cookie });
}

async function history(h: Harness, org: Org, query = ''): Promise<any> {
  const r = await h.call('GET', `/api/v1/deployments/upgrades${query}`, { cookie: org.cookie });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

async function versions(h: Harness, org: Org): Promise<Record<string, any>> {
  const r = await h.call('GET', '/api/v1/deployments/versions', { cookie: org.cookie });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return Object.fromEntries(r.body.services.map((s: any) => [s.service, s]));
}

/** The upgrade's status changes as the audit trail has them, oldest first. */
async function auditedMoves(h: Harness, org: Org, upgradeId: string): Promise<any[]> {
  const r = await h.admin('GET', `/api/v1/admin/audit?org_id=${org.id}&action=deployments.upgrade_status&limit=500`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.events.filter((e: any) => e.target_id === upgradeId).reverse();
}

function assertRefused(r: ApiResult, field: string, message: RegExp): void {
  assert.equal(r.status, 400, JSON.stringify(r.body));
  assert.equal(r.body.error.code, 'INVALID_INPUT');
  assert.equal(r.body.error.field, field, JSON.stringify(r.body));
  assert.match(r.body.error.message, message);
}

describe('deployments REST contract', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start();
  });
  after(() => h.close());

  describe('GET /api/v1/deployments/versions', () => {
    it('reports what active nodes run, with counts, current = lowest, latest and the reachable versions', async () => {
      const org = await newOrg(h, 'shape');
      await report(h, org, 'gone', '0.9.0');
      h.clock.advance(6 * MINUTE); // "gone" is no longer active: it does not count
      await reportAll(h, org, [['a1', 'agent', '1.1.0'], ['a2', 'agent', '1.0.0'], ['a3', 'agent', '1.1.0'], ['p1', 'customer-portal', '1.2.0']]);
      const r = await h.call('GET', '/api/v1/deployments/versions', { cookie: org.cookie });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.services.map((s: any) => s.service), ['agent', 'orchestrator', 'customer-portal']);
      const [agent, orchestrator, portal] = r.body.services;
      assert.deepEqual(agent.reported, [{ version: '1.1.0', count: 2 }, { version: '1.0.0', count: 1 }]);
      assert.equal(agent.current, '1.0.0', 'the lowest version is where an upgrade starts');
      assert.equal(agent.latest, '2.1.0');
      assert.deepEqual(
        agent.available.map((a: any) => [a.version, a.required_stop]),
        [['1.1.0', false], ['2.0.0', true]],
        'up to and including the required stop 2.0.0; 2.1.0 is beyond it',
      );
      assert.deepEqual(Object.keys(agent.available[0]).sort(), ['notes', 'published_at', 'required_stop', 'service', 'version']);
      assert.equal(agent.upgrade_running, false);
      assert.equal(agent.active_upgrade_id, null);
      assert.deepEqual(orchestrator, {
        service: 'orchestrator',
        reported: [],
        current: null,
        latest: '2.1.0',
        available: [],
        upgrade_running: false,
        active_upgrade_id: null,
      });
      assert.deepEqual(portal.reported, [{ version: '1.2.0', count: 1 }]);
      assert.equal(portal.current, '1.2.0');
      assert.equal(portal.latest, '1.2.0');
      assert.deepEqual(portal.available, [], 'nothing newer than 1.2.0 is published');
    });

    it('counts a node with a non-semantic version but starts from the lowest semantic one', async () => {
      const org = await newOrg(h, 'devbuild');
      await reportAll(h, org, [['a1', 'agent', 'dev-build'], ['a2', 'agent', '2.0.0']]);
      const { agent } = await versions(h, org);
      assert.deepEqual(agent.reported, [{ version: '2.0.0', count: 1 }, { version: 'dev-build', count: 1 }]);
      assert.equal(agent.current, '2.0.0');
      assert.deepEqual(agent.available.map((a: any) => a.version), ['2.1.0']);
    });

    it('names the running upgrade on the services it targets only', async () => {
      const org = await newOrg(h, 'running');
      await reportAll(h, org, [['a1', 'agent', '1.1.0'], ['p1', 'customer-portal', '1.1.0']]);
      const up = await accepted(h, org, { service: 'agent', version: '2.0.0' });
      const v = await versions(h, org);
      assert.equal(v.agent.upgrade_running, true);
      assert.equal(v.agent.active_upgrade_id, up.upgrade_id);
      assert.equal(v['customer-portal'].upgrade_running, false);
      assert.equal(v['customer-portal'].active_upgrade_id, null);
      assert.equal((await cancel(h, org, up.upgrade_id)).status, 200);
      const afterCancel = await versions(h, org);
      assert.equal(afterCancel.agent.upgrade_running, false);
      assert.equal(afterCancel.agent.active_upgrade_id, null);
    });
  });

  describe('POST /api/v1/deployments/upgrade: 202 Accepted, then observed', () => {
    it('answers 202 with the upgrade, PENDING, and a Location to follow', async () => {
      const org = await newOrg(h, 'accept');
      await reportAll(h, org, [['a1', 'agent', '1.1.0'], ['a2', 'agent', '1.1.0']]);
      const admin = await h.userSession(org.id, 'admin', org.cookie);
      const r = await h.call('POST', '/api/v1/deployments/upgrade', { cookie: admin.cookie, body: { service: 'agent', version: '2.0.0' } });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      const body = r.body;
      assert.match(body.upgrade_id, /^upg_/);
      assert.equal(body.status, 'PENDING');
      assert.deepEqual(body.services, ['agent']);
      assert.equal(body.version, '2.0.0');
      assert.match(body.message, /agent to 2\.0\.0 on 2 nodes/);
      assert.match(body.message, /Acceptance is not completion/);
      assert.equal(typeof body.estimated_time, 'string');
      assert.ok(body.estimated_time.length > 0);
      assert.equal(body.initiated_by, admin.email);
      assert.equal(body.success_count, 0);
      assert.equal(body.failed_count, 0);
      assert.equal(body.started_at, null);
      assert.equal(body.completed_at, null);
      assert.equal(body.error_message, null);
      assert.deepEqual(body.progress.map((p: any) => [p.service, p.target_version, p.desired, p.updated, p.total]), [['agent', '2.0.0', 2, 0, 2]]);
      assert.equal(body.deadline_at, new Date(h.clock.now().getTime() + 1800_000).toISOString(), 'the default deadline is 30 minutes');
      assert.equal(r.headers.get('location'), `/api/v1/deployments/upgrade/${body.upgrade_id}`);
      const followed = await h.call('GET', r.headers.get('location')!, { cookie: org.cookie });
      assert.equal(followed.status, 200);
      assert.equal(followed.body.upgrade_id, body.upgrade_id);
      assert.equal(followed.body.status, 'PENDING');
      await cancel(h, org, body.upgrade_id);
    });

    it('moves PENDING -> IN_PROGRESS -> SUCCESS only when every targeted node reported the target version', async () => {
      const org = await newOrg(h, 'success');
      await reportAll(h, org, [['a1', 'agent', '1.1.0'], ['a2', 'agent', '1.1.0']]);
      const up = await accepted(h, org, { service: 'agent', version: '2.0.0' });
      const id = up.upgrade_id;
      assert.equal((await upgrade(h, org, id)).status, 'PENDING', 'no node has been told yet');

      h.clock.advance(HEARTBEAT_EVERY);
      assert.equal(await report(h, org, 'a1', '1.1.0'), '2.0.0', 'the first heartbeat after the trigger is told the version');
      const started = await upgrade(h, org, id);
      assert.equal(started.status, 'IN_PROGRESS');
      assert.equal(started.started_at, h.clock.now().toISOString());
      assert.equal(started.success_count, 0);
      assert.equal(await report(h, org, 'a2', '1.1.0'), '2.0.0');

      h.clock.advance(HEARTBEAT_EVERY);
      assert.equal(await report(h, org, 'a1', '2.0.0'), '2.0.0');
      assert.equal(await report(h, org, 'a2', '1.1.0'), '2.0.0', 'a2 is still asked to move');
      const half = await upgrade(h, org, id);
      assert.notEqual(half.status, 'SUCCESS', 'one targeted node still reports 1.1.0');
      assert.equal(half.status, 'IN_PROGRESS');
      assert.equal(half.success_count, 1);
      assert.equal(half.completed_at, null);
      assert.deepEqual(half.progress.map((p: any) => [p.desired, p.updated, p.total]), [[2, 1, 2]]);

      h.clock.advance(HEARTBEAT_EVERY);
      await report(h, org, 'a2', '2.0.0');
      const done = await upgrade(h, org, id);
      assert.equal(done.status, 'SUCCESS');
      assert.equal(done.success_count, 2);
      assert.equal(done.failed_count, 0);
      assert.equal(done.error_message, null);
      assert.equal(done.completed_at, h.clock.now().toISOString());
      assert.deepEqual(done.progress.map((p: any) => [p.service, p.target_version, p.desired, p.updated, p.total]), [['agent', '2.0.0', 2, 2, 2]]);
      const v = await versions(h, org);
      assert.equal(v.agent.current, '2.0.0');
      assert.equal(v.agent.upgrade_running, false);

      const moves = await auditedMoves(h, org, id);
      assert.deepEqual(moves.map((e) => [e.details.from, e.details.to]), [[null, 'PENDING'], ['PENDING', 'IN_PROGRESS'], ['IN_PROGRESS', 'SUCCESS']]);
      for (const e of moves) {
        assert.equal(typeof e.details.reason, 'string');
        assert.ok(e.details.reason.length > 0, JSON.stringify(e.details));
        assert.deepEqual(e.details.services, ['agent@2.0.0']);
        assert.equal(e.target_type, 'upgrade');
      }
      assert.match(moves[1].details.reason, /heartbeat/);
      assert.match(moves[2].details.reason, /every targeted node \(2\) reported/);
      assert.equal(moves[0].actor_type, 'user', 'the trigger is the user\'s');
      assert.equal(moves[2].actor_type, 'api_key', 'the completion was observed in a node\'s heartbeat');
    });

    it('stays SUCCESS once ended: later heartbeats change nothing and are told no version', async () => {
      const org = await newOrg(h, 'final');
      await report(h, org, 'a1', '1.1.0');
      const { upgrade_id: id } = await accepted(h, org, { service: 'agent', version: '2.0.0' });
      assert.equal(await report(h, org, 'a1', '1.1.0'), '2.0.0');
      h.clock.advance(HEARTBEAT_EVERY);
      await report(h, org, 'a1', '2.0.0');
      const done = await upgrade(h, org, id);
      assert.equal(done.status, 'SUCCESS');
      h.clock.advance(HEARTBEAT_EVERY);
      assert.equal(await report(h, org, 'a1', '2.0.0'), null, 'nothing more to do');
      assert.equal(await report(h, org, 'a1', '1.1.0'), null, 'a node that rolled back by itself is not asked again by an ended upgrade');
      const later = await upgrade(h, org, id);
      assert.equal(later.status, 'SUCCESS');
      assert.equal(later.sequence, done.sequence);
      assert.equal(later.completed_at, done.completed_at);
      assert.equal((await auditedMoves(h, org, id)).length, 3);
    });

    it('lists each status change once, in order, on the upgradeEvents subscription', async () => {
      const org = await newOrg(h, 'events');
      await report(h, org, 'a1', '1.0.0');
      const { upgrade_id: id } = await accepted(h, org, { service: 'agent', version: '1.1.0' });
      await report(h, org, 'a1', '1.0.0');
      await report(h, org, 'a1', '1.1.0');
      const r = await h.call('POST', '/graphql', {
        cookie: org.cookie,
        headers: { accept: 'text/event-stream' },
        body: { query: 'subscription($id: String!) { upgradeEvents(upgradeId: $id) { sequence fromStatus toStatus reason } }', variables: { id } },
      });
      assert.equal(r.status, 200);
      const events = String(r.body)
        .split('\n')
        .filter((l) => l.startsWith('data: {'))
        .map((l) => JSON.parse(l.slice(6)).data.upgradeEvents);
      assert.deepEqual(events.map((e) => [e.sequence, e.fromStatus, e.toStatus]), [[1, null, 'PENDING'], [2, 'PENDING', 'IN_PROGRESS'], [3, 'IN_PROGRESS', 'SUCCESS']]);
      assert.match(String(r.body), /event: complete/, 'the stream ends with the final status');
    });

    it('does not call a forced redeploy done on the heartbeat that only just told the node', async () => {
      const org = await newOrg(h, 'redeploy');
      await report(h, org, 'a1', '1.1.0');
      const { upgrade_id: id } = await accepted(h, org, { service: 'agent', version: '1.1.0', force_new_deployment: true });
      h.clock.advance(HEARTBEAT_EVERY);
      assert.equal(await report(h, org, 'a1', '1.1.0'), '1.1.0', 'the node is asked to redeploy 1.1.0');
      // That heartbeat showed the version the node ran before it was told: no evidence of a redeploy yet.
      const told = await upgrade(h, org, id);
      assert.equal(told.status, 'IN_PROGRESS', `${told.status}: ${told.reason}`);
      assert.equal(told.success_count, 0);
      h.clock.advance(HEARTBEAT_EVERY);
      await report(h, org, 'a1', '1.1.0');
      assert.equal((await upgrade(h, org, id)).status, 'SUCCESS', 'reported at the next heartbeat, after it was told');
    });

    it('does not count or tell a node that joined after the trigger until the upgrade is IN_PROGRESS', async () => {
      const org = await newOrg(h, 'joiner');
      await report(h, org, 'a1', '1.1.0');
      const { upgrade_id: id } = await accepted(h, org, { service: 'agent', version: '2.0.0' });
      assert.equal(await report(h, org, 'late', '1.1.0'), null, 'PENDING can still be cancelled: a newcomer is not told');
      assert.equal((await upgrade(h, org, id)).status, 'PENDING', 'a node that was not targeted does not start it');
      assert.equal(await report(h, org, 'a1', '1.1.0'), '2.0.0');
      assert.equal(await report(h, org, 'late', '1.1.0'), '2.0.0', 'once IN_PROGRESS it follows along');
      h.clock.advance(HEARTBEAT_EVERY);
      await report(h, org, 'a1', '2.0.0');
      const done = await upgrade(h, org, id);
      assert.equal(done.status, 'SUCCESS', 'only the targeted node counts');
      assert.deepEqual(done.progress.map((p: any) => [p.desired, p.updated, p.total]), [[1, 1, 2]]);
    });
  });

  describe('refusals: 400 with the reason, and nothing accepted', () => {
    let org: Org;
    before(async () => {
      org = await newOrg(h, 'rules');
    });

    async function refused(body: Record<string, unknown>, field: string, message: RegExp): Promise<void> {
      await reportAll(h, org, [['a1', 'agent', '1.1.0'], ['a2', 'agent', '1.1.0'], ['p1', 'customer-portal', '1.2.0']]);
      const before = (await history(h, org)).total;
      const r = await trigger(h, org, body);
      assertRefused(r, field, message);
      assert.equal((await history(h, org)).total, before, 'no upgrade was recorded');
      assert.equal(await report(h, org, 'a1', '1.1.0'), null, 'no node is asked to move');
    }

    /** Accepted, then cancelled so the next case starts with no active upgrade. */
    async function acceptedThenCancelled(body: Record<string, unknown>): Promise<any> {
      await reportAll(h, org, [['a1', 'agent', '1.1.0'], ['a2', 'agent', '1.1.0'], ['p1', 'customer-portal', '1.2.0']]);
      const up = await accepted(h, org, body);
      assert.equal((await cancel(h, org, up.upgrade_id)).status, 200);
      return up;
    }

    it('an unpublished version, naming the published ones', async () => {
      await refused({ service: 'agent', version: '9.9.9' }, 'version', /9\.9\.9 is not a published agent release \(latest: 1\.0\.0, 1\.1\.0, 2\.0\.0, 2\.1\.0\)/);
    });

    it('a downgrade without force_new_deployment; 202 with it', async () => {
      await refused({ service: 'agent', version: '1.0.0' }, 'version', /1\.0\.0 is a downgrade: agent nodes run 1\.1\.0; force a new deployment to roll back/);
      const up = await acceptedThenCancelled({ service: 'agent', version: '1.0.0', force_new_deployment: true });
      assert.equal(up.version, '1.0.0');
      assert.equal(up.force_new_deployment, true);
    });

    it('a jump past the required stop 2.0.0 from 1.1.0, even forced; 202 to 2.0.0', async () => {
      await refused({ service: 'agent', version: '2.1.0' }, 'version', /2\.1\.0 is past the required stop 2\.0\.0 for agent nodes on 1\.1\.0: upgrade to 2\.0\.0 first/);
      await refused({ service: 'agent', version: '2.1.0', force_new_deployment: true }, 'version', /past the required stop 2\.0\.0/);
      const up = await acceptedThenCancelled({ service: 'agent', version: '2.0.0' });
      assert.equal(up.version, '2.0.0');
    });

    it('a redeploy of the running version without force; 202 with it', async () => {
      await refused({ service: 'agent', version: '1.1.0' }, 'version', /1\.1\.0 already runs on every agent node; force a new deployment to redeploy it/);
      const up = await acceptedThenCancelled({ service: 'agent', version: '1.1.0', force_new_deployment: true });
      assert.deepEqual(up.progress.map((p: any) => [p.target_version, p.desired]), [['1.1.0', 2]]);
    });

    it('a service with no active node', async () => {
      await refused({ service: 'orchestrator', version: '2.0.0' }, 'service', /orchestrator has no active node .*nothing to upgrade/);
      // A node that stopped reporting more than 5 minutes ago is not active either.
      const quiet = await newOrg(h, 'quiet');
      await report(h, quiet, 'o1', '1.0.0', 'orchestrator');
      h.clock.advance(5 * MINUTE + 1000);
      assertRefused(await trigger(h, quiet, { service: 'orchestrator', version: '1.1.0' }), 'service', /orchestrator has no active node/);
    });

    it('an unknown service, naming the ones there are', async () => {
      await refused({ service: 'billing', version: '2.0.0' }, 'service', /must be one of agent, orchestrator, customer-portal/);
      const r = await trigger(h, org, { service: 'billing', version: '2.0.0' });
      assert.match(r.body.error.message, /\ball\b/, `"all" is a service this route takes: ${r.body.error.message}`);
    });

    it('a version that is not a string, a missing service, an unknown body field, a non-boolean force', async () => {
      await refused({ service: 'agent', version: 2 }, 'version', /^version must be a string$/);
      await refused({ version: '2.0.0' }, 'service', /^service is required$/);
      await refused({ service: 'agent', version: '2.0.0', force: true }, 'force', /^force is not a field this route takes$/);
      await refused({ service: 'agent', version: '2.0.0', force_new_deployment: 'yes' }, 'force_new_deployment', /must be true or false/);
    });

    it('defaults the version to latest: from 1.1.0 that is past the stop, and says so', async () => {
      await refused({ service: 'agent' }, 'version', /2\.1\.0 is past the required stop 2\.0\.0/);
    });
  });

  describe('service "all"', () => {
    it('upgrades the services that are behind and skips the ones already current', async () => {
      const org = await newOrg(h, 'all');
      await reportAll(h, org, [['a1', 'agent', '2.1.0'], ['p1', 'customer-portal', '1.0.0']]);
      const up = await accepted(h, org, { service: 'all', version: 'latest' });
      assert.deepEqual(up.services, ['customer-portal'], 'agent runs 2.1.0 already; orchestrator has no node');
      assert.equal(up.version, '1.2.0');
      assert.match(up.message, /customer-portal to 1\.2\.0 on 1 node/);
      assert.match(up.message, /agent already current/);
      assert.equal(await report(h, org, 'a1', '2.1.0'), null, 'the current service is not touched');
      assert.equal(await report(h, org, 'p1', '1.0.0', 'customer-portal'), '1.2.0');
      await report(h, org, 'p1', '1.2.0', 'customer-portal');
      assert.equal((await upgrade(h, org, up.upgrade_id)).status, 'SUCCESS');

      const before = (await history(h, org)).total;
      const nothing = await trigger(h, org, { service: 'all', version: 'latest' });
      assertRefused(nothing, 'service', /every service with active nodes already runs latest: nothing to upgrade/);
      assert.equal((await history(h, org)).total, before);
    });

    it('refuses when no service has an active node', async () => {
      const org = await newOrg(h, 'empty');
      assertRefused(await trigger(h, org, { service: 'all', version: 'latest' }), 'service', /no service has an active node: nothing to upgrade/);
      assert.equal((await history(h, org)).total, 0);
    });
  });

  describe('one active upgrade per organization', () => {
    it('answers 409 naming the active upgrade to a second trigger', async () => {
      const org = await newOrg(h, 'busy');
      await reportAll(h, org, [['a1', 'agent', '1.1.0'], ['p1', 'customer-portal', '1.0.0']]);
      const first = await accepted(h, org, { service: 'agent', version: '2.0.0' });
      const second = await trigger(h, org, { service: 'customer-portal', version: '1.2.0' });
      assert.equal(second.status, 409, JSON.stringify(second.body));
      assert.equal(second.body.error.code, 'CONFLICT');
      assert.match(second.body.error.message, new RegExp(`upgrade ${first.upgrade_id} \\(PENDING: agent to 2\\.0\\.0\\) is still active`));
      assert.equal((await history(h, org)).total, 1);
      assert.equal(await report(h, org, 'p1', '1.0.0', 'customer-portal'), null);
      // Still 409 while it is IN_PROGRESS.
      await report(h, org, 'a1', '1.1.0');
      const third = await trigger(h, org, { service: 'customer-portal', version: '1.2.0' });
      assert.equal(third.status, 409);
      assert.match(third.body.error.message, /IN_PROGRESS/);
    });

    it('lets exactly one of two concurrent triggers win', async () => {
      const org = await newOrg(h, 'race');
      await reportAll(h, org, [['a1', 'agent', '1.1.0'], ['p1', 'customer-portal', '1.0.0']]);
      const [a, b] = await Promise.all([
        trigger(h, org, { service: 'agent', version: '2.0.0' }),
        trigger(h, org, { service: 'customer-portal', version: '1.2.0' }),
      ]);
      assert.deepEqual([a.status, b.status].sort(), [202, 409], `${JSON.stringify(a.body)} ${JSON.stringify(b.body)}`);
      const [won, lost] = a.status === 202 ? [a, b] : [b, a];
      assert.equal(lost.body.error.code, 'CONFLICT');
      assert.match(lost.body.error.message, /still active|at the same moment/);
      const list = await history(h, org);
      assert.equal(list.total, 1);
      assert.equal(list.upgrades[0].upgrade_id, won.body.upgrade_id);
    });
  });

  describe('Idempotency-Key', () => {
    it('answers a retry with the first answer, and makes no second upgrade', async () => {
      const org = await newOrg(h, 'retry');
      await report(h, org, 'a1', '1.1.0');
      const headers = { 'idempotency-key': 'upgrade-2026-06-01' };
      const first = await trigger(h, org, { service: 'agent', version: '2.0.0' }, headers);
      assert.equal(first.status, 202, JSON.stringify(first.body));
      assert.equal(first.headers.get('idempotency-replayed'), null);
      // The upgrade moves on; the retry is still the same request and gets the same answer, not a 409.
      assert.equal(await report(h, org, 'a1', '1.1.0'), '2.0.0');
      const retry = await trigger(h, org, { service: 'agent', version: '2.0.0' }, headers);
      assert.equal(retry.status, 202, JSON.stringify(retry.body));
      assert.equal(retry.headers.get('idempotency-replayed'), 'true');
      assert.equal(retry.body.upgrade_id, first.body.upgrade_id);
      assert.deepEqual(retry.body, first.body);
      assert.equal(retry.headers.get('location'), first.headers.get('location'));
      assert.equal(retry.headers.get('location'), `/api/v1/deployments/upgrade/${first.body.upgrade_id}`);
      const list = await history(h, org);
      assert.equal(list.total, 1);
      assert.equal(list.upgrades[0].status, 'IN_PROGRESS');
      assert.equal((await auditedMoves(h, org, first.body.upgrade_id)).filter((e) => e.details.to === 'PENDING').length, 1);
    });
  });

  describe('POST /api/v1/deployments/upgrade/{id}/cancel', () => {
    it('cancels a PENDING upgrade: 200 CANCELLED, and no node is told', async () => {
      const org = await newOrg(h, 'cancel');
      await report(h, org, 'a1', '1.1.0');
      const { upgrade_id: id } = await accepted(h, org, { service: 'agent', version: '2.0.0' });
      h.clock.advance(MINUTE);
      const r = await cancel(h, org, id);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.upgrade_id, id);
      assert.equal(r.body.status, 'CANCELLED');
      assert.equal(r.body.completed_at, h.clock.now().toISOString());
      assert.equal(r.body.started_at, null);
      assert.equal(await report(h, org, 'a1', '1.1.0'), null, 'a cancelled upgrade tells no node');
      assert.equal((await upgrade(h, org, id)).status, 'CANCELLED');
      const again = await cancel(h, org, id);
      assert.equal(again.status, 409);
      assert.match(again.body.error.message, /already ended CANCELLED/);
      const moves = await auditedMoves(h, org, id);
      assert.deepEqual(moves.map((e) => [e.details.from, e.details.to]), [[null, 'PENDING'], ['PENDING', 'CANCELLED']]);
      assert.match(moves[1].details.reason, /cancelled before any node was told/);
      // The organization may upgrade again.
      const next = await accepted(h, org, { service: 'agent', version: '2.0.0' });
      assert.notEqual(next.upgrade_id, id);
    });

    it('refuses once IN_PROGRESS: 409, and the upgrade goes on', async () => {
      const org = await newOrg(h, 'nocancel');
      await report(h, org, 'a1', '1.1.0');
      const { upgrade_id: id } = await accepted(h, org, { service: 'agent', version: '2.0.0' });
      await report(h, org, 'a1', '1.1.0');
      const r = await cancel(h, org, id);
      assert.equal(r.status, 409, JSON.stringify(r.body));
      assert.equal(r.body.error.code, 'CONFLICT');
      assert.match(r.body.error.message, /IN_PROGRESS: the version already reached nodes, so it can no longer be cancelled/);
      assert.equal((await upgrade(h, org, id)).status, 'IN_PROGRESS');
      assert.equal(await report(h, org, 'a1', '1.1.0'), '2.0.0');
    });

    it('answers 404 for an unknown upgrade', async () => {
      const org = await newOrg(h, 'unknown');
      const r = await cancel(h, org, 'upg_doesnotexist');
      assert.equal(r.status, 404);
      assert.equal(r.body.error.code, 'NOT_FOUND');
      assert.match(r.body.error.message, /upgrade upg_doesnotexist not found/);
      const g = await h.call('GET', '/api/v1/deployments/upgrade/upg_doesnotexist', { cookie: org.cookie });
      assert.equal(g.status, 404);
      assert.match(g.body.error.message, /upgrade upg_doesnotexist not found/);
    });
  });

  describe('GET /api/v1/deployments/upgrades: history', () => {
    it('lists upgrades newest first, with limit and cursor, and the documented fields', async () => {
      const org = await newOrg(h, 'history');
      await report(h, org, 'a1', '1.0.0');
      const cancelled = await accepted(h, org, { service: 'agent', version: '1.1.0' });
      await cancel(h, org, cancelled.upgrade_id);
      h.clock.advance(MINUTE);
      const succeeded = await accepted(h, org, { service: 'agent', version: '1.1.0' });
      await report(h, org, 'a1', '1.0.0');
      h.clock.advance(MINUTE);
      await report(h, org, 'a1', '1.1.0');
      h.clock.advance(MINUTE);
      const pending = await accepted(h, org, { service: 'agent', version: '2.0.0' });

      const all = await history(h, org);
      assert.equal(all.total, 3);
      assert.equal(all.next_cursor, null);
      assert.deepEqual(all.upgrades.map((u: any) => [u.upgrade_id, u.status]), [
        [pending.upgrade_id, 'PENDING'],
        [succeeded.upgrade_id, 'SUCCESS'],
        [cancelled.upgrade_id, 'CANCELLED'],
      ]);
      for (const u of all.upgrades) {
        for (const field of ['upgrade_id', 'status', 'services', 'version', 'initiated_by', 'success_count', 'failed_count', 'started_at', 'completed_at', 'error_message']) {
          assert.ok(field in u, `${field} in ${JSON.stringify(u)}`);
        }
      }
      const done = all.upgrades[1];
      assert.deepEqual(done.services, ['agent']);
      assert.equal(done.version, '1.1.0');
      assert.equal(done.initiated_by, `${org.id} Inc`);
      assert.equal(done.success_count, 1);
      assert.equal(done.failed_count, 0);
      assert.equal(done.error_message, null);
      assert.ok(done.started_at && done.completed_at && done.started_at < done.completed_at);

      const page1 = await history(h, org, '?limit=2');
      assert.deepEqual(page1.upgrades.map((u: any) => u.upgrade_id), [pending.upgrade_id, succeeded.upgrade_id]);
      assert.equal(page1.total, 3);
      assert.equal(typeof page1.next_cursor, 'string');
      const page2 = await history(h, org, `?limit=2&cursor=${encodeURIComponent(page1.next_cursor)}`);
      assert.deepEqual(page2.upgrades.map((u: any) => u.upgrade_id), [cancelled.upgrade_id]);
      assert.equal(page2.next_cursor, null);

      const tooMany = await h.call('GET', '/api/v1/deployments/upgrades?limit=101', { cookie: org.cookie });
      assert.equal(tooMany.status, 400);
      assert.match(tooMany.body.error.message, /^limit must be a whole number from 1 to 100/);
    });
  });
});

describe('the deadline: FAILED or PARTIAL, observed', () => {
  let h: Harness;
  const DEADLINE = 600_000;
  before(async () => {
    h = await Harness.start({ upgradeDeadlineSeconds: 600 });
  });
  after(() => h.close());

  /** Live nodes up to just before the deadline, then past it with no heartbeat in between, then the job. */
  async function pastDeadline(org: Org, nodes: NodeSpec[]): Promise<void> {
    await liveFor(h, org, DEADLINE - HEARTBEAT_EVERY, nodes);
    h.clock.advance(HEARTBEAT_EVERY + 30_000);
    await h.runtime.jobs.runDue();
  }

  it('ends PARTIAL when some targeted nodes reported the version, naming the rest', async () => {
    const org = await newOrg(h, 'partial');
    await reportAll(h, org, [['a1', 'agent', '1.1.0'], ['a2', 'agent', '1.1.0']]);
    const up = await accepted(h, org, { service: 'agent', version: '2.0.0' });
    assert.equal(up.deadline_at, new Date(h.clock.now().getTime() + DEADLINE).toISOString(), 'the configured deadline');
    assert.deepEqual(await reportAll(h, org, [['a1', 'agent', '1.1.0'], ['a2', 'agent', '1.1.0']]), { a1: '2.0.0', a2: '2.0.0' });
    h.clock.advance(HEARTBEAT_EVERY);
    await pastDeadline(org, [['a1', 'agent', '2.0.0'], ['a2', 'agent', '1.1.0']]);
    const u = await upgrade(h, org, up.upgrade_id);
    assert.equal(u.status, 'PARTIAL');
    assert.equal(u.success_count, 1);
    assert.equal(u.failed_count, 1);
    assert.match(u.error_message, /1 of 2 nodes reported their target version before the deadline/);
    assert.match(u.error_message, /not upgraded: agent 1 of 2 on 2\.0\.0/);
    assert.deepEqual(u.progress.map((p: any) => [p.service, p.desired, p.updated, p.total]), [['agent', 2, 1, 2]]);
    // Settled by whoever looked first at or after the deadline: a heartbeat then, or the job.
    assert.ok(u.completed_at >= u.deadline_at && u.completed_at <= h.clock.now().toISOString(), `${u.completed_at} vs ${u.deadline_at}`);
    const moves = await auditedMoves(h, org, up.upgrade_id);
    assert.deepEqual(moves.map((e) => e.details.to), ['PENDING', 'IN_PROGRESS', 'PARTIAL']);
    assert.equal(moves[2].details.from, 'IN_PROGRESS');
    assert.equal(moves[2].details.reason, u.error_message);
    // Ended: the laggard is told nothing more, and nothing moves.
    assert.equal(await report(h, org, 'a2', '1.1.0'), null);
    assert.equal(await report(h, org, 'a2', '2.0.0'), null);
    const later = await upgrade(h, org, up.upgrade_id);
    assert.equal(later.status, 'PARTIAL');
    assert.equal(later.sequence, u.sequence);
    assert.equal(later.success_count, 1);
  });

  it('ends FAILED when no targeted node reported the version, and stays FAILED', async () => {
    const org = await newOrg(h, 'failed');
    const nodes: NodeSpec[] = [['a1', 'agent', '1.1.0'], ['a2', 'agent', '1.1.0']];
    await reportAll(h, org, nodes);
    const up = await accepted(h, org, { service: 'agent', version: '2.0.0' });
    await pastDeadline(org, nodes);
    const u = await upgrade(h, org, up.upgrade_id);
    assert.equal(u.status, 'FAILED');
    assert.equal(u.success_count, 0);
    assert.equal(u.failed_count, 2);
    assert.match(u.error_message, /no targeted node reported its target version before the deadline \(agent 0 of 2 on 2\.0\.0\)/);
    assert.deepEqual(u.progress.map((p: any) => [p.desired, p.updated, p.total]), [[2, 0, 2]]);
    const moves = await auditedMoves(h, org, up.upgrade_id);
    assert.deepEqual(moves.map((e) => [e.details.from, e.details.to]), [[null, 'PENDING'], ['PENDING', 'IN_PROGRESS'], ['IN_PROGRESS', 'FAILED']]);
    assert.equal(moves[2].details.reason, u.error_message);
    // A node that finally reports the version changes nothing, and a FAILED upgrade asks for nothing.
    assert.equal(await report(h, org, 'a1', '2.0.0'), null);
    assert.equal(await report(h, org, 'a2', '1.1.0'), null);
    const later = await upgrade(h, org, up.upgrade_id);
    assert.equal(later.status, 'FAILED');
    assert.equal(later.sequence, u.sequence);
    assert.equal(later.success_count, 0);
    assert.equal((await versions(h, org)).agent.upgrade_running, false);
  });

  it('ends FAILED from PENDING when no targeted node came back before the deadline', async () => {
    const org = await newOrg(h, 'silent');
    await report(h, org, 'a1', '1.1.0');
    const up = await accepted(h, org, { service: 'agent', version: '2.0.0' });
    h.clock.advance(DEADLINE + 1000);
    await h.runtime.jobs.runDue();
    const u = await upgrade(h, org, up.upgrade_id);
    assert.equal(u.status, 'FAILED');
    assert.equal(u.started_at, null, 'it never started');
    assert.match(u.error_message, /no targeted node sent a heartbeat before the deadline \(1 node targeted\)/);
    assert.equal(u.failed_count, 1);
    assert.deepEqual((await auditedMoves(h, org, up.upgrade_id)).map((e) => [e.details.from, e.details.to]), [[null, 'PENDING'], ['PENDING', 'FAILED']]);
    assert.equal(await report(h, org, 'a1', '1.1.0'), null, 'the node that comes back late is not told');
    assert.equal((await upgrade(h, org, up.upgrade_id)).status, 'FAILED');
  });

  it('is settled by the first reader when the job has not run yet', async () => {
    const org = await newOrg(h, 'reader');
    await report(h, org, 'a1', '1.1.0');
    const up = await accepted(h, org, { service: 'agent', version: '2.0.0' });
    h.clock.advance(DEADLINE + 1000);
    const u = await upgrade(h, org, up.upgrade_id);
    assert.equal(u.status, 'FAILED', 'never shown as active past its deadline');
    await h.runtime.jobs.runDue();
    const after = await upgrade(h, org, up.upgrade_id);
    assert.equal(after.status, 'FAILED');
    assert.equal(after.sequence, u.sequence, 'the job finds it ended and moves nothing');
    assert.equal((await auditedMoves(h, org, up.upgrade_id)).length, 2);
  });

  it('does not count a report that arrives after the deadline', async () => {
    const org = await newOrg(h, 'late-report');
    await report(h, org, 'a1', '1.1.0');
    const up = await accepted(h, org, { service: 'agent', version: '2.0.0' });
    assert.equal(await report(h, org, 'a1', '1.1.0'), '2.0.0');
    await liveFor(h, org, DEADLINE - HEARTBEAT_EVERY, [['a1', 'agent', '1.1.0']]);
    h.clock.advance(HEARTBEAT_EVERY + 30_000);
    // Past the deadline; the job has not run yet when the node finally reports the version.
    await report(h, org, 'a1', '2.0.0');
    await h.runtime.jobs.runDue();
    const u = await upgrade(h, org, up.upgrade_id);
    assert.equal(u.status, 'FAILED', `the node reported 2.0.0 only after the deadline: ${u.status}, ${u.reason}`);
    assert.equal(u.success_count, 0);
  });
});
