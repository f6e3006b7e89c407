import type { Executor } from './database.js';
import type { IdempotencyKeysTable } from './tables/idempotency.js';

export type IdempotencyRecord = IdempotencyKeysTable;

/** Claims (scope, key); false when a record is already there. The primary key makes the claim atomic. */
export async function claimIdempotencyKey(db: Executor, row: IdempotencyRecord): Promise<boolean> {
  const inserted = await db
    .insertInto('idempotency_keys')
    .values(row)
    .onConflict((oc) => oc.columns(['scope', 'key']).doNothing())
    .returning('key')
    .executeTakeFirst();
  return inserted !== undefined;
}

export async function findIdempotencyKey(db: Executor, scope: string, key: string): Promise<IdempotencyRecord | null> {
  return (await db.selectFrom('idempotency_keys').selectAll().where('scope', '=', scope).where('key', '=', key).executeTakeFirst()) ?? null;
}

export async function completeIdempotencyKey(db: Executor, scope: string, key: string, status: number, body: string, headers: string | null): Promise<void> {
  await db
    .updateTable('idempotency_keys')
    .set({ state: 'done', status, body, headers })
    .where('scope', '=', scope)
    .where('key', '=', key)
    .execute();
}

export async function deleteIdempotencyKey(db: Executor, scope: string, key: string, onlyIfCreatedAt?: string): Promise<void> {
  let q = db.deleteFrom('idempotency_keys').where('scope', '=', scope).where('key', '=', key);
  if (onlyIfCreatedAt) q = q.where('created_at', '=', onlyIfCreatedAt);
  await q.execute();
}

export async function pruneIdempotencyKeys(db: Executor, now: string): Promise<void> {
  await db.deleteFrom('idempotency_keys').where('expires_at', '<=', now).execute();
}
