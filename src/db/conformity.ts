import type { AssessmentStatus, AssessmentType, RiskLevel } from '../domain/compliance.js';
import type { Executor } from './database.js';
import type { ConformityAssessmentsTable } from './tables/compliance.js';

/** An EU AI Act conformity assessment as services see it. */
export interface Assessment {
  id: string;
  orgId: string;
  systemName: string;
  assessmentType: AssessmentType;
  riskLevel: RiskLevel;
  description: string | null;
  status: AssessmentStatus;
  /** Ids of the organization's exports attached as evidence, in the order given. */
  evidenceExportIds: string[];
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  submittedBy: string | null;
  submittedAt: string | null;
  decidedBy: string | null;
  decidedAt: string | null;
  /** The approver's comments or the rejection's reason. */
  decisionNote: string | null;
  /** Bumped by every write; a write from a stale read is refused. */
  version: number;
}

/** An export attached as evidence: what a reader needs to find and check the file. */
export interface EvidenceExport {
  id: string;
  framework: string;
  exportType: string;
  status: string;
  sha256: string | null;
  completedAt: string | null;
}

function toAssessment(r: ConformityAssessmentsTable): Assessment {
  return {
    id: r.id,
    orgId: r.org_id,
    systemName: r.system_name,
    assessmentType: r.assessment_type as AssessmentType,
    riskLevel: r.risk_level as RiskLevel,
    description: r.description,
    status: r.status as AssessmentStatus,
    evidenceExportIds: JSON.parse(r.evidence) as string[],
    createdBy: r.created_by,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    submittedBy: r.submitted_by,
    submittedAt: r.submitted_at,
    decidedBy: r.decided_by,
    decidedAt: r.decided_at,
    decisionNote: r.decision_note,
    version: Number(r.version),
  };
}

function toRow(a: Assessment): ConformityAssessmentsTable {
  return {
    id: a.id,
    org_id: a.orgId,
    system_name: a.systemName,
    assessment_type: a.assessmentType,
    risk_level: a.riskLevel,
    description: a.description,
    status: a.status,
    evidence: JSON.stringify(a.evidenceExportIds),
    created_by: a.createdBy,
    created_at: a.createdAt,
    updated_at: a.updatedAt,
    submitted_by: a.submittedBy,
    submitted_at: a.submittedAt,
    decided_by: a.decidedBy,
    decided_at: a.decidedAt,
    decision_note: a.decisionNote,
    version: a.version,
  };
}

export async function insertAssessment(db: Executor, a: Assessment): Promise<void> {
  await db.insertInto('conformity_assessments').values(toRow(a)).execute();
}

export async function findAssessment(db: Executor, orgId: string, id: string): Promise<Assessment | null> {
  const r = await db.selectFrom('conformity_assessments').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  return r ? toAssessment(r) : null;
}

/**
 * Writes the assessment (as the next version of `read`) only if it is still the version it was read as: of two
 * callers changing it at once (two steps, an edit and a submit), one wins and the other is told (false), and
 * nothing the winner wrote is overwritten, on either database.
 */
export async function saveAssessmentIf(db: Executor, a: Assessment, read: Pick<Assessment, 'version'>): Promise<boolean> {
  const { id, org_id, created_by, created_at, ...rest } = toRow({ ...a, version: read.version + 1 });
  const r = await db
    .updateTable('conformity_assessments')
    .set(rest)
    .where('org_id', '=', org_id)
    .where('id', '=', id)
    .where('version', '=', read.version)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function listAssessments(
  db: Executor,
  orgId: string,
  filter: { status?: AssessmentStatus | null },
  page: { offset: number; limit: number },
): Promise<Assessment[]> {
  let q = db.selectFrom('conformity_assessments').selectAll().where('org_id', '=', orgId);
  if (filter.status) q = q.where('status', '=', filter.status);
  const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').offset(page.offset).limit(page.limit).execute();
  return rows.map(toAssessment);
}

export async function countAssessments(db: Executor, orgId: string, filter: { status?: AssessmentStatus | null }): Promise<number> {
  let q = db.selectFrom('conformity_assessments').select((eb) => eb.fn.countAll<number>().as('n')).where('org_id', '=', orgId);
  if (filter.status) q = q.where('status', '=', filter.status);
  const r = await q.executeTakeFirstOrThrow();
  return Number(r.n);
}

/** The organization's exports among these ids (any status); ids of another organization are simply not found. */
export async function findExports(db: Executor, orgId: string, ids: readonly string[]): Promise<EvidenceExport[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('compliance_exports')
    .select(['id', 'framework', 'export_type', 'status', 'sha256', 'completed_at'])
    .where('org_id', '=', orgId)
    .where('id', 'in', [...new Set(ids)])
    .execute();
  return rows.map((r) => ({ id: r.id, framework: r.framework, exportType: r.export_type, status: r.status, sha256: r.sha256, completedAt: r.completed_at }));
}
