import {
  type IngestResult,
  type UsageMetrics,
  type UsageReport,
  USAGE_EVENT_TYPES,
  USAGE_GRANULARITIES,
  USAGE_GROUP_BY,
  MAX_GROUPS,
} from '../../services/usage.js';
import { builder } from '../builder.js';
import { OrganizationRef } from './organization.js';

export const UsageEventTypeEnum = builder.enumType('UsageEventType', { values: USAGE_EVENT_TYPES });
export const UsageGranularityEnum = builder.enumType('UsageGranularity', { values: USAGE_GRANULARITIES });
export const UsageGroupByEnum = builder.enumType('UsageGroupBy', { values: USAGE_GROUP_BY });

// Counts and sums are Float: over a long window they outgrow GraphQL's 32-bit Int. They are whole numbers.
const UsageMetricsRef = builder.interfaceRef<UsageMetrics>('UsageMetrics').implement({
  description: 'Usage of a window (or one part of it), summed from the rollups kept at ingest.',
  fields: (t) => ({
    apiCalls: t.exposeFloat('apiCalls'),
    llmRequests: t.exposeFloat('llmRequests'),
    totalRequests: t.exposeFloat('totalRequests'),
    promptTokens: t.exposeFloat('promptTokens'),
    completionTokens: t.exposeFloat('completionTokens'),
    totalTokens: t.exposeFloat('totalTokens'),
    estimatedCostUsd: t.exposeFloat('estimatedCostUsd', { description: 'Sum of the events\' cost_usd, exact to the micro-dollar.' }),
    avgLatencyMs: t.exposeFloat('avgLatencyMs', { nullable: true, description: 'Over the events that carried a latency; null if none did.' }),
    successRate: t.exposeFloat('successRate', { nullable: true, description: 'Share (0..1) of events with status < 400 or no status; null without events.' }),
  }),
});

const UsageTotalsRef = builder.objectRef<UsageMetrics>('UsageTotals').implement({ interfaces: [UsageMetricsRef] });

const UsageTypeMetricsRef = builder.objectRef<UsageMetrics & { type: (typeof USAGE_EVENT_TYPES)[number] }>('UsageTypeMetrics').implement({
  interfaces: [UsageMetricsRef],
  fields: (t) => ({ type: t.field({ type: UsageEventTypeEnum, resolve: (r) => r.type }) }),
});

const UsageGroupRef = builder.objectRef<UsageMetrics & { key: string | null }>('UsageGroup').implement({
  interfaces: [UsageMetricsRef],
  fields: (t) => ({ key: t.exposeString('key', { nullable: true, description: 'The provider, model or node id; null for events without one.' }) }),
});

const UsageBucketRef = builder.objectRef<UsageMetrics & { bucket: string }>('UsageBucket').implement({
  interfaces: [UsageMetricsRef],
  fields: (t) => ({ bucket: t.field({ type: 'DateTime', description: 'Start of the bucket (UTC).', resolve: (r) => r.bucket }) }),
});

const UsageReportRef = builder.objectRef<UsageReport>('UsageReport').implement({
  description:
    'Usage of the window [from, to), aligned to whole UTC hours (from rounded down, to up): the numbers are exactly those of the events in the window as answered.',
  fields: (t) => ({
    from: t.field({ type: 'DateTime', resolve: (r) => r.from }),
    to: t.field({ type: 'DateTime', resolve: (r) => r.to }),
    granularity: t.field({ type: UsageGranularityEnum, resolve: (r) => r.granularity }),
    groupBy: t.field({ type: UsageGroupByEnum, nullable: true, resolve: (r) => r.groupBy }),
    totals: t.field({ type: UsageTotalsRef, resolve: (r) => r.totals() }),
    byType: t.field({ type: [UsageTypeMetricsRef], resolve: (r) => r.byType() }),
    groups: t.field({
      type: [UsageGroupRef],
      nullable: true,
      description: `The top ${MAX_GROUPS} groups by requests when groupBy is given, else null.`,
      resolve: (r) => r.groups(),
    }),
    series: t.field({
      type: [UsageBucketRef],
      description: 'One entry per bucket of the granularity touching the window, zeros included.',
      resolve: (r) => r.series(),
    }),
  }),
});

builder.objectField(OrganizationRef, 'usage', (t) =>
  t.field({
    type: UsageReportRef,
    authScopes: { permission: 'usage:read' },
    args: {
      from: t.arg.string({ required: false, description: 'ISO-8601 timestamp with a zone, or YYYY-MM-DD; default to minus 30 days.' }),
      to: t.arg.string({ required: false, description: 'ISO-8601 timestamp with a zone, or YYYY-MM-DD; default now.' }),
      granularity: t.arg({ type: UsageGranularityEnum, required: false, description: 'Of the series; default day.' }),
      groupBy: t.arg({ type: UsageGroupByEnum, required: false }),
    },
    resolve: (_org, args, ctx) => ctx.services.usage.report(ctx.actor, args),
  }),
);

const UsageBatchInput = builder.inputType('UsageBatchInput', {
  fields: (t) => ({
    events: t.field({
      type: ['JSONObject'],
      required: { list: true, items: false },
      description:
        '1..1000 events {eventId, type (api_call | llm_request), occurredAt, nodeId?, method?, path?, status?, latencyMs?, provider?, model?, ' +
        'promptTokens?, completionTokens?, costUsd?}. Objects rather than a typed input so that a rejected batch reports every problem ' +
        'of every event at once (extensions.details), not only the first a type check meets.',
    }),
  }),
});

const UsageIngestResultRef = builder.objectRef<IngestResult>('UsageIngestResult').implement({
  fields: (t) => ({
    accepted: t.exposeInt('accepted', { description: 'Events stored by this call.' }),
    duplicates: t.exposeInt('duplicates', { description: 'Events whose id this organization had already sent (or sent twice in this batch).' }),
  }),
});

builder.mutationField('ingestUsage', (t) =>
  t.field({
    type: UsageIngestResultRef,
    description: 'Stores a batch of runtime usage events, all or nothing, idempotent by event id.',
    authScopes: { runtime: 'usage:write' },
    args: { input: t.arg({ type: UsageBatchInput, required: true }) },
    resolve: (_root, { input }, ctx) => {
      return ctx.services.usage.ingest(ctx.actor, input.events);
    },
  }),
);
