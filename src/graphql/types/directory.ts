import type { Role } from '../../domain/vocabulary.js';
import type { DirectoryGroup, DirectoryUser } from '../../services/directory/index.js';
import { builder } from '../builder.js';
import { RoleEnum } from './enums.js';
import { OrganizationRef } from './organization.js';

type Doc = Record<string, unknown>;
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

const DirectoryEmailRef = builder.objectRef<Doc>('DirectoryEmail').implement({
  fields: (t) => ({
    value: t.string({ nullable: true, resolve: (e) => str(e.value) }),
    type: t.string({ nullable: true, resolve: (e) => str(e.type) }),
    primary: t.boolean({ resolve: (e) => e.primary === true }),
  }),
});

const DirectoryGroupRefSmall = builder.objectRef<{ id: string; displayName: string }>('DirectoryMembership').implement({
  fields: (t) => ({ id: t.exposeID('id'), displayName: t.exposeString('displayName') }),
});

const DirectoryUserRef = builder.objectRef<DirectoryUser>('DirectoryUser').implement({
  description: 'A user the identity provider provisioned (SCIM): also a portal user of the organization, with the same id.',
  fields: (t) => ({
    id: t.exposeID('id'),
    userName: t.string({ resolve: (u) => String(u.document.userName) }),
    externalId: t.string({ nullable: true, resolve: (u) => str(u.document.externalId) }),
    displayName: t.string({ nullable: true, resolve: (u) => str(u.document.displayName) }),
    active: t.exposeBoolean('active'),
    emails: t.field({ type: [DirectoryEmailRef], resolve: (u) => (Array.isArray(u.document.emails) ? (u.document.emails as Doc[]) : []) }),
    groups: t.field({ type: [DirectoryGroupRefSmall], resolve: (u) => u.groups }),
    resource: t.field({ type: 'JSONObject', description: 'The SCIM resource as stored (extension attributes included).', resolve: (u) => u.document }),
    createdAt: t.field({ type: 'DateTime', resolve: (u) => u.createdAt }),
    updatedAt: t.field({ type: 'DateTime', resolve: (u) => u.updatedAt }),
  }),
});

const DirectoryGroupRef = builder.objectRef<DirectoryGroup>('DirectoryGroup').implement({
  description: 'A group the identity provider pushed; mapped to a role, it gives its members that portal role.',
  fields: (t) => ({
    id: t.exposeID('id'),
    displayName: t.exposeString('displayName'),
    externalId: t.string({ nullable: true, resolve: (g) => str(g.document.externalId) }),
    role: t.field({ type: RoleEnum, nullable: true, resolve: (g) => g.role }),
    createdAt: t.field({ type: 'DateTime', resolve: (g) => g.createdAt }),
    updatedAt: t.field({ type: 'DateTime', resolve: (g) => g.updatedAt }),
  }),
});

const DirectoryUserListRef = builder.objectRef<{ total: number; items: DirectoryUser[] }>('DirectoryUserList').implement({
  fields: (t) => ({ totalCount: t.exposeInt('total'), users: t.field({ type: [DirectoryUserRef], resolve: (l) => l.items }) }),
});
const DirectoryGroupListRef = builder.objectRef<{ total: number; items: DirectoryGroup[] }>('DirectoryGroupList').implement({
  fields: (t) => ({ totalCount: t.exposeInt('total'), groups: t.field({ type: [DirectoryGroupRef], resolve: (l) => l.items }) }),
});

const listArgs = (t: any) => ({
  filter: t.arg.string({ required: false, description: 'A SCIM filter (RFC 7644 §3.4.2.2), e.g. userName sw "a" and active eq true.' }),
  sortBy: t.arg.string({ required: false }),
  sortOrder: t.arg.string({ required: false, description: 'ascending (default) or descending.' }),
  startIndex: t.arg.int({ required: false, description: '1-based.' }),
  count: t.arg.int({ required: false, description: 'At most 200; 100 when omitted.' }),
});

type ListArgs = { filter?: string | null; sortBy?: string | null; sortOrder?: string | null; startIndex?: number | null; count?: number | null };
const query = (a: ListArgs) => ({
  filter: a.filter ?? undefined,
  sortBy: a.sortBy ?? undefined,
  sortOrder: a.sortOrder ?? undefined,
  startIndex: a.startIndex ?? 1,
  count: a.count ?? 100,
});

builder.objectField(OrganizationRef, 'directoryUsers', (t) =>
  t.field({
    type: DirectoryUserListRef,
    description: 'The users the identity provider provisioned (their whole SCIM resources), searchable with the SCIM filter language.',
    authScopes: { permission: 'users:manage' },
    args: listArgs(t),
    resolve: (_org, args, ctx) => ctx.services.directory.listUsers(ctx.actor, query(args as ListArgs)),
  }),
);

builder.objectField(OrganizationRef, 'directoryGroups', (t) =>
  t.field({
    type: DirectoryGroupListRef,
    description: 'The groups the identity provider pushed, with their role mappings.',
    authScopes: { permission: 'users:manage' },
    args: listArgs(t),
    // Members are read per user (DirectoryUser.groups, or a filter groups.value eq "<id>"): a group of 10,000 is no list row.
    resolve: (_org, args, ctx) => ctx.services.directory.listGroups(ctx.actor, query(args as ListArgs), { withMembers: false }),
  }),
);

const ScimRoleRef = builder.objectRef<{ id: Role; name: Role; displayName: string }>('ScimRole').implement({
  description: 'A system role a group can be mapped to.',
  fields: (t) => ({ id: t.exposeID('id'), name: t.exposeString('name'), displayName: t.exposeString('displayName') }),
});

builder.queryField('scimRoles', (t) =>
  t.field({
    type: [ScimRoleRef],
    description: 'The five system roles, most privileged first.',
    authScopes: { permission: 'sso:configure' },
    resolve: (_root, _args, ctx) => ctx.services.directory.roles(),
  }),
);

const GroupRoleMappingRef = builder.objectRef<{ groupId: string; displayName: string; role: Role; mappedAt: string | null }>('GroupRoleMapping').implement({
  fields: (t) => ({
    groupId: t.exposeID('groupId'),
    groupName: t.exposeString('displayName'),
    roleId: t.exposeString('role'),
    roleName: t.exposeString('role'),
    mappedAt: t.field({ type: 'DateTime', nullable: true, resolve: (m) => m.mappedAt }),
  }),
});

builder.queryField('scimGroupRoleMappings', (t) =>
  t.field({
    type: [GroupRoleMappingRef],
    authScopes: { permission: 'sso:configure' },
    resolve: (_root, _args, ctx) => ctx.services.directory.roleMappings(ctx.actor),
  }),
);

const RoleMappingResultRef = builder.objectRef<{ groupId: string; role: Role | null; usersUpdated: number }>('GroupRoleMappingResult').implement({
  fields: (t) => ({
    groupId: t.exposeID('groupId'),
    roleId: t.string({ nullable: true, resolve: (r) => r.role }),
    roleName: t.string({ nullable: true, resolve: (r) => r.role }),
    usersUpdated: t.exposeInt('usersUpdated', { description: 'Members whose SCIM-assigned role changed.' }),
  }),
});

builder.mutationField('mapScimGroupRole', (t) =>
  t.field({
    type: RoleMappingResultRef,
    description: 'Maps a directory group to a system role (null clears): members get the most privileged role of their mapped groups, viewer in none.',
    // Owners alone make or unmake owners, through a mapping as through setUserRole.
    authScopes: async (_root, args, ctx) => {
      if (ctx.principal.kind !== 'session') return { permission: 'sso:configure' as const };
      const current = await ctx.services.directory.groupRole(ctx.actor, String(args.groupId));
      return { permission: args.roleId === 'owner' || current === 'owner' ? ('owners:manage' as const) : ('sso:configure' as const) };
    },
    args: { groupId: t.arg.id({ required: true }), roleId: t.arg.string({ required: false }) },
    resolve: (_root, args, ctx) => ctx.services.directory.mapGroupRole(ctx.actor, String(args.groupId), args.roleId ?? null),
  }),
);
