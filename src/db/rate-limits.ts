import { sql } from 'kysely';
import type { Executor } from './database.js';

/**
 * Adds delta to the counter of (key, window) and returns the new count, in one statement: the row lock
 * (pg) or the single writer (SQLite) makes parallel callers see distinct counts.
 */
export async function bumpCounter(db: Executor, key: string, windowStart: number, delta: number): Promise<number> {
  const row = await db
    .insertInto('rate_limits')
    .values({ key, window_start: windowStart, count: delta })
    .onConflict((oc) => oc.columns(['key', 'window_start']).doUpdateSet({ count: sql`rate_limits.count + ${delta}` }))
    .returning('count')
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

export async function pruneCounters(db: Executor, before: number): Promise<void> {
  await db.deleteFrom('rate_limits').where('window_start', '<', before).execute();
}

export async function readCounter(db: Executor, key: string, windowStart: number): Promise<number> {
  const row = await db
    .selectFrom('rate_limits')
    .select('count')
    .where('key', '=', key)
    .where('window_start', '=', windowStart)
    .executeTakeFirst();
  return row ? Number(row.count) : 0;
}

/**
 * Claims the next slot of a paced subject: succeeds, and moves the next free second to `nextSec`, only when
 * the stored one is not after `nowSec`. The row's count holds that second. One statement, so parallel
 * claimers of one slot get one success.
 */
export async function claimSlot(db: Executor, key: string, windowStart: number, nowSec: number, nextSec: number): Promise<{ claimed: true } | { claimed: false; freeAt: number }> {
  const row = await db
    .insertInto('rate_limits')
    .values({ key, window_start: windowStart, count: nextSec })
    .onConflict((oc) =>
      oc
        .columns(['key', 'window_start'])
        .doUpdateSet({ count: nextSec })
        .where('rate_limits.count', '<=', nowSec),
    )
    .returning('count')
    .executeTakeFirst();
  if (row) return { claimed: true };
  return { claimed: false, freeAt: await readCounter(db, key, windowStart) };
}
