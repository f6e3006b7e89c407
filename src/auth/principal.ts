import type { AuthModel } from '../services/errors.js';
import type { Permission, Role } from './permissions.js';

/** At most one principal per request; 'anonymous' when no credential was presented or it was refused. */
export type Principal = AnonymousPrincipal | SessionPrincipal | AdminPrincipal | ScimPrincipal | ApiKeyPrincipal;

export interface AnonymousPrincipal {
  kind: 'anonymous';
}

export interface SessionPrincipal {
  kind: 'session';
  sessionId: string;
  orgId: string;
  userId: string;
  /** The account behind the organization password, or a person. */
  userKind: 'organization' | 'person';
  email: string | null;
  name: string;
  role: Role;
  permissions: ReadonlySet<Permission>;
  expiresAt: string;
}

export interface AdminPrincipal {
  kind: 'admin';
  /**
   * Which admin key acted, as `op_` and 8 hex digits of its SHA-256: recognisable in the audit trail, and
   * none of the key itself. Null when no key was sent and the mode lets that through (the network is the boundary).
   */
  keyId: string | null;
}

export interface ScimPrincipal {
  kind: 'scim';
  orgId: string;
  tokenId: string;
}

export interface ApiKeyPrincipal {
  kind: 'api_key';
  orgId: string;
  keyId: string;
  scopes: ReadonlySet<string>;
}

/** What the request carried, as far as it can be told, even when it was not accepted. */
export interface RequestAuth {
  principal: Principal;
  presented: AuthModel | null;
  /** Why a presented credential was not accepted (expired, revoked, unknown). */
  rejection: string | null;
  /** True when a missing admin key counts as the operator in this deployment mode. */
  operatorWithoutKey: boolean;
}

export const MODEL_OF: Record<Exclude<Principal['kind'], 'anonymous'>, AuthModel> = {
  session: 'portal_session',
  admin: 'admin_api_key',
  scim: 'scim_token',
  api_key: 'api_key',
};

export type OrgPrincipal = SessionPrincipal | ScimPrincipal | ApiKeyPrincipal;

export function orgIdOf(p: Principal): string | null {
  return p.kind === 'session' || p.kind === 'scim' || p.kind === 'api_key' ? p.orgId : null;
}
