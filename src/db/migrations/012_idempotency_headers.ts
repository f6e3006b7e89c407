import type { Kysely } from 'kysely';

/** The headers of a first answer a replay must repeat (Location of a created resource), as JSON. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('idempotency_keys').addColumn('headers', 'text').execute();
}
