import type { ScimTokenError } from '../../db/scim-tokens.js';
import type { ScimTokenHealth } from '../../services/scim-tokens.js';
import { SECRET, builder } from '../builder.js';
import { offsetConnection } from '../pagination.js';
import { OrganizationRef } from './organization.js';

const ScimTokenErrorRef = builder.objectRef<ScimTokenError>('ScimTokenError').implement({
  description: 'The last request of a token that failed, as the identity provider was told.',
  fields: (t) => ({
    at: t.field({ type: 'DateTime', resolve: (e) => e.at }),
    status: t.exposeInt('status'),
    scimType: t.exposeString('scimType', { nullable: true }),
    detail: t.exposeString('detail'),
    request: t.exposeString('request', { description: 'Method and path (no query, no body).' }),
  }),
});

const ScimTrafficRef = builder.objectRef<ScimTokenHealth['requests24h']>('ScimTraffic').implement({
  description: "A token's requests by status class.",
  fields: (t) => ({
    ok: t.int({ description: '2xx answers.', resolve: (c) => c['2xx'] }),
    notModified: t.int({ description: '3xx answers (If-None-Match).', resolve: (c) => c['3xx'] }),
    clientErrors: t.int({ description: '4xx answers: the provider sent something the directory refused.', resolve: (c) => c['4xx'] }),
    serverErrors: t.int({ description: '5xx answers.', resolve: (c) => c['5xx'] }),
  }),
});

export const ScimTokenRef = builder.objectRef<ScimTokenHealth>('ScimToken').implement({
  description: "An identity provider's credential for /scim/v2 of this organization. Its secret is shown once.",
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    prefix: t.exposeString('prefix'),
    createdAt: t.field({ type: 'DateTime', resolve: (k) => k.createdAt }),
    expiresAt: t.field({ type: 'DateTime', nullable: true, resolve: (k) => k.expiresAt }),
    revokedAt: t.field({ type: 'DateTime', nullable: true, resolve: (k) => k.revokedAt }),
    lastUsedAt: t.field({ type: 'DateTime', nullable: true, resolve: (k) => k.lastUsedAt }),
    requests24h: t.field({
      type: ScimTrafficRef,
      description: 'Requests over the last 24 hours, by status class: the sync health of the provider.',
      resolve: (k) => k.requests24h,
    }),
    lastError: t.field({ type: ScimTokenErrorRef, nullable: true, resolve: (k) => k.lastError }),
  }),
});

builder.objectField(OrganizationRef, 'scimTokens', (t) =>
  t.connection({
    type: ScimTokenRef,
    authScopes: { permission: 'sso:configure' },
    resolve: (_org, args, ctx) => offsetConnection(args, { defaultSize: 50, maxSize: 200 }, (page) => ctx.services.scimTokens.list(ctx.actor, page)),
  }),
);

const CreateScimTokenInput = builder.inputType('CreateScimTokenInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    expiresInDays: t.int({ required: false, description: '1 to 3650; without it the token does not expire.' }),
  }),
});

const ScimTokenCreated = builder.objectRef<{ scimToken: ScimTokenHealth; token: string }>('ScimTokenCreated').implement({
  fields: (t) => ({
    scimToken: t.field({ type: ScimTokenRef, resolve: (r) => r.scimToken }),
    token: t.exposeString('token', { description: 'The secret (scim_...): shown in this answer only.', extensions: SECRET }),
  }),
});

builder.mutationField('createScimToken', (t) =>
  t.field({
    type: ScimTokenCreated,
    authScopes: { permission: 'sso:configure' },
    args: { input: t.arg({ type: CreateScimTokenInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.scimTokens.create(ctx.actor, input),
  }),
);

builder.mutationField('revokeScimToken', (t) =>
  t.field({
    type: ScimTokenRef,
    description: 'Revokes a SCIM token: the identity provider is refused from its next request.',
    authScopes: { permission: 'sso:configure' },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => ctx.services.scimTokens.revoke(ctx.actor, String(args.id)),
  }),
);
