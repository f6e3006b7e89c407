import { HITL_SEVERITIES, HITL_STATUSES } from '../../domain/compliance.js';
import type { HitlMetrics, HitlRequest, Reviewer } from '../../services/compliance/hitl.js';
import { builder } from '../builder.js';
import { COMPLIANCE_ACCESS } from '../compliance-access.js';
import type { Context } from '../../context.js';
import { countedConnection } from '../pagination.js';

const access = COMPLIANCE_ACCESS.hitl;

const HitlSeverityEnum = builder.enumType('HitlSeverity', { values: HITL_SEVERITIES });
const HitlStatusEnum = builder.enumType('HitlStatus', {
  description:
    'pending: waiting for a person. approved, rejected: a person decided in time (final). expired: its expiry passed first ' +
    '(the runtime applied its default). overridden: after expiry, a person recorded what should have happened.',
  values: HITL_STATUSES,
});
const HitlDecisionEnum = builder.enumType('HitlDecision', { values: ['approve', 'reject'] as const });

const HitlRequestRef = builder.objectRef<HitlRequest>('HitlRequest').implement({
  description: 'A decision the governed runtime asked a person to make. A pending request past expiresAt reads as expired.',
  fields: (t) => ({
    id: t.exposeID('id'),
    requestId: t.exposeString('requestId', { description: "The runtime's own id for the decision it waits on." }),
    severity: t.field({ type: HitlSeverityEnum, resolve: (r) => r.severity }),
    reason: t.exposeString('reason'),
    context: t.field({ type: 'JSONObject', resolve: (r) => r.context }),
    euAiActArticle: t.exposeString('euAiActArticle', { nullable: true }),
    status: t.field({ type: HitlStatusEnum, resolve: (r) => r.status }),
    expiresAt: t.field({ type: 'DateTime', nullable: true, resolve: (r) => r.expiresAt }),
    requestedBy: t.exposeString('requestedBy', { description: 'The API key that asked.' }),
    createdAt: t.field({ type: 'DateTime', resolve: (r) => r.createdAt }),
    decision: t.field({
      type: HitlDecisionEnum,
      nullable: true,
      description: 'approve or reject: the decision made in time, or for overridden the one recorded after expiry.',
      resolve: (r) => r.decision,
    }),
    decidedBy: t.exposeString('decidedBy', { nullable: true, description: "The deciding user's id (always the session's user)." }),
    decidedByEmail: t.exposeString('decidedByEmail', { nullable: true, description: "The deciding user's email when they decided." }),
    decidedAt: t.field({ type: 'DateTime', nullable: true, resolve: (r) => r.decidedAt }),
    comments: t.exposeString('comments', { nullable: true }),
    decisionReason: t.exposeString('decisionReason', { nullable: true, description: 'Why it was rejected or overridden.' }),
  }),
});

const RequestResultRef = builder.objectRef<{ created: boolean; request: HitlRequest }>('HitlRequestResult').implement({
  fields: (t) => ({
    created: t.exposeBoolean('created', { description: 'False when a retry with the same requestId found the first request.' }),
    request: t.field({ type: HitlRequestRef, resolve: (r) => r.request }),
  }),
});

const StatusCountRef = builder.objectRef<HitlMetrics['byStatus'][number]>('HitlStatusCount').implement({
  fields: (t) => ({ status: t.field({ type: HitlStatusEnum, resolve: (c) => c.status }), count: t.exposeInt('count') }),
});

const SeverityCountRef = builder.objectRef<HitlMetrics['bySeverity'][number]>('HitlSeverityCount').implement({
  fields: (t) => ({
    severity: t.field({ type: HitlSeverityEnum, resolve: (c) => c.severity }),
    count: t.exposeInt('count'),
    pending: t.exposeInt('pending'),
  }),
});

const MetricsRef = builder.objectRef<HitlMetrics>('HitlMetrics').implement({
  fields: (t) => ({
    total: t.exposeInt('total'),
    pending: t.exposeInt('pending'),
    decided: t.exposeInt('decided', { description: 'Approved or rejected by a person before expiry.' }),
    medianDecisionSeconds: t.exposeFloat('medianDecisionSeconds', {
      nullable: true,
      description: 'Median seconds from request to an in-time decision (approved or rejected); null before the first.',
    }),
    approvalRate: t.exposeFloat('approvalRate', { nullable: true, description: 'approved / (approved + rejected), from 0 to 1; null before the first decision.' }),
    byStatus: t.field({ type: [StatusCountRef], resolve: (m) => m.byStatus }),
    bySeverity: t.field({ type: [SeverityCountRef], resolve: (m) => m.bySeverity }),
  }),
});

const RequestInput = builder.inputType('RequestHitlDecisionInput', {
  fields: (t) => ({
    requestId: t.string({ required: true, description: 'The runtime\'s id for the decision: a retry with the same one finds the first request.' }),
    severity: t.field({ type: HitlSeverityEnum, required: true }),
    reason: t.string({ required: true }),
    context: t.field({ type: 'JSONObject', required: true, description: 'At most 16 KiB of JSON.' }),
    euAiActArticle: t.string({ required: false }),
    expiresAt: t.field({ type: 'DateTime', required: false, description: 'In the future, at most 30 days out.' }),
  }),
});

const OverrideInput = builder.inputType('OverrideHitlRequestInput', {
  fields: (t) => ({
    decision: t.field({ type: HitlDecisionEnum, required: true }),
    reason: t.string({ required: true, description: 'At least 10 characters.' }),
  }),
});

/** The decider is the session's user, whatever a body says. */
function reviewer(ctx: Context): Reviewer {
  const s = ctx.session();
  return { userId: s.userId, email: s.email };
}

builder.queryFields((t) => ({
  hitlQueue: t.connection(
    {
      type: HitlRequestRef,
      authScopes: access.read,
      description: 'Human-oversight requests, newest first; status filters as of now (a pending request past its expiry is expired).',
      args: { status: t.arg({ type: HitlStatusEnum, required: false }) },
      resolve: (_root, args, ctx) =>
        countedConnection(args, { defaultSize: 20, maxSize: 100 }, (page) => ctx.services.hitl.list(ctx.actor, args.status ?? undefined, page)),
    },
    { fields: (c) => ({ totalCount: c.int({ resolve: (conn) => conn.totalCount ?? 0 }) }) },
  ),
  hitlRequest: t.field({
    type: HitlRequestRef,
    authScopes: access.read,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.services.hitl.get(ctx.actor, String(id)),
  }),
  hitlMetrics: t.field({
    type: MetricsRef,
    authScopes: access.read,
    resolve: (_root, _args, ctx) => ctx.services.hitl.metrics(ctx.actor),
  }),
}));

builder.mutationFields((t) => ({
  requestHitlDecision: t.field({
    type: RequestResultRef,
    authScopes: access.request,
    description: 'The governed runtime asks for a decision (runtime keys with hitl:request). A retry with the same requestId and content finds the first request; other content is a conflict.',
    args: { input: t.arg({ type: RequestInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.hitl.request(ctx.actor, input),
  }),
  approveHitlRequest: t.field({
    type: HitlRequestRef,
    authScopes: access.review,
    description: 'Approves a pending request; final. A request already decided or expired is a conflict naming its state.',
    args: { id: t.arg.id({ required: true }), comments: t.arg.string({ required: false }) },
    resolve: (_root, { id, comments }, ctx) => ctx.services.hitl.approve(ctx.actor, reviewer(ctx), String(id), comments),
  }),
  rejectHitlRequest: t.field({
    type: HitlRequestRef,
    authScopes: access.review,
    description: 'Rejects a pending request with a reason of at least 10 characters; final.',
    args: { id: t.arg.id({ required: true }), reason: t.arg.string({ required: true }) },
    resolve: (_root, { id, reason }, ctx) => ctx.services.hitl.reject(ctx.actor, reviewer(ctx), String(id), reason),
  }),
  overrideHitlRequest: t.field({
    type: HitlRequestRef,
    authScopes: access.review,
    description: 'Records, for an expired request, what should have happened (status overridden, the decision kept).',
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: OverrideInput, required: true }) },
    resolve: (_root, { id, input }, ctx) => ctx.services.hitl.override(ctx.actor, reviewer(ctx), String(id), input),
  }),
}));
