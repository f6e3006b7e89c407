import SchemaBuilder from '@pothos/core';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin, { AuthScopeFailureType, type AuthFailure } from '@pothos/plugin-scope-auth';
import { DateTimeResolver, EmailAddressResolver, JSONObjectResolver } from 'graphql-scalars';
import type { Permission } from '../auth/permissions.js';
import { type MissingGrant, refusal } from '../auth/refusal.js';
import { orgIdOf } from '../auth/principal.js';
import type { Context } from './context.js';

export interface Scopes {
  /** Any portal session. */
  session: boolean;
  /** A portal session whose role has this permission. */
  permission: Permission;
  /** The operator: the admin API key (or no key where the deployment mode allows it). */
  admin: boolean;
  /** A runtime API key with this scope (or '*'). */
  runtime: string;
  /** Any runtime API key, whatever its scopes (for a key to see itself). */
  anyApiKey: boolean;
}

export const builder = new SchemaBuilder<{
  Context: Context;
  AuthScopes: Scopes;
  DefaultFieldNullability: false;
  Connection: { totalCount?: number };
  Scalars: {
    DateTime: { Input: Date; Output: Date | string };
    EmailAddress: { Input: string; Output: string };
    JSONObject: { Input: Record<string, unknown>; Output: Record<string, unknown> };
  };
}>({
  plugins: [ScopeAuthPlugin, RelayPlugin],
  defaultFieldNullability: false,
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    nodeQueryOptions: false,
    nodesQueryOptions: false,
  },
  scopeAuth: {
    // Fail closed: an exception inside a scope check is a refusal, never a pass.
    treatErrorsAsUnauthorized: true,
    authScopes: (ctx) => ({
      session: ctx.principal.kind === 'session',
      permission: (p) => ctx.principal.kind === 'session' && ctx.principal.permissions.has(p),
      admin: ctx.principal.kind === 'admin' || ctx.actAsOperatorWithoutKey(),
      runtime: (scope) =>
        ctx.principal.kind === 'api_key' && (ctx.principal.scopes.has(scope) || ctx.principal.scopes.has('*')),
      anyApiKey: ctx.principal.kind === 'api_key',
    }),
    unauthorizedError: (_parent, ctx, info, result) => {
      const error = refusal(ctx.auth, missingGrants(result.failure));
      // Refusals of a known principal are audit events; anonymous noise is not worth a write each.
      if (ctx.principal.kind !== 'anonymous') {
        ctx.pending.push(
          ctx.services.audit
            .record(ctx.actor, {
              action: 'authorization.refused',
              orgId: orgIdOf(ctx.principal),
              outcome: 'denied',
              details: { field: `${info.parentType.name}.${info.fieldName}`, status: error.status },
            })
            .catch(() => undefined),
        );
      }
      return error;
    },
  },
});

export function missingGrants(failure: AuthFailure): MissingGrant[] {
  switch (failure.kind) {
    case AuthScopeFailureType.AnyAuthScopes:
    case AuthScopeFailureType.AllAuthScopes:
      return failure.failures.flatMap(missingGrants);
    case AuthScopeFailureType.AuthScope:
      switch (failure.scope) {
        case 'session':
          return [{ model: 'portal_session' }];
        case 'permission':
          return [{ model: 'portal_session', grant: String(failure.parameter) }];
        case 'admin':
          return [{ model: 'admin_api_key' }];
        case 'runtime':
          return [{ model: 'api_key', grant: String(failure.parameter) }];
        case 'anyApiKey':
          return [{ model: 'api_key' }];
      }
      return [];
    default:
      return [];
  }
}

builder.addScalarType('DateTime', DateTimeResolver);
builder.addScalarType('EmailAddress', EmailAddressResolver);
builder.addScalarType('JSONObject', JSONObjectResolver);
builder.queryType({});
builder.mutationType({});

/**
 * Asks the scopes a field declares without running the field: for adapters that must refuse before
 * they can build the field's arguments (a REST body that does not parse still gets 401 before 400).
 */
export async function authorizeScopes(ctx: Context, scopes: unknown): Promise<void> {
  if (!scopes || typeof scopes !== 'object') return;
  await builder.runAuthScopes(ctx, scopes as Parameters<typeof builder.runAuthScopes>[1], (result) =>
    refusal(ctx.auth, missingGrants(result.failure)),
  );
}
