import { type PolicyOverride, SEVERITIES, STATIC_ACTIONS, STATIC_TIERS } from '../../domain/policies.js';
import type { StaticPolicyView, TextMatch, TextVerdict } from '../../services/policies/static.js';
import { builder } from '../builder.js';
import { countedConnection, offsetConnection } from '../pagination.js';
import { RUNTIME_ACCESS } from '../runtime-access.js';
import { PolicyVersionRef } from './policy-versions.js';

const { read, write } = RUNTIME_ACCESS.policies;

const TierEnum = builder.enumType('StaticPolicyTier', { values: STATIC_TIERS });
const SeverityEnum = builder.enumType('PolicySeverity', { values: SEVERITIES });
const ActionEnum = builder.enumType('StaticPolicyAction', { values: STATIC_ACTIONS });

const OverrideRef = builder.objectRef<PolicyOverride>('StaticPolicyOverride').implement({
  description: "An organization's temporary exception to one policy; it lapses by itself at expiresAt.",
  fields: (t) => ({
    id: t.exposeID('id'),
    action: t.field({ type: ActionEnum, nullable: true, resolve: (o) => o.action }),
    enabled: t.exposeBoolean('enabled', { nullable: true }),
    reason: t.exposeString('reason'),
    expiresAt: t.field({ type: 'DateTime', resolve: (o) => o.expiresAt }),
    createdBy: t.exposeString('createdBy', { nullable: true }),
    createdAt: t.field({ type: 'DateTime', resolve: (o) => o.createdAt }),
  }),
});

const StaticPolicyRef = builder.objectRef<StaticPolicyView>('StaticPolicy').implement({
  description: 'A pattern (RE2 syntax) and what to do with a text it matches.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    category: t.exposeString('category'),
    tier: t.field({ type: TierEnum, resolve: (p) => p.tier }),
    tenantId: t.exposeString('tenantId', { nullable: true }),
    description: t.exposeString('description', { nullable: true }),
    pattern: t.exposeString('pattern'),
    severity: t.field({ type: SeverityEnum, resolve: (p) => p.severity }),
    action: t.field({ type: ActionEnum, resolve: (p) => p.action }),
    priority: t.exposeInt('priority'),
    enabled: t.exposeBoolean('enabled'),
    tags: t.exposeStringList('tags'),
    version: t.exposeInt('version'),
    readOnly: t.boolean({ description: 'System-tier: shipped with the service.', resolve: (p) => p.tier === 'system' }),
    override: t.field({ type: OverrideRef, nullable: true, resolve: (p) => p.override }),
    createdAt: t.field({ type: 'DateTime', resolve: (p) => p.createdAt }),
    updatedAt: t.field({ type: 'DateTime', resolve: (p) => p.updatedAt }),
  }),
});

const StaticPolicyInput = builder.inputType('StaticPolicyInput', {
  description: 'On create: name and pattern are required. On update: only the fields given change.',
  fields: (t) => ({
    name: t.string({ required: false }),
    category: t.string({ required: false, description: 'Default custom.' }),
    tier: t.field({ type: TierEnum, required: false, description: 'organization (default) or tenant; system is read-only.' }),
    tenantId: t.string({ required: false, description: 'Required for, and only for, the tenant tier.' }),
    description: t.string({ required: false }),
    pattern: t.string({ required: false, description: 'RE2 syntax; nested quantifiers are refused.' }),
    severity: t.field({ type: SeverityEnum, required: false, description: 'Default medium.' }),
    action: t.field({ type: ActionEnum, required: false, description: 'Default block.' }),
    priority: t.int({ required: false, description: '0-1000, higher first; default 100.' }),
    enabled: t.boolean({ required: false }),
    tags: t.stringList({ required: false }),
  }),
});

const OverrideInput = builder.inputType('StaticPolicyOverrideInput', {
  fields: (t) => ({
    action: t.field({ type: ActionEnum, required: false }),
    enabled: t.boolean({ required: false }),
    reason: t.string({ required: true, description: '10-500 characters.' }),
    expiresAt: t.field({ type: 'DateTime', required: true, description: 'At most 90 days ahead.' }),
  }),
});

const RangeRef = builder.objectRef<[number, number]>('TextRange').implement({
  fields: (t) => ({ start: t.int({ resolve: (r) => r[0] }), end: t.int({ resolve: (r) => r[1] }) }),
});

const TextMatchRef = builder.objectRef<TextMatch>('StaticPolicyMatch').implement({
  fields: (t) => ({
    policyId: t.string({ resolve: (m) => m.policy.id }),
    name: t.string({ resolve: (m) => m.policy.name }),
    tier: t.field({ type: TierEnum, resolve: (m) => m.policy.tier }),
    category: t.string({ resolve: (m) => m.policy.category }),
    severity: t.field({ type: SeverityEnum, resolve: (m) => m.policy.severity }),
    action: t.field({ type: ActionEnum, resolve: (m) => m.action }),
    overridden: t.exposeBoolean('overridden'),
    matchCount: t.int({ resolve: (m) => m.count }),
    positions: t.field({ type: [RangeRef], description: 'The first 100, in UTF-16 code units, end exclusive.', resolve: (m) => m.ranges }),
  }),
});

const VerdictRef = builder.objectRef<TextVerdict>('StaticPolicyVerdict').implement({
  fields: (t) => ({
    action: t.exposeString('action', { description: 'The strictest action matched: block, redact, warn, log; allow when none.' }),
    blocked: t.boolean({ resolve: (v) => v.action === 'block' }),
    complete: t.exposeBoolean('complete', { description: 'False when the time bound stopped the evaluation: the verdict is then block.' }),
    policiesEvaluated: t.exposeInt('policiesEvaluated'),
    matches: t.field({ type: [TextMatchRef], resolve: (v) => v.matches }),
    redactedText: t.exposeString('redactedText', { nullable: true }),
    elapsedMs: t.exposeFloat('elapsedMs'),
  }),
});

const EffectiveRef = builder.objectRef<{ policy: StaticPolicyView; action: string; enabled: boolean }>('EffectiveStaticPolicy').implement({
  fields: (t) => ({
    policy: t.field({ type: StaticPolicyRef, resolve: (e) => e.policy }),
    action: t.field({ type: ActionEnum, description: 'After the override, if one is in force.', resolve: (e) => e.action as (typeof STATIC_ACTIONS)[number] }),
  }),
});

builder.queryFields((t) => ({
  staticPolicies: t.connection(
    {
      type: StaticPolicyRef,
      authScopes: read,
      args: {
        tier: t.arg({ type: TierEnum, required: false }),
        category: t.arg.string({ required: false }),
        enabled: t.arg.boolean({ required: false }),
        tenantId: t.arg.string({ required: false }),
      },
      resolve: (_root, args, ctx) => {
        const filter = { tier: args.tier ?? undefined, category: args.category ?? undefined, enabled: args.enabled ?? undefined, tenantId: args.tenantId ?? undefined };
        return countedConnection(args, { defaultSize: 50, maxSize: 200 }, (page) => ctx.services.staticPolicies.list(ctx.actor, filter, page));
      },
    },
    { fields: (c) => ({ totalCount: c.int({ resolve: (conn) => conn.totalCount ?? 0 }) }) },
  ),
  staticPolicy: t.field({
    type: StaticPolicyRef,
    authScopes: read,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.services.staticPolicies.get(ctx.actor, String(id)),
  }),
  effectiveStaticPolicies: t.field({
    type: [EffectiveRef],
    authScopes: read,
    description: 'What applies now, in evaluation order: enabled policies of the system and organization tiers (and the tenant, when named), overrides folded in.',
    args: { tenantId: t.arg.string({ required: false }) },
    resolve: async (_root, { tenantId }, ctx) =>
      (await ctx.services.staticPolicies.effective(ctx.actor, tenantId ?? null)).map((e) => ({ ...e, policy: { ...e.policy, override: e.override } })),
  }),
  staticPolicyVersions: t.connection({
    type: PolicyVersionRef,
    authScopes: read,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) =>
      offsetConnection(args, { defaultSize: 50, maxSize: 200 }, (page) => ctx.services.staticPolicies.versions(ctx.actor, String(args.id), page)),
  }),
  testStaticPolicies: t.field({
    type: VerdictRef,
    authScopes: read,
    description: 'Which effective policies match a text, where, and the resulting action. Changes nothing.',
    args: { text: t.arg.string({ required: true }), tenantId: t.arg.string({ required: false }) },
    resolve: (_root, { text, tenantId }, ctx) => ctx.services.staticPolicies.test(ctx.actor, text, tenantId ?? null),
  }),
}));

builder.mutationFields((t) => ({
  createStaticPolicy: t.field({
    type: StaticPolicyRef,
    authScopes: write,
    args: { input: t.arg({ type: StaticPolicyInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.staticPolicies.create(ctx.actor, input),
  }),
  updateStaticPolicy: t.field({
    type: StaticPolicyRef,
    authScopes: write,
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: StaticPolicyInput, required: true }) },
    resolve: (_root, { id, input }, ctx) => ctx.services.staticPolicies.update(ctx.actor, String(id), input),
  }),
  toggleStaticPolicy: t.field({
    type: StaticPolicyRef,
    authScopes: write,
    description: 'Sets enabled, or flips it when omitted.',
    args: { id: t.arg.id({ required: true }), enabled: t.arg.boolean({ required: false }) },
    resolve: (_root, { id, enabled }, ctx) => ctx.services.staticPolicies.toggle(ctx.actor, String(id), enabled),
  }),
  deleteStaticPolicy: t.boolean({
    authScopes: write,
    description: 'Soft: the policy stops applying; its versions stay readable.',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => {
      await ctx.services.staticPolicies.remove(ctx.actor, String(id));
      return true;
    },
  }),
  overrideStaticPolicy: t.field({
    type: StaticPolicyRef,
    authScopes: write,
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: OverrideInput, required: true }) },
    resolve: (_root, { id, input }, ctx) => ctx.services.staticPolicies.setOverride(ctx.actor, String(id), input),
  }),
  removeStaticPolicyOverride: t.field({
    type: StaticPolicyRef,
    authScopes: write,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.services.staticPolicies.removeOverride(ctx.actor, String(id)),
  }),
}));
