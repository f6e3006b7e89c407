import { ASSESSMENT_STATUSES, ASSESSMENT_TYPES, RISK_LEVELS } from '../../domain/compliance.js';
import type { AssessmentView, EvidenceExport } from '../../services/compliance/conformity.js';
import { builder } from '../builder.js';
import { COMPLIANCE_ACCESS } from '../compliance-access.js';
import { countedConnection } from '../pagination.js';

const { read, export: write, decide } = COMPLIANCE_ACCESS.euAiAct;

const AssessmentTypeEnum = builder.enumType('ConformityAssessmentType', { values: ASSESSMENT_TYPES });
const RiskLevelEnum = builder.enumType('ConformityRiskLevel', {
  description: 'EU AI Act risk tiers. unacceptable: a prohibited practice (Article 5): it can be recorded, never approved.',
  values: RISK_LEVELS,
});
const AssessmentStatusEnum = builder.enumType('ConformityAssessmentStatus', {
  description: 'draft -> submitted -> approved | rejected; approved and rejected are final.',
  values: ASSESSMENT_STATUSES,
});

const EvidenceRef = builder.objectRef<EvidenceExport>('ConformityEvidence').implement({
  description: 'A compliance export attached to an assessment as evidence.',
  fields: (t) => ({
    id: t.exposeID('id'),
    framework: t.exposeString('framework'),
    exportType: t.exposeString('exportType'),
    status: t.exposeString('status', { description: 'completed when attached; expired once its file is past retention.' }),
    sha256: t.exposeString('sha256', { nullable: true, description: 'SHA-256 of the exported file.' }),
    completedAt: t.field({ type: 'DateTime', nullable: true, resolve: (e) => e.completedAt }),
  }),
});

const AssessmentRef = builder.objectRef<AssessmentView>('ConformityAssessment').implement({
  description:
    'An EU AI Act conformity assessment of one AI system. Every step records who ("user:usr_..." or "api_key:key_...") and when; ' +
    'whoever submitted it may not approve or reject it.',
  fields: (t) => ({
    id: t.exposeID('id'),
    systemName: t.exposeString('systemName'),
    assessmentType: t.field({ type: AssessmentTypeEnum, resolve: (a) => a.assessmentType }),
    riskLevel: t.field({ type: RiskLevelEnum, resolve: (a) => a.riskLevel }),
    description: t.exposeString('description', { nullable: true }),
    status: t.field({ type: AssessmentStatusEnum, resolve: (a) => a.status }),
    evidenceExportIds: t.exposeStringList('evidenceExportIds'),
    evidence: t.field({ type: [EvidenceRef], description: 'The cited exports still on record, in the order cited.', resolve: (a) => a.evidence }),
    createdBy: t.exposeString('createdBy'),
    createdAt: t.field({ type: 'DateTime', resolve: (a) => a.createdAt }),
    updatedAt: t.field({ type: 'DateTime', resolve: (a) => a.updatedAt }),
    submittedBy: t.exposeString('submittedBy', { nullable: true }),
    submittedAt: t.field({ type: 'DateTime', nullable: true, resolve: (a) => a.submittedAt }),
    decidedBy: t.exposeString('decidedBy', { nullable: true, description: 'Who approved or rejected it.' }),
    decidedAt: t.field({ type: 'DateTime', nullable: true, resolve: (a) => a.decidedAt }),
    comments: t.string({ nullable: true, description: "The approver's comments.", resolve: (a) => (a.status === 'approved' ? a.decisionNote : null) }),
    rejectionReason: t.string({ nullable: true, description: 'Why it was rejected.', resolve: (a) => (a.status === 'rejected' ? a.decisionNote : null) }),
  }),
});

const CreateInput = builder.inputType('CreateConformityAssessmentInput', {
  fields: (t) => ({
    systemName: t.string({ required: true, description: '1-200 characters.' }),
    assessmentType: t.field({ type: AssessmentTypeEnum, required: true }),
    riskLevel: t.field({ type: RiskLevelEnum, required: true }),
    description: t.string({ required: false, description: 'At most 5000 characters.' }),
    evidenceExportIds: t.stringList({ required: false, description: "Up to 50 ids of the organization's completed compliance exports." }),
  }),
});

const UpdateInput = builder.inputType('UpdateConformityAssessmentInput', {
  description: 'Only while draft. Fields not given stay; description null clears it; evidenceExportIds replaces the list.',
  fields: (t) => ({
    systemName: t.string({ required: false }),
    assessmentType: t.field({ type: AssessmentTypeEnum, required: false }),
    riskLevel: t.field({ type: RiskLevelEnum, required: false }),
    description: t.string({ required: false }),
    evidenceExportIds: t.stringList({ required: false }),
  }),
});

builder.queryFields((t) => ({
  conformityAssessment: t.field({
    type: AssessmentRef,
    authScopes: read,
    args: { id: t.arg.string({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.services.conformity.get(ctx.actor, id),
  }),
  conformityAssessments: t.connection(
    {
      type: AssessmentRef,
      authScopes: read,
      description: 'Conformity assessments of the organization, newest first.',
      args: { status: t.arg({ type: AssessmentStatusEnum, required: false }) },
      resolve: (_root, args, ctx) =>
        countedConnection(args, { defaultSize: 20, maxSize: 100 }, (page) => ctx.services.conformity.list(ctx.actor, { status: args.status }, page)),
    },
    { fields: (c) => ({ totalCount: c.int({ resolve: (conn) => conn.totalCount ?? 0 }) }) },
  ),
}));

builder.mutationFields((t) => ({
  createConformityAssessment: t.field({
    type: AssessmentRef,
    authScopes: write,
    description: 'Records an assessment as draft.',
    args: { input: t.arg({ type: CreateInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.conformity.create(ctx.actor, input),
  }),
  updateConformityAssessment: t.field({
    type: AssessmentRef,
    authScopes: write,
    description: 'Edits a draft (409 once submitted).',
    args: { id: t.arg.string({ required: true }), input: t.arg({ type: UpdateInput, required: true }) },
    resolve: (_root, { id, input }, ctx) => ctx.services.conformity.update(ctx.actor, id, input),
  }),
  submitConformityAssessment: t.field({
    type: AssessmentRef,
    authScopes: write,
    description: 'draft -> submitted.',
    args: { id: t.arg.string({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.services.conformity.submit(ctx.actor, id),
  }),
  approveConformityAssessment: t.field({
    type: AssessmentRef,
    authScopes: decide,
    description: 'submitted -> approved, by a person other than the submitter; never for an unacceptable-risk system.',
    args: { id: t.arg.string({ required: true }), comments: t.arg.string({ required: false }) },
    resolve: (_root, { id, comments }, ctx) => ctx.services.conformity.approve(ctx.actor, id, comments),
  }),
  rejectConformityAssessment: t.field({
    type: AssessmentRef,
    authScopes: decide,
    description: 'submitted -> rejected, by a person other than the submitter, with a reason of at least 10 characters.',
    args: { id: t.arg.string({ required: true }), reason: t.arg.string({ required: true }) },
    resolve: (_root, { id, reason }, ctx) => ctx.services.conformity.reject(ctx.actor, id, reason),
  }),
}));
