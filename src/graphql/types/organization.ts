import type { Organization } from '../../db/organizations.js';
import { NotFound } from '../../domain/errors.js';
import { builder } from '../builder.js';
import { offsetConnection } from '../pagination.js';
import { OrgStatusEnum, TierEnum } from './enums.js';

export const OrganizationRef = builder.objectRef<Organization>('Organization');

OrganizationRef.implement({
  fields: (t) => ({
    orgId: t.exposeString('orgId'),
    name: t.exposeString('name'),
    tier: t.field({ type: TierEnum, resolve: (o) => o.tier }),
    status: t.field({ type: OrgStatusEnum, resolve: (o) => o.status }),
    maxNodes: t.exposeInt('maxNodes'),
    // Contact details are for people (portal and operator), not for workloads holding a runtime key.
    contactEmail: t.exposeString('contactEmail', { nullable: true, authScopes: { $any: { session: true, admin: true } } }),
    contactPhone: t.exposeString('contactPhone', { nullable: true, authScopes: { $any: { session: true, admin: true } } }),
    expiresAt: t.field({ type: 'DateTime', resolve: (o) => o.expiresAt }),
    createdAt: t.field({ type: 'DateTime', resolve: (o) => o.createdAt }),
    updatedAt: t.field({ type: 'DateTime', resolve: (o) => o.updatedAt }),
  }),
});

// The caller's own organization: the id comes from the session, never from input.
builder.queryField('organization', (t) =>
  t.field({
    type: OrganizationRef,
    authScopes: { session: true },
    resolve: async (_root, _args, ctx) => {
      const org = await ctx.loaders.ownOrganization();
      if (!org) throw new NotFound('organization not found');
      return org;
    },
  }),
);

const MAX_PAGE = 100;

builder.queryField('organizations', (t) =>
  t.connection(
    {
      type: OrganizationRef,
      description: 'Every organization (operator only), ordered by org id.',
      authScopes: { admin: true },
      args: {
        status: t.arg({ type: OrgStatusEnum, required: false }),
        tier: t.arg({ type: TierEnum, required: false }),
      },
      resolve: async (_root, args, ctx) => {
        let total = 0;
        const connection = await offsetConnection(args, { defaultSize: 20, maxSize: MAX_PAGE }, async (page) => {
          const result = await ctx.services.organizations.list(ctx.operator(), { status: args.status, tier: args.tier }, page);
          total = result.total;
          return result.items;
        });
        return { ...connection, totalCount: total };
      },
    },
    {
      fields: (c) => ({
        totalCount: c.int({ resolve: (conn) => conn.totalCount ?? 0 }),
      }),
    },
  ),
);

builder.queryField('adminOrganization', (t) =>
  t.field({
    type: OrganizationRef,
    description: 'One organization by id (operator only).',
    authScopes: { admin: true },
    args: { orgId: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => ctx.services.organizations.read(ctx.operator(), args.orgId),
  }),
);

const OrganizationInput = builder.inputType('OrganizationInput', {
  fields: (t) => ({
    orgId: t.string({ required: true }),
    name: t.string({ required: true }),
    password: t.string({ required: false }),
    tier: t.field({ type: TierEnum, required: false }),
    status: t.field({ type: OrgStatusEnum, required: false }),
    maxNodes: t.int({ required: false }),
    contactEmail: t.string({ required: false }),
    contactPhone: t.string({ required: false }),
    expiresAt: t.string({ required: false, description: 'YYYY-MM-DD or an ISO-8601 timestamp; default one year from now.' }),
  }),
});

const OrganizationPatch = builder.inputType('OrganizationPatch', {
  fields: (t) => ({
    name: t.string({ required: false }),
    tier: t.field({ type: TierEnum, required: false }),
    status: t.field({ type: OrgStatusEnum, required: false }),
    maxNodes: t.int({ required: false }),
    contactEmail: t.string({ required: false }),
    contactPhone: t.string({ required: false }),
    expiresAt: t.string({ required: false }),
    modules: t.stringList({
      required: false,
      description: 'The full list of compliance modules the operator enables (eu_ai_act, hitl, mas_feat, rbi, sebi); a license enables its own besides.',
    }),
  }),
});

const UpsertResult = builder
  .objectRef<{ organization: Organization; created: boolean }>('UpsertOrganizationResult')
  .implement({
    fields: (t) => ({
      organization: t.field({ type: OrganizationRef, resolve: (r) => r.organization }),
      created: t.exposeBoolean('created'),
    }),
  });

builder.mutationField('upsertOrganization', (t) =>
  t.field({
    type: UpsertResult,
    description: 'Creates the organization, or updates the fields given when org_id exists (operator only).',
    authScopes: { admin: true },
    args: { input: t.arg({ type: OrganizationInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.organizations.upsert(ctx.operator(), input),
  }),
);

builder.mutationField('updateOrganization', (t) =>
  t.field({
    type: OrganizationRef,
    description: 'Changes status, tier or limits. Suspending ends every session of the organization at once.',
    authScopes: { admin: true },
    args: { orgId: t.arg.string({ required: true }), input: t.arg({ type: OrganizationPatch, required: true }) },
    resolve: (_root, { orgId, input }, ctx) => ctx.services.organizations.update(ctx.operator(), orgId, input),
  }),
);

builder.mutationField('setOrganizationPassword', (t) =>
  t.field({
    type: OrganizationRef,
    description: 'Sets the organization password; sessions opened with the old one end.',
    authScopes: { admin: true },
    args: { orgId: t.arg.string({ required: true }), password: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => ctx.services.organizations.setPassword(ctx.operator(), args.orgId, args.password),
  }),
);
