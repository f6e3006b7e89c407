import type { Clock } from '../clock.js';
import type { DB } from '../db/database.js';
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  deleteIdempotencyKey,
  findIdempotencyKey,
} from '../db/idempotency.js';
import { Conflict, Unprocessable } from '../domain/errors.js';

const KEEP_MS = 24 * 3600_000;
// A claim older than this with no answer belongs to a process that died mid-request: it may be taken over.
const ABANDONED_MS = 60_000;

export type Claim =
  | { kind: 'replay'; status: number; body: string; headers: string | null }
  | { kind: 'proceed'; complete: (status: number, body: string, headers: string | null) => Promise<void>; release: () => Promise<void> };

/**
 * The store behind Idempotency-Key: one record per (caller scope, key), claimed atomically, kept a day.
 * The same key and request replay the first answer, the same key with another request is 422, and a retry
 * while the first is still running is 409. What a request is and what is kept of an answer is the HTTP
 * layer's business (http/idempotency.ts): this store sees a fingerprint and an answer already stripped.
 * Expired records are deleted by the periodic prune job (jobs/prune.ts); until then a claim treats one as absent.
 */
export class IdempotencyService {
  constructor(
    private readonly db: DB,
    private readonly clock: Clock,
  ) {}

  async claim(scope: string, key: string, route: string, fingerprint: string): Promise<Claim> {
    const now = this.clock.now();
    for (let attempt = 0; attempt < 3; attempt++) {
      const createdAt = now.toISOString();
      const claimed = await claimIdempotencyKey(this.db, {
        scope,
        key,
        route,
        request_hash: fingerprint,
        state: 'in_flight',
        status: null,
        body: null,
        headers: null,
        created_at: createdAt,
        expires_at: new Date(now.getTime() + KEEP_MS).toISOString(),
      });
      if (claimed) {
        return {
          kind: 'proceed',
          complete: (status, body, headers) => completeIdempotencyKey(this.db, scope, key, status, body, headers),
          release: () => deleteIdempotencyKey(this.db, scope, key),
        };
      }
      const existing = await findIdempotencyKey(this.db, scope, key);
      if (!existing) continue; // released between the two statements: claim again
      const expired = existing.expires_at <= createdAt;
      const abandoned = existing.state === 'in_flight' && now.getTime() - Date.parse(existing.created_at) > ABANDONED_MS;
      if (expired || abandoned) {
        await deleteIdempotencyKey(this.db, scope, key, existing.created_at);
        continue;
      }
      if (existing.request_hash !== fingerprint) {
        throw new Unprocessable(
          'this Idempotency-Key was used with a different request; use a new key for a new request',
          'IDEMPOTENCY_KEY_REUSED',
        );
      }
      if (existing.state !== 'done' || existing.status === null || existing.body === null) {
        throw new Conflict('a request with this Idempotency-Key is still being processed; retry shortly');
      }
      return { kind: 'replay', status: existing.status, body: existing.body, headers: existing.headers };
    }
    throw new Conflict('the Idempotency-Key is contended; retry shortly');
  }
}
