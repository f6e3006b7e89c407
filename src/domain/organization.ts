import type { OrgStatus, Tier } from './vocabulary.js';

/** A tenant as every layer sees it: stored by db/, carried by a session's principal, shown by the faces. */
export interface Organization {
  orgId: string;
  name: string;
  tier: Tier;
  status: OrgStatus;
  maxNodes: number;
  contactEmail: string | null;
  contactPhone: string | null;
  expiresAt: string;
  createdAt: string;
  updatedAt: string;
}
