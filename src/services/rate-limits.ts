import { isIPv6 } from 'node:net';
import type { Clock } from '../clock.js';
import type { DB } from '../db/database.js';
import { bumpCounter, claimSlot, pruneCounters, readCounter } from '../db/rate-limits.js';
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

/**
 * Fixed-window counters in the database, so every instance behind a load balancer shares them. Subjects are
 * client addresses and existing accounts, never a string a caller chose, so rows grow with addresses only.
 * An attempt is counted before the work it guards (the increment is atomic, so parallel attempts cannot slip
 * past) and refunded when it turns out not to count (a successful login). The first refusal of a window is
 * audited, once per window and subject, however many follow.
 */
export class RateLimiter {
  private lastPrune = 0;
  constructor(
    private readonly db: DB,
    private readonly clock: Clock,
    private readonly audit: AuditService,
  ) {}

  private window(windowSeconds: number): { nowSec: number; windowStart: number } {
    const nowSec = Math.floor(this.clock.now().getTime() / 1000);
    return { nowSec, windowStart: nowSec - (nowSec % windowSeconds) };
  }

  /** Counts an attempt; past the limit throws RateLimited (and the attempt stays counted). */
  async take(throttle: Throttle, subject: string, actor: Actor): Promise<Reservation> {
    const { nowSec, windowStart } = this.window(throttle.windowSeconds);
    const key = `${throttle.name}:${subject}`;
    const count = await bumpCounter(this.db, key, windowStart, 1);
    await this.maybePrune(nowSec);
    if (count > throttle.limit) {
      if (count === throttle.limit + 1) {
        await this.audit.record(actor, {
          action: 'auth.throttled',
          orgId: actor.orgId,
          outcome: 'denied',
          details: { throttle: throttle.name, limit: throttle.limit, window_seconds: throttle.windowSeconds },
        });
      }
      throw new RateLimited(throttle.what, windowStart + throttle.windowSeconds - nowSec);
    }
    return { key, windowStart };
  }

  /** Counts without refusing: for failures that feed another decision (an account's backoff). */
  async count(throttle: Throttle, subject: string): Promise<number> {
    const { windowStart } = this.window(throttle.windowSeconds);
    return bumpCounter(this.db, `${throttle.name}:${subject}`, windowStart, 1);
  }

  /** Throws RateLimited when the subject has used up this window's attempts: a read, no write. */
  async assertOpen(throttle: Throttle, subject: string): Promise<void> {
    const { nowSec, windowStart } = this.window(throttle.windowSeconds);
    if ((await readCounter(this.db, `${throttle.name}:${subject}`, windowStart)) >= throttle.limit) {
      throw new RateLimited(throttle.what, windowStart + throttle.windowSeconds - nowSec);
    }
  }

  /** Past the backoff's ceiling, claims the subject's next slot or throws RateLimited until it is free. */
  async paced(backoff: Backoff, subject: string, actor: Actor): Promise<void> {
    const { nowSec, windowStart } = this.window(backoff.failures.windowSeconds);
    const failures = await readCounter(this.db, `${backoff.failures.name}:${subject}`, windowStart);
    if (failures < backoff.ceiling) return;
    const spacing = Math.min(2 ** (failures - backoff.ceiling), backoff.maxSpacingSeconds);
    const key = `${backoff.failures.name}-slot:${subject}`;
    const slot = await claimSlot(this.db, key, windowStart, nowSec, nowSec + spacing);
    if (slot.claimed) return;
    // Audited once per window and account, however many attempts are turned away.
    if ((await bumpCounter(this.db, `${key}-refused`, windowStart, 1)) === 1) {
      await this.audit.record(actor, {
        action: 'auth.throttled',
        orgId: actor.orgId,
        outcome: 'denied',
        details: { throttle: key.split(':')[0], ceiling: backoff.ceiling, window_seconds: backoff.failures.windowSeconds },
      });
    }
    throw new RateLimited(`${backoff.failures.what}; attempts on it are spaced out`, slot.freeAt - nowSec);
  }

  async refund(r: Reservation): Promise<void> {
    await bumpCounter(this.db, r.key, r.windowStart, -1);
  }

  private async maybePrune(nowSec: number): Promise<void> {
    if (nowSec - this.lastPrune < 600) return;
    this.lastPrune = nowSec;
    // Longest window in use is 15 minutes; an hour leaves room for any added later.
    await pruneCounters(this.db, nowSec - 3600);
  }
}

/**
 * Exponential spacing for one account once its failures from anywhere pass a ceiling: each attempt then
 * needs a free slot, and takes the next one 1, 2, 4 ... seconds (up to a cap) later. A distributed guesser is
 * slowed to a trickle; the account's owner waits the cap at most, and is never locked out.
 */
export interface Backoff {
  failures: Throttle;
  /** Failures in a window before spacing starts. */
  ceiling: number;
  maxSpacingSeconds: number;
}
