import { sql } from 'kysely';
import type { Executor } from './database.js';
import type { AuditEventRow } from './tables.js';

export interface AuditEvent {
  id: string;
  chain: string;
  seq: number;
  orgId: string | null;
  action: string;
  actorType: string;
  actorId: string | null;
  targetType: string | null;
  targetId: string | null;
  outcome: string;
  ip: string | null;
  userAgent: string | null;
  details: Record<string, unknown>;
  createdAt: string;
  prevHash: string;
  hash: string;
}

export function toAuditEvent(r: AuditEventRow): AuditEvent {
  return {
    id: r.id,
    chain: r.chain,
    seq: Number(r.seq),
    orgId: r.org_id,
    action: r.action,
    actorType: r.actor_type,
    actorId: r.actor_id,
    targetType: r.target_type,
    targetId: r.target_id,
    outcome: r.outcome,
    ip: r.ip,
    userAgent: r.user_agent,
    details: JSON.parse(r.details) as Record<string, unknown>,
    createdAt: r.created_at,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

/**
 * Claims the next sequence number of a chain and returns it with the previous hash. The UPDATE takes the
 * head row's lock on PostgreSQL until the transaction ends, so appends to one chain are serialised there;
 * SQLite has a single writer anyway.
 */
export async function claimNextSeq(db: Executor, chain: string): Promise<{ seq: number; prevHash: string }> {
  await db
    .insertInto('audit_heads')
    .values({ chain, seq: 0, hash: '' })
    .onConflict((oc) => oc.column('chain').doNothing())
    .execute();
  const head = await db
    .updateTable('audit_heads')
    .set({ seq: sql`seq + 1` })
    .where('chain', '=', chain)
    .returning(['seq', 'hash'])
    .executeTakeFirstOrThrow();
  return { seq: Number(head.seq), prevHash: head.hash };
}

export async function insertAuditEvent(db: Executor, row: AuditEventRow): Promise<void> {
  await db.insertInto('audit_events').values(row).execute();
  await db.updateTable('audit_heads').set({ hash: row.hash }).where('chain', '=', row.chain).execute();
}

export interface AuditFilter {
  orgId?: string | null;
  action?: string | null;
  outcome?: string | null;
  from?: string | null;
  to?: string | null;
}

export async function listAuditEvents(
  db: Executor,
  filter: AuditFilter,
  page: { offset: number; limit: number },
): Promise<AuditEvent[]> {
  let q = db.selectFrom('audit_events').selectAll();
  if (filter.orgId) q = q.where('org_id', '=', filter.orgId);
  if (filter.action) q = q.where('action', '=', filter.action);
  if (filter.outcome) q = q.where('outcome', '=', filter.outcome);
  if (filter.from) q = q.where('created_at', '>=', filter.from);
  if (filter.to) q = q.where('created_at', '<', filter.to);
  const rows = await q.orderBy('created_at', 'desc').orderBy('seq', 'desc').limit(page.limit).offset(page.offset).execute();
  return rows.map(toAuditEvent);
}

export async function chainPage(db: Executor, chain: string, afterSeq: number, limit: number): Promise<AuditEventRow[]> {
  return db
    .selectFrom('audit_events')
    .selectAll()
    .where('chain', '=', chain)
    .where('seq', '>', afterSeq)
    .orderBy('seq')
    .limit(limit)
    .execute();
}

export async function chainHead(db: Executor, chain: string): Promise<{ seq: number; hash: string } | null> {
  const row = await db.selectFrom('audit_heads').select(['seq', 'hash']).where('chain', '=', chain).executeTakeFirst();
  return row ? { seq: Number(row.seq), hash: row.hash } : null;
}

export async function listChains(db: Executor): Promise<string[]> {
  const rows = await db.selectFrom('audit_heads').select('chain').orderBy('chain').execute();
  return rows.map((r) => r.chain);
}
