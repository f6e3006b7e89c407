import { sql } from 'kysely';
import type { Executor } from './database.js';

/** What an export reads: one organization's rows, optionally within [from, to). */
export interface SourceQuery {
  orgId: string;
  from: string | null;
  to: string | null;
}

export interface SourcePage {
  rows: Record<string, unknown>[];
  /** Where the next page starts; null after the last. */
  next: string | null;
}

/**
 * A table an export streams: its columns (the CSV header, the JSON keys), how many rows the period holds, and
 * pages in a stable order by keyset (never OFFSET: page n costs what page 1 does, so a million rows stream in
 * flat time and memory).
 */
export interface ExportSource {
  columns: readonly string[];
  count(db: Executor, q: SourceQuery): Promise<number>;
  page(db: Executor, q: SourceQuery, after: string | null, limit: number): Promise<SourcePage>;
}

function period<T extends { where: any }>(query: T, column: string, q: SourceQuery): T {
  let out = query;
  if (q.from) out = out.where(column, '>=', q.from);
  if (q.to) out = out.where(column, '<', q.to);
  return out;
}

const AUDIT_COLUMNS = ['seq', 'id', 'created_at', 'action', 'actor_type', 'actor_id', 'target_type', 'target_id', 'outcome', 'ip', 'user_agent', 'details', 'prev_hash', 'hash'] as const;

/** The organization's audit chain in chain order, with the hashes that let a reader re-verify it. */
export const auditSource: ExportSource = {
  columns: AUDIT_COLUMNS,
  async count(db, q) {
    const row = await period(db.selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('n')).where('chain', '=', q.orgId), 'created_at', q).executeTakeFirst();
    return Number(row?.n ?? 0);
  },
  async page(db, q, after, limit) {
    let query = period(db.selectFrom('audit_events').select([...AUDIT_COLUMNS]).where('chain', '=', q.orgId), 'created_at', q);
    if (after !== null) query = query.where('seq', '>', Number(after));
    const rows = await query.orderBy('seq').limit(limit).execute();
    return { rows: rows.map((r) => ({ ...r, seq: Number(r.seq), details: parseJson(r.details) })), next: rows.length === limit ? String(rows.at(-1)!.seq) : null };
  },
};

/** Keyset over (time column, id column) as "time|id": split at the first bar, since ids (a runtime's) may hold one. */
function keyset(query: any, timeColumn: string, idColumn: string, after: string | null): any {
  if (after === null) return query;
  const cut = after.indexOf('|');
  const [time, id] = [after.slice(0, cut), after.slice(cut + 1)];
  return query.where((eb: any) => eb.or([eb(timeColumn, '>', time), eb.and([eb(timeColumn, '=', time), eb(idColumn, '>', id)])]));
}

function keysetPage(rows: Record<string, unknown>[], limit: number, timeColumn: string, idColumn: string): string | null {
  if (rows.length < limit) return null;
  const last = rows.at(-1)!;
  return `${String(last[timeColumn])}|${String(last[idColumn])}`;
}

/**
 * A table read in (time, id) order by keyset, within the period on its time column; `json` names the column
 * kept as JSON text, which the file carries as the JSON it holds.
 */
// Kysely cannot type a query over a table chosen at run time: the columns are checked by the tests' files instead.
function keysetSource(spec: {
  table: 'hitl_requests' | 'policy_violations' | 'conformity_assessments';
  columns: readonly string[];
  time: string;
  id: string;
  json: string;
}): ExportSource {
  const { table, columns, time, id, json } = spec;
  return {
    columns,
    async count(db, q) {
      const row = await period((db as any).selectFrom(table).select((eb: any) => eb.fn.countAll().as('n')).where('org_id', '=', q.orgId), time, q).executeTakeFirst();
      return Number(row?.n ?? 0);
    },
    async page(db, q, after, limit) {
      const base = period((db as any).selectFrom(table).select([...columns]).where('org_id', '=', q.orgId), time, q);
      const rows: Record<string, unknown>[] = await keyset(base, time, id, after).orderBy(time).orderBy(id).limit(limit).execute();
      return { rows: rows.map((r) => ({ ...r, [json]: parseJson(r[json] as string) })), next: keysetPage(rows, limit, time, id) };
    },
  };
}

const HITL_COLUMNS = ['id', 'request_id', 'created_at', 'severity', 'reason', 'eu_ai_act_article', 'status', 'decision', 'requested_by', 'expires_at', 'decided_by', 'decided_by_email', 'decided_at', 'comments', 'decision_reason', 'context'] as const;

/** Every human-oversight request with its decision: who asked, why, who decided, when and with what words. */
export const decisionSource = keysetSource({ table: 'hitl_requests', columns: HITL_COLUMNS, time: 'created_at', id: 'id', json: 'context' });

/** Human-oversight decisions per day, severity and outcome: a small table, read in one page. */
export const decisionSummarySource: ExportSource = {
  columns: ['day', 'severity', 'status', 'count'],
  async count(db, q) {
    return (await summaryRows(db, q)).length;
  },
  async page(db, q) {
    return { rows: await summaryRows(db, q), next: null };
  },
};

async function summaryRows(db: Executor, q: SourceQuery): Promise<Record<string, unknown>[]> {
  const day = sql<string>`substr(created_at, 1, 10)`;
  const rows = await period(
    db.selectFrom('hitl_requests').select([day.as('day'), 'severity', 'status', (eb) => eb.fn.countAll<number>().as('count')]).where('org_id', '=', q.orgId),
    'created_at',
    q,
  )
    .groupBy([day, 'severity', 'status'])
    .orderBy('day')
    .orderBy('severity')
    .orderBy('status')
    .execute();
  return rows.map((r) => ({ ...r, count: Number(r.count) }));
}

const VIOLATION_COLUMNS = ['violation_id', 'occurred_at', 'policy_type', 'policy_id', 'policy_name', 'severity', 'action', 'node_id', 'request_id', 'details'] as const;

export const violationSource = keysetSource({ table: 'policy_violations', columns: VIOLATION_COLUMNS, time: 'occurred_at', id: 'violation_id', json: 'details' });

/** Per day, provider and model: requests, successes, success rate and mean latency, from the daily rollup. */
export const accuracySource: ExportSource = {
  columns: ['day', 'type', 'provider', 'model', 'requests', 'successes', 'success_rate', 'mean_latency_ms'],
  async count(db, q) {
    return (await accuracyRows(db, q)).length;
  },
  async page(db, q) {
    return { rows: await accuracyRows(db, q), next: null };
  },
};

async function accuracyRows(db: Executor, q: SourceQuery): Promise<Record<string, unknown>[]> {
  let query = db
    .selectFrom('usage_daily')
    .select(['day', 'type', 'provider', 'model'])
    .select((eb) => [
      eb.fn.sum<number>('count').as('requests'),
      eb.fn.sum<number>('success_count').as('successes'),
      eb.fn.sum<number>('latency_sum_us').as('latency_sum_us'),
      eb.fn.sum<number>('latency_count').as('latency_count'),
    ])
    .where('org_id', '=', q.orgId);
  if (q.from) query = query.where('day', '>=', q.from.slice(0, 10));
  if (q.to) query = query.where('day', '<', q.to.slice(0, 10));
  const rows = await query.groupBy(['day', 'type', 'provider', 'model']).orderBy('day').orderBy('type').orderBy('provider').orderBy('model').execute();
  return rows.map((r) => {
    const requests = Number(r.requests);
    const latencyCount = Number(r.latency_count);
    return {
      day: r.day,
      type: r.type,
      provider: r.provider || null,
      model: r.model || null,
      requests,
      successes: Number(r.successes),
      success_rate: requests > 0 ? Math.round((Number(r.successes) / requests) * 10000) / 10000 : null,
      mean_latency_ms: latencyCount > 0 ? Math.round(Number(r.latency_sum_us) / latencyCount) / 1000 : null,
    };
  });
}

const ASSESSMENT_COLUMNS = ['id', 'created_at', 'system_name', 'assessment_type', 'risk_level', 'description', 'status', 'created_by', 'submitted_by', 'submitted_at', 'decided_by', 'decided_at', 'decision_note', 'evidence'] as const;

/** Conformity assessments with their state history and the exports attached to them as evidence. */
export const assessmentSource = keysetSource({ table: 'conformity_assessments', columns: ASSESSMENT_COLUMNS, time: 'created_at', id: 'id', json: 'evidence' });

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
