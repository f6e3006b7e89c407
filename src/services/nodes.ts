import { inTransaction, type Executor, type Trx } from '../db/database.js';
import {
  type NodeCounts,
  type NodeRecord,
  insertBand,
  listNodes,
  lockBand,
  moveBand,
  nodeCounts,
  upsertNode,
} from '../db/nodes.js';
import { NODE_ROLES, type NodeBand, type NodeRole } from '../domain/vocabulary.js';
import { type Actor, tenantOf } from './actor.js';
import type { ServiceDeps } from './deps.js';
import { InvalidInput, NotFound } from '../domain/errors.js';
import * as v from './validate.js';

/** A node is active when its last heartbeat is at most this old (nodes report every 2 minutes). */
export const ACTIVE_WINDOW_MS = 5 * 60 * 1000;
export const NODE_STATUSES = ['active', 'stale'] as const;
export type NodeStatus = (typeof NODE_STATUSES)[number];

export interface Node extends NodeRecord {
  status: NodeStatus;
}

export interface NodeUsage {
  totalCount: number;
  activeCount: number;
  maxNodes: number;
  band: NodeBand;
  /** When the stored band last moved; null while it has been OK since the first observation. */
  bandChangedAt: string | null;
}

export interface HeartbeatInput {
  nodeId: string;
  hostname: string;
  role: NodeRole;
  version: string;
  os?: string | null;
  cpuCores?: number | null;
  memoryMb?: number | null;
  region?: string | null;
}

const NODE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Integer comparisons, never a rounded percentage: 8 of 10 is CAUTION exactly, 899 of 1000 is not WARNING. */
export function bandOf(active: number, maxNodes: number): NodeBand {
  if (maxNodes <= 0) return active > 0 ? 'VIOLATION' : 'OK';
  const scaled = active * 100;
  if (scaled >= 100 * maxNodes) return 'VIOLATION';
  if (scaled >= 90 * maxNodes) return 'WARNING';
  if (scaled >= 80 * maxNodes) return 'CAUTION';
  return 'OK';
}

function activeSince(now: Date): string {
  return new Date(now.getTime() - ACTIVE_WINDOW_MS).toISOString();
}

function withStatus(n: NodeRecord, now: Date): Node {
  const age = now.getTime() - new Date(n.lastHeartbeatAt).getTime();
  return { ...n, status: age <= ACTIVE_WINDOW_MS ? 'active' : 'stale' };
}

export class NodeService {
  constructor(private readonly deps: ServiceDeps) {}

  /**
   * Records a heartbeat. The limit alerts and never refuses: a node over max_nodes is accepted and counted,
   * and the band it causes is settled in the same transaction.
   */
  async heartbeat(actor: Actor, input: HeartbeatInput): Promise<{ node: Node; usage: NodeUsage }> {
    const orgId = tenantOf(actor);
    const fields = this.validate(input);
    const now = this.deps.clock.now();
    const at = now.toISOString();
    return inTransaction(this.deps.db, async (trx) => {
      const record = await upsertNode(trx, { orgId, ...fields, firstSeenAt: at, lastHeartbeatAt: at });
      const counts = await this.counts(trx, orgId, now);
      const band = bandOf(counts.active, counts.maxNodes);
      const usage =
        band === (counts.band ?? 'OK') ? usageOf(counts, band, counts.bandChangedAt) : await this.settle(trx, actor, orgId, now);
      return { node: withStatus(record, now), usage };
    });
  }

  async list(actor: Actor, page: { offset: number; limit: number }): Promise<Node[]> {
    const now = this.deps.clock.now();
    const rows = await listNodes(this.deps.db, tenantOf(actor), page);
    return rows.map((n) => withStatus(n, now));
  }

  /**
   * Counts against the limit. Nodes go stale without any write, so a read is where many band changes are
   * first seen; it writes only when the band differs from the stored one.
   */
  async usage(actor: Actor): Promise<NodeUsage> {
    const orgId = tenantOf(actor);
    const now = this.deps.clock.now();
    const counts = await this.counts(this.deps.db, orgId, now);
    const band = bandOf(counts.active, counts.maxNodes);
    if (band === (counts.band ?? 'OK')) return usageOf(counts, band, counts.bandChangedAt);
    return inTransaction(this.deps.db, (trx) => this.settle(trx, actor, orgId, now));
  }

  private async counts(db: Executor, orgId: string, now: Date): Promise<NodeCounts> {
    const counts = await nodeCounts(db, orgId, activeSince(now));
    if (!counts) throw new NotFound(`organization ${orgId} not found`);
    return counts;
  }

  /**
   * Called when a count disagrees with the stored band: takes the band row's lock, counts again under it, and
   * stores and audits the move in the caller's transaction. Under the lock each settler counts every node
   * committed by the settlers before it, so two instances write one event per change and a slower
   * transaction cannot put back a band from an older count. No stored row means the band has been OK.
   */
  private async settle(trx: Trx, actor: Actor, orgId: string, now: Date): Promise<NodeUsage> {
    const at = now.toISOString();
    for (let attempt = 0; ; attempt++) {
      const stored = await lockBand(trx, orgId);
      const counts = await this.counts(trx, orgId, now);
      const from: NodeBand = stored?.band ?? 'OK';
      const to = bandOf(counts.active, counts.maxNodes);
      if (from === to) return usageOf(counts, to, stored?.changedAt ?? null);
      // With no row there is nothing to lock: the insert is the guard, and losing it means another
      // instance stored a band a moment ago; go round once more to lock that row.
      const moved = stored ? await moveBand(trx, orgId, from, to, at) : await insertBand(trx, orgId, to, at);
      if (moved) {
        await this.deps.audit.append(trx, actor, {
          action: 'nodes.band_changed',
          orgId,
          targetType: 'organization',
          targetId: orgId,
          details: { from, to, active_count: counts.active, max_nodes: counts.maxNodes },
        });
        return usageOf(counts, to, at);
      }
      if (attempt >= 2) return usageOf(counts, to, stored?.changedAt ?? null);
    }
  }

  private validate(input: HeartbeatInput): Omit<NodeRecord, 'orgId' | 'firstSeenAt' | 'lastHeartbeatAt'> {
    if (typeof input.nodeId !== 'string' || !NODE_ID.test(input.nodeId)) {
      throw new InvalidInput('must be 1 to 128 characters: letters, digits, ".", "_", ":" or "-"', 'nodeId');
    }
    if (!(NODE_ROLES as readonly string[]).includes(input.role)) {
      throw new InvalidInput(`must be one of ${NODE_ROLES.join(', ')}`, 'role');
    }
    return {
      nodeId: input.nodeId,
      hostname: v.text('hostname', input.hostname, { max: 253 }),
      role: input.role,
      version: v.text('version', input.version, { max: 64 }),
      os: v.optionalText('os', input.os, 64),
      cpuCores: input.cpuCores == null ? null : v.integer('cpuCores', input.cpuCores, 1, 4096),
      memoryMb: input.memoryMb == null ? null : v.integer('memoryMb', input.memoryMb, 1, 16_777_216),
      region: v.optionalText('region', input.region, 64),
    };
  }
}

function usageOf(counts: NodeCounts, band: NodeBand, bandChangedAt: string | null): NodeUsage {
  return { totalCount: counts.total, activeCount: counts.active, maxNodes: counts.maxNodes, band, bandChangedAt };
}
