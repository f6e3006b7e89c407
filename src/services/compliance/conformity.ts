import { type Trx, inTransaction } from '../../db/database.js';
import {
  type Assessment,
  type EvidenceExport,
  countAssessments,
  findAssessment,
  findExports,
  insertAssessment,
  listAssessments,
  saveAssessmentIf,
} from '../../db/conformity.js';
import {
  ASSESSMENT_STATUSES,
  ASSESSMENT_TYPES,
  type AssessmentStatus,
  type AssessmentType,
  RISK_LEVELS,
  type RiskLevel,
} from '../../domain/compliance.js';
import { Conflict, Forbidden, InvalidInput, NotFound } from '../../domain/errors.js';
import { newId } from '../../ids.js';
import { type Actor, actorLabel, tenantOf } from '../actor.js';
import type { ServiceDeps } from '../deps.js';
import * as v from '../validate.js';

export type { Assessment, EvidenceExport } from '../../db/conformity.js';

/** An assessment with the exports it cites (those still on record, in the order cited). */
export interface AssessmentView extends Assessment {
  evidence: EvidenceExport[];
}

/** Exports one assessment may cite. */
export const MAX_EVIDENCE = 50;
const MAX_SYSTEM_NAME = 200;
const MAX_DESCRIPTION = 5000;
const MAX_NOTE = 2000;
const MIN_REJECTION_REASON = 10;

export interface NewAssessment {
  systemName: string;
  assessmentType: string;
  riskLevel: string;
  description?: string | null;
  evidenceExportIds?: readonly string[] | null;
}

/** A change of a draft: absent fields stay; description null clears it. */
export interface AssessmentChange {
  systemName?: string | null;
  assessmentType?: string | null;
  riskLevel?: string | null;
  description?: string | null;
  evidenceExportIds?: readonly string[] | null;
}

type Step = 'edit' | 'submit' | 'approve' | 'reject';

/** What each state allows next; approved and rejected are final. */
const NEXT: Record<AssessmentStatus, Step[]> = {
  draft: ['edit', 'submit'],
  submitted: ['approve', 'reject'],
  approved: [],
  rejected: [],
};

const NEEDS: Record<Step, AssessmentStatus> = { edit: 'draft', submit: 'draft', approve: 'submitted', reject: 'submitted' };

function oneOf<T extends string>(field: string, value: string, values: readonly T[]): T {
  if (!(values as readonly string[]).includes(value)) throw new InvalidInput(`must be one of ${values.join(', ')}`, field);
  return value as T;
}


/**
 * EU AI Act conformity assessments: draft -> submitted -> approved | rejected, each step with who and when, every
 * change audited in its own transaction. Four eyes: whoever submitted an assessment may not decide it. A system of
 * unacceptable risk can be recorded (and rejected) but never approved: Article 5 prohibits it.
 */
export class ConformityService {
  constructor(private readonly deps: ServiceDeps) {}

  async create(actor: Actor, input: NewAssessment): Promise<AssessmentView> {
    const orgId = tenantOf(actor);
    const systemName = v.text('systemName', input.systemName, { max: MAX_SYSTEM_NAME });
    const assessmentType = oneOf<AssessmentType>('assessmentType', input.assessmentType, ASSESSMENT_TYPES);
    const riskLevel = oneOf<RiskLevel>('riskLevel', input.riskLevel, RISK_LEVELS);
    const description = v.optionalProse('description', input.description, MAX_DESCRIPTION);
    const evidenceExportIds = await this.evidence(orgId, input.evidenceExportIds ?? []);
    const at = this.deps.clock.now().toISOString();
    const assessment: Assessment = {
      id: newId('ca'),
      orgId,
      systemName,
      assessmentType,
      riskLevel,
      description,
      status: 'draft',
      evidenceExportIds,
      createdBy: actorLabel(actor),
      createdAt: at,
      updatedAt: at,
      submittedBy: null,
      submittedAt: null,
      decidedBy: null,
      decidedAt: null,
      decisionNote: null,
      version: 1,
    };
    await inTransaction(this.deps.db, async (trx) => {
      await insertAssessment(trx, assessment);
      await this.audit(trx, actor, assessment, 'conformity.created', { risk_level: riskLevel, assessment_type: assessmentType, evidence: evidenceExportIds.length });
    });
    return (await this.withEvidence(orgId, [assessment]))[0];
  }

  async get(actor: Actor, id: string): Promise<AssessmentView> {
    return (await this.withEvidence(tenantOf(actor), [await this.load(actor, id)]))[0];
  }

  async list(actor: Actor, filter: { status?: string | null }, page: { offset: number; limit: number }): Promise<{ items: AssessmentView[]; total: number }> {
    const orgId = tenantOf(actor);
    const status = filter.status ? oneOf<AssessmentStatus>('status', filter.status, ASSESSMENT_STATUSES) : null;
    const [items, total] = await Promise.all([
      listAssessments(this.deps.db, orgId, { status }, page),
      countAssessments(this.deps.db, orgId, { status }),
    ]);
    return { items: await this.withEvidence(orgId, items), total };
  }

  private async load(actor: Actor, id: string): Promise<Assessment> {
    const found = await findAssessment(this.deps.db, tenantOf(actor), id);
    if (!found) throw new NotFound(`conformity assessment ${id} not found`);
    return found;
  }

  /** The exports the assessments cite, in one read however many assessments there are. */
  private async withEvidence(orgId: string, assessments: readonly Assessment[]): Promise<AssessmentView[]> {
    const found = new Map((await findExports(this.deps.db, orgId, assessments.flatMap((a) => a.evidenceExportIds))).map((e) => [e.id, e]));
    return assessments.map((a) => ({ ...a, evidence: a.evidenceExportIds.flatMap((id) => found.get(id) ?? []) }));
  }

  async update(actor: Actor, id: string, change: AssessmentChange): Promise<AssessmentView> {
    const orgId = tenantOf(actor);
    const given = Object.entries(change).filter(([, value]) => value !== undefined);
    if (given.length === 0) throw new InvalidInput('changes nothing: give systemName, assessmentType, riskLevel, description or evidenceExportIds');
    for (const field of ['systemName', 'assessmentType', 'riskLevel'] as const) {
      if (change[field] === null) throw new InvalidInput('must not be null', field);
    }
    const current = await this.load(actor, id);
    this.allow(current, 'edit');
    const next: Assessment = {
      ...current,
      systemName: change.systemName != null ? v.text('systemName', change.systemName, { max: MAX_SYSTEM_NAME }) : current.systemName,
      assessmentType: change.assessmentType != null ? oneOf<AssessmentType>('assessmentType', change.assessmentType, ASSESSMENT_TYPES) : current.assessmentType,
      riskLevel: change.riskLevel != null ? oneOf<RiskLevel>('riskLevel', change.riskLevel, RISK_LEVELS) : current.riskLevel,
      description: change.description !== undefined ? v.optionalProse('description', change.description, MAX_DESCRIPTION) : current.description,
      evidenceExportIds: change.evidenceExportIds !== undefined ? await this.evidence(orgId, change.evidenceExportIds ?? []) : current.evidenceExportIds,
      updatedAt: this.deps.clock.now().toISOString(),
    };
    return this.move(actor, current, 'edit', next, 'conformity.updated', { fields: given.map(([k]) => k) });
  }

  async submit(actor: Actor, id: string): Promise<AssessmentView> {
    const current = await this.load(actor, id);
    this.allow(current, 'submit');
    const at = this.deps.clock.now().toISOString();
    return this.move(actor, current, 'submit', { ...current, status: 'submitted', submittedBy: actorLabel(actor), submittedAt: at, updatedAt: at }, 'conformity.submitted', {});
  }

  async approve(actor: Actor, id: string, comments?: string | null): Promise<AssessmentView> {
    const note = v.optionalProse('comments', comments, MAX_NOTE);
    const current = await this.load(actor, id);
    this.allow(current, 'approve');
    this.fourEyes(actor, current, 'approve');
    if (current.riskLevel === 'unacceptable') {
      throw new Conflict(
        `conformity assessment ${id} is of an unacceptable-risk system, which cannot be approved: unacceptable-risk AI systems are ` +
          'prohibited practices under Article 5 of the EU AI Act. Reject it, or record the system with the risk level it really has.',
      );
    }
    return this.decide(actor, current, 'approved', note);
  }

  async reject(actor: Actor, id: string, reason: string): Promise<AssessmentView> {
    const note = v.prose('reason', reason, { min: MIN_REJECTION_REASON, max: MAX_NOTE });
    const current = await this.load(actor, id);
    this.allow(current, 'reject');
    this.fourEyes(actor, current, 'reject');
    return this.decide(actor, current, 'rejected', note);
  }

  private decide(actor: Actor, current: Assessment, status: 'approved' | 'rejected', note: string | null): Promise<AssessmentView> {
    const at = this.deps.clock.now().toISOString();
    const step = status === 'approved' ? 'approve' : 'reject';
    return this.move(actor, current, step, { ...current, status, decidedBy: actorLabel(actor), decidedAt: at, decisionNote: note, updatedAt: at }, `conformity.${status}`, {
      risk_level: current.riskLevel,
    });
  }

  /** Writes the step if the assessment is still where it was read; a concurrent step that won is reported as the state it left. */
  private async move(actor: Actor, current: Assessment, step: Step, next: Assessment, action: string, details: Record<string, unknown>): Promise<AssessmentView> {
    await inTransaction(this.deps.db, async (trx) => {
      if (!(await saveAssessmentIf(trx, next, current))) {
        const now = await findAssessment(trx, current.orgId, current.id);
        if (!now) throw new NotFound(`conformity assessment ${current.id} not found`);
        this.allow(now, step);
        throw new Conflict(`conformity assessment ${current.id} changed while this request ran; read it again`);
      }
      await this.audit(trx, actor, next, action, { from: current.status, to: next.status, ...details });
    });
    return (await this.withEvidence(next.orgId, [next]))[0];
  }

  private allow(a: Assessment, step: Step): void {
    if (NEXT[a.status].includes(step)) return;
    const next = NEXT[a.status];
    const verb = step === 'edit' ? 'edited' : step === 'submit' ? 'submitted' : step === 'approve' ? 'approved' : 'rejected';
    throw new Conflict(
      `conformity assessment ${a.id} is ${a.status}: it can be ${verb} only while ${NEEDS[step]}. ` +
        (next.length ? `Allowed next: ${next.join(' or ')}.` : `${a.status} is final: nothing can follow it.`),
    );
  }

  private fourEyes(actor: Actor, a: Assessment, step: 'approve' | 'reject'): void {
    if (a.submittedBy !== null && a.submittedBy === actorLabel(actor)) {
      throw new Forbidden(`you submitted conformity assessment ${a.id}, so you may not ${step} it: four eyes, another person with compliance:export decides`);
    }
  }

  /** Evidence ids: the organization's completed exports, each named by its place when it is not one. */
  private async evidence(orgId: string, ids: readonly unknown[]): Promise<string[]> {
    if (!Array.isArray(ids)) throw new InvalidInput('must be a list of export ids', 'evidenceExportIds');
    if (ids.length > MAX_EVIDENCE) throw new InvalidInput(`must hold at most ${MAX_EVIDENCE} export ids (${ids.length} given)`, 'evidenceExportIds');
    const seen = new Map<string, number>();
    ids.forEach((id, i) => {
      const field = `evidenceExportIds[${i}]`;
      if (typeof id !== 'string' || id.length === 0 || id.length > 64 || /[\u0000-\u001f\u007f]/.test(id)) {
        throw new InvalidInput('must be an export id', field);
      }
      const first = seen.get(id);
      if (first !== undefined) throw new InvalidInput(`repeats the id at index ${first}`, field);
      seen.set(id, i);
    });
    const found = new Map((await findExports(this.deps.db, orgId, ids as string[])).map((e) => [e.id, e]));
    (ids as string[]).forEach((id, i) => {
      const e = found.get(id);
      const field = `evidenceExportIds[${i}]`;
      if (!e) throw new InvalidInput(`is not an export of this organization (${id})`, field);
      if (e.status !== 'completed') throw new InvalidInput(`is export ${id}, which is ${e.status}: only a completed export can be evidence`, field);
    });
    return [...(ids as string[])];
  }

  private audit(trx: Trx, actor: Actor, a: Assessment, action: string, details: Record<string, unknown>): Promise<void> {
    return this.deps.audit.append(trx, actor, { action, orgId: a.orgId, targetType: 'conformity_assessment', targetId: a.id, details });
  }
}
