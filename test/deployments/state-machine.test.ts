import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { type ApiResult, Harness } from '../helpers/harness.js';
import { heartbeat, node } from '../nodes/helpers.js';
import { ALLOWED, type Status } from './expected.js';
import { sseEvents } from './sse.js';

/**
 * A model-based test of the upgrade state machine: simulated fleets heartbeat, the clock moves, jobs run, an
 * operator cancels and reads, all through HTTP on the real service, and after every step what the service
 * recorded is compared with a model written from the product's rules, not from src:
 *
 * - PENDING -> IN_PROGRESS | FAILED | CANCELLED, IN_PROGRESS -> SUCCESS | FAILED | PARTIAL; nothing skipped,
 *   nothing after a final status, each move a numbered event (1..n) and an audit entry;
 * - IN_PROGRESS once a heartbeat answer carried the target version to a targeted node;
 * - SUCCESS only when every targeted node reported its target version in a heartbeat after the one that told it;
 * - the deadline decides: what is observed after it does not count, and whoever notices a passed deadline first
 *   (the deadline job, a reader, a heartbeat, a cancel) finds the same outcome: FAILED when no targeted node
 *   reported its target version before it, PARTIAL when some did.
 */

const DEADLINE_SECONDS = 600;
const DEADLINE_MS = DEADLINE_SECONDS * 1000;

type Service = 'agent' | 'orchestrator' | 'customer-portal';
const SERVICES: Service[] = ['agent', 'orchestrator', 'customer-portal'];
const isFinal = (s: Status) => ALLOWED[s].length === 0;

/** The seeded catalogue (migration 014), in version order; stops are versions every upgrade must land on. */
const CATALOGUE: Record<Service, { versions: string[]; stops: string[] }> = {
  agent: { versions: ['1.0.0', '1.1.0', '2.0.0', '2.1.0'], stops: ['2.0.0'] },
  orchestrator: { versions: ['1.0.0', '1.1.0', '2.0.0', '2.1.0'], stops: ['2.0.0'] },
  'customer-portal': { versions: ['1.0.0', '1.1.0', '1.2.0'], stops: [] },
};

// ---------- planning, from the catalogue's rules (every seeded version is plain x.y.z) ----------

function cmp(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i] - pb[i];
  return 0;
}

/** Versions the service's nodes may be sent to: never past a required stop; without force never down or a redeploy. */
function legalTargets(service: Service, reported: string[], force: boolean): string[] {
  const sorted = [...reported].sort(cmp);
  const lowest = sorted[0];
  const highest = sorted[sorted.length - 1];
  const { versions, stops } = CATALOGUE[service];
  return versions.filter((v) => {
    if (stops.some((s) => cmp(s, lowest) > 0 && cmp(s, v) < 0)) return false;
    if (force) return true;
    return cmp(v, highest) >= 0 && !reported.every((r) => r === v);
  });
}

interface Trigger {
  service: Service | 'all';
  version: string;
  force: boolean;
  /** What the model expects the upgrade to ask of each service. */
  plan: Map<Service, string>;
}

function triggerOptions(fleet: Record<Service, string[]>): Trigger[] {
  const options: Trigger[] = [];
  const withNodes = SERVICES.filter((s) => fleet[s].length > 0);
  // "all" to "latest": a service whose nodes all run the latest is skipped; one that cannot reach it refuses all.
  const latest = (s: Service) => CATALOGUE[s].versions.at(-1)!;
  const moving = withNodes.filter((s) => !fleet[s].every((v) => v === latest(s)));
  if (moving.length > 0 && moving.every((s) => legalTargets(s, fleet[s], false).includes(latest(s)))) {
    options.push({ service: 'all', version: 'latest', force: false, plan: new Map(moving.map((s) => [s, latest(s)])) });
  }
  for (const s of withNodes) {
    for (const v of legalTargets(s, fleet[s], false)) options.push({ service: s, version: v, force: false, plan: new Map([[s, v]]) });
    for (const v of legalTargets(s, fleet[s], true)) options.push({ service: s, version: v, force: true, plan: new Map([[s, v]]) });
  }
  return options;
}

// ---------- the model ----------

interface SimNode {
  id: string;
  service: Service;
  /** What it ran before the upgrade. */
  version: string;
  /** A heartbeat answer asked it to run this version: from then on it may report it. */
  toldVersion: string | null;
  targeted: boolean;
}

class Model {
  status: Status = 'PENDING';
  readonly history: Status[] = ['PENDING'];
  readonly delivered = new Set<string>();
  readonly updated = new Set<string>();
  /** A reader or the deadline job looked after the deadline: the deadline's move must be recorded by now. */
  settled = false;

  constructor(
    readonly plan: Map<Service, string>,
    readonly targeted: SimNode[],
    readonly deadline: number,
    readonly force: boolean,
  ) {}

  overdue(now: number): boolean {
    return now > this.deadline;
  }

  /** Where the deadline leaves an upgrade that had not ended before it. */
  private deadlineMove(): Status {
    if (this.status === 'PENDING') return 'FAILED';
    return this.updated.size === 0 ? 'FAILED' : 'PARTIAL';
  }

  /** The status history as it stands at `now`: with the deadline's move once it passed. */
  expectedHistory(now: number): Status[] {
    return this.overdue(now) && !isFinal(this.status) ? [...this.history, this.deadlineMove()] : this.history;
  }

  effective(now: number): Status {
    return this.expectedHistory(now).at(-1)!;
  }

  private move(to: Status): void {
    assert.ok(ALLOWED[this.status].includes(to), `model bug: ${this.status} -> ${to}`);
    this.status = to;
    this.history.push(to);
  }

  /** A heartbeat: what it records, and the version its answer must carry. */
  heartbeat(n: SimNode, reported: string, now: number): string | null {
    const target = this.plan.get(n.service) ?? null;
    if (target === null || isFinal(this.effective(now))) return null;
    // A joiner follows only once nothing can be cancelled, and only where the trigger's rules would let it go.
    if (!n.targeted) return this.status === 'IN_PROGRESS' && legalTargets(n.service, [reported], this.force).includes(target) ? target : null;
    // A report counts from the heartbeat after the one that told the node, never on the telling one itself.
    if (this.delivered.has(n.id) && reported === target) this.updated.add(n.id);
    this.delivered.add(n.id);
    if (this.status === 'PENDING') this.move('IN_PROGRESS');
    if (this.updated.size === this.targeted.length) this.move('SUCCESS');
    return target;
  }

  cancel(now: number): boolean {
    if (this.effective(now) !== 'PENDING') return false;
    this.move('CANCELLED');
    return true;
  }

  counts(service: Service): { desired: number; delivered: number; updated: number } {
    const mine = this.targeted.filter((n) => n.service === service);
    return {
      desired: mine.length,
      delivered: mine.filter((n) => this.delivered.has(n.id)).length,
      updated: mine.filter((n) => this.updated.has(n.id)).length,
    };
  }
}

// ---------- scenarios ----------

type Command =
  | { kind: 'beat'; pick: number; focus: boolean; reportTarget: boolean }
  | { kind: 'join'; service: Service; version: number }
  | { kind: 'advance'; seconds: number }
  | { kind: 'pastDeadline'; extraSeconds: number }
  | { kind: 'runDue' }
  | { kind: 'cancel' }
  | { kind: 'read' }
  | { kind: 'retrigger' };

const fleetArb = fc
  .record({
    agent: fc.array(fc.constantFrom(...CATALOGUE.agent.versions), { maxLength: 4 }),
    orchestrator: fc.array(fc.constantFrom(...CATALOGUE.orchestrator.versions), { maxLength: 4 }),
    'customer-portal': fc.array(fc.constantFrom(...CATALOGUE['customer-portal'].versions), { maxLength: 4 }),
  })
  .filter((f) => SERVICES.some((s) => f[s].length > 0));

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  // Most heartbeats come from targeted nodes that have not reported the target yet (so runs reach SUCCESS too),
  // the rest from any node, joiners included; a node that was told the target reports it two times in three.
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('beat' as const),
      pick: fc.nat(1000),
      focus: fc.integer({ min: 0, max: 3 }).map((x) => x > 0),
      reportTarget: fc.integer({ min: 0, max: 2 }).map((x) => x > 0),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('join' as const), service: fc.constantFrom(...SERVICES), version: fc.nat(10) }) },
  // Advances are whole seconds plus 7 ms, and the deadline job's jump lands past the deadline: the clock
  // never stands exactly on the deadline, where "a completion in the same instant wins" would decide.
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('advance' as const), seconds: fc.integer({ min: 0, max: 240 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('pastDeadline' as const), extraSeconds: fc.integer({ min: 1, max: 300 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'runDue' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'cancel' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'read' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'retrigger' as const }) },
);

const scenarioArb = fc.record({
  fleet: fleetArb,
  preferAll: fc.boolean(),
  option: fc.nat(1000),
  commands: fc.array(commandArb, { minLength: 1, maxLength: 16 }),
});

// ---------- what the service shows ----------

interface Recorded {
  from: Status | null;
  to: Status;
}

/** The upgrade's status changes from the audit trail (reading it settles nothing), oldest first. */
async function auditTrail(h: Harness, orgId: string, upgradeId: string): Promise<Recorded[]> {
  const r = await h.admin('GET', `/api/v1/admin/audit?org_id=${orgId}&action=deployments.upgrade_status&limit=500`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return (r.body.events as any[])
    .filter((e) => e.target_id === upgradeId)
    .reverse()
    .map((e) => ({ from: e.details.from, to: e.details.to }));
}

/** The stored upgrade as the history list shows it (a list settles nothing). */
async function listed(h: Harness, cookie: string, upgradeId: string): Promise<any> {
  const r = await h.call('GET', '/api/v1/deployments/upgrades?limit=100', { cookie });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const u = r.body.upgrades.find((x: any) => x.upgrade_id === upgradeId);
  assert.ok(u, `upgrade ${upgradeId} is in the history list`);
  return u;
}

const SUBSCRIPTION = `subscription($id: String!, $after: Int) { upgradeEvents(upgradeId: $id, afterSequence: $after) {
  upgradeId sequence fromStatus toStatus reason progress { service desired delivered updated } } }`;

function progressOf(p: any[], service: Service): { desired: number; delivered: number; updated: number } {
  const x = p.find((e) => e.service === service);
  assert.ok(x, `progress has ${service}: ${JSON.stringify(p)}`);
  return { desired: x.desired, delivered: x.delivered, updated: x.updated };
}

// ---------- one run ----------

let runs = 0;

async function runScenario(h: Harness, scenario: { fleet: Record<Service, string[]>; preferAll: boolean; option: number; commands: Command[] }): Promise<void> {
  const orgId = `sm${++runs}-${Math.random().toString(36).slice(2, 7)}`;
  const trace: string[] = [];
  const fail = (msg: string) => `${msg}\n  trace:\n    ${trace.join('\n    ')}`;
  await h.createOrg(orgId);
  const cookie = await h.login(orgId);
  const key = (await h.apiKey(orgId, ['nodes:write'], cookie)).key;
  const beat = async (n: SimNode, version: string): Promise<ApiResult> => {
    const r = await heartbeat(h, key, node(n.id, { role: n.service, version }));
    assert.equal(r.status, 200, fail(`heartbeat ${n.id}: ${JSON.stringify(r.body)}`));
    return r;
  };

  // The fleet reports in, then the upgrade is triggered.
  const fleet: SimNode[] = [];
  for (const s of SERVICES) {
    scenario.fleet[s].forEach((version, i) => fleet.push({ id: `${s}-${i}`, service: s, version, toldVersion: null, targeted: false }));
  }
  for (const n of fleet) {
    const r = await beat(n, n.version);
    assert.equal(r.body.desired_version, null, 'no upgrade yet');
  }
  const options = triggerOptions(scenario.fleet);
  assert.ok(options.length > 0, 'a forced redeploy of the lowest version is always possible');
  const all = options.filter((o) => o.service === 'all');
  const trigger = scenario.preferAll && all.length > 0 ? all[0] : options[scenario.option % options.length];
  trace.push(`fleet ${fleet.map((n) => `${n.id}@${n.version}`).join(' ')}; trigger ${trigger.service} ${trigger.version}${trigger.force ? ' (force)' : ''}`);
  const triggeredAt = h.clock.now().getTime();
  const t = await h.call('POST', '/api/v1/deployments/upgrade', {
    cookie,
    body: { service: trigger.service, version: trigger.version, ...(trigger.force ? { force_new_deployment: true } : {}) },
  });
  assert.equal(t.status, 202, fail(`trigger refused: ${JSON.stringify(t.body)}`));
  const upgradeId: string = t.body.upgrade_id;
  for (const n of fleet) n.targeted = trigger.plan.has(n.service);
  const model = new Model(trigger.plan, fleet.filter((n) => n.targeted), triggeredAt + DEADLINE_MS, trigger.force);
  assert.equal(t.body.status, 'PENDING');
  assert.equal(t.body.sequence, 1);
  assert.equal(t.body.deadline_at, new Date(model.deadline).toISOString());
  assert.deepEqual(
    t.body.progress.map((p: any) => [p.service, p.target_version, p.desired, p.delivered, p.updated]).sort(),
    [...trigger.plan].map(([s, v]) => [s, v, model.counts(s).desired, 0, 0]).sort(),
    fail('the trigger targets every active node of each planned service'),
  );

  const joiners: SimNode[] = [];
  let seen: Status[] = [];
  const now = () => h.clock.now().getTime();

  /** What the service recorded, against the model and the invariants. */
  const check = async () => {
    const trail = await auditTrail(h, orgId, upgradeId);
    const recorded = trail.map((e) => e.to);
    assert.deepEqual(trail[0], { from: null, to: 'PENDING' }, fail('the first event is the acceptance'));
    for (let i = 1; i < trail.length; i++) {
      assert.equal(trail[i].from, trail[i - 1].to, fail(`event ${i + 1} starts where event ${i} ended: ${JSON.stringify(trail)}`));
      assert.ok(ALLOWED[trail[i - 1].to].includes(trail[i].to), fail(`${trail[i - 1].to} -> ${trail[i].to} is not an allowed move`));
    }
    assert.deepEqual(recorded.slice(0, seen.length), seen, fail(`statuses already observed never change: was ${seen}, now ${recorded}`));
    seen = recorded;
    if (recorded.includes('SUCCESS')) {
      assert.equal(model.updated.size, model.targeted.length, fail(`SUCCESS while only ${model.updated.size} of ${model.targeted.length} targeted nodes reported the target`));
    }
    const expected = model.expectedHistory(now());
    if (model.settled || expected === model.history) {
      assert.deepEqual(recorded, expected, fail('the recorded status history'));
    } else {
      // Past the deadline and nobody looked yet: the deadline's move may or may not be written yet.
      assert.ok(
        [model.history, expected].some((e) => JSON.stringify(e) === JSON.stringify(recorded)),
        fail(`the recorded status history ${recorded} is neither ${model.history} nor ${expected}`),
      );
    }
    const u = await listed(h, cookie, upgradeId);
    assert.equal(u.status, recorded.at(-1), fail('the stored status is the last recorded move'));
    assert.equal(u.sequence, recorded.length, fail('the stored sequence counts the moves'));
    for (const s of trigger.plan.keys()) assert.deepEqual(progressOf(u.progress, s), model.counts(s), fail(`${s} counts`));
  };

  await check();
  for (const c of scenario.commands) {
    const at = now();
    switch (c.kind) {
      case 'beat': {
        const behind = model.targeted.filter((x) => !model.updated.has(x.id));
        const pool = c.focus && behind.length > 0 ? behind : [...fleet, ...joiners];
        const n = pool[c.pick % pool.length];
        const version = c.reportTarget && n.toldVersion ? n.toldVersion : n.version;
        const expected = model.heartbeat(n, version, at);
        const r = await beat(n, version);
        trace.push(`t+${(at - triggeredAt) / 1000}s beat ${n.id}@${version} -> ${r.body.desired_version}`);
        assert.equal(r.body.desired_version, expected, fail(`the heartbeat answer to ${n.id}`));
        if (expected) n.toldVersion = expected;
        break;
      }
      case 'join': {
        const versions = CATALOGUE[c.service].versions;
        const n: SimNode = { id: `joiner-${joiners.length}`, service: c.service, version: versions[c.version % versions.length], toldVersion: null, targeted: false };
        joiners.push(n);
        const expected = model.heartbeat(n, n.version, at);
        const r = await beat(n, n.version);
        trace.push(`t+${(at - triggeredAt) / 1000}s join ${n.id} ${n.service}@${n.version} -> ${r.body.desired_version}`);
        assert.equal(r.body.desired_version, expected, fail(`the heartbeat answer to the joiner ${n.id}`));
        if (expected) n.toldVersion = expected;
        break;
      }
      case 'advance':
        h.clock.advance(c.seconds * 1000 + 7);
        trace.push(`advance ${c.seconds}s`);
        break;
      case 'pastDeadline':
        h.clock.advance(Math.max(0, model.deadline - at) + c.extraSeconds * 1000 + 7);
        trace.push(`past the deadline by ${c.extraSeconds}s`);
        break;
      case 'runDue':
        await h.runtime.jobs.runDue();
        if (model.overdue(at)) model.settled = true;
        trace.push(`t+${(at - triggeredAt) / 1000}s runDue`);
        break;
      case 'cancel': {
        const ok = model.cancel(at);
        const r = await h.call('POST', `/api/v1/deployments/upgrade/${upgradeId}/cancel`, { cookie });
        trace.push(`t+${(at - triggeredAt) / 1000}s cancel -> ${r.status} ${r.body?.status ?? ''}`);
        if (ok) {
          assert.equal(r.status, 200, fail(`cancel while PENDING: ${JSON.stringify(r.body)}`));
          assert.equal(r.body.status, 'CANCELLED');
        } else {
          assert.equal(r.status, 409, fail(`cancel once ${model.effective(at)}: ${JSON.stringify(r.body)}`));
        }
        break;
      }
      case 'read': {
        const r = await h.call('GET', `/api/v1/deployments/upgrade/${upgradeId}`, { cookie });
        trace.push(`t+${(at - triggeredAt) / 1000}s read -> ${r.body.status}`);
        assert.equal(r.status, 200);
        if (model.overdue(at)) model.settled = true;
        assert.equal(r.body.status, model.effective(at), fail('the status a reader sees'));
        assert.equal(r.body.sequence, model.expectedHistory(at).length, fail('the sequence a reader sees'));
        for (const s of trigger.plan.keys()) assert.deepEqual(progressOf(r.body.progress, s), model.counts(s), fail(`${s} counts a reader sees`));
        const v = await h.call('GET', '/api/v1/deployments/versions', { cookie });
        assert.equal(v.status, 200);
        const running = !isFinal(model.effective(at));
        for (const sv of v.body.services) {
          const planned = trigger.plan.has(sv.service);
          assert.equal(sv.upgrade_running, planned && running, fail(`${sv.service} upgrade_running`));
          assert.equal(sv.active_upgrade_id, planned && running ? upgradeId : null, fail(`${sv.service} active_upgrade_id`));
        }
        break;
      }
      case 'retrigger': {
        // One active upgrade per organization: another is refused while this one runs.
        if (isFinal(model.effective(at))) break;
        const r = await h.call('POST', '/api/v1/deployments/upgrade', { cookie, body: { service: trigger.service, version: trigger.version, force_new_deployment: true } });
        trace.push(`t+${(at - triggeredAt) / 1000}s trigger again -> ${r.status}`);
        assert.equal(r.status, 409, fail(`a second upgrade while ${model.effective(at)}: ${JSON.stringify(r.body)}`));
        assert.equal(r.body.error.code, 'CONFLICT');
        assert.ok(r.body.error.message.includes(upgradeId), fail(`the refusal names the running upgrade: ${JSON.stringify(r.body)}`));
        break;
      }
    }
    await check();
  }

  // The end: past the deadline, with the jobs run, every upgrade has ended, and how follows from what was seen.
  if (!model.overdue(now()) && !isFinal(model.status)) h.clock.advance(model.deadline - now() + 60_007);
  await h.runtime.jobs.runDue();
  if (model.overdue(now())) model.settled = true;
  trace.push('end: past the deadline, runDue');
  await check();
  const end = model.effective(now());
  const final = await h.call('GET', `/api/v1/deployments/upgrade/${upgradeId}`, { cookie });
  assert.equal(final.body.status, end, fail('the final status'));
  assert.ok(isFinal(end), fail(`${end} is final`));
  const reported = model.updated.size;
  if (end === 'SUCCESS') assert.equal(reported, model.targeted.length);
  if (end === 'FAILED') assert.equal(reported, 0, fail('FAILED only when no targeted node reported its target'));
  if (end === 'PARTIAL') assert.ok(reported > 0 && reported < model.targeted.length, fail('PARTIAL when some did'));
  if (end === 'FAILED' || end === 'PARTIAL') assert.equal(final.body.failed_count, model.targeted.length - reported, fail('failed_count'));
  assert.equal(final.body.success_count, reported, fail('success_count'));

  // The subscription replays the same history, numbered 1..n, and ends with the final status.
  const s = await h.call('POST', '/graphql', { cookie, headers: { accept: 'text/event-stream' }, body: { query: SUBSCRIPTION, variables: { id: upgradeId } } });
  assert.equal(s.status, 200);
  const events = sseEvents(s.body as string);
  assert.equal(events.at(-1)?.event, 'complete', fail('the stream ends'));
  const nexts = events.filter((e) => e.event === 'next').map((e) => e.data.data?.upgradeEvents);
  assert.ok(nexts.every(Boolean), fail(`no errors in the stream: ${s.body}`));
  assert.deepEqual(nexts.map((e) => e.sequence), model.expectedHistory(now()).map((_, i) => i + 1), fail('sequence numbers 1..n without gaps'));
  assert.deepEqual(nexts.map((e) => e.toStatus), model.expectedHistory(now()), fail('the streamed statuses'));
  assert.deepEqual(nexts.map((e) => e.fromStatus), [null, ...model.expectedHistory(now()).slice(0, -1)]);
  for (const sv of trigger.plan.keys()) assert.deepEqual(progressOf(nexts.at(-1).progress, sv), model.counts(sv), fail(`${sv} counts in the final event`));
}

describe('the upgrade state machine against simulated fleets (model-based, over HTTP)', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start({ upgradeDeadlineSeconds: DEADLINE_SECONDS });
  });
  after(() => h.close());

  it('every run of heartbeats, joiners, time, jobs, cancels and reads follows the model', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, (scenario) => runScenario(h, scenario)),
      // Shrinking replays whole scenarios over HTTP: bounded so a failure is reported in reasonable time.
      { numRuns: 25, interruptAfterTimeLimit: 40_000, markInterruptAsFailure: true, includeErrorInReport: true },
    );
  });
});

describe('the deadline decides, whoever notices it first', () => {
  let h: Harness;
  let n = 0;
  before(async () => {
    h = await Harness.start({ upgradeDeadlineSeconds: DEADLINE_SECONDS });
  });
  after(() => h.close());

  async function setup(versions: string[]) {
    const orgId = `dl${++n}`;
    await h.createOrg(orgId);
    const cookie = await h.login(orgId);
    const key = (await h.apiKey(orgId, ['nodes:write'], cookie)).key;
    const beat = async (id: string, version: string) => {
      const r = await heartbeat(h, key, node(id, { version }));
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body.desired_version as string | null;
    };
    for (const [i, v] of versions.entries()) await beat(`n${i}`, v);
    const t = await h.call('POST', '/api/v1/deployments/upgrade', { cookie, body: { service: 'agent', version: '1.1.0' } });
    assert.equal(t.status, 202, JSON.stringify(t.body));
    const upgradeId: string = t.body.upgrade_id;
    const history = async () => (await auditTrail(h, orgId, upgradeId)).map((e) => e.to);
    const read = async () => (await h.call('GET', `/api/v1/deployments/upgrade/${upgradeId}`, { cookie })).body;
    return { orgId, cookie, beat, upgradeId, history, read };
  }

  it('with the deadline job on time: one of two nodes on the target ends PARTIAL, and a late report changes nothing', async () => {
    const u = await setup(['1.0.0', '1.0.0']);
    assert.equal(await u.beat('n0', '1.0.0'), '1.1.0');
    assert.equal(await u.beat('n1', '1.0.0'), '1.1.0');
    assert.equal(await u.beat('n0', '1.1.0'), '1.1.0');
    h.clock.advance(DEADLINE_MS + 60_000);
    await h.runtime.jobs.runDue();
    assert.equal(await u.beat('n1', '1.1.0'), null);
    assert.deepEqual(await u.history(), ['PENDING', 'IN_PROGRESS', 'PARTIAL']);
    assert.equal((await u.read()).success_count, 1);
  });

  it('with the deadline job late: a node reporting the target after the deadline does not turn it into SUCCESS', async () => {
    const u = await setup(['1.0.0', '1.0.0']);
    assert.equal(await u.beat('n0', '1.0.0'), '1.1.0');
    assert.equal(await u.beat('n1', '1.0.0'), '1.1.0');
    assert.equal(await u.beat('n0', '1.1.0'), '1.1.0');
    h.clock.advance(DEADLINE_MS + 60_000);
    // The job has not run yet (a runner was down): the last node reports 1.1.0 a minute after the deadline.
    await u.beat('n1', '1.1.0');
    await h.runtime.jobs.runDue();
    const end = await u.read();
    assert.equal(end.status, 'PARTIAL', `ended ${end.status} (${end.reason}); the deadline passed with 1 of 2 nodes on 1.1.0`);
    assert.deepEqual(await u.history(), ['PENDING', 'IN_PROGRESS', 'PARTIAL']);
    assert.equal(end.success_count, 1);
  });

  it('with the deadline job late: a PENDING upgrade whose deadline passed ends FAILED, never IN_PROGRESS, when its node comes back', async () => {
    const u = await setup(['1.0.0']);
    h.clock.advance(DEADLINE_MS + 60_000);
    const answer = await u.beat('n0', '1.0.0');
    assert.equal(answer, null, 'the upgrade is over: the node is not asked to move');
    await h.runtime.jobs.runDue();
    // IN_PROGRESS says a heartbeat answer carried the version to a node: none did.
    assert.deepEqual(await u.history(), ['PENDING', 'FAILED']);
    const end = await u.read();
    assert.equal(end.status, 'FAILED');
    assert.equal(end.progress[0].delivered, 0, 'no node was handed the version');
    assert.match(end.reason, /no targeted node sent a heartbeat before the deadline/);
  });

  it('with the deadline job late: a node that joins after the deadline is not asked to move', async () => {
    const u = await setup(['1.0.0']);
    assert.equal(await u.beat('n0', '1.0.0'), '1.1.0');
    h.clock.advance(DEADLINE_MS + 60_000);
    assert.equal(await u.beat('late-joiner', '1.0.0'), null, 'an upgrade past its deadline sends no one anywhere');
    assert.equal(await u.beat('n0', '1.0.0'), null, 'nor a targeted node that did not make it');
    await h.runtime.jobs.runDue();
    assert.deepEqual(await u.history(), ['PENDING', 'IN_PROGRESS', 'FAILED']);
  });

  it('with the deadline job late: a PENDING upgrade past its deadline cannot be cancelled: it ended FAILED', async () => {
    const u = await setup(['1.0.0']);
    h.clock.advance(DEADLINE_MS + 60_000);
    const r = await h.call('POST', `/api/v1/deployments/upgrade/${u.upgradeId}/cancel`, { cookie: u.cookie });
    assert.equal(r.status, 409, `cancel answered ${r.status} ${JSON.stringify(r.body?.status ?? r.body)}`);
    assert.equal((await u.read()).status, 'FAILED', 'what a reader sees at that moment');
    assert.deepEqual(await u.history(), ['PENDING', 'FAILED']);
  });

  it('a reader who looks after the deadline settles it the same way the job would', async () => {
    const u = await setup(['1.0.0', '1.0.0']);
    await u.beat('n0', '1.0.0');
    await u.beat('n0', '1.1.0');
    h.clock.advance(DEADLINE_MS + 60_000);
    const seen = await u.read();
    assert.equal(seen.status, 'PARTIAL');
    assert.equal(seen.failed_count, 1);
    await h.runtime.jobs.runDue();
    assert.deepEqual(await u.history(), ['PENDING', 'IN_PROGRESS', 'PARTIAL'], 'the job that runs later adds nothing');
  });
});
