import type { User } from '../../db/users.js';
import { SECRET, builder } from '../builder.js';
import { offsetConnection } from '../pagination.js';
import type { Context } from '../../context.js';
import { RoleEnum } from './enums.js';
import { OrganizationRef } from './organization.js';

export const UserRef = builder.objectRef<User>('User').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    email: t.string({ nullable: true, resolve: (u) => u.email || null }),
    name: t.exposeString('name'),
    role: t.field({ type: RoleEnum, resolve: (u) => u.role }),
    kind: t.exposeString('kind', { description: 'organization (the org password account) or person' }),
    status: t.exposeString('status'),
    source: t.exposeString('source'),
    createdAt: t.field({ type: 'DateTime', resolve: (u) => u.createdAt }),
    lastLoginAt: t.field({ type: 'DateTime', nullable: true, resolve: (u) => u.lastLoginAt }),
  }),
});

builder.objectField(OrganizationRef, 'users', (t) =>
  t.connection({
    type: UserRef,
    authScopes: { permission: 'users:read' },
    resolve: (_org, args, ctx) => offsetConnection(args, { defaultSize: 50, maxSize: 200 }, (page) => ctx.services.users.list(ctx.actor, page)),
  }),
);

const AddUserInput = builder.inputType('AddUserInput', {
  fields: (t) => ({
    email: t.string({ required: true }),
    name: t.string({ required: true }),
    role: t.field({ type: RoleEnum, required: true }),
  }),
});

const AddedUser = builder.objectRef<{ user: User; initialPassword: string }>('AddedUser').implement({
  fields: (t) => ({
    user: t.field({ type: UserRef, resolve: (r) => r.user }),
    initialPassword: t.exposeString('initialPassword', { description: 'Shown once; the user changes it at first login.', extensions: SECRET }),
  }),
});

/** Owners alone make or unmake owners; the rule reads the target's current role, so it is a function. */
async function ownerAware(ctx: Context, userId: string, newRole?: string) {
  // The loader is scoped to the caller's organization: another org's user loads as null.
  const target = await ctx.loaders.user.load(userId);
  const touchesOwner = newRole === 'owner' || target?.role === 'owner';
  return { permission: touchesOwner ? ('owners:manage' as const) : ('users:manage' as const) };
}

builder.mutationField('addUser', (t) =>
  t.field({
    type: AddedUser,
    authScopes: (_root, { input }) =>
      input.role === 'owner' ? { permission: 'owners:manage' } : { permission: 'users:manage' },
    args: { input: t.arg({ type: AddUserInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.users.add(ctx.actor, input),
  }),
);

builder.mutationField('setUserRole', (t) =>
  t.field({
    type: UserRef,
    authScopes: (_root, args, ctx) => (ctx.principal.kind === 'session' ? ownerAware(ctx, args.userId, args.role) : { session: true }),
    args: { userId: t.arg.id({ required: true }), role: t.arg({ type: RoleEnum, required: true }) },
    resolve: (_root, args, ctx) => ctx.services.users.setRole(ctx.actor, String(args.userId), args.role),
  }),
);

for (const [field, active] of [
  ['disableUser', false],
  ['enableUser', true],
] as const) {
  builder.mutationField(field, (t) =>
    t.field({
      type: UserRef,
      description: active ? 'Lets a disabled user log in again.' : 'Stops a user at once: their sessions end.',
      authScopes: (_root, args, ctx) => (ctx.principal.kind === 'session' ? ownerAware(ctx, String(args.userId)) : { session: true }),
      args: { userId: t.arg.id({ required: true }) },
      resolve: (_root, args, ctx) => ctx.services.users.setActive(ctx.actor, String(args.userId), active),
    }),
  );
}

builder.mutationField('removeUser', (t) =>
  t.field({
    type: UserRef,
    authScopes: (_root, args, ctx) => (ctx.principal.kind === 'session' ? ownerAware(ctx, String(args.userId)) : { session: true }),
    args: { userId: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => ctx.services.users.remove(ctx.actor, String(args.userId)),
  }),
);
