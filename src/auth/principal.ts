import type { AuthModel } from '../domain/errors.js';
import type { Organization } from '../domain/organization.js';
import type { Role } from '../domain/vocabulary.js';
import type { Permission } from './permissions.js';

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
  /** The organization as the statement that checked the session read it: this request's view of its tenant. */
  organization: Organization;
}

export interface AdminPrincipal {
  kind: 'admin';
  /**
   * Which admin key acted, as `op_` and 8 hex digits of its SHA-256: recognisable in the audit trail, and
   * none of the key itself. Null when no key is configured and the mode lets a keyless caller through.
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
  /** The model of the credential presented; 'unrecognised' for an Authorization header of no model of ours. */
  presented: AuthModel | 'unrecognised' | null;
  /** Why a presented credential was not accepted (expired, revoked, unknown), or what the unrecognised one was. */
  rejection: string | null;
  /**
   * True when the request brought no credential, no admin key is configured, and the deployment mode lets
   * such a request act as the operator (the network is the boundary). It is the operator only on admin fields.
   */
  operatorWithoutKey: boolean;
}

export const MODEL_OF: Record<Exclude<Principal['kind'], 'anonymous'>, AuthModel> = {
  session: 'portal_session',
  admin: 'admin_api_key',
  scim: 'scim_token',
  api_key: 'api_key',
};

export function orgIdOf(p: Principal): string | null {
  return p.kind === 'session' || p.kind === 'scim' || p.kind === 'api_key' ? p.orgId : null;
}
