import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // Keyed by (org_id, node_id): the runtime names its nodes, and two organizations may pick the same name.
  await db.schema
    .createTable('nodes')
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.org_id').onDelete('cascade'))
    .addColumn('node_id', 'text', (c) => c.notNull())
    .addColumn('hostname', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('os', 'text')
    .addColumn('cpu_cores', 'integer')
    .addColumn('memory_mb', 'integer')
    .addColumn('region', 'text')
    .addColumn('first_seen_at', 'text', (c) => c.notNull())
    .addColumn('last_heartbeat_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('nodes_pk', ['org_id', 'node_id'])
    .execute();
  // The active count is a range scan on this.
  await db.schema.createIndex('nodes_org_heartbeat').on('nodes').columns(['org_id', 'last_heartbeat_at']).execute();

  await db.schema
    .createTable('node_bands')
    .addColumn('org_id', 'text', (c) => c.primaryKey().references('organizations.org_id').onDelete('cascade'))
    .addColumn('band', 'text', (c) => c.notNull())
    .addColumn('changed_at', 'text', (c) => c.notNull())
    .execute();
}
