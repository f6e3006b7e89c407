import SchemaBuilder from '@pothos/core';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin, { AuthScopeFailureType, type AuthFailure } from '@pothos/plugin-scope-auth';
import { DateTimeResolver, JSONObjectResolver, JSONResolver } from 'graphql-scalars';
import type { ComplianceModule } from '../domain/compliance.js';
import { type DomainError, Forbidden, ModuleNotEnabled } from '../domain/errors.js';
import { ModuleService } from '../services/compliance/modules.js';
import type { Permission } from '../auth/permissions.js';
import { orgIdOf } from '../auth/principal.js';
import { type MissingGrant, refusal } from '../auth/refusal.js';
import { type RuntimeScope, keyHasScope } from '../auth/scopes.js';
import type { Context } from '../context.js';

export interface Scopes {
  /** Any portal session. */
  session: boolean;
  /** A portal session whose role has this permission. */
  permission: Permission;
  /** The operator: the admin API key (or no credential, where no key is configured and the mode allows it). */
  admin: boolean;
  /** A runtime API key with this scope (or '*'). */
  runtime: RuntimeScope;
  /** Any runtime API key, whatever its scopes (for a key to see itself). */
  anyApiKey: boolean;
  /** A SCIM bearer token: no GraphQL field asks for it; the SCIM adapter asks it of every directory route. */
  scim: boolean;
  /**
   * The module gate: a session with the permission or a runtime key with the scope, of an organization that has
   * the module. The credential's kind is judged first (the wrong door is a 401), then the module (403
   * MODULE_NOT_ENABLED, before any other work), then the permission or scope.
   */
  module: ModuleGrant;
}

export interface ModuleGrant {
  module: ComplianceModule;
  /** The permission a portal session needs; null when no session may. */
  permission: Permission | null;
  /** The scope a runtime key needs; null when no key may. */
  scope: RuntimeScope | null;
}

export const builder = new SchemaBuilder<{
  Context: Context;
  AuthScopes: Scopes;
  DefaultFieldNullability: false;
  Connection: { totalCount?: number };
  Scalars: {
    DateTime: { Input: Date; Output: Date | string };
    JSONObject: { Input: Record<string, unknown>; Output: Record<string, unknown> };
    JSON: { Input: unknown; Output: unknown };
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
    // A subscription is refused when it is made, not event by event after the stream has opened.
    authorizeOnSubscribe: true,
    authScopes: (ctx) => ({
      session: ctx.principal.kind === 'session',
      permission: (p) => ctx.principal.kind === 'session' && ctx.principal.permissions.has(p),
      // Pure: granting an admin field changes nothing of the context (yoga hands each field a copy anyway).
      admin: ctx.principal.kind === 'admin' || ctx.auth.operatorWithoutKey,
      runtime: (scope) => ctx.principal.kind === 'api_key' && keyHasScope(ctx.principal.scopes, scope),
      anyApiKey: ctx.principal.kind === 'api_key',
      scim: ctx.principal.kind === 'scim',
      module: async (grant) => {
        const p = ctx.principal;
        if (p.kind === 'session' ? grant.permission === null : p.kind === 'api_key' ? grant.scope === null : true) return false;
        if (p.kind !== 'session' && p.kind !== 'api_key') return false;
        ModuleService.require(await ctx.loaders.modules(), grant.module, p.orgId);
        return p.kind === 'session' ? p.permissions.has(grant.permission!) : keyHasScope(p.scopes, grant.scope!);
      },
    }),
    unauthorizedError: (_parent, ctx, info, result) => {
      const error = refusalFor(ctx, result.failure);
      // Refusals of a known principal are audit events; anonymous noise is not worth a write each.
      if (ctx.principal.kind !== 'anonymous') {
        const field = `${info.parentType.name}.${info.fieldName}`;
        ctx.pending.push(
          ctx.services.audit
            .record(ctx.actor, {
              action: 'authorization.refused',
              orgId: orgIdOf(ctx.principal),
              outcome: 'denied',
              details: { field, status: error.status },
            })
            // The refusal stands either way; a lost audit row must at least be seen.
            .catch((err: unknown) => ctx.log.error({ req_id: ctx.requestMeta.id, err: (err as Error).message, field }, 'audit write failed')),
        );
      }
      return error;
    },
  },
});

/** A disabled module, wherever in the failed scope map it was found. */
function disabledModule(failure: AuthFailure): ModuleNotEnabled | null {
  if (failure.kind === AuthScopeFailureType.AnyAuthScopes || failure.kind === AuthScopeFailureType.AllAuthScopes) {
    for (const f of failure.failures) {
      const found = disabledModule(f);
      if (found) return found;
    }
    return null;
  }
  return failure.kind === AuthScopeFailureType.AuthScope && failure.error instanceof ModuleNotEnabled ? failure.error : null;
}

/** The error a failed scope map answers with: a disabled module says so; anything else is a refusal. */
function refusalFor(ctx: Context, failure: AuthFailure): DomainError {
  return disabledModule(failure) ?? refusal(ctx.auth, missingGrants(failure));
}

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
        case 'scim':
          return [{ model: 'scim_token' }];
        case 'module': {
          const grant = failure.parameter as ModuleGrant;
          const out: MissingGrant[] = [];
          if (grant.permission) out.push({ model: 'portal_session', grant: grant.permission });
          if (grant.scope) out.push({ model: 'api_key', grant: grant.scope });
          return out;
        }
      }
      return [];
    default:
      return [];
  }
}

/**
 * Marks a field whose value is a secret shown once (a new key, a license key, a first password): what keeps a
 * response (an idempotent replay) strips it wherever the caller's aliases put it.
 */
export const SECRET = { secret: true } as const;

builder.addScalarType('DateTime', DateTimeResolver);
builder.addScalarType('JSONObject', JSONObjectResolver);
builder.addScalarType('JSON', JSONResolver);
builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});

type ScopeMap = Parameters<typeof builder.runAuthScopes>[1];
/** A field's declared authScopes: absent (public), a scope map, or a function of the field's arguments. */
export type DeclaredScopes = ScopeMap | ((parent: unknown, args: Record<string, unknown>, ctx: Context) => unknown) | undefined;

/**
 * Asks the scopes a field declares without running the field: for adapters that must refuse before they can
 * build the field's arguments (a REST body that does not parse still gets 401 before 400), and for adapters
 * with no field to run. Fails closed: a scope function that throws or answers anything but a scope map refuses.
 */
export async function authorizeScopes(ctx: Context, scopes: DeclaredScopes, args: Record<string, unknown> = {}): Promise<void> {
  if (scopes === undefined) return;
  let map: unknown = scopes;
  if (typeof scopes === 'function') {
    try {
      map = await scopes(undefined, args, ctx);
    } catch {
      map = null;
    }
  }
  if (!map || typeof map !== 'object') throw new Forbidden('this operation is not allowed');
  await builder.runAuthScopes(ctx, map as ScopeMap, (result) => refusalFor(ctx, result.failure));
}
