import { type Executor, type Trx, inTransaction } from '../../db/database.js';
import { enqueueJob } from '../../db/jobs.js';
import { activeNodeCounts, activeNodeVersions, type NodeVersion } from '../../db/nodes.js';
import { listReleases } from '../../db/releases.js';
import {
  type PlannedService,
  type TargetRow,
  type Upgrade,
  type UpgradeEvent,
  countUpgrades,
  eventsAfter,
  findActiveUpgrade,
  findTarget,
  findUpgrade,
  insertEvents,
  insertTargets,
  insertUpgrade,
  listUpgrades,
  lockUpgrade,
  markTarget,
  saveUpgrade,
  targetCounts,
} from '../../db/upgrades.js';
import {
  DEPLOY_SERVICES,
  type DeployService,
  type ServiceProgress,
  type Transition,
  isFinal,
  countOfNodes,
  transitionsFor,
} from '../../domain/deployments.js';
import { Conflict, InvalidInput, NotFound } from '../../domain/errors.js';
import { type Release, availableFrom, isCurrent, planTarget, resolveTarget, semanticOnly } from '../../domain/releases.js';
import { newId } from '../../ids.js';
import type { LiveUpdates, Watch } from '../../live/index.js';
import { type Actor, systemActor, tenantOf } from '../actor.js';
import type { ServiceDeps } from '../deps.js';
import { ACTIVE_WINDOW_MS } from '../nodes.js';
import { deployService } from './releases.js';
import * as v from '../validate.js';

export const DEADLINE_JOB = 'upgrade.deadline';
/** How long a watcher waits for a wake-up before it reads again anyway. */
const WATCH_POLL_MS = 5000;

export interface TriggerInput {
  service: string;
  version: string;
  forceNewDeployment?: boolean | null;
}

export interface ServiceVersions {
  service: DeployService;
  reported: { version: string; count: number }[];
  /** The lowest semantic version its active nodes run: where an upgrade starts from. */
  current: string | null;
  latest: string | null;
  available: Release[];
  upgradeRunning: boolean;
  activeUpgradeId: string | null;
}

export interface NodeReport {
  nodeId: string;
  role: string;
  version: string;
}

export interface UpgradeDeadline {
  orgId: string;
  upgradeId: string;
}

function topic(upgradeId: string): string {
  return `upgrade:${upgradeId}`;
}

/**
 * Upgrades whose status is observed, never assumed: accepted as PENDING, IN_PROGRESS once a heartbeat answer
 * carried the target version to a targeted node, SUCCESS only when every targeted node has reported that
 * version, FAILED or PARTIAL when the deadline passes first. Every move is a numbered event and an audit entry
 * in the transaction that makes it; watchers read those events, so each sees every move once, in order.
 */
export class DeploymentService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly live: LiveUpdates,
  ) {}

  private activeSince(): string {
    return new Date(this.deps.clock.now().getTime() - ACTIVE_WINDOW_MS).toISOString();
  }

  async versions(actor: Actor): Promise<ServiceVersions[]> {
    const orgId = tenantOf(actor);
    const [nodes, releases, active] = await Promise.all([
      activeNodeVersions(this.deps.db, orgId, this.activeSince()),
      listReleases(this.deps.db),
      this.active(orgId),
    ]);
    return DEPLOY_SERVICES.map((service) => {
      const mine = nodes.filter((n) => n.role === service);
      const counts = new Map<string, number>();
      for (const n of mine) counts.set(n.version, (counts.get(n.version) ?? 0) + 1);
      const own = releases.filter((r) => r.service === service);
      const current = semanticOnly(counts.keys())[0] ?? null;
      const running = active?.plan.some((p) => p.service === service) ?? false;
      return {
        service,
        reported: [...counts].map(([version, count]) => ({ version, count })).sort((a, b) => b.count - a.count || a.version.localeCompare(b.version)),
        current,
        latest: semanticOnly(own.map((r) => r.version)).at(-1) ?? null,
        available: mine.length === 0 ? [] : availableFrom(own, current),
        upgradeRunning: running,
        activeUpgradeId: running ? active!.upgradeId : null,
      };
    });
  }

  async trigger(actor: Actor, input: TriggerInput, initiatedBy: string): Promise<Upgrade> {
    const orgId = tenantOf(actor);
    const requested = v.text('service', input.service, { max: 32 });
    const services = requested === 'all' ? [...DEPLOY_SERVICES] : [deployService('service', requested, 'all')];
    const version = v.text('version', input.version, { max: 64 });
    const force = input.forceNewDeployment ?? false;
    const running = await this.active(orgId);
    if (running) throw this.busy(running);

    const [nodes, releases] = await Promise.all([activeNodeVersions(this.deps.db, orgId, this.activeSince()), listReleases(this.deps.db)]);
    const plan: PlannedService[] = [];
    const targets: TargetRow[] = [];
    const skipped: string[] = [];
    for (const service of services) {
      const mine = nodes.filter((n) => n.role === service);
      if (mine.length === 0) {
        if (requested !== 'all') throw new InvalidInput(`${service} has no active node (none sent a heartbeat in the last 5 minutes): nothing to upgrade`, 'service');
        continue;
      }
      const own = releases.filter((r) => r.service === service);
      const reported = mine.map((n) => n.version);
      if (requested === 'all' && !force && isCurrent(reported, resolveTarget(service, own, version))) {
        skipped.push(service);
        continue;
      }
      const targetVersion = planTarget({ service, releases: own, reported, requested: version, force });
      plan.push({ service, targetVersion });
      targets.push(...mine.map((n) => targetOf(n, service, targetVersion)));
    }
    if (plan.length === 0) {
      throw new InvalidInput(skipped.length ? `every service with active nodes already runs ${version}: nothing to upgrade` : 'no service has an active node: nothing to upgrade', 'service');
    }

    const now = this.deps.clock.now();
    const at = now.toISOString();
    const summary = plan.map((p) => `${p.service} to ${p.targetVersion} on ${countOfNodes(targets.filter((t) => t.service === p.service).length)}`).join(', ');
    const upgrade: Upgrade = {
      upgradeId: newId('upg'),
      orgId,
      status: 'PENDING',
      requestedVersion: version,
      force,
      plan,
      progress: plan.map((p) => ({ service: p.service, targetVersion: p.targetVersion, desired: targets.filter((t) => t.service === p.service).length, delivered: 0, updated: 0, total: nodes.filter((n) => n.role === p.service).length })),
      message:
        `Accepted: ${summary}${skipped.length ? ` (${skipped.join(', ')} already current)` : ''}. ` +
        'Acceptance is not completion: the status moves as nodes report the version in their heartbeats.',
      reason: 'accepted; no node has been told yet',
      initiatedBy,
      sequence: 1,
      createdAt: at,
      startedAt: null,
      completedAt: null,
      deadlineAt: new Date(now.getTime() + this.deps.config.upgradeDeadlineSeconds * 1000).toISOString(),
    };
    await inTransaction(this.deps.db, async (trx) => {
      if (!(await insertUpgrade(trx, upgrade))) {
        const winner = await findActiveUpgrade(trx, orgId);
        throw winner ? this.busy(winner) : new Conflict('another upgrade was accepted at the same moment; look at the upgrade history');
      }
      await insertTargets(trx, upgrade.upgradeId, orgId, targets);
      await insertEvents(trx, orgId, [{ upgradeId: upgrade.upgradeId, sequence: 1, fromStatus: null, toStatus: 'PENDING', reason: upgrade.reason!, progress: upgrade.progress, at }]);
      await this.audit(trx, actor, upgrade, null, { to: 'PENDING', reason: upgrade.reason! });
      await enqueueJob(trx, { kind: DEADLINE_JOB, key: upgrade.upgradeId, payload: { orgId, upgradeId: upgrade.upgradeId } satisfies UpgradeDeadline, runAt: upgrade.deadlineAt }, at);
    });
    await this.publish(upgrade.upgradeId);
    return upgrade;
  }

  async get(actor: Actor, upgradeId: string): Promise<Upgrade> {
    const orgId = tenantOf(actor);
    const upgrade = await findUpgrade(this.deps.db, orgId, upgradeId);
    if (!upgrade) throw new NotFound(`upgrade ${upgradeId} not found`);
    return (await this.settleOverdue(upgrade)) ?? upgrade;
  }

  async list(actor: Actor, page: { offset: number; limit: number }): Promise<Upgrade[]> {
    return listUpgrades(this.deps.db, tenantOf(actor), page);
  }

  async count(actor: Actor): Promise<number> {
    return countUpgrades(this.deps.db, tenantOf(actor));
  }

  /** Only while PENDING: once a node was handed the version, it cannot be taken back. */
  async cancel(actor: Actor, upgradeId: string): Promise<Upgrade> {
    const orgId = tenantOf(actor);
    const now = this.deps.clock.now();
    const result = await inTransaction(this.deps.db, async (trx) => {
      const upgrade = await lockUpgrade(trx, orgId, upgradeId);
      if (!upgrade) throw new NotFound(`upgrade ${upgradeId} not found`);
      if (isFinal(upgrade.status)) throw new Conflict(`upgrade ${upgradeId} already ended ${upgrade.status}; there is nothing to cancel`);
      // Overdue: it ended at its deadline, whatever the job has not written yet; that end is kept, then refused.
      if (new Date(upgrade.deadlineAt) <= now) return { ended: await this.advance(trx, systemActor(orgId, 'deployments'), upgrade, { deadlinePassed: true }) };
      if (upgrade.status === 'IN_PROGRESS') {
        throw new Conflict(`upgrade ${upgradeId} is IN_PROGRESS: the version already reached nodes, so it can no longer be cancelled; wait for it to end`);
      }
      return { cancelled: await this.advance(trx, actor, upgrade, { explicit: [{ to: 'CANCELLED', reason: 'cancelled before any node was told' }] }) };
    });
    await this.publish(upgradeId);
    if (result.ended) throw new Conflict(`upgrade ${upgradeId} passed its deadline and ended ${result.ended.status} (${result.ended.reason}); there is nothing to cancel`);
    return result.cancelled!;
  }

  /**
   * A heartbeat's part: records what the node shows of an upgrade targeting it and answers the version it
   * should run (null: none asked). Most heartbeats find nothing new and write nothing.
   */
  async observe(actor: Actor, node: NodeReport): Promise<string | null> {
    const orgId = tenantOf(actor);
    const upgrade = await findActiveUpgrade(this.deps.db, orgId);
    const planned = upgrade?.plan.find((p) => p.service === node.role);
    if (!upgrade || !planned) return null;
    const now = this.deps.clock.now();
    // Past the deadline a report no longer counts: the upgrade ends on what was seen in time, whoever looks first.
    if (new Date(upgrade.deadlineAt) <= now) {
      await this.settleOverdue(upgrade);
      return null;
    }
    const target = await findTarget(this.deps.db, upgrade.upgradeId, node.nodeId);
    // A node that joined after the trigger follows along but is not counted; it is told only once the upgrade is
    // IN_PROGRESS, which can no longer be cancelled.
    if (!target) return upgrade.status === 'IN_PROGRESS' && (await this.mayJoin(planned, node.version, upgrade.force)) ? planned.targetVersion : null;
    if (target.deliveredAt && (target.updatedAt || node.version !== target.targetVersion)) return target.targetVersion;
    const answer = await inTransaction(this.deps.db, async (trx) => {
      const locked = await lockUpgrade(trx, orgId, upgrade.upgradeId);
      if (!locked || isFinal(locked.status)) return { desired: null, moved: false };
      // A report counts only from a heartbeat after the one that carried the version: a node already on it (a
      // forced redeploy, a mixed fleet) has not redeployed before it was told to.
      const marked = await markTarget(trx, locked.upgradeId, node.nodeId, now.toISOString(), node.version === target.targetVersion);
      if (!marked.delivered && !marked.updated) return { desired: target.targetVersion, moved: false };
      // Counted as it happens, under the lock: a heartbeat costs the same whatever the size of the fleet.
      const progress = locked.progress.map((p) =>
        p.service === target.service ? { ...p, delivered: p.delivered + Number(marked.delivered), updated: p.updated + Number(marked.updated) } : p,
      );
      const after = await this.advance(trx, actor, locked, { progress });
      return { desired: isFinal(after.status) && after.status !== 'SUCCESS' ? null : target.targetVersion, moved: after.sequence !== locked.sequence };
    });
    if (answer.moved) await this.publish(upgrade.upgradeId);
    return answer.desired;
  }

  /** The deadline job: ends the upgrade FAILED or PARTIAL unless it ended already. Null when done. */
  async expire(deadline: UpgradeDeadline): Promise<Date | null> {
    const now = this.deps.clock.now();
    const outcome = await inTransaction(this.deps.db, async (trx) => {
      const upgrade = await lockUpgrade(trx, deadline.orgId, deadline.upgradeId);
      if (!upgrade || isFinal(upgrade.status)) return null;
      // Woken early (another instance's clock): come back at the deadline.
      if (new Date(upgrade.deadlineAt) > now) return { later: new Date(upgrade.deadlineAt) };
      await this.advance(trx, systemActor(deadline.orgId, 'deployments'), upgrade, { deadlinePassed: true });
      return { later: null };
    });
    if (outcome && !outcome.later) await this.publish(deadline.upgradeId);
    return outcome?.later ?? null;
  }

  /**
   * The upgrade's status changes after `after`, as they happen, until it ends. Checked before the first event:
   * an unknown upgrade (or another organization's) is refused, not an empty stream. `stillAllowed` is asked on
   * every pass: a session that ended or lost the permission ends the stream.
   */
  async watch(actor: Actor, upgradeId: string, after: number, stillAllowed: () => Promise<boolean>): Promise<AsyncIterableIterator<UpgradeEvent>> {
    const orgId = tenantOf(actor);
    if (!(await findUpgrade(this.deps.db, orgId, upgradeId))) throw new NotFound(`upgrade ${upgradeId} not found`);
    const live = this.live;
    const db = this.deps.db;
    const settle = async (u: Upgrade) => (await this.settleOverdue(u)) ?? u;
    let watch: Watch | null = null;
    let stopped = false;
    // Nothing is registered until the stream is read: a stream its consumer drops unread leaves nothing behind.
    const events = (async function* () {
      if (stopped) return;
      watch = live.watch(topic(upgradeId));
      try {
        let seen = after;
        while (!stopped) {
          for (const e of await eventsAfter(db, orgId, upgradeId, seen)) {
            seen = e.sequence;
            yield e;
            if (isFinal(e.toStatus)) return;
          }
          const current = await findUpgrade(db, orgId, upgradeId);
          if (!current) return;
          const now = await settle(current);
          // Resumed after the final event: nothing more will come.
          if (isFinal(now.status) && now.sequence <= seen) return;
          if (now.sequence > seen) continue;
          if (!(await stillAllowed())) return;
          // False: the consumer left, or the service is stopping (the watcher resumes elsewhere with afterSequence).
          if (!(await watch.next(WATCH_POLL_MS))) return;
        }
      } finally {
        watch.close();
      }
    })();
    // A consumer that leaves (yoga calls return()) may find the stream waiting for a wake-up, where a generator's
    // own return() would wait for the next event: closing the watch ends that wait at once.
    const stop = () => {
      stopped = true;
      (watch as Watch | null)?.close();
    };
    const iterator: AsyncIterableIterator<UpgradeEvent> = {
      next: () => events.next(),
      return: (value?: unknown) => {
        stop();
        return events.return(value as undefined);
      },
      throw: (err?: unknown) => {
        stop();
        return events.throw(err);
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /**
   * A node that joined after the trigger takes the target only where the trigger's own rules would have let it:
   * no jump past a required stop, no downgrade or redeploy unless the upgrade was forced.
   */
  private async mayJoin(planned: PlannedService, version: string, force: boolean): Promise<boolean> {
    const releases = await listReleases(this.deps.db, planned.service);
    try {
      planTarget({ service: planned.service, releases, reported: [version], requested: planned.targetVersion, force });
      return true;
    } catch (err) {
      if (err instanceof InvalidInput) return false;
      throw err;
    }
  }

  private async active(orgId: string): Promise<Upgrade | null> {
    const upgrade = await findActiveUpgrade(this.deps.db, orgId);
    if (!upgrade) return null;
    const settled = await this.settleOverdue(upgrade);
    return settled && isFinal(settled.status) ? null : upgrade;
  }

  /**
   * A deadline that passed is settled by whoever looks first, the deadline job or a reader: an upgrade never
   * looks active past its deadline because a job runner was down.
   */
  private async settleOverdue(upgrade: Upgrade): Promise<Upgrade | null> {
    if (isFinal(upgrade.status) || new Date(upgrade.deadlineAt) > this.deps.clock.now()) return null;
    await this.expire({ orgId: upgrade.orgId, upgradeId: upgrade.upgradeId });
    return findUpgrade(this.deps.db, upgrade.orgId, upgrade.upgradeId);
  }

  private busy(active: Upgrade): Conflict {
    const what = active.plan.map((p) => `${p.service} to ${p.targetVersion}`).join(', ');
    return new Conflict(`upgrade ${active.upgradeId} (${active.status}: ${what}) is still active; wait for it to end or cancel it while PENDING`);
  }

  /**
   * Makes the moves an observation calls for (or the ones asked) and keeps each as an event. `progress` is the
   * count a heartbeat just moved; without it (the deadline, a cancel) the targets are counted afresh.
   */
  private async advance(
    trx: Trx,
    actor: Actor,
    upgrade: Upgrade,
    opts: { explicit?: Transition[]; deadlinePassed?: boolean; progress?: ServiceProgress[] },
  ): Promise<Upgrade> {
    let progress = opts.progress ?? (await this.progressOf(trx, upgrade));
    const moves = opts.explicit ?? transitionsFor(upgrade.status, progress, opts.deadlinePassed ?? false);
    // The active-node totals are for people reading a status change; counted when one happens, not per heartbeat.
    if (moves.length > 0 && opts.progress) progress = await this.withTotals(trx, upgrade.orgId, progress);
    const at = this.deps.clock.now().toISOString();
    const next: Upgrade = { ...upgrade, progress };
    const events: UpgradeEvent[] = [];
    for (const move of moves) {
      events.push({ upgradeId: upgrade.upgradeId, sequence: next.sequence + 1, fromStatus: next.status, toStatus: move.to, reason: move.reason, progress, at });
      await this.audit(trx, actor, next, next.status, move);
      next.sequence += 1;
      next.status = move.to;
      next.reason = move.reason;
      if (move.to === 'IN_PROGRESS') next.startedAt = at;
      if (isFinal(move.to)) next.completedAt = at;
    }
    await saveUpgrade(trx, next);
    await insertEvents(trx, upgrade.orgId, events);
    return next;
  }

  private async progressOf(db: Executor, upgrade: Upgrade): Promise<ServiceProgress[]> {
    const counts = await targetCounts(db, upgrade.upgradeId);
    const progress = upgrade.plan.map((p) => {
      const c = counts.find((x) => x.service === p.service);
      return { service: p.service, targetVersion: p.targetVersion, desired: c?.desired ?? 0, delivered: c?.delivered ?? 0, updated: c?.updated ?? 0, total: 0 };
    });
    return this.withTotals(db, upgrade.orgId, progress);
  }

  private async withTotals(db: Executor, orgId: string, progress: ServiceProgress[]): Promise<ServiceProgress[]> {
    const totals = await activeNodeCounts(db, orgId, this.activeSince());
    return progress.map((p) => ({ ...p, total: totals.get(p.service) ?? 0 }));
  }

  private async audit(trx: Trx, actor: Actor, upgrade: Upgrade, from: string | null, move: Transition): Promise<void> {
    await this.deps.audit.append(trx, actor, {
      action: 'deployments.upgrade_status',
      orgId: upgrade.orgId,
      targetType: 'upgrade',
      targetId: upgrade.upgradeId,
      details: { from, to: move.to, reason: move.reason, services: upgrade.plan.map((p) => `${p.service}@${p.targetVersion}`) },
    });
  }

  private async publish(upgradeId: string): Promise<void> {
    // The change is committed; a lost wake-up only delays watchers until their next look.
    await this.live.publish(topic(upgradeId)).catch(() => undefined);
  }
}


function targetOf(n: NodeVersion, service: DeployService, targetVersion: string): TargetRow {
  return { nodeId: n.nodeId, service, fromVersion: n.version, targetVersion, deliveredAt: null, updatedAt: null };
}

