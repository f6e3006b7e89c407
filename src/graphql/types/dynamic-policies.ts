import { type Condition, DYNAMIC_TYPES, type DynamicPolicy, type PolicyAction, SORT_FIELDS } from '../../domain/dynamic-policies.js';
import type { ConditionResult } from '../../services/policies/conditions.js';
import { DYNAMIC_POLICY_SCHEMA, type DynamicPolicyPage, type DynamicPolicyTest } from '../../services/policies/dynamic.js';
import { builder } from '../builder.js';
import { offsetConnection } from '../pagination.js';
import { RUNTIME_ACCESS } from '../runtime-access.js';
import { PolicyVersionRef } from './policy-versions.js';

const { read, write } = RUNTIME_ACCESS.policies;

const TypeEnum = builder.enumType('DynamicPolicyType', { values: DYNAMIC_TYPES });
const SortEnum = builder.enumType('DynamicPolicySort', { values: SORT_FIELDS });
const SortDirEnum = builder.enumType('SortDirection', { values: ['asc', 'desc'] as const });

const ConditionRef = builder.objectRef<Condition>('PolicyCondition').implement({
  fields: (t) => ({
    field: t.exposeString('field'),
    operator: t.exposeString('operator'),
    value: t.field({ type: 'JSON', resolve: (c) => c.value }),
  }),
});

const ActionRef = builder.objectRef<PolicyAction>('PolicyAction').implement({
  fields: (t) => ({
    type: t.exposeString('type'),
    config: t.field({ type: 'JSONObject', resolve: (a) => a.config }),
  }),
});

const DynamicPolicyRef = builder.objectRef<DynamicPolicy>('DynamicPolicy').implement({
  description: 'Conditions over a request context (all must hold) and the actions that follow.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    type: t.field({ type: TypeEnum, resolve: (p) => p.type }),
    category: t.exposeString('category'),
    description: t.exposeString('description', { nullable: true }),
    conditions: t.field({ type: [ConditionRef], resolve: (p) => p.conditions }),
    actions: t.field({ type: [ActionRef], resolve: (p) => p.actions }),
    priority: t.exposeInt('priority'),
    enabled: t.exposeBoolean('enabled'),
    tags: t.exposeStringList('tags'),
    version: t.exposeInt('version'),
    createdAt: t.field({ type: 'DateTime', resolve: (p) => p.createdAt }),
    updatedAt: t.field({ type: 'DateTime', resolve: (p) => p.updatedAt }),
    deletedAt: t.field({ type: 'DateTime', nullable: true, resolve: (p) => p.deletedAt }),
  }),
});

const PageRef = builder.objectRef<DynamicPolicyPage>('DynamicPolicyPage').implement({
  fields: (t) => ({
    items: t.field({ type: [DynamicPolicyRef], resolve: (p) => p.items }),
    page: t.exposeInt('page'),
    pageSize: t.exposeInt('pageSize'),
    total: t.exposeInt('total'),
    totalPages: t.int({ resolve: (p) => Math.ceil(p.total / p.pageSize) }),
  }),
});

const ConditionResultRef = builder.objectRef<ConditionResult>('PolicyConditionResult').implement({
  fields: (t) => ({
    field: t.exposeString('field'),
    operator: t.exposeString('operator'),
    value: t.field({ type: 'JSON', resolve: (c) => c.value }),
    actual: t.field({ type: 'JSON', nullable: true, description: 'The value the context gave; null when absent.', resolve: (c) => c.actual }),
    matched: t.exposeBoolean('matched'),
    explanation: t.exposeString('explanation'),
  }),
});

const TestRef = builder.objectRef<DynamicPolicyTest>('DynamicPolicyTest').implement({
  fields: (t) => ({
    policyId: t.string({ resolve: (r) => r.policy.id }),
    matched: t.exposeBoolean('matched', { description: 'Every condition held.' }),
    enabled: t.boolean({ resolve: (r) => r.policy.enabled }),
    conditions: t.field({ type: [ConditionResultRef], resolve: (r) => r.conditions }),
    actions: t.field({ type: [ActionRef], description: 'What would follow: empty unless matched and enabled.', resolve: (r) => r.actions }),
  }),
});

const DynamicPolicyInput = builder.inputType('DynamicPolicyInput', {
  description: 'On create: name, type, conditions and actions are required. On update: only the fields given change. See dynamicPolicySchema.',
  fields: (t) => ({
    name: t.string({ required: false }),
    type: t.string({ required: false, description: 'content, user, risk or cost.' }),
    category: t.string({ required: false }),
    description: t.string({ required: false }),
    conditions: t.field({ type: 'JSON', required: false, description: '[{field, operator, value}], checked against the type.' }),
    actions: t.field({ type: 'JSON', required: false, description: '[{type, config}].' }),
    priority: t.int({ required: false }),
    enabled: t.boolean({ required: false }),
    tags: t.stringList({ required: false }),
  }),
});

builder.queryFields((t) => ({
  dynamicPolicies: t.field({
    type: PageRef,
    authScopes: read,
    args: {
      page: t.arg.int({ required: false }),
      pageSize: t.arg.int({ required: false }),
      sortBy: t.arg({ type: SortEnum, required: false }),
      sortDir: t.arg({ type: SortDirEnum, required: false }),
      search: t.arg.string({ required: false }),
      includeDeleted: t.arg.boolean({ required: false }),
      type: t.arg({ type: TypeEnum, required: false }),
      enabled: t.arg.boolean({ required: false }),
    },
    resolve: (_root, a, ctx) => {
      const page = a.page ?? 1;
      const pageSize = a.pageSize ?? 20;
      const sortBy = a.sortBy ?? 'priority';
      return ctx.services.dynamicPolicies.list(
        ctx.actor,
        {
          search: a.search ?? undefined,
          includeDeleted: a.includeDeleted ?? false,
          type: a.type ?? undefined,
          enabled: a.enabled ?? undefined,
          sortBy,
          sortDir: a.sortDir ?? (sortBy === 'name' ? 'asc' : 'desc'),
        },
        page,
        pageSize,
      );
    },
  }),
  dynamicPolicy: t.field({
    type: DynamicPolicyRef,
    authScopes: read,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.services.dynamicPolicies.get(ctx.actor, String(id)),
  }),
  effectiveDynamicPolicies: t.field({
    type: [DynamicPolicyRef],
    authScopes: read,
    description: 'Enabled, undeleted policies in evaluation order (priority, higher first).',
    args: { type: t.arg({ type: TypeEnum, required: false }) },
    resolve: (_root, { type }, ctx) => ctx.services.dynamicPolicies.effective(ctx.actor, type ?? undefined),
  }),
  dynamicPolicyVersions: t.connection({
    type: PolicyVersionRef,
    authScopes: read,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) =>
      offsetConnection(args, { defaultSize: 50, maxSize: 200 }, (page) => ctx.services.dynamicPolicies.versions(ctx.actor, String(args.id), page)),
  }),
  dynamicPolicySchema: t.field({
    type: 'JSONObject',
    authScopes: read,
    description: 'The fields each policy type may test, the operators of each kind of value, and each action config JSON Schema.',
    resolve: () => DYNAMIC_POLICY_SCHEMA,
  }),
  testDynamicPolicy: t.field({
    type: TestRef,
    authScopes: read,
    description: 'Evaluates a policy against a sample request context. Changes nothing.',
    args: { id: t.arg.id({ required: true }), context: t.arg({ type: 'JSONObject', required: true }) },
    resolve: (_root, { id, context }, ctx) => ctx.services.dynamicPolicies.test(ctx.actor, String(id), context),
  }),
}));

builder.mutationFields((t) => ({
  createDynamicPolicy: t.field({
    type: DynamicPolicyRef,
    authScopes: write,
    args: { input: t.arg({ type: DynamicPolicyInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.dynamicPolicies.create(ctx.actor, input),
  }),
  updateDynamicPolicy: t.field({
    type: DynamicPolicyRef,
    authScopes: write,
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: DynamicPolicyInput, required: true }) },
    resolve: (_root, { id, input }, ctx) => ctx.services.dynamicPolicies.update(ctx.actor, String(id), input),
  }),
  deleteDynamicPolicy: t.boolean({
    authScopes: write,
    description: 'Soft: the policy stops applying; list with includeDeleted to see it, and its versions stay readable.',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => {
      await ctx.services.dynamicPolicies.remove(ctx.actor, String(id));
      return true;
    },
  }),
}));
