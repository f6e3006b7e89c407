import { type Trx, inTransaction } from '../../db/database.js';
import {
  type HitlDecision,
  type HitlDecisionRecord,
  type HitlRequest,
  countHitlRequests,
  decideHitlRequest,
  expireHitlRequest,
  findHitlByRequestId,
  findHitlRequest,
  hitlCounts,
  insertHitlRequest,
  lapsedHitlRequests,
  listHitlRequests,
  medianDecisionSeconds,
  overrideHitlRequest,
} from '../../db/hitl.js';
import { HITL_SEVERITIES, HITL_STATUSES, type HitlSeverity, type HitlStatus } from '../../domain/compliance.js';
import { Conflict, InvalidInput, NotFound } from '../../domain/errors.js';
import { newId } from '../../ids.js';
import { type Actor, systemActor, tenantOf } from '../actor.js';
import { canonicalJson } from '../audit.js';
import type { ServiceDeps } from '../deps.js';
import * as v from '../validate.js';

export type { HitlRequest } from '../../db/hitl.js';

/** The context a runtime sends with a request: JSON of at most this many bytes. */
export const MAX_CONTEXT_BYTES = 16 * 1024;
/** How far ahead a request may set its expiry. */
export const MAX_EXPIRY_DAYS = 30;
const MAX_REASON = 2000;
const MIN_DECISION_REASON = 10;
/** Lapsed requests the expiry job writes per transaction, and per run at most. */
const EXPIRE_BATCH = 100;
const EXPIRE_PER_RUN = 10_000;

export interface HitlRequestInput {
  requestId: string;
  severity: string;
  reason: string;
  context: Record<string, unknown>;
  euAiActArticle?: string | null;
  expiresAt?: Date | null;
}

/** The person deciding: always the session's user, whatever a body claims. */
export interface Reviewer {
  userId: string;
  email: string | null;
}

export interface HitlMetrics {
  total: number;
  pending: number;
  /** Requests a person approved or rejected before their expiry. */
  decided: number;
  /** Median seconds from request to an in-time decision; null before the first. */
  medianDecisionSeconds: number | null;
  /** approved / (approved + rejected); null before the first decision. */
  approvalRate: number | null;
  byStatus: { status: HitlStatus; count: number }[];
  bySeverity: { severity: HitlSeverity; count: number; pending: number }[];
}

/**
 * Human oversight: the governed runtime asks for a decision (a retry with the same request_id finds the first
 * request), a person approves or rejects it once, a request past its expiry is expired (the runtime applied
 * its default) and a person may then record what should have happened (overridden). Every change is an audit
 * event in its transaction. A pending request past its expiry reads as expired even before the job writes it.
 */
export class HitlService {
  constructor(private readonly deps: ServiceDeps) {}

  async request(actor: Actor, input: HitlRequestInput): Promise<{ created: boolean; request: HitlRequest }> {
    const orgId = tenantOf(actor);
    const requestId = v.text('requestId', input.requestId, { max: 128 });
    if (!(HITL_SEVERITIES as readonly string[]).includes(input.severity)) {
      throw new InvalidInput(`must be one of ${HITL_SEVERITIES.join(', ')}`, 'severity');
    }
    const severity = input.severity as HitlSeverity;
    const reason = v.prose('reason', input.reason, { max: MAX_REASON });
    const context = contextOf(input.context);
    const euAiActArticle = v.optionalText('euAiActArticle', input.euAiActArticle, 64);
    const expiresAt = input.expiresAt ? validDate('expiresAt', input.expiresAt).toISOString() : null;
    const wanted = { severity, reason, context, euAiActArticle, expiresAt };

    // A retry finds the first request, whenever it comes: its expiry is judged only when it is new.
    const existing = await findHitlByRequestId(this.deps.db, orgId, requestId);
    if (existing) return { created: false, request: this.same(existing, wanted) };

    const now = this.deps.clock.now();
    if (expiresAt) {
      const t = new Date(expiresAt).getTime();
      if (t <= now.getTime()) throw new InvalidInput('must be in the future', 'expiresAt');
      if (t > now.getTime() + MAX_EXPIRY_DAYS * 86_400_000) throw new InvalidInput(`must be at most ${MAX_EXPIRY_DAYS} days from now`, 'expiresAt');
    }
    const row = { id: newId('hitl'), orgId, requestId, ...wanted, requestedBy: actor.id ?? 'unknown', createdAt: now.toISOString() };
    const created = await inTransaction(this.deps.db, async (trx) => {
      if (!(await insertHitlRequest(trx, row))) return false;
      await this.audit(trx, actor, 'hitl.requested', row.orgId, row.id, {
        request_id: requestId,
        severity,
        eu_ai_act_article: euAiActArticle,
        expires_at: expiresAt,
      });
      return true;
    });
    if (created) {
      const request: HitlRequest = {
        ...row,
        status: 'pending',
        decision: null,
        decidedBy: null,
        decidedByEmail: null,
        decidedAt: null,
        comments: null,
        decisionReason: null,
      };
      return { created: true, request };
    }
    // The same request_id arrived twice at once: the other one was first.
    const first = await findHitlByRequestId(this.deps.db, orgId, requestId);
    if (!first) throw new Conflict(`the request id ${requestId} is being used by another request at this moment; retry`);
    return { created: false, request: this.same(first, wanted) };
  }

  async get(actor: Actor, id: string): Promise<HitlRequest> {
    const found = await findHitlRequest(this.deps.db, tenantOf(actor), id);
    if (!found) throw new NotFound(`HITL request ${id} not found`);
    return this.asOfNow(found);
  }

  async list(actor: Actor, status: HitlStatus | undefined, page: { offset: number; limit: number }): Promise<{ items: HitlRequest[]; total: number }> {
    const orgId = tenantOf(actor);
    const filter = { status: statusFilter(status), now: this.deps.clock.now().toISOString() };
    const [rows, total] = await Promise.all([listHitlRequests(this.deps.db, orgId, filter, page), countHitlRequests(this.deps.db, orgId, filter)]);
    return { items: rows.map((r) => this.asOfNow(r)), total };
  }

  approve(actor: Actor, reviewer: Reviewer, id: string, comments: string | null | undefined): Promise<HitlRequest> {
    return this.decide(actor, reviewer, id, { status: 'approved', decision: 'approve', comments: v.optionalProse('comments', comments, MAX_REASON), decisionReason: null });
  }

  reject(actor: Actor, reviewer: Reviewer, id: string, reason: string): Promise<HitlRequest> {
    return this.decide(actor, reviewer, id, { status: 'rejected', decision: 'reject', comments: null, decisionReason: decisionReason(reason) });
  }

  /** Only from expired: the runtime applied its default, and a person records what should have happened. */
  async override(actor: Actor, reviewer: Reviewer, id: string, input: { decision: string; reason: string }): Promise<HitlRequest> {
    if (input.decision !== 'approve' && input.decision !== 'reject') throw new InvalidInput('must be approve or reject', 'decision');
    const decision: HitlDecision = input.decision;
    const reason = decisionReason(input.reason);
    const orgId = tenantOf(actor);
    const now = this.deps.clock.now();
    const at = now.toISOString();
    const outcome = await inTransaction(this.deps.db, async (trx) => {
      if (!(await findHitlRequest(trx, orgId, id))) throw new NotFound(`HITL request ${id} not found`);
      await this.settleLapsed(trx, orgId, id, at);
      const record: HitlDecisionRecord = { status: 'overridden', decision, decidedBy: reviewer.userId, decidedByEmail: reviewer.email, decidedAt: at, decisionSeconds: null, comments: null, decisionReason: reason };
      const overridden = await overrideHitlRequest(trx, orgId, id, at, record);
      if (!overridden) return { refused: (await findHitlRequest(trx, orgId, id))! };
      await this.audit(trx, actor, 'hitl.overridden', orgId, id, { request_id: overridden.requestId, decision, reason });
      return { done: overridden };
    });
    if (outcome.refused) {
      const r = outcome.refused;
      throw new Conflict(`HITL request ${id} is ${r.status}${decidedBy(r)}: only an expired request can be overridden`);
    }
    return outcome.done!;
  }

  async metrics(actor: Actor): Promise<HitlMetrics> {
    const orgId = tenantOf(actor);
    const counts = await hitlCounts(this.deps.db, orgId, this.deps.clock.now().toISOString());
    const sum = (keep: (c: (typeof counts)[number]) => boolean) => counts.filter(keep).reduce((n, c) => n + c.count, 0);
    const approved = sum((c) => c.status === 'approved');
    const rejected = sum((c) => c.status === 'rejected');
    const decided = approved + rejected;
    return {
      total: sum(() => true),
      pending: sum((c) => c.status === 'pending'),
      decided,
      medianDecisionSeconds: await medianDecisionSeconds(this.deps.db, orgId, decided),
      approvalRate: decided > 0 ? approved / decided : null,
      byStatus: HITL_STATUSES.map((status) => ({ status, count: sum((c) => c.status === status) })),
      bySeverity: HITL_SEVERITIES.map((severity) => ({
        severity,
        count: sum((c) => c.severity === severity),
        pending: sum((c) => c.severity === severity && c.status === 'pending'),
      })),
    };
  }

  /** The periodic expiry job: writes every pending request past its expiry as expired, each audited. */
  async expireDue(): Promise<number> {
    let expired = 0;
    while (expired < EXPIRE_PER_RUN) {
      const at = this.deps.clock.now().toISOString();
      const due = await lapsedHitlRequests(this.deps.db, at, EXPIRE_BATCH);
      // One transaction per request: a decider locks the request, then its org's audit head; a batch holding
      // heads across requests would take them in the other order and deadlock with it on PostgreSQL.
      let written = 0;
      for (const r of due) if (await inTransaction(this.deps.db, (trx) => this.settleLapsed(trx, r.orgId, r.id, at))) written++;
      expired += written;
      // A short batch was the last; a batch that wrote nothing was taken by deciders or another runner.
      if (due.length < EXPIRE_BATCH || written === 0) break;
    }
    return expired;
  }

  private async decide(
    actor: Actor,
    reviewer: Reviewer,
    id: string,
    d: Pick<HitlDecisionRecord, 'status' | 'decision' | 'comments' | 'decisionReason'>,
  ): Promise<HitlRequest> {
    const orgId = tenantOf(actor);
    const now = this.deps.clock.now();
    const at = now.toISOString();
    const outcome = await inTransaction(this.deps.db, async (trx) => {
      const found = await findHitlRequest(trx, orgId, id);
      if (!found) throw new NotFound(`HITL request ${id} not found`);
      const record: HitlDecisionRecord = {
        ...d,
        decidedBy: reviewer.userId,
        decidedByEmail: reviewer.email,
        decidedAt: at,
        decisionSeconds: Math.max(0, (now.getTime() - new Date(found.createdAt).getTime()) / 1000),
      };
      // The condition is the guard: of concurrent deciders one changes the row, the others change nothing.
      const decided = await decideHitlRequest(trx, orgId, id, at, record);
      if (decided) {
        await this.audit(trx, actor, d.status === 'approved' ? 'hitl.approved' : 'hitl.rejected', orgId, id, {
          request_id: decided.requestId,
          severity: decided.severity,
          ...(d.decisionReason ? { reason: d.decisionReason } : {}),
        });
        return { done: decided };
      }
      // Past its expiry: written as expired now (committed), then refused.
      const expired = await this.settleLapsed(trx, orgId, id, at);
      return { refused: expired ?? (await findHitlRequest(trx, orgId, id))! };
    });
    if (outcome.refused) throw notPending(outcome.refused);
    return outcome.done!;
  }

  /** Writes a pending request past its expiry as expired, with its audit event; null when it is not one. */
  private async settleLapsed(trx: Trx, orgId: string, id: string, at: string): Promise<HitlRequest | null> {
    const expired = await expireHitlRequest(trx, orgId, id, at);
    if (expired) {
      await this.audit(trx, systemActor(orgId, 'hitl-expiry'), 'hitl.expired', orgId, id, { request_id: expired.requestId, expires_at: expired.expiresAt });
    }
    return expired;
  }

  /** The first request, when a retry asks for the same; 409 when the request_id was used for something else. */
  private same(existing: HitlRequest, wanted: { severity: string; reason: string; context: Record<string, unknown>; euAiActArticle: string | null; expiresAt: string | null }): HitlRequest {
    const differs: string[] = [];
    if (existing.severity !== wanted.severity) differs.push('severity');
    if (existing.reason !== wanted.reason) differs.push('reason');
    if (canonicalJson(existing.context) !== canonicalJson(wanted.context)) differs.push('context');
    if (existing.euAiActArticle !== wanted.euAiActArticle) differs.push('euAiActArticle');
    if (existing.expiresAt !== wanted.expiresAt) differs.push('expiresAt');
    if (differs.length > 0) {
      throw new Conflict(
        `the request id ${existing.requestId} was already used for HITL request ${existing.id} with another ${differs.join(', ')}: ` +
          'a retry must repeat the request exactly; a new decision needs a new request_id',
      );
    }
    return this.asOfNow(existing);
  }

  /** A pending request past its expiry is expired, whether or not the job has written it yet. */
  private asOfNow(r: HitlRequest): HitlRequest {
    return r.status === 'pending' && r.expiresAt !== null && r.expiresAt <= this.deps.clock.now().toISOString() ? { ...r, status: 'expired' } : r;
  }

  private async audit(trx: Trx, actor: Actor, action: string, orgId: string, id: string, details: Record<string, unknown>): Promise<void> {
    await this.deps.audit.append(trx, actor, { action, orgId, targetType: 'hitl_request', targetId: id, details });
  }
}

function statusFilter(status: string | undefined): HitlStatus | undefined {
  if (status === undefined) return undefined;
  if (!(HITL_STATUSES as readonly string[]).includes(status)) throw new InvalidInput(`must be one of ${HITL_STATUSES.join(', ')}`, 'status');
  return status as HitlStatus;
}

function contextOf(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidInput('must be a JSON object', 'context');
  if (Buffer.byteLength(JSON.stringify(value), 'utf8') > MAX_CONTEXT_BYTES) {
    throw new InvalidInput(`must be at most ${MAX_CONTEXT_BYTES} bytes of JSON`, 'context');
  }
  return value as Record<string, unknown>;
}

function validDate(field: string, value: Date): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw new InvalidInput('must be an ISO-8601 timestamp', field);
  return value;
}

/** At least 10 characters once trimmed: a decision against the runtime's request says why. */
function decisionReason(reason: string): string {
  return v.prose('reason', reason, { min: MIN_DECISION_REASON, max: MAX_REASON });
}

function decidedBy(r: HitlRequest): string {
  return r.decidedAt ? ` (decided by ${r.decidedByEmail ?? r.decidedBy} at ${r.decidedAt})` : '';
}

function notPending(r: HitlRequest): Conflict {
  if (r.status === 'expired') {
    return new Conflict(
      `HITL request ${r.id} expired at ${r.expiresAt} before anyone decided; the runtime applied its default. ` +
        'Record what should have happened with an override',
    );
  }
  return new Conflict(`HITL request ${r.id} is already ${r.status}${decidedBy(r)}: a decision is final`);
}

