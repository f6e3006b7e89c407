import { type ExpressionBuilder, sql } from 'kysely';
import type { HitlSeverity, HitlStatus } from '../domain/compliance.js';
import type { Executor } from './database.js';
import type { Tables } from './tables.js';
import type { HitlRequestsTable } from './tables/compliance.js';

export type HitlDecision = 'approve' | 'reject';

/** A human-oversight request as services see it. `status` is as stored: a pending one past expiresAt is lapsed. */
export interface HitlRequest {
  id: string;
  orgId: string;
  requestId: string;
  severity: HitlSeverity;
  reason: string;
  context: Record<string, unknown>;
  euAiActArticle: string | null;
  status: HitlStatus;
  expiresAt: string | null;
  requestedBy: string;
  createdAt: string;
  decision: HitlDecision | null;
  decidedBy: string | null;
  decidedByEmail: string | null;
  decidedAt: string | null;
  comments: string | null;
  decisionReason: string | null;
}

export type NewHitlRequest = Pick<HitlRequest, 'id' | 'orgId' | 'requestId' | 'severity' | 'reason' | 'context' | 'euAiActArticle' | 'expiresAt' | 'requestedBy' | 'createdAt'>;

/** The status every read shows: a pending request past its expiry at `now` is expired, written down yet or not. */
export function effectiveStatus(now: string) {
  return sql<string>`case when status = 'pending' and expires_at is not null and expires_at <= ${now} then 'expired' else status end`;
}

export interface HitlDecisionRecord {
  status: 'approved' | 'rejected' | 'overridden';
  decision: HitlDecision;
  decidedBy: string;
  decidedByEmail: string | null;
  decidedAt: string;
  decisionSeconds: number | null;
  comments: string | null;
  decisionReason: string | null;
}

function toRequest(r: HitlRequestsTable): HitlRequest {
  return {
    id: r.id,
    orgId: r.org_id,
    requestId: r.request_id,
    severity: r.severity as HitlSeverity,
    reason: r.reason,
    context: JSON.parse(r.context) as Record<string, unknown>,
    euAiActArticle: r.eu_ai_act_article,
    status: r.status as HitlStatus,
    expiresAt: r.expires_at,
    requestedBy: r.requested_by,
    createdAt: r.created_at,
    decision: r.decision as HitlDecision | null,
    decidedBy: r.decided_by,
    decidedByEmail: r.decided_by_email,
    decidedAt: r.decided_at,
    comments: r.comments,
    decisionReason: r.decision_reason,
  };
}

type Eb = ExpressionBuilder<Tables, 'hitl_requests'>;

/** Pending and not past its expiry at `now` (ISO text compares in time order). */
const live = (eb: Eb, now: string) => eb.and([eb('status', '=', 'pending'), eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)])]);
/** Pending but past its expiry: expired, whether or not the expiry job has written it yet. */
const lapsed = (eb: Eb, now: string) => eb.and([eb('status', '=', 'pending'), eb('expires_at', 'is not', null), eb('expires_at', '<=', now)]);

/** Rows whose status, as of `now`, is `status`. */
function withStatus(eb: Eb, status: HitlStatus, now: string) {
  if (status === 'pending') return live(eb, now);
  if (status === 'expired') return eb.or([eb('status', '=', 'expired'), lapsed(eb, now)]);
  return eb('status', '=', status);
}

/** False when the organization already has a request with this request_id (the unique index hitl_org_request). */
export async function insertHitlRequest(db: Executor, r: NewHitlRequest): Promise<boolean> {
  const res = await db
    .insertInto('hitl_requests')
    .values({
      id: r.id,
      org_id: r.orgId,
      request_id: r.requestId,
      severity: r.severity,
      reason: r.reason,
      context: JSON.stringify(r.context),
      eu_ai_act_article: r.euAiActArticle,
      status: 'pending',
      expires_at: r.expiresAt,
      requested_by: r.requestedBy,
      created_at: r.createdAt,
      decision: null,
      decided_by: null,
      decided_by_email: null,
      decided_at: null,
      decision_seconds: null,
      comments: null,
      decision_reason: null,
    })
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  return Number(res.numInsertedOrUpdatedRows ?? 0) === 1;
}

export async function findHitlRequest(db: Executor, orgId: string, id: string): Promise<HitlRequest | null> {
  const r = await db.selectFrom('hitl_requests').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  return r ? toRequest(r) : null;
}

export async function findHitlByRequestId(db: Executor, orgId: string, requestId: string): Promise<HitlRequest | null> {
  const r = await db.selectFrom('hitl_requests').selectAll().where('org_id', '=', orgId).where('request_id', '=', requestId).executeTakeFirst();
  return r ? toRequest(r) : null;
}

export async function listHitlRequests(
  db: Executor,
  orgId: string,
  filter: { status?: HitlStatus; now: string },
  page: { offset: number; limit: number },
): Promise<HitlRequest[]> {
  let q = db.selectFrom('hitl_requests').selectAll().where('org_id', '=', orgId);
  if (filter.status) q = q.where((eb) => withStatus(eb, filter.status!, filter.now));
  const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').offset(page.offset).limit(page.limit).execute();
  return rows.map(toRequest);
}

export async function countHitlRequests(db: Executor, orgId: string, filter: { status?: HitlStatus; now: string }): Promise<number> {
  let q = db.selectFrom('hitl_requests').select((eb) => eb.fn.countAll<number>().as('n')).where('org_id', '=', orgId);
  if (filter.status) q = q.where((eb) => withStatus(eb, filter.status!, filter.now));
  const r = await q.executeTakeFirstOrThrow();
  return Number(r.n);
}

/**
 * Records a person's decision on a request that is pending and not past its expiry, in one conditional
 * statement: of two deciders at once, exactly one changes the row (PostgreSQL re-checks the condition after
 * the first one's lock; SQLite has one writer). Null when the row was not in that state.
 */
export async function decideHitlRequest(db: Executor, orgId: string, id: string, now: string, d: HitlDecisionRecord): Promise<HitlRequest | null> {
  const r = await db
    .updateTable('hitl_requests')
    .set(decisionColumns(d))
    .where('org_id', '=', orgId)
    .where('id', '=', id)
    .where((eb) => live(eb, now))
    .returningAll()
    .executeTakeFirst();
  return r ? toRequest(r) : null;
}

/** Records what should have happened to an expired request (written as expired, or pending past its expiry). */
export async function overrideHitlRequest(db: Executor, orgId: string, id: string, now: string, d: HitlDecisionRecord): Promise<HitlRequest | null> {
  const r = await db
    .updateTable('hitl_requests')
    .set(decisionColumns(d))
    .where('org_id', '=', orgId)
    .where('id', '=', id)
    .where((eb) => withStatus(eb, 'expired', now))
    .returningAll()
    .executeTakeFirst();
  return r ? toRequest(r) : null;
}

function decisionColumns(d: HitlDecisionRecord) {
  return {
    status: d.status,
    decision: d.decision,
    decided_by: d.decidedBy,
    decided_by_email: d.decidedByEmail,
    decided_at: d.decidedAt,
    decision_seconds: d.decisionSeconds,
    comments: d.comments,
    decision_reason: d.decisionReason,
  };
}

/** Writes one lapsed request as expired; null when it is not (any more) pending past its expiry. */
export async function expireHitlRequest(db: Executor, orgId: string, id: string, now: string): Promise<HitlRequest | null> {
  const r = await db
    .updateTable('hitl_requests')
    .set({ status: 'expired' })
    .where('org_id', '=', orgId)
    .where('id', '=', id)
    .where((eb) => lapsed(eb, now))
    .returningAll()
    .executeTakeFirst();
  return r ? toRequest(r) : null;
}

/** Pending requests past their expiry, any organization, oldest expiry first (the index hitl_expiry). */
export async function lapsedHitlRequests(db: Executor, now: string, limit: number): Promise<{ orgId: string; id: string }[]> {
  const rows = await db
    .selectFrom('hitl_requests')
    .select(['org_id', 'id'])
    .where('status', '=', 'pending')
    .where('expires_at', '<=', now)
    .orderBy('expires_at')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ orgId: r.org_id, id: r.id }));
}

export interface HitlCount {
  status: HitlStatus;
  severity: HitlSeverity;
  count: number;
}

/** Counts by status (as of `now`: lapsed ones count as expired) and severity, in one grouped query. */
export async function hitlCounts(db: Executor, orgId: string, now: string): Promise<HitlCount[]> {
  // Grouped outside a subquery: PostgreSQL would not match a GROUP BY expression whose parameter is another $n.
  const rows = await db
    .selectFrom((eb) =>
      eb
        .selectFrom('hitl_requests')
        .select([
          effectiveStatus(now).as('effective'),
          'severity',
        ])
        .where('org_id', '=', orgId)
        .as('t'),
    )
    .select((eb) => ['t.effective', 't.severity', eb.fn.countAll<number>().as('n')])
    .groupBy(['t.effective', 't.severity'])
    .execute();
  return rows.map((r) => ({ status: r.effective as HitlStatus, severity: r.severity as HitlSeverity, count: Number(r.n) }));
}

/**
 * The median time from request to a person's in-time decision (approved or rejected), in seconds: `decided` is
 * how many there are (from hitlCounts), so at most two rows are read, whatever the size of the organization.
 */
export async function medianDecisionSeconds(db: Executor, orgId: string, decided: number): Promise<number | null> {
  if (decided <= 0) return null;
  const rows = await db
    .selectFrom('hitl_requests')
    .select('decision_seconds')
    .where('org_id', '=', orgId)
    .where('status', 'in', ['approved', 'rejected'])
    .where('decision_seconds', 'is not', null)
    .orderBy('decision_seconds')
    .offset(Math.floor((decided - 1) / 2))
    .limit(decided % 2 === 1 ? 1 : 2)
    .execute();
  if (rows.length === 0) return null;
  const values = rows.map((r) => Number(r.decision_seconds));
  return values.reduce((a, b) => a + b, 0) / values.length;
}
