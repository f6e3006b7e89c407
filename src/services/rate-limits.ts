import { createHmac } from 'node:crypto';
import { isIPv6 } from 'node:net';
import type { Clock } from '../clock.js';
import type { DB } from '../db/database.js';
import { bumpCounter, claimSlot, readCounter } from '../db/rate-limits.js';
import { RateLimited } from '../domain/errors.js';
import type { Actor } from './actor.js';
import type { AuditService } from './audit.js';

/** A named limit: at most `limit` attempts per subject in each fixed window of `windowSeconds`. */
export interface Throttle {
  name: string;
  limit: number;
  windowSeconds: number;
  /** What is refused, for the caller: "too many login attempts from this address". */
  what: string;
}

export interface Reservation {
  key: string;
  windowStart: number;
}

/**
 * The per-account ceiling of a credential path: it slows, never locks. Attempts on one account from every
 * address are counted in a window. Past `ceiling`, an address that already failed on the account gets one
 * attempt per slot, the slots 1 s, 2 s, 4 s ... apart (at most `maxSpacingSeconds`); an address that has not
 * failed on it still goes straight through, so its owner logs in from elsewhere while a guesser is slowed.
 * Past `everyoneCeiling` (a guesser spread over many addresses) every address is paced.
 */
export interface AccountBackoff {
  name: string;
  windowSeconds: number;
  ceiling: number;
  everyoneCeiling: number;
  maxSpacingSeconds: number;
  what: string;
}

export interface AccountAttempt {
  /** The attempt succeeded: it gives its count back. */
  succeeded(): Promise<void>;
  /** The attempt failed: this address is now one that failed on the account. */
  failed(): Promise<void>;
}

/**
 * The key a client address is counted under. An IPv6 client usually holds a whole /64, so it is counted as
 * one: otherwise it could walk its own prefix and never meet a limit.
 */
export function addressSubject(ip: string | null): string {
  if (!ip) return 'unknown';
  const v4mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (v4mapped) return v4mapped[1];
  if (!isIPv6(ip)) return ip;
  const [head, tail = ''] = ip.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/** 2^20 buckets: rows stay bounded whatever names are sent, and two real accounts rarely share one. */
const ACCOUNT_BUCKET_HEX = 5;

/**
 * Fixed-window counters in the database, so every instance behind a load balancer shares them. Subjects are
 * client addresses and account buckets, never a string a caller chose, so rows are bounded by the addresses
 * and the buckets. An attempt is counted before the work it guards (the increment is atomic, so parallel
 * attempts cannot slip past) and refunded when it turns out not to count (a successful login). The first
 * refusal of a window is audited, once per window and subject, however many follow. Past windows are
 * deleted by the periodic prune job (jobs/prune.ts), never on a request.
 */
export class RateLimiter {
  constructor(
    private readonly db: DB,
    private readonly clock: Clock,
    private readonly audit: AuditService,
    /** Keys the account buckets: nobody outside can aim two names at one bucket. */
    private readonly subjectKey: Buffer,
  ) {}

  /**
   * The bucket an account name falls in, whether or not the account exists: an unknown name is throttled
   * exactly like a real one, so the throttle tells nobody which accounts exist.
   */
  accountSubject(name: string): string {
    return createHmac('sha256', this.subjectKey).update(name).digest('hex').slice(0, ACCOUNT_BUCKET_HEX);
  }

  private window(windowSeconds: number): { nowSec: number; windowStart: number } {
    const nowSec = Math.floor(this.clock.now().getTime() / 1000);
    return { nowSec, windowStart: nowSec - (nowSec % windowSeconds) };
  }

  /** Counts an attempt; past the limit throws RateLimited (and the attempt stays counted). */
  async take(throttle: Throttle, subject: string, actor: Actor): Promise<Reservation> {
    const { nowSec, windowStart } = this.window(throttle.windowSeconds);
    const key = `${throttle.name}:${subject}`;
    const count = await bumpCounter(this.db, key, windowStart, 1);
    if (count > throttle.limit) {
      if (count === throttle.limit + 1) await this.auditThrottled(actor, throttle.name, { limit: throttle.limit, window_seconds: throttle.windowSeconds });
      throw new RateLimited(throttle.what, windowStart + throttle.windowSeconds - nowSec);
    }
    return { key, windowStart };
  }

  /** Throws RateLimited when the subject has used up this window's attempts: a read, no write. */
  async assertOpen(throttle: Throttle, subject: string): Promise<void> {
    const { nowSec, windowStart } = this.window(throttle.windowSeconds);
    if ((await readCounter(this.db, `${throttle.name}:${subject}`, windowStart)) >= throttle.limit) {
      throw new RateLimited(throttle.what, windowStart + throttle.windowSeconds - nowSec);
    }
  }

  async refund(r: Reservation): Promise<void> {
    await bumpCounter(this.db, r.key, r.windowStart, -1);
  }

  /**
   * One attempt on an account, counted atomically before the work (so parallel attempts meet the ceiling)
   * and given back when it succeeds. Throws RateLimited when it must wait for a slot; the caller then reports
   * nothing, since nothing was attempted.
   */
  async accountAttempt(policy: AccountBackoff, account: string, address: string, actor: Actor): Promise<AccountAttempt> {
    const { nowSec, windowStart } = this.window(policy.windowSeconds);
    const attemptsKey = `${policy.name}:${account}`;
    const failedHereKey = `${policy.name}-at:${account}:${address}`;
    const attempts = await bumpCounter(this.db, attemptsKey, windowStart, 1);
    const failedHere = await readCounter(this.db, failedHereKey, windowStart);
    if ((attempts > policy.ceiling && failedHere > 0) || attempts > policy.everyoneCeiling) {
      const spacing = Math.min(2 ** Math.max(0, attempts - policy.ceiling - 1), policy.maxSpacingSeconds);
      const slotKey = `${policy.name}-slot:${account}`;
      const slot = await claimSlot(this.db, slotKey, windowStart, nowSec, nowSec + spacing);
      if (!slot.claimed) {
        await bumpCounter(this.db, attemptsKey, windowStart, -1);
        if ((await bumpCounter(this.db, `${slotKey}-refused`, windowStart, 1)) === 1) {
          await this.auditThrottled(actor, policy.name, { ceiling: policy.ceiling, window_seconds: policy.windowSeconds });
        }
        throw new RateLimited(policy.what, slot.freeAt - nowSec);
      }
    }
    return {
      succeeded: async () => void (await bumpCounter(this.db, attemptsKey, windowStart, -1)),
      failed: async () => void (await bumpCounter(this.db, failedHereKey, windowStart, 1)),
    };
  }

  private auditThrottled(actor: Actor, throttle: string, details: Record<string, unknown>): Promise<void> {
    return this.audit.record(actor, { action: 'auth.throttled', orgId: actor.orgId, outcome: 'denied', details: { throttle, ...details } });
  }
}
