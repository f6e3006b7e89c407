import type { ViolationSeverity } from '../domain/compliance.js';
import type { Executor } from './database.js';
import type { PolicyViolationsTable } from './tables/compliance.js';

export type PolicyViolationRow = PolicyViolationsTable;

/** A reported policy hit as services see it. */
export interface PolicyViolation {
  violationId: string;
  policyId: string | null;
  policyName: string;
  policyType: string;
  severity: ViolationSeverity;
  action: string;
  occurredAt: string;
  nodeId: string | null;
  requestId: string | null;
  details: Record<string, unknown>;
  receivedAt: string;
}

export interface ViolationFilter {
  /** Inclusive lower bound of occurred_at (ISO text). */
  from?: string | null;
  /** Exclusive upper bound of occurred_at. */
  to?: string | null;
  severity?: ViolationSeverity | null;
}

// 13 columns: 1,000 rows stay under SQLite's 32,766 bound parameters (and pg's 65,535).
const ROWS_PER_STATEMENT = 1000;

/**
 * Inserts the violations that are new and returns their ids; ids the organization already reported are skipped by
 * the (org_id, violation_id) key. Callers pass rows sorted by violation_id: one lock order for concurrent batches.
 */
export async function insertNewViolations(db: Executor, rows: PolicyViolationRow[]): Promise<Set<string>> {
  const inserted = new Set<string>();
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
    const returned = await db
      .insertInto('policy_violations')
      .values(rows.slice(i, i + ROWS_PER_STATEMENT))
      .onConflict((oc) => oc.columns(['org_id', 'violation_id']).doNothing())
      .returning('violation_id')
      .execute();
    for (const r of returned) inserted.add(r.violation_id);
  }
  return inserted;
}

function filtered(db: Executor, orgId: string, f: ViolationFilter) {
  let q = db.selectFrom('policy_violations').where('org_id', '=', orgId);
  if (f.from) q = q.where('occurred_at', '>=', f.from);
  if (f.to) q = q.where('occurred_at', '<', f.to);
  if (f.severity) q = q.where('severity', '=', f.severity);
  return q;
}

export async function listViolations(db: Executor, orgId: string, f: ViolationFilter, page: { offset: number; limit: number }): Promise<PolicyViolation[]> {
  const rows = await filtered(db, orgId, f)
    .selectAll()
    .orderBy('occurred_at', 'desc')
    .orderBy('violation_id', 'desc')
    .offset(page.offset)
    .limit(page.limit)
    .execute();
  return rows.map((r) => ({
    violationId: r.violation_id,
    policyId: r.policy_id,
    policyName: r.policy_name,
    policyType: r.policy_type,
    severity: r.severity as ViolationSeverity,
    action: r.action,
    occurredAt: r.occurred_at,
    nodeId: r.node_id,
    requestId: r.request_id,
    details: JSON.parse(r.details) as Record<string, unknown>,
    receivedAt: r.received_at,
  }));
}

export async function countViolations(db: Executor, orgId: string, f: ViolationFilter): Promise<number> {
  const r = await filtered(db, orgId, f).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}
