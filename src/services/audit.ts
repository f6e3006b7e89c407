import { createHash } from 'node:crypto';
import type { Clock } from '../clock.js';
import {
  type AuditEvent,
  type AuditFilter,
  chainHead,
  chainPage,
  claimNextSeq,
  insertAuditEvent,
  listAuditEvents,
  listChains,
} from '../db/audit.js';
import { type DB, type Trx, inTransaction } from '../db/database.js';
import type { AuditEventRow } from '../db/tables.js';
import { newId } from '../ids.js';
import { type Actor, type OperatorActor, tenantOf } from './actor.js';

/** Events with no organization (operator reads, unknown-org logins) share one chain. */
export const OPERATOR_CHAIN = '_operator';

export interface AuditEntry {
  action: string;
  orgId: string | null;
  targetType?: string;
  targetId?: string;
  outcome?: 'success' | 'failure' | 'denied';
  details?: Record<string, unknown>;
}

export interface ChainVerification {
  chain: string;
  valid: boolean;
  eventsChecked: number;
  brokenAtSeq: number | null;
  reason: string | null;
}

export class AuditService {
  constructor(
    private readonly db: DB,
    private readonly clock: Clock,
  ) {}

  /**
   * Appends inside the caller's transaction, so the event and the change commit or fail together. It takes a
   * transaction and nothing else: an append outside one does not compile.
   */
  async append(trx: Trx, actor: Actor, entry: AuditEntry): Promise<void> {
    const chain = entry.orgId ?? OPERATOR_CHAIN;
    const { seq, prevHash } = await claimNextSeq(trx, chain);
    const row: Omit<AuditEventRow, 'hash'> = {
      id: newId('evt'),
      chain,
      seq,
      org_id: entry.orgId,
      action: entry.action,
      actor_type: actor.type,
      actor_id: actor.id,
      target_type: entry.targetType ?? null,
      target_id: entry.targetId ?? null,
      outcome: entry.outcome ?? 'success',
      ip: actor.ip,
      user_agent: actor.userAgent ? actor.userAgent.slice(0, 256) : null,
      details: canonicalJson(entry.details ?? {}),
      created_at: this.clock.now().toISOString(),
      prev_hash: prevHash,
    };
    await insertAuditEvent(trx, { ...row, hash: eventHash(row) });
  }

  /** For events that stand alone (failed logins, refusals): their own transaction. */
  record(actor: Actor, entry: AuditEntry): Promise<void> {
    return inTransaction(this.db, (trx) => this.append(trx, actor, entry));
  }

  /** Any organization's events, or all (the operator's view). */
  list(_actor: OperatorActor, filter: AuditFilter, page: { offset: number; limit: number }): Promise<AuditEvent[]> {
    return listAuditEvents(this.db, filter, page);
  }

  /** The actor's own organization's events. */
  listOwn(actor: Actor, filter: Omit<AuditFilter, 'orgId'>, page: { offset: number; limit: number }): Promise<AuditEvent[]> {
    return listAuditEvents(this.db, { ...filter, orgId: tenantOf(actor) }, page);
  }

  /** Walks one organization's chain, or every chain; the walk itself is audited. */
  async verify(actor: OperatorActor, orgId?: string | null): Promise<ChainVerification[]> {
    const chains = orgId ? [orgId] : await listChains(this.db);
    const out: ChainVerification[] = [];
    for (const chain of chains) out.push(await this.verifyChain(chain));
    await this.record(actor, {
      action: 'admin.audit_verified',
      orgId: null,
      details: { org_id: orgId ?? null, valid: out.every((r) => r.valid) },
    });
    return out;
  }

  private async verifyChain(chain: string): Promise<ChainVerification> {
    const head = await chainHead(this.db, chain);
    let expectedSeq = 1;
    let prevHash = '';
    let checked = 0;
    const broken = (seq: number, reason: string): ChainVerification => ({
      chain,
      valid: false,
      eventsChecked: checked,
      brokenAtSeq: seq,
      reason,
    });
    for (;;) {
      const rows = await chainPage(this.db, chain, expectedSeq - 1, 1000);
      for (const row of rows) {
        const seq = Number(row.seq);
        if (seq !== expectedSeq) return broken(expectedSeq, `event ${expectedSeq} is missing`);
        if (row.prev_hash !== prevHash) return broken(seq, `event ${seq} does not link to the event before it`);
        const { hash, ...rest } = row;
        if (eventHash({ ...rest, seq }) !== hash) return broken(seq, `event ${seq} was altered after it was written`);
        prevHash = hash;
        expectedSeq++;
        checked++;
      }
      if (rows.length < 1000) break;
    }
    const lastSeq = expectedSeq - 1;
    if (head && head.seq !== lastSeq) {
      return broken(lastSeq + 1, `the chain ends at event ${lastSeq} but ${head.seq} were written`);
    }
    // Every row checks out against its neighbour, yet the chain's tail is not the one that was written:
    // the events were rewritten from some point on, hashes and all.
    if (head && head.hash !== prevHash) {
      return broken(lastSeq, `event ${lastSeq} is not the last event that was written: the chain was rewritten`);
    }
    return { chain, valid: true, eventsChecked: checked, brokenAtSeq: null, reason: null };
  }
}

/** sha256(prev_hash | canonical event): what each row's hash must be. */
export function eventHash(r: Omit<AuditEventRow, 'hash'>): string {
  const canonical = JSON.stringify([
    r.chain,
    Number(r.seq),
    r.org_id,
    r.action,
    r.actor_type,
    r.actor_id,
    r.target_type,
    r.target_id,
    r.outcome,
    r.ip,
    r.user_agent,
    r.details,
    r.created_at,
  ]);
  return createHash('sha256').update(`${r.prev_hash}|${canonical}`).digest('hex');
}

/** JSON with object keys sorted at every level, so the same event always hashes the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)));
    }
    return v;
  });
}
