import {
  type Breakdown,
  type BreakdownSeries,
  type BucketPoint,
  type ComplianceDashboard,
  DASHBOARD_GRANULARITIES,
  MAX_BUCKETS,
} from '../../services/compliance/dashboards.js';
import { builder } from '../builder.js';
import { ComplianceModuleEnum } from './modules.js';

const GranularityEnum = builder.enumType('ComplianceDashboardGranularity', {
  description: 'Buckets of the series: UTC days, ISO weeks (starting Monday) or calendar months.',
  values: DASHBOARD_GRANULARITIES,
});

const PointRef = builder.objectRef<BucketPoint>('ComplianceDashboardPoint').implement({
  fields: (t) => ({
    bucket: t.field({ type: 'DateTime', description: 'Start of the bucket (UTC).', resolve: (p) => p.bucket }),
    count: t.exposeInt('count'),
  }),
});

const SeriesRef = builder.objectRef<BreakdownSeries>('ComplianceDashboardSeries').implement({
  description: 'One status (or severity): its count in the window and per bucket.',
  fields: (t) => ({
    key: t.exposeString('key', { description: 'The status or severity.' }),
    count: t.exposeInt('count'),
    points: t.field({ type: [PointRef], description: 'One per bucket touching the window, zeros included.', resolve: (s) => s.points }),
  }),
});

const BreakdownRef = builder.objectRef<Breakdown>('ComplianceDashboardBreakdown').implement({
  fields: (t) => ({
    total: t.exposeInt('total'),
    byKey: t.field({ type: [SeriesRef], description: 'Every known status or severity, zeros included, then any other found.', resolve: (b) => b.byKey }),
  }),
});

const DashboardRef = builder.objectRef<ComplianceDashboard>('ComplianceDashboard').implement({
  description: 'What happened in a compliance module in the window [from, to), counted per bucket.',
  fields: (t) => ({
    module: t.field({ type: ComplianceModuleEnum, resolve: (d) => d.module }),
    from: t.field({ type: 'DateTime', resolve: (d) => d.from }),
    to: t.field({ type: 'DateTime', resolve: (d) => d.to }),
    granularity: t.field({ type: GranularityEnum, resolve: (d) => d.granularity }),
    buckets: t.field({ type: ['DateTime'], description: 'Starts of the buckets touching the window, oldest first.', resolve: (d) => d.buckets }),
    exports: t.field({ type: BreakdownRef, description: "The module's export jobs by status, by when they were requested.", resolve: (d) => d.exports }),
    assessments: t.field({
      type: BreakdownRef,
      nullable: true,
      description: 'Conformity assessments by state, by when they were recorded (eu_ai_act; null for other modules).',
      resolve: (d) => d.assessments,
    }),
    hitlDecisions: t.field({
      type: BreakdownRef,
      nullable: true,
      description: 'Human-oversight requests by status, by when they were asked (hitl and eu_ai_act; null for others).',
      resolve: (d) => d.hitlDecisions,
    }),
    policyViolations: t.field({ type: BreakdownRef, description: 'Reported policy violations by severity, by when they occurred.', resolve: (d) => d.policyViolations }),
  }),
});

builder.queryField('complianceDashboard', (t) =>
  t.field({
    type: DashboardRef,
    // The gate is the module asked for: a session with compliance:read or a key with that scope, of an org that has it.
    authScopes: (_parent, args) => ({ module: { module: args.module, permission: 'compliance:read', scope: 'compliance:read' } }),
    args: {
      module: t.arg({ type: ComplianceModuleEnum, required: true }),
      from: t.arg.string({ required: false, description: 'ISO-8601 timestamp with a zone, or YYYY-MM-DD; default 30 days before to.' }),
      to: t.arg.string({ required: false, description: 'ISO-8601 timestamp with a zone, or YYYY-MM-DD (exclusive); default now.' }),
      granularity: t.arg({ type: GranularityEnum, required: false, description: `Default day; at most ${MAX_BUCKETS} buckets.` }),
    },
    resolve: (_root, args, ctx) => ctx.services.dashboards.dashboard(ctx.actor, args),
  }),
);
