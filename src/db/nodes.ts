import type { Executor } from './database.js';
import type { NodesTable } from './tables/nodes.js';

import type { NodeBand, NodeRole } from '../domain/vocabulary.js';

/** A node as stored; whether it is active depends on the clock, so the service adds that. */
export interface NodeRecord {
  orgId: string;
  nodeId: string;
  hostname: string;
  role: NodeRole;
  version: string;
  os: string | null;
  cpuCores: number | null;
  memoryMb: number | null;
  region: string | null;
  firstSeenAt: string;
  lastHeartbeatAt: string;
}

function toNodeRecord(r: NodesTable): NodeRecord {
  return {
    orgId: r.org_id,
    nodeId: r.node_id,
    hostname: r.hostname,
    role: r.role as NodeRole,
    version: r.version,
    os: r.os,
    cpuCores: r.cpu_cores === null ? null : Number(r.cpu_cores),
    memoryMb: r.memory_mb === null ? null : Number(r.memory_mb),
    region: r.region,
    firstSeenAt: r.first_seen_at,
    lastHeartbeatAt: r.last_heartbeat_at,
  };
}

/** Inserts or refreshes the node; first_seen_at stays what the first heartbeat wrote. */
export async function upsertNode(db: Executor, n: NodeRecord): Promise<NodeRecord> {
  const row = await db
    .insertInto('nodes')
    .values({
      org_id: n.orgId,
      node_id: n.nodeId,
      hostname: n.hostname,
      role: n.role,
      version: n.version,
      os: n.os,
      cpu_cores: n.cpuCores,
      memory_mb: n.memoryMb,
      region: n.region,
      first_seen_at: n.firstSeenAt,
      last_heartbeat_at: n.lastHeartbeatAt,
    })
    .onConflict((oc) =>
      oc.columns(['org_id', 'node_id']).doUpdateSet((eb) => ({
        hostname: eb.ref('excluded.hostname'),
        role: eb.ref('excluded.role'),
        version: eb.ref('excluded.version'),
        os: eb.ref('excluded.os'),
        cpu_cores: eb.ref('excluded.cpu_cores'),
        memory_mb: eb.ref('excluded.memory_mb'),
        region: eb.ref('excluded.region'),
        last_heartbeat_at: eb.ref('excluded.last_heartbeat_at'),
      })),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
  return toNodeRecord(row);
}

export async function listNodes(db: Executor, orgId: string, page: { offset: number; limit: number }): Promise<NodeRecord[]> {
  // node_id order is stable under heartbeats, so offset pages do not shuffle while nodes report.
  const rows = await db
    .selectFrom('nodes')
    .selectAll()
    .where('org_id', '=', orgId)
    .orderBy('node_id')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
  return rows.map(toNodeRecord);
}

export interface NodeCounts {
  maxNodes: number;
  total: number;
  active: number;
  /** The stored band; null before the organization's band ever left OK. */
  band: NodeBand | null;
  bandChangedAt: string | null;
}

/**
 * Everything the usage view needs in one round trip: the limit, both counts and the stored band.
 * activeSince is an ISO timestamp; ISO UTC text of one format orders like the instants it names.
 */
export async function nodeCounts(db: Executor, orgId: string, activeSince: string): Promise<NodeCounts | null> {
  const row = await db
    .selectFrom('organizations as o')
    .leftJoin('node_bands as b', 'b.org_id', 'o.org_id')
    .where('o.org_id', '=', orgId)
    .select((eb) => [
      'o.max_nodes',
      'b.band',
      'b.changed_at',
      eb.selectFrom('nodes').where('nodes.org_id', '=', orgId).select(eb.fn.countAll().as('n')).as('total'),
      eb
        .selectFrom('nodes')
        .where('nodes.org_id', '=', orgId)
        .where('nodes.last_heartbeat_at', '>=', activeSince)
        .select(eb.fn.countAll().as('n'))
        .as('active'),
    ])
    .executeTakeFirst();
  if (!row) return null;
  return {
    maxNodes: Number(row.max_nodes),
    total: Number(row.total ?? 0),
    active: Number(row.active ?? 0),
    band: (row.band as NodeBand | null) ?? null,
    bandChangedAt: row.changed_at ?? null,
  };
}

/**
 * Reads the stored band and, on PostgreSQL, holds its row lock until the transaction ends (an UPDATE that
 * changes nothing is the portable way to take it): band settlers of one organization go one at a time.
 */
export async function lockBand(db: Executor, orgId: string): Promise<{ band: NodeBand; changedAt: string } | null> {
  const row = await db
    .updateTable('node_bands')
    .set((eb) => ({ band: eb.ref('band') }))
    .where('org_id', '=', orgId)
    .returning(['band', 'changed_at'])
    .executeTakeFirst();
  return row ? { band: row.band as NodeBand, changedAt: row.changed_at } : null;
}

/** True when this call made the row; false when one was there (perhaps written a moment ago by another instance). */
export async function insertBand(db: Executor, orgId: string, band: NodeBand, at: string): Promise<boolean> {
  const rows = await db
    .insertInto('node_bands')
    .values({ org_id: orgId, band, changed_at: at })
    .onConflict((oc) => oc.column('org_id').doNothing())
    .returning('org_id')
    .execute();
  return rows.length === 1;
}

/** Moves the band only if it is still `from` (the caller holds the lock; the condition is a second guard). */
export async function moveBand(db: Executor, orgId: string, from: NodeBand, to: NodeBand, at: string): Promise<boolean> {
  const result = await db
    .updateTable('node_bands')
    .set({ band: to, changed_at: at })
    .where('org_id', '=', orgId)
    .where('band', '=', from)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export interface NodeVersion {
  nodeId: string;
  role: NodeRole;
  version: string;
}

/** The active nodes' roles and versions: what a version check and an upgrade's targets are made of. */
export async function activeNodeVersions(db: Executor, orgId: string, activeSince: string): Promise<NodeVersion[]> {
  const rows = await db
    .selectFrom('nodes')
    .select(['node_id', 'role', 'version'])
    .where('org_id', '=', orgId)
    .where('last_heartbeat_at', '>=', activeSince)
    .orderBy('node_id')
    .execute();
  return rows.map((r) => ({ nodeId: r.node_id, role: r.role as NodeRole, version: r.version }));
}

/** Active nodes per role, counted by the database. */
export async function activeNodeCounts(db: Executor, orgId: string, activeSince: string): Promise<Map<NodeRole, number>> {
  const rows = await db
    .selectFrom('nodes')
    .select((eb) => ['role', eb.fn.countAll<number>().as('n')])
    .where('org_id', '=', orgId)
    .where('last_heartbeat_at', '>=', activeSince)
    .groupBy('role')
    .execute();
  return new Map(rows.map((r) => [r.role as NodeRole, Number(r.n)]));
}
