import { createHash } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { DB } from '../db/database.js';
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  deleteIdempotencyKey,
  findIdempotencyKey,
  pruneIdempotencyKeys,
} from '../db/idempotency.js';
import type { Actor } from './actor.js';
import { canonicalJson } from './audit.js';
import { Conflict, InvalidInput, Unprocessable } from './errors.js';

const KEEP_MS = 24 * 3600_000;
// A claim older than this with no answer belongs to a process that died mid-request: it may be taken over.
const ABANDONED_MS = 60_000;
const KEY = /^[\x21-\x7e]{1,255}$/;
/** Fields that reveal a secret once: a replay answers the same resource without them. */
const SECRET_FIELDS = new Set(['key', 'license_key', 'initial_password', 'token', 'password']);

export type Claim =
  | { kind: 'replay'; status: number; body: unknown }
  | { kind: 'proceed'; complete: (status: number, body: unknown) => Promise<void>; release: () => Promise<void> };

/**
 * Idempotency-Key for creating requests: the first answer is kept (without its secrets) for a day, the
 * same key and request replay it, the same key with another request is 422, and a retry while the first
 * is still running is 409. Keys are per caller.
 */
export class IdempotencyService {
  private lastPrune = 0;

  constructor(
    private readonly db: DB,
    private readonly clock: Clock,
  ) {}

  async claim(actor: Actor, key: string, route: string, request: unknown): Promise<Claim> {
    if (!KEY.test(key)) {
      throw new InvalidInput('Idempotency-Key must be 1 to 255 visible ASCII characters', 'Idempotency-Key');
    }
    const scope = `${actor.type}:${actor.orgId ?? ''}:${actor.id ?? ''}`;
    const requestHash = createHash('sha256').update(`${route}\n${canonicalJson(request)}`).digest('hex');
    const now = this.clock.now();
    await this.maybePrune(now);
    for (let attempt = 0; attempt < 3; attempt++) {
      const createdAt = now.toISOString();
      const claimed = await claimIdempotencyKey(this.db, {
        scope,
        key,
        route,
        request_hash: requestHash,
        state: 'in_flight',
        status: null,
        body: null,
        created_at: createdAt,
        expires_at: new Date(now.getTime() + KEEP_MS).toISOString(),
      });
      if (claimed) {
        return {
          kind: 'proceed',
          // Through JSON first, so the record holds what the caller received (dates as strings).
          complete: (status, body) =>
            completeIdempotencyKey(this.db, scope, key, status, JSON.stringify(withoutSecrets(JSON.parse(JSON.stringify(body))))),
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
      if (existing.request_hash !== requestHash) {
        throw new Unprocessable(
          'this Idempotency-Key was used with a different request; use a new key for a new request',
          'IDEMPOTENCY_KEY_REUSED',
        );
      }
      if (existing.state !== 'done' || existing.status === null || existing.body === null) {
        throw new Conflict('a request with this Idempotency-Key is still being processed; retry shortly');
      }
      return { kind: 'replay', status: existing.status, body: JSON.parse(existing.body) };
    }
    throw new Conflict('the Idempotency-Key is contended; retry shortly');
  }

  private async maybePrune(now: Date): Promise<void> {
    if (now.getTime() - this.lastPrune < 600_000) return;
    this.lastPrune = now.getTime();
    await pruneIdempotencyKeys(this.db, now.toISOString());
  }
}

function withoutSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([k]) => !SECRET_FIELDS.has(k))
        .map(([k, v]) => [k, withoutSecrets(v)]),
    );
  }
  return value;
}
