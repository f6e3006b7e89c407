import { type Kysely, sql } from 'kysely';

/**
 * Background jobs are rows (src/jobs/runner.ts runs them): at most one per (kind, key), claimed with a lease
 * that its worker extends while it runs. A row whose lease lapsed is due again, for another worker.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('run_at', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_expires_at', 'text')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await sql`create unique index jobs_kind_key on jobs (kind, key)`.execute(db);
  // The claim reads queued rows by run_at and running rows by lease end: one index for each half.
  await sql`create index jobs_due on jobs (status, run_at)`.execute(db);
  await sql`create index jobs_lease on jobs (status, lease_expires_at)`.execute(db);
}
