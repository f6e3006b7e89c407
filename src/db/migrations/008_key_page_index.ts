import { type Kysely, sql } from 'kysely';

/**
 * The keys list reads a page in (created_at desc, id) order. The old index covered created_at only, so
 * every page was sorted again on id in a temporary b-tree; this one hands the rows over in page order.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index api_keys_org_page on api_keys (org_id, created_at desc, id)`.execute(db);
  await db.schema.dropIndex('api_keys_org_created').execute();
}
