import { inTransaction } from '../../db/database.js';
import { type PolicyViolation, type PolicyViolationRow, countViolations, insertNewViolations, listViolations } from '../../db/violations.js';
import { VIOLATION_SEVERITIES, type ViolationSeverity } from '../../domain/compliance.js';
import { InvalidInput, type ItemProblem } from '../../domain/errors.js';
import { type Actor, tenantOf } from '../actor.js';
import type { ServiceDeps } from '../deps.js';
import { parseInstant } from '../instant.js';
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
const CONTROL = /[\u0000-\u001f\u007f]/;

// The fields of a violation, in the domain's names (GraphQL and the REST adapter hand them over so).
const FIELDS = new Set(['violationId', 'policyName', 'policyType', 'policyId', 'severity', 'action', 'occurredAt', 'nodeId', 'requestId', 'details']);

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

/** Checks one violation, collecting every problem rather than stopping at the first; absent, null and '' optional values are "not given". */
export function validateViolation(value: unknown, index: number, latestMs: number): { row?: NewViolation; problems: ItemProblem[] } {
  const at = `violations[${index}]`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { problems: [{ index, id: null, idName: 'violationId', field: at, problem: 'must be an object' }] };
  }
  const raw = value as Record<string, unknown>;
  const rawId = raw.violationId;
  const id = typeof rawId === 'string' && rawId.length >= 1 && rawId.length <= 128 ? rawId : null;
  const problems: ItemProblem[] = [];
  const problem = (name: string, text: string) => problems.push({ index, id, idName: 'violationId', field: `${at}.${name}`, problem: text });

  for (const key of Object.keys(raw)) {
    if (FIELDS.has(key)) continue;
    const camel = key.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
    problem(key, camel !== key && FIELDS.has(camel) ? `is written ${camel} in GraphQL` : 'is not a field of a policy violation');
  }
  const str = (key: string, max: number, required: boolean): string | null => {
    const val = raw[key];
    if (val === undefined || val === null || val === '') {
      if (required) problem(key, 'is required');
      return null;
    }
    if (typeof val !== 'string') problem(key, 'must be a string');
    else if (val.length > max) problem(key, `must be at most ${max} characters`);
    else if (CONTROL.test(val)) problem(key, 'must not contain control characters');
    else return val;
    return null;
  };
  const oneOf = (key: string, values: readonly string[]): string | null => {
    const val = str(key, 32, true);
    if (val !== null && !values.includes(val)) {
      problem(key, `must be one of ${values.join(', ')}`);
      return null;
    }
    return val;
  };

  const violationId = str('violationId', 128, true);
  const policyName = str('policyName', 200, true);
  const policyType = oneOf('policyType', POLICY_TYPES);
  const policyId = str('policyId', 128, false);
  const severity = oneOf('severity', VIOLATION_SEVERITIES);
  const action = oneOf('action', VIOLATION_ACTIONS);
  const nodeId = str('nodeId', 128, false);
  const requestId = str('requestId', 128, false);
  const occurred = str('occurredAt', 64, true);
  let occurredAt: string | null = null;
  if (occurred !== null) {
    const t = parseInstant(occurred);
    if (t === null) problem('occurredAt', 'must be an ISO-8601 timestamp with a zone (e.g. 2026-06-01T12:00:00Z) from year 2000 to 9998');
    else if (t > latestMs) problem('occurredAt', 'must be at most 24 hours in the future');
    else occurredAt = new Date(t).toISOString();
  }
  let details = '{}';
  if (raw.details !== undefined && raw.details !== null) {
    if (typeof raw.details !== 'object' || Array.isArray(raw.details)) problem('details', 'must be an object');
    else {
      details = JSON.stringify(raw.details);
      if (Buffer.byteLength(details) > MAX_DETAILS_BYTES) problem('details', `must be at most ${MAX_DETAILS_BYTES} bytes as JSON`);
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
