import type { CreateTableBuilder, Kysely } from 'kysely';

// Counter columns are bigint: a month of one busy organization's tokens or micro-dollars outgrows 32 bits.
function rollupColumns(t: CreateTableBuilder<string, any>): CreateTableBuilder<string, any> {
  return t
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.org_id').onDelete('cascade'))
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('node_id', 'text', (c) => c.notNull())
    .addColumn('count', 'bigint', (c) => c.notNull())
    .addColumn('success_count', 'bigint', (c) => c.notNull())
    .addColumn('latency_sum_us', 'bigint', (c) => c.notNull())
    .addColumn('latency_count', 'bigint', (c) => c.notNull())
    .addColumn('prompt_tokens', 'bigint', (c) => c.notNull())
    .addColumn('completion_tokens', 'bigint', (c) => c.notNull())
    .addColumn('cost_micros', 'bigint', (c) => c.notNull());
}

export async function up(db: Kysely<any>): Promise<void> {
  // The primary key is the idempotency key and the org_id index; no other index, to keep ingest cheap:
  // reads never touch this table (they use the rollups below).
  await db.schema
    .createTable('usage_events')
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.org_id').onDelete('cascade'))
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('occurred_at', 'text', (c) => c.notNull())
    .addColumn('node_id', 'text')
    .addColumn('method', 'text')
    .addColumn('path', 'text')
    .addColumn('status', 'integer')
    .addColumn('latency_ms', 'double precision')
    .addColumn('provider', 'text')
    .addColumn('model', 'text')
    .addColumn('prompt_tokens', 'integer')
    .addColumn('completion_tokens', 'integer')
    .addColumn('cost_micros', 'bigint')
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('usage_events_pk', ['org_id', 'event_id'])
    .execute();

  // Key order puts the bucket right after org_id: every read is a range of buckets of one organization.
  await rollupColumns(db.schema.createTable('usage_hourly').addColumn('hour', 'text', (c) => c.notNull()))
    .addPrimaryKeyConstraint('usage_hourly_pk', ['org_id', 'hour', 'type', 'provider', 'model', 'node_id'])
    .execute();
  await rollupColumns(db.schema.createTable('usage_daily').addColumn('day', 'text', (c) => c.notNull()))
    .addPrimaryKeyConstraint('usage_daily_pk', ['org_id', 'day', 'type', 'provider', 'model', 'node_id'])
    .execute();
}
