import type { ApiKey } from '../../db/api-keys.js';
import { GRANTABLE_SCOPES } from '../../auth/scopes.js';
import { SECRET, builder } from '../builder.js';
import { offsetConnection } from '../pagination.js';
import { OrganizationRef } from './organization.js';

export const ApiKeyRef = builder.objectRef<ApiKey>('ApiKey').implement({
  description: 'A runtime credential. Its secret is shown once, at creation, and never again.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    prefix: t.exposeString('prefix'),
    scopes: t.exposeStringList('scopes'),
    createdAt: t.field({ type: 'DateTime', resolve: (k) => k.createdAt }),
    expiresAt: t.field({ type: 'DateTime', nullable: true, resolve: (k) => k.expiresAt }),
    revokedAt: t.field({ type: 'DateTime', nullable: true, resolve: (k) => k.revokedAt }),
    lastUsedAt: t.field({ type: 'DateTime', nullable: true, resolve: (k) => k.lastUsedAt }),
  }),
});

builder.objectField(OrganizationRef, 'apiKeys', (t) =>
  t.connection({
    type: ApiKeyRef,
    authScopes: { permission: 'keys:read' },
    // Tenant data of the caller's organization: the service takes the actor, so the parent object is not consulted.
    resolve: (_org, args, ctx) =>
      offsetConnection(args, { defaultSize: 50, maxSize: 200 }, (page) => ctx.services.apiKeys.list(ctx.actor, page)),
  }),
);

builder.queryField('apiKey', (t) =>
  t.field({
    type: ApiKeyRef,
    authScopes: { permission: 'keys:read' },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => ctx.services.apiKeys.get(ctx.actor, String(args.id)),
  }),
);

builder.queryField('apiKeyScopes', (t) =>
  t.stringList({
    description: 'The scope catalogue a runtime key may be given.',
    resolve: () => [...GRANTABLE_SCOPES],
  }),
);

const CreateApiKeyInput = builder.inputType('CreateApiKeyInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    scopes: t.stringList({ required: true }),
    expiresAt: t.string({ required: false, description: 'YYYY-MM-DD or an ISO-8601 timestamp, in the future.' }),
  }),
});

const ApiKeyCreated = builder.objectRef<{ apiKey: ApiKey; key: string }>('ApiKeyCreated').implement({
  fields: (t) => ({
    apiKey: t.field({ type: ApiKeyRef, resolve: (r) => r.apiKey }),
    key: t.exposeString('key', { description: 'The secret: shown in this answer only.', extensions: SECRET }),
  }),
});

builder.mutationField('createApiKey', (t) =>
  t.field({
    type: ApiKeyCreated,
    authScopes: { permission: 'keys:manage' },
    args: { input: t.arg({ type: CreateApiKeyInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.apiKeys.create(ctx.actor, input),
  }),
);

builder.mutationField('revokeApiKey', (t) =>
  t.field({
    type: ApiKeyRef,
    description: 'Revokes a key: it stops working on the next request.',
    authScopes: { permission: 'keys:manage' },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => ctx.services.apiKeys.revoke(ctx.actor, String(args.id)),
  }),
);
