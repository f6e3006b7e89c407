import type { SessionPrincipal } from '../../auth/principal.js';
import { NotImplemented } from '../../domain/errors.js';
import { builder } from '../builder.js';
import { RoleEnum } from './enums.js';
import { OrganizationRef } from './organization.js';

export const SessionRef = builder.objectRef<SessionPrincipal>('Session').implement({
  description: 'The portal session of the caller. The token itself is only ever in the cookie.',
  fields: (t) => ({
    orgId: t.exposeString('orgId'),
    userId: t.exposeString('userId'),
    email: t.exposeString('email', { nullable: true }),
    name: t.exposeString('name'),
    role: t.field({ type: RoleEnum, resolve: (s) => s.role }),
    permissions: t.stringList({ resolve: (s) => [...s.permissions].sort() }),
    expiresAt: t.field({ type: 'DateTime', resolve: (s) => s.expiresAt }),
    // The session's own organization, read with it: a login's payload shows the new session's.
    organization: t.field({ type: OrganizationRef, nullable: true, resolve: (s) => s.organization }),
  }),
});

builder.queryField('session', (t) =>
  t.field({
    type: SessionRef,
    authScopes: { session: true },
    resolve: (_root, _args, ctx) => ctx.session(),
  }),
);

const LoginInput = builder.inputType('LoginInput', {
  fields: (t) => ({
    orgId: t.string({ required: true }),
    email: t.string({ required: false, description: 'A portal user of the org; omit to use the organization password.' }),
    password: t.string({ required: true }),
  }),
});

builder.mutationField('login', (t) =>
  t.field({
    type: SessionRef,
    description: 'Opens a portal session: the token is set as the axonflow_session cookie, never returned.',
    args: { input: t.arg({ type: LoginInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const current = ctx.principal.kind === 'session' ? ctx.principal.sessionId : null;
      const { token, principal } = await ctx.services.sessions.login(ctx.actor, input, ctx.requestMeta.origin, current);
      ctx.cookies.push({ value: token, maxAgeSeconds: ctx.config.sessionAbsoluteSeconds });
      return principal;
    },
  }),
);

builder.mutationField('logout', (t) =>
  t.boolean({
    authScopes: { session: true },
    resolve: async (_root, _args, ctx) => {
      await ctx.services.sessions.logout(ctx.actor, ctx.session());
      ctx.cookies.push({ value: '', maxAgeSeconds: 0 });
      return true;
    },
  }),
);

builder.mutationField('changePassword', (t) =>
  t.boolean({
    description: "Changes the caller's password: every session of theirs ends, and this request gets a new one (a new cookie).",
    authScopes: { session: true },
    args: {
      currentPassword: t.arg.string({ required: true }),
      newPassword: t.arg.string({ required: true }),
    },
    resolve: async (_root, args, ctx) => {
      const { token } = await ctx.services.sessions.changePassword(ctx.actor, ctx.session(), args.currentPassword, args.newPassword);
      ctx.cookies.push({ value: token, maxAgeSeconds: ctx.config.sessionAbsoluteSeconds });
      return true;
    },
  }),
);

const SsoAvailability = builder
  .objectRef<{ ssoEnabled: boolean; ssoProvider: string | null; enforceSso: boolean; ssoLoginUrl: string | null }>(
    'SsoAvailability',
  )
  .implement({
    fields: (t) => ({
      ssoEnabled: t.exposeBoolean('ssoEnabled'),
      ssoProvider: t.exposeString('ssoProvider', { nullable: true }),
      enforceSso: t.exposeBoolean('enforceSso'),
      ssoLoginUrl: t.exposeString('ssoLoginUrl', { nullable: true }),
    }),
  });

builder.queryField('ssoAvailability', (t) =>
  t.field({
    type: SsoAvailability,
    description: 'Public: whether an org offers SSO. An unknown org answers like one without SSO.',
    args: { orgId: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => ctx.services.ssoConfig.availability(args.orgId, ctx.requestMeta.origin),
  }),
);

// Password reset mails need a mail transport, and this deployment has none to configure yet. The documented
// answer for that case is 501; the operator can always set the organization password.
const NO_MAIL =
  'password reset by mail needs a mail transport, and none is configured; ask your operator to set a new password';

builder.mutationField('requestPasswordReset', (t) =>
  t.boolean({
    description: 'Public. Answers 501 (NOT_IMPLEMENTED) while no mail transport is configured.',
    args: { orgId: t.arg.string({ required: true }), email: t.arg.string({ required: false }) },
    resolve: () => {
      throw new NotImplemented(NO_MAIL);
    },
  }),
);

builder.mutationField('resetPassword', (t) =>
  t.boolean({
    description: 'Public. Answers 501 (NOT_IMPLEMENTED) while no mail transport is configured.',
    args: { token: t.arg.string({ required: true }), newPassword: t.arg.string({ required: true }) },
    resolve: () => {
      throw new NotImplemented(NO_MAIL);
    },
  }),
);
