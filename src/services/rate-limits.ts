import type { Clock } from '../clock.js';
import { type DB, inTransaction } from '../db/database.js';
import { bumpCounter, pruneCounters, readCounter } from '../db/rate-limits.js';
import { RateLimited } from './errors.js';

export interface Reservation {
  keys: string[];
  windowStart: number;
}

/**
 * Fixed-window counters in the database, so every instance behind a load balancer shares them. A caller
 * reserves an attempt before doing the work (the increment is atomic, so parallel attempts cannot slip
 * past the limit) and refunds it when the attempt turns out not to count (a successful login).
 */
export class RateLimiter {
  private lastPrune = 0;
  constructor(
    private readonly db: DB,
    private readonly clock: Clock,
  ) {}

  async reserve(keys: string[], limit: number, windowSeconds: number, message: string): Promise<Reservation> {
    const nowSec = Math.floor(this.clock.now().getTime() / 1000);
    const windowStart = nowSec - (nowSec % windowSeconds);
    const counts = await inTransaction(this.db, async (trx) => {
      const out: number[] = [];
      for (const key of keys) out.push(await bumpCounter(trx, key, windowStart, 1));
      return out;
    });
    if (counts.some((c) => c > limit)) {
      await this.refund({ keys, windowStart });
      throw new RateLimited(message, windowStart + windowSeconds - nowSec);
    }
    await this.maybePrune(windowStart);
    return { keys, windowStart };
  }

  /** Throws RateLimited when the key has used up its attempts in this window; a read, no write. */
  async assertOpen(key: string, limit: number, windowSeconds: number, message: string): Promise<void> {
    const nowSec = Math.floor(this.clock.now().getTime() / 1000);
    const windowStart = nowSec - (nowSec % windowSeconds);
    if ((await readCounter(this.db, key, windowStart)) >= limit) {
      throw new RateLimited(message, windowStart + windowSeconds - nowSec);
    }
  }

  async refund(r: Reservation): Promise<void> {
    await inTransaction(this.db, async (trx) => {
      for (const key of r.keys) await bumpCounter(trx, key, r.windowStart, -1);
    });
  }

  private async maybePrune(windowStart: number): Promise<void> {
    if (windowStart - this.lastPrune < 600) return;
    this.lastPrune = windowStart;
    await pruneCounters(this.db, windowStart - 3600);
  }
}
