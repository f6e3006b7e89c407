import type { Kysely } from 'kysely';

// Every signed license ever issued; an organization's current one is its most recently issued.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('licenses')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.org_id').onDelete('cascade'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('license_key', 'text', (c) => c.notNull())
    .addColumn('tier', 'text', (c) => c.notNull())
    .addColumn('max_nodes', 'integer', (c) => c.notNull())
    .addColumn('permissions', 'text', (c) => c.notNull())
    .addColumn('issued_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('issued_by', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('licenses_org_issued').on('licenses').columns(['org_id', 'issued_at']).execute();
  await db.schema.createIndex('licenses_org_seq').unique().on('licenses').columns(['org_id', 'seq']).execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
