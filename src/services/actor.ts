/** Who did something, and from where: what the audit trail records of every change. */
export interface Actor {
  type: 'user' | 'operator' | 'api_key' | 'scim' | 'anonymous' | 'system';
  /** user id, key id, token id, operator key prefix; null when unknown. */
  id: string | null;
  orgId: string | null;
  ip: string | null;
  userAgent: string | null;
}

export const systemActor: Actor = { type: 'system', id: null, orgId: null, ip: null, userAgent: null };
