import type { Principal } from '../../auth/principal.js';
import { builder } from '../builder.js';
import { PrincipalKindEnum, RoleEnum } from './enums.js';
import { OrganizationRef } from './organization.js';
import { UserRef } from './users.js';

const ViewerRef = builder.objectRef<Principal>('Viewer').implement({
  description: 'Who the caller is, as the server sees it.',
  fields: (t) => ({
    kind: t.field({
      type: PrincipalKindEnum,
      resolve: (p) => (p.kind === 'session' || p.kind === 'api_key' ? p.kind : 'admin'),
    }),
    organization: t.field({
      type: OrganizationRef,
      nullable: true,
      resolve: (_p, _a, ctx) => ctx.loaders.ownOrganization(),
    }),
    user: t.field({
      type: UserRef,
      nullable: true,
      resolve: (p, _a, ctx) => (p.kind === 'session' ? ctx.loaders.user.load(p.userId) : null),
    }),
    role: t.field({ type: RoleEnum, nullable: true, resolve: (p) => (p.kind === 'session' ? p.role : null) }),
    permissions: t.stringList({
      description: 'Role permissions for a session, key scopes for an API key, empty for the operator.',
      resolve: (p) => (p.kind === 'session' ? [...p.permissions].sort() : p.kind === 'api_key' ? [...p.scopes].sort() : []),
    }),
  }),
});

builder.queryField('viewer', (t) =>
  t.field({
    type: ViewerRef,
    authScopes: { $any: { session: true, admin: true, anyApiKey: true } },
    resolve: (_root, _args, ctx) => (ctx.principal.kind === 'anonymous' ? { kind: 'admin' as const, keyId: null } : ctx.principal),
  }),
);
