import { VIOLATION_SEVERITIES } from '../../domain/compliance.js';
import { POLICY_TYPES, VIOLATION_ACTIONS, type PolicyViolation, type ReportResult } from '../../services/compliance/violations.js';
import { builder } from '../builder.js';
import { countedConnection } from '../pagination.js';

const ViolationSeverityEnum = builder.enumType('PolicyViolationSeverity', { values: VIOLATION_SEVERITIES });
const PolicyTypeEnum = builder.enumType('PolicyViolationPolicyType', { values: POLICY_TYPES });
const ActionEnum = builder.enumType('PolicyViolationAction', { values: VIOLATION_ACTIONS });

const PolicyViolationRef = builder.objectRef<PolicyViolation>('PolicyViolation').implement({
  description: 'A policy hit the governed runtime reported.',
  fields: (t) => ({
    violationId: t.exposeID('violationId'),
    policyId: t.exposeString('policyId', { nullable: true }),
    policyName: t.exposeString('policyName'),
    policyType: t.field({ type: PolicyTypeEnum, resolve: (p) => p.policyType as (typeof POLICY_TYPES)[number] }),
    severity: t.field({ type: ViolationSeverityEnum, resolve: (p) => p.severity }),
    action: t.field({ type: ActionEnum, resolve: (p) => p.action as (typeof VIOLATION_ACTIONS)[number] }),
    occurredAt: t.field({ type: 'DateTime', resolve: (p) => p.occurredAt }),
    nodeId: t.exposeString('nodeId', { nullable: true }),
    requestId: t.exposeString('requestId', { nullable: true }),
    details: t.field({ type: 'JSONObject', resolve: (p) => p.details }),
    receivedAt: t.field({ type: 'DateTime', resolve: (p) => p.receivedAt }),
  }),
});

const ReportInput = builder.inputType('PolicyViolationBatchInput', {
  fields: (t) => ({
    violations: t.field({
      type: ['JSONObject'],
      required: { list: true, items: false },
      description:
        '1..1000 violations {violationId, policyName, policyType (static | dynamic), policyId?, severity (low | medium | high | critical), ' +
        'action (block | redact | warn | log | require_approval | route), occurredAt, nodeId?, requestId?, details?}. Objects rather than a typed ' +
        'input so that a refused batch reports every problem of every violation at once (extensions.details).',
    }),
  }),
});

const ReportResultRef = builder.objectRef<ReportResult>('PolicyViolationReportResult').implement({
  fields: (t) => ({
    accepted: t.exposeInt('accepted', { description: 'Violations stored by this call.' }),
    duplicates: t.exposeInt('duplicates', { description: 'Violations whose id this organization had already reported (or sent twice in this batch).' }),
  }),
});

builder.mutationField('reportPolicyViolations', (t) =>
  t.field({
    type: ReportResultRef,
    description: 'Stores a batch of policy violations, all or nothing, idempotent by violation id.',
    authScopes: { runtime: 'usage:write' },
    args: { input: t.arg({ type: ReportInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.violations.report(ctx.actor, input.violations),
  }),
);

builder.queryField('policyViolations', (t) =>
  t.connection(
    {
      type: PolicyViolationRef,
      authScopes: { permission: 'policies:read' },
      description: 'Reported policy violations, newest first; from (inclusive) and to (exclusive) bound occurredAt.',
      args: {
        from: t.arg.string({ required: false, description: 'ISO-8601 timestamp with a zone, or YYYY-MM-DD.' }),
        to: t.arg.string({ required: false, description: 'ISO-8601 timestamp with a zone, or YYYY-MM-DD.' }),
        severity: t.arg({ type: ViolationSeverityEnum, required: false }),
      },
      resolve: (_root, args, ctx) =>
        countedConnection(args, { defaultSize: 50, maxSize: 200 }, (page) =>
          ctx.services.violations.list(ctx.actor, { from: args.from, to: args.to, severity: args.severity }, page),
        ),
    },
    { fields: (c) => ({ totalCount: c.int({ resolve: (conn) => conn.totalCount ?? 0 }) }) },
  ),
);
