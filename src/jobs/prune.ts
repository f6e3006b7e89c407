import type { Clock } from '../clock.js';
import type { DB } from '../db/database.js';
import { pruneIdempotencyKeys } from '../db/idempotency.js';
import { pruneCounters } from '../db/rate-limits.js';
import { pruneScimTraffic } from '../db/scim-tokens.js';
import { pruneSessions } from '../db/sessions.js';
import { pruneSsoState } from '../db/sso.js';
import type { JobRunner } from './runner.js';

export const PRUNE_EVERY_MS = 10 * 60_000;
// The longest rate-limit window in use is 15 minutes; an hour leaves room for any added later.
const RATE_LIMIT_KEEP_MS = 3600_000;
// A SCIM token's health reads the last 24 to 25 hours of traffic (hour buckets); two days are kept.
const SCIM_TRAFFIC_KEEP_MS = 2 * 86_400_000;

export interface PruneDeps {
  db: DB;
  clock: Clock;
  /** SESSION_IDLE_SECONDS: a session idle this long is refused, so it goes. */
  sessionIdleSeconds: number;
}

/**
 * Deletes the rows nothing reads any more, off the request path: sessions past their absolute or idle
 * end, expired Idempotency-Key records, old rate-limit windows, old SCIM traffic counters, and expired SSO
 * login requests and replay-guard assertion ids. Every reader already ignores such rows: this keeps the
 * tables small, it changes no answer.
 */
export async function pruneExpired(deps: PruneDeps): Promise<void> {
  const now = deps.clock.now();
  const at = now.toISOString();
  await pruneSessions(deps.db, at, new Date(now.getTime() - deps.sessionIdleSeconds * 1000).toISOString());
  await pruneIdempotencyKeys(deps.db, at);
  await pruneCounters(deps.db, Math.floor((now.getTime() - RATE_LIMIT_KEEP_MS) / 1000));
  await pruneScimTraffic(deps.db, new Date(now.getTime() - SCIM_TRAFFIC_KEEP_MS).toISOString());
  await pruneSsoState(deps.db, at);
}

/** The periodic 'prune' job: one run every 10 minutes across all instances. */
export function registerPrune(jobs: JobRunner, deps: PruneDeps): void {
  jobs.every('prune', PRUNE_EVERY_MS, () => pruneExpired(deps));
}
