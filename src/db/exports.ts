import type { ExportFormat, ExportStatus } from '../domain/compliance.js';
import type { Executor } from './database.js';
import type { ComplianceExportsTable } from './tables/compliance.js';

export interface ExportRecord {
  id: string;
  orgId: string;
  framework: string;
  exportType: string;
  format: ExportFormat;
  from: string | null;
  to: string | null;
  redactPii: boolean;
  options: Record<string, unknown>;
  status: ExportStatus;
  progress: number;
  rows: number;
  totalRows: number | null;
  bytes: number | null;
  sha256: string | null;
  /** The canonical JSON that was signed, as stored. */
  manifest: string | null;
  signature: string | null;
  error: string | null;
  requestedBy: string;
  createdAt: string;
  startedAt: string | null;
  completedAt: string | null;
  expiresAt: string | null;
  /** The attempt running it, or the one that completed it: its files carry this name. */
  runToken: string | null;
}

function toRecord(r: ComplianceExportsTable): ExportRecord {
  return {
    id: r.id,
    orgId: r.org_id,
    framework: r.framework,
    exportType: r.export_type,
    format: r.format as ExportFormat,
    from: r.period_from,
    to: r.period_to,
    redactPii: Number(r.redact_pii) === 1,
    options: JSON.parse(r.options) as Record<string, unknown>,
    status: r.status as ExportStatus,
    progress: Number(r.progress),
    rows: Number(r.rows),
    totalRows: r.total_rows === null ? null : Number(r.total_rows),
    bytes: r.bytes === null ? null : Number(r.bytes),
    sha256: r.sha256,
    manifest: r.manifest,
    signature: r.signature,
    error: r.error,
    requestedBy: r.requested_by,
    createdAt: r.created_at,
    startedAt: r.started_at,
    completedAt: r.completed_at,
    expiresAt: r.expires_at,
    runToken: r.run_token,
  };
}

export type NewExport = Pick<ExportRecord, 'id' | 'orgId' | 'framework' | 'exportType' | 'format' | 'from' | 'to' | 'redactPii' | 'options' | 'requestedBy' | 'createdAt'>;

export async function insertExport(db: Executor, e: NewExport): Promise<ExportRecord> {
  const row: ComplianceExportsTable = {
    id: e.id,
    org_id: e.orgId,
    framework: e.framework,
    export_type: e.exportType,
    format: e.format,
    period_from: e.from,
    period_to: e.to,
    redact_pii: e.redactPii ? 1 : 0,
    options: JSON.stringify(e.options),
    status: 'queued',
    progress: 0,
    rows: 0,
    total_rows: null,
    bytes: null,
    sha256: null,
    manifest: null,
    signature: null,
    error: null,
    requested_by: e.requestedBy,
    created_at: e.createdAt,
    started_at: null,
    completed_at: null,
    expires_at: null,
    run_token: null,
  };
  await db.insertInto('compliance_exports').values(row).execute();
  return toRecord(row);
}

/** One export of the organization (of the framework, when given); another organization's id finds nothing. */
export async function findExport(db: Executor, orgId: string, id: string, framework?: string): Promise<ExportRecord | null> {
  let query = db.selectFrom('compliance_exports').selectAll().where('org_id', '=', orgId).where('id', '=', id);
  if (framework) query = query.where('framework', '=', framework);
  const row = await query.executeTakeFirst();
  return row ? toRecord(row) : null;
}

/** The job's read: by id alone (the job runs for whichever organization asked). */
export async function exportById(db: Executor, id: string): Promise<ExportRecord | null> {
  const row = await db.selectFrom('compliance_exports').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toRecord(row) : null;
}

export interface ExportFilter {
  framework: string;
  status?: ExportStatus | null;
}

export async function listExports(db: Executor, orgId: string, f: ExportFilter, page: { offset: number; limit: number }): Promise<ExportRecord[]> {
  let query = db.selectFrom('compliance_exports').selectAll().where('org_id', '=', orgId).where('framework', '=', f.framework);
  if (f.status) query = query.where('status', '=', f.status);
  const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').offset(page.offset).limit(page.limit).execute();
  return rows.map(toRecord);
}

export async function countExports(db: Executor, orgId: string, f: ExportFilter): Promise<number> {
  let query = db.selectFrom('compliance_exports').select((eb) => eb.fn.countAll<number>().as('n')).where('org_id', '=', orgId).where('framework', '=', f.framework);
  if (f.status) query = query.where('status', '=', f.status);
  return Number((await query.executeTakeFirst())?.n ?? 0);
}

/** Exports of the organization in the given states, whatever the framework (the queue's size, the running count). */
export async function countInStates(db: Executor, orgId: string, states: readonly ExportStatus[], exceptId?: string): Promise<number> {
  let query = db.selectFrom('compliance_exports').select((eb) => eb.fn.countAll<number>().as('n')).where('org_id', '=', orgId).where('status', 'in', states);
  if (exceptId) query = query.where('id', '!=', exceptId);
  return Number((await query.executeTakeFirst())?.n ?? 0);
}

/** An attempt starts: running, from nothing, under its own token (which fences everything it writes later). */
export async function startExport(db: Executor, id: string, token: string, startedAt: string, totalRows: number): Promise<void> {
  await db
    .updateTable('compliance_exports')
    .set({ status: 'running', run_token: token, started_at: startedAt, progress: 0, rows: 0, total_rows: totalRows, error: null })
    .where('id', '=', id)
    .where('status', 'in', ['queued', 'running'])
    .execute();
}

/** Progress of the attempt holding the token; false when another attempt has taken the export over. */
export async function reportProgress(db: Executor, id: string, token: string, rows: number, progress: number): Promise<boolean> {
  const r = await db
    .updateTable('compliance_exports')
    .set({ rows, progress })
    .where('id', '=', id)
    .where('status', '=', 'running')
    .where('run_token', '=', token)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export interface Completion {
  rows: number;
  bytes: number;
  sha256: string;
  manifest: string;
  signature: string;
  completedAt: string;
  expiresAt: string;
}

export async function completeExport(db: Executor, id: string, token: string, c: Completion): Promise<boolean> {
  const r = await db
    .updateTable('compliance_exports')
    .set({
      status: 'completed',
      progress: 100,
      rows: c.rows,
      total_rows: c.rows,
      bytes: c.bytes,
      sha256: c.sha256,
      manifest: c.manifest,
      signature: c.signature,
      completed_at: c.completedAt,
      expires_at: c.expiresAt,
    })
    .where('id', '=', id)
    .where('status', '=', 'running')
    .where('run_token', '=', token)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/**
 * Fails the export with its reason. With a token, only while that attempt still holds it (an attempt that was
 * taken over fails nothing); without one, whatever attempt ran (the job gave up on it).
 */
export async function failExport(db: Executor, id: string, token: string | null, error: string, at: string): Promise<boolean> {
  let query = db.updateTable('compliance_exports').set({ status: 'failed', error, completed_at: at }).where('id', '=', id).where('status', 'in', ['queued', 'running']);
  if (token !== null) query = query.where('run_token', '=', token);
  const r = await query.executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Completed exports whose retention ended by now, oldest first. */
export async function exportsPastRetention(db: Executor, now: string, limit: number): Promise<ExportRecord[]> {
  const rows = await db.selectFrom('compliance_exports').selectAll().where('status', '=', 'completed').where('expires_at', '<=', now).orderBy('expires_at').limit(limit).execute();
  return rows.map(toRecord);
}

export async function expireExport(db: Executor, id: string): Promise<boolean> {
  const r = await db.updateTable('compliance_exports').set({ status: 'expired' }).where('id', '=', id).where('status', '=', 'completed').executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}
