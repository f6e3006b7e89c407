import { Forbidden } from '../domain/errors.js';

/** Who did something, and from where: what the audit trail records of every change. */
export interface Actor {
  type: 'user' | 'operator' | 'api_key' | 'scim' | 'anonymous' | 'system';
  /** user id, key id, token id, operator key digest; null when unknown. */
  id: string | null;
  orgId: string | null;
  ip: string | null;
  userAgent: string | null;
}

/** The operator, keyed or keyless: what operator-only services take, so no other actor can be handed to them. */
export type OperatorActor = Actor & { type: 'operator'; orgId: null };

/**
 * The organization an actor acts for. Tenant services take the actor, never an organization id: the id
 * comes from the verified principal the actor was built from, so no input can point them at another tenant.
 */
export function tenantOf(actor: Actor): string {
  if (!actor.orgId) throw new Forbidden('this needs the credential of an organization');
  return actor.orgId;
}

/** Who did something, as a record keeps it: "user:usr_...", "api_key:key_...", "operator:op_...". */
export function actorLabel(actor: Actor): string {
  return `${actor.type}:${actor.id ?? 'unknown'}`;
}

/** The service itself acting for an organization (a job): `what` says which part of it. */
export function systemActor(orgId: string, what: string): Actor {
  return { type: 'system', id: what, orgId, ip: null, userAgent: null };
}
