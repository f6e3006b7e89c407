import { ACTIVE_STATUSES, type DeployService, type ServiceProgress, type UpgradeStatus } from '../domain/deployments.js';
import type { Executor } from './database.js';
import type { UpgradeEventsTable, UpgradesTable } from './tables/deployments.js';

export interface PlannedService {
  service: DeployService;
  targetVersion: string;
}

export interface Upgrade {
  upgradeId: string;
  orgId: string;
  status: UpgradeStatus;
  requestedVersion: string;
  force: boolean;
  plan: PlannedService[];
  progress: ServiceProgress[];
  message: string;
  reason: string | null;
  initiatedBy: string | null;
  sequence: number;
  createdAt: string;
  startedAt: string | null;
  completedAt: string | null;
  deadlineAt: string;
}

export interface UpgradeEvent {
  upgradeId: string;
  sequence: number;
  fromStatus: UpgradeStatus | null;
  toStatus: UpgradeStatus;
  reason: string;
  progress: ServiceProgress[];
  at: string;
}

export interface TargetRow {
  nodeId: string;
  service: DeployService;
  fromVersion: string;
  targetVersion: string;
  deliveredAt: string | null;
  updatedAt: string | null;
}

function toUpgrade(r: UpgradesTable): Upgrade {
  return {
    upgradeId: r.upgrade_id,
    orgId: r.org_id,
    status: r.status as UpgradeStatus,
    requestedVersion: r.requested_version,
    force: r.force === 1,
    plan: JSON.parse(r.plan) as PlannedService[],
    progress: JSON.parse(r.progress) as ServiceProgress[],
    message: r.message,
    reason: r.reason,
    initiatedBy: r.initiated_by,
    sequence: r.sequence,
    createdAt: r.created_at,
    startedAt: r.started_at,
    completedAt: r.completed_at,
    deadlineAt: r.deadline_at,
  };
}

function toRow(u: Upgrade): UpgradesTable {
  return {
    upgrade_id: u.upgradeId,
    org_id: u.orgId,
    status: u.status,
    requested_version: u.requestedVersion,
    force: u.force ? 1 : 0,
    plan: JSON.stringify(u.plan),
    progress: JSON.stringify(u.progress),
    message: u.message,
    reason: u.reason,
    initiated_by: u.initiatedBy,
    sequence: u.sequence,
    created_at: u.createdAt,
    started_at: u.startedAt,
    completed_at: u.completedAt,
    deadline_at: u.deadlineAt,
  };
}

/** False when the organization already has an active upgrade (the partial unique index upgrades_one_active). */
export async function insertUpgrade(db: Executor, u: Upgrade): Promise<boolean> {
  const r = await db.insertInto('upgrades').values(toRow(u)).onConflict((oc) => oc.doNothing()).executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
}

export async function findActiveUpgrade(db: Executor, orgId: string): Promise<Upgrade | null> {
  const r = await db
    .selectFrom('upgrades')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('status', 'in', ACTIVE_STATUSES)
    .executeTakeFirst();
  return r ? toUpgrade(r) : null;
}

export async function findUpgrade(db: Executor, orgId: string, upgradeId: string): Promise<Upgrade | null> {
  const r = await db.selectFrom('upgrades').selectAll().where('org_id', '=', orgId).where('upgrade_id', '=', upgradeId).executeTakeFirst();
  return r ? toUpgrade(r) : null;
}

/**
 * The upgrade, with its row locked until the transaction ends (an update that changes nothing takes the lock
 * on PostgreSQL; SQLite has one writer): observers of one upgrade on several instances take turns.
 */
export async function lockUpgrade(db: Executor, orgId: string, upgradeId: string): Promise<Upgrade | null> {
  const r = await db
    .updateTable('upgrades')
    .set((eb) => ({ sequence: eb.ref('sequence') }))
    .where('org_id', '=', orgId)
    .where('upgrade_id', '=', upgradeId)
    .returningAll()
    .executeTakeFirst();
  return r ? toUpgrade(r) : null;
}

export async function saveUpgrade(db: Executor, u: Upgrade): Promise<void> {
  const { upgrade_id, org_id, ...rest } = toRow(u);
  await db.updateTable('upgrades').set(rest).where('org_id', '=', org_id).where('upgrade_id', '=', upgrade_id).execute();
}

export async function listUpgrades(db: Executor, orgId: string, page: { offset: number; limit: number }): Promise<Upgrade[]> {
  const rows = await db
    .selectFrom('upgrades')
    .selectAll()
    .where('org_id', '=', orgId)
    .orderBy('created_at', 'desc')
    .orderBy('upgrade_id', 'desc')
    .offset(page.offset)
    .limit(page.limit)
    .execute();
  return rows.map(toUpgrade);
}

export async function countUpgrades(db: Executor, orgId: string): Promise<number> {
  const r = await db.selectFrom('upgrades').select((eb) => eb.fn.countAll<number>().as('n')).where('org_id', '=', orgId).executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function insertTargets(db: Executor, upgradeId: string, orgId: string, targets: TargetRow[]): Promise<void> {
  // Chunked: SQLite caps the variables of one statement.
  for (let i = 0; i < targets.length; i += 100) {
    await db
      .insertInto('upgrade_targets')
      .values(
        targets.slice(i, i + 100).map((t) => ({
          upgrade_id: upgradeId,
          org_id: orgId,
          node_id: t.nodeId,
          service: t.service,
          from_version: t.fromVersion,
          target_version: t.targetVersion,
          delivered_at: t.deliveredAt,
          updated_at: t.updatedAt,
        })),
      )
      .execute();
  }
}

export async function findTarget(db: Executor, upgradeId: string, nodeId: string): Promise<TargetRow | null> {
  const r = await db.selectFrom('upgrade_targets').selectAll().where('upgrade_id', '=', upgradeId).where('node_id', '=', nodeId).executeTakeFirst();
  return r
    ? { nodeId: r.node_id, service: r.service as DeployService, fromVersion: r.from_version, targetVersion: r.target_version, deliveredAt: r.delivered_at, updatedAt: r.updated_at }
    : null;
}

/**
 * Records what a heartbeat showed of a targeted node, and says what it changed. A report counts only when the
 * version was delivered by an earlier heartbeat (checked before this one marks its delivery); a time once set
 * stays: the first observation counts.
 */
export async function markTarget(db: Executor, upgradeId: string, nodeId: string, at: string, reportsTarget: boolean): Promise<{ delivered: boolean; updated: boolean }> {
  const target = () => db.updateTable('upgrade_targets').where('upgrade_id', '=', upgradeId).where('node_id', '=', nodeId);
  const updated = reportsTarget
    ? await target().set({ updated_at: at }).where('updated_at', 'is', null).where('delivered_at', 'is not', null).executeTakeFirst()
    : null;
  const delivered = await target().set({ delivered_at: at }).where('delivered_at', 'is', null).executeTakeFirst();
  return { delivered: Number(delivered.numUpdatedRows) === 1, updated: Number(updated?.numUpdatedRows ?? 0) === 1 };
}

export interface TargetCounts {
  service: DeployService;
  desired: number;
  delivered: number;
  updated: number;
}

export async function targetCounts(db: Executor, upgradeId: string): Promise<TargetCounts[]> {
  const rows = await db
    .selectFrom('upgrade_targets')
    .select((eb) => [
      'service',
      eb.fn.countAll<number>().as('desired'),
      eb.fn.count<number>('delivered_at').as('delivered'),
      eb.fn.count<number>('updated_at').as('updated'),
    ])
    .where('upgrade_id', '=', upgradeId)
    .groupBy('service')
    .execute();
  return rows.map((r) => ({ service: r.service as DeployService, desired: Number(r.desired), delivered: Number(r.delivered), updated: Number(r.updated) }));
}

export async function insertEvents(db: Executor, orgId: string, events: UpgradeEvent[]): Promise<void> {
  if (events.length === 0) return;
  await db
    .insertInto('upgrade_events')
    .values(
      events.map(
        (e): UpgradeEventsTable => ({
          upgrade_id: e.upgradeId,
          sequence: e.sequence,
          org_id: orgId,
          from_status: e.fromStatus,
          to_status: e.toStatus,
          reason: e.reason,
          progress: JSON.stringify(e.progress),
          at: e.at,
        }),
      ),
    )
    .execute();
}

export async function eventsAfter(db: Executor, orgId: string, upgradeId: string, after: number): Promise<UpgradeEvent[]> {
  const rows = await db
    .selectFrom('upgrade_events')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('upgrade_id', '=', upgradeId)
    .where('sequence', '>', after)
    .orderBy('sequence')
    .execute();
  return rows.map((r) => ({
    upgradeId: r.upgrade_id,
    sequence: r.sequence,
    fromStatus: r.from_status as UpgradeStatus | null,
    toStatus: r.to_status as UpgradeStatus,
    reason: r.reason,
    progress: JSON.parse(r.progress) as ServiceProgress[],
    at: r.at,
  }));
}
