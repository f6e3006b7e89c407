import { inTransaction } from '../../db/database.js';
import { type PolicyViolation, type PolicyViolationRow, countViolations, insertNewViolations, listViolations } from '../../db/violations.js';
import { VIOLATION_SEVERITIES, type ViolationSeverity } from '../../domain/compliance.js';
import { InvalidInput, type ItemProblem } from '../../domain/errors.js';
import { type Actor, tenantOf } from '../actor.js';
import type { ServiceDeps } from '../deps.js';
import { ItemReader } from '../batch-item.js';
import * as v from '../validate.js';

export type { PolicyViolation } from '../../db/violations.js';

export const POLICY_TYPES = ['static', 'dynamic'] as const;
export const VIOLATION_ACTIONS = ['block', 'redact', 'warn', 'log', 'require_approval', 'route'] as const;
/** Violations per report call. */
export const MAX_BATCH_VIOLATIONS = 1000;
/** Beyond this many problems a refused batch reports only the first problem of each bad violation. */
const MAX_DETAILS = 1000;
/** The serialized size a violation's details may take. */
const MAX_DETAILS_BYTES = 16_384;
const DAY_MS = 86_400_000;

// The fields of a violation, in the domain's names (GraphQL and the REST adapter hand them over so).
const FIELDS = new Set(['violationId', 'policyName', 'policyType', 'policyId', 'severity', 'action', 'occurredAt', 'nodeId', 'requestId', 'details']);
const VIOLATION_SHAPE = { list: 'violations', idField: 'violationId', fields: FIELDS, noun: 'a policy violation' };

type NewViolation = Omit<PolicyViolationRow, 'org_id' | 'received_at'>;

export interface ReportResult {
  accepted: number;
  duplicates: number;
}

export interface ViolationQuery {
  from?: string | null;
  to?: string | null;
  severity?: string | null;
}

/** Checks one violation, collecting every problem, and returns the row to store. */
export function validateViolation(value: unknown, index: number, latestMs: number): { row?: NewViolation; problems: ItemProblem[] } {
  const item = ItemReader.of(value, index, VIOLATION_SHAPE);
  if (!(item instanceof ItemReader)) return { problems: [item.notAnObject] };
  const { problems } = item;
  const violationId = item.str('violationId', 128, true);
  const policyName = item.str('policyName', 200, true);
  const policyType = item.oneOf('policyType', POLICY_TYPES);
  const policyId = item.str('policyId', 128, false);
  const severity = item.oneOf('severity', VIOLATION_SEVERITIES);
  const action = item.oneOf('action', VIOLATION_ACTIONS);
  const nodeId = item.str('nodeId', 128, false);
  const requestId = item.str('requestId', 128, false);
  const occurredAt = item.instant('occurredAt', latestMs);
  let details = '{}';
  const given = item.value('details');
  if (given !== undefined && given !== null) {
    if (typeof given !== 'object' || Array.isArray(given)) item.problem('details', 'must be an object');
    else {
      details = JSON.stringify(given);
      if (Buffer.byteLength(details) > MAX_DETAILS_BYTES) item.problem('details', `must be at most ${MAX_DETAILS_BYTES} bytes as JSON`);
    }
  }
  if (problems.length > 0 || !violationId || !policyName || !policyType || !severity || !action || !occurredAt) return { problems };
  return {
    problems,
    row: {
      violation_id: violationId,
      policy_id: policyId,
      policy_name: policyName,
      policy_type: policyType,
      severity,
      action,
      occurred_at: occurredAt,
      node_id: nodeId,
      request_id: requestId,
      details,
    },
  };
}

/**
 * Policy violations the governed runtime reports: stored all or nothing per batch, each (organization, violation
 * id) once ever, so a retried report changes nothing. Exports and compliance dashboards read them.
 */
export class ViolationService {
  constructor(private readonly deps: ServiceDeps) {}

  async report(actor: Actor, violations: unknown[]): Promise<ReportResult> {
    const orgId = tenantOf(actor);
    if (!Array.isArray(violations) || violations.length === 0) throw new InvalidInput('must hold at least one violation', 'violations');
    if (violations.length > MAX_BATCH_VIOLATIONS) {
      throw new InvalidInput(`must hold at most ${MAX_BATCH_VIOLATIONS} violations; split the batch (${violations.length} sent)`, 'violations');
    }
    const nowMs = this.deps.clock.now().getTime();
    const receivedAt = new Date(nowMs).toISOString();
    const rows: PolicyViolationRow[] = [];
    const problems: ItemProblem[][] = [];
    for (let i = 0; i < violations.length; i++) {
      const r = validateViolation(violations[i], i, nowMs + DAY_MS);
      if (r.problems.length > 0) problems.push(r.problems);
      else if (r.row && problems.length === 0) rows.push({ org_id: orgId, ...r.row, received_at: receivedAt });
    }
    if (problems.length > 0) {
      const all = problems.flat();
      const details = all.length <= MAX_DETAILS ? all : problems.map((p) => p[0]);
      throw new InvalidInput(`holds ${problems.length} invalid violations of ${violations.length}; nothing was stored (see details)`, 'violations', details);
    }
    // First occurrence wins inside a batch; sorted ids give concurrent batches one lock order.
    const unique = new Map<string, PolicyViolationRow>();
    for (const row of rows) if (!unique.has(row.violation_id)) unique.set(row.violation_id, row);
    const sorted = [...unique.values()].sort((a, b) => (a.violation_id < b.violation_id ? -1 : a.violation_id > b.violation_id ? 1 : 0));
    const accepted = await inTransaction(this.deps.db, async (trx) => {
      const inserted = await insertNewViolations(trx, sorted);
      if (inserted.size > 0) {
        const stored = sorted.filter((r) => inserted.has(r.violation_id));
        const bySeverity = Object.fromEntries(VIOLATION_SEVERITIES.map((s) => [s, stored.filter((r) => r.severity === s).length]));
        await this.deps.audit.append(trx, actor, {
          action: 'policy_violations.reported',
          orgId,
          targetType: 'policy_violation',
          details: { accepted: inserted.size, duplicates: violations.length - inserted.size, by_severity: bySeverity },
        });
      }
      return inserted.size;
    });
    return { accepted, duplicates: violations.length - accepted };
  }

  async list(actor: Actor, query: ViolationQuery, page: { offset: number; limit: number }): Promise<{ items: PolicyViolation[]; total: number }> {
    const orgId = tenantOf(actor);
    const from = query.from ? v.dateOrTimestamp('from', query.from) : null;
    const to = query.to ? v.dateOrTimestamp('to', query.to) : null;
    if (from && to && from >= to) throw new InvalidInput('must be after from', 'to');
    let severity: ViolationSeverity | null = null;
    if (query.severity) {
      if (!(VIOLATION_SEVERITIES as readonly string[]).includes(query.severity)) throw new InvalidInput(`must be one of ${VIOLATION_SEVERITIES.join(', ')}`, 'severity');
      severity = query.severity as ViolationSeverity;
    }
    const filter = { from, to, severity };
    const [items, total] = await Promise.all([listViolations(this.deps.db, orgId, filter, page), countViolations(this.deps.db, orgId, filter)]);
    return { items, total };
  }
}
