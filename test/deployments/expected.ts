// The upgrade moves the product promises, written out once for the deployment tests, independently of
// src/domain/deployments.ts: the tests compare what the code does with this, never with itself.
export type Status = 'PENDING' | 'IN_PROGRESS' | 'SUCCESS' | 'FAILED' | 'PARTIAL' | 'CANCELLED';

export const ALLOWED: Record<Status, Status[]> = {
  PENDING: ['IN_PROGRESS', 'FAILED', 'CANCELLED'],
  IN_PROGRESS: ['SUCCESS', 'FAILED', 'PARTIAL'],
  SUCCESS: [],
  FAILED: [],
  PARTIAL: [],
  CANCELLED: [],
};
