import { type Kysely, sql } from 'kysely';

/**
 * Deployments: the release catalogue (global, published by the operator), and per organization the upgrades it
 * triggered, the nodes each one targeted (with what was observed of them) and every status change it made.
 * One active upgrade per organization is a partial unique index, so two concurrent triggers cannot both win.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('releases')
    .addColumn('service', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('notes', 'text')
    .addColumn('required_stop', 'integer', (c) => c.notNull())
    .addColumn('published_at', 'text', (c) => c.notNull())
    .addColumn('published_by', 'text')
    .addPrimaryKeyConstraint('releases_pk', ['service', 'version'])
    .execute();

  await db.schema
    .createTable('upgrades')
    .addColumn('upgrade_id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.org_id').onDelete('cascade'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('requested_version', 'text', (c) => c.notNull())
    .addColumn('force', 'integer', (c) => c.notNull())
    .addColumn('plan', 'text', (c) => c.notNull())
    .addColumn('progress', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('initiated_by', 'text')
    .addColumn('sequence', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text')
    .addColumn('completed_at', 'text')
    .addColumn('deadline_at', 'text', (c) => c.notNull())
    .execute();
  await sql`create index upgrades_org_created on upgrades (org_id, created_at desc, upgrade_id)`.execute(db);
  await sql`create unique index upgrades_one_active on upgrades (org_id) where status in ('PENDING', 'IN_PROGRESS')`.execute(db);

  await db.schema
    .createTable('upgrade_targets')
    .addColumn('upgrade_id', 'text', (c) => c.notNull().references('upgrades.upgrade_id').onDelete('cascade'))
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('node_id', 'text', (c) => c.notNull())
    .addColumn('service', 'text', (c) => c.notNull())
    .addColumn('from_version', 'text', (c) => c.notNull())
    .addColumn('target_version', 'text', (c) => c.notNull())
    .addColumn('delivered_at', 'text')
    .addColumn('updated_at', 'text')
    .addPrimaryKeyConstraint('upgrade_targets_pk', ['upgrade_id', 'node_id'])
    .execute();
  await sql`create index upgrade_targets_org on upgrade_targets (org_id, upgrade_id)`.execute(db);

  await db.schema
    .createTable('upgrade_events')
    .addColumn('upgrade_id', 'text', (c) => c.notNull().references('upgrades.upgrade_id').onDelete('cascade'))
    .addColumn('sequence', 'integer', (c) => c.notNull())
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('from_status', 'text')
    .addColumn('to_status', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('progress', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('upgrade_events_pk', ['upgrade_id', 'sequence'])
    .execute();
  await sql`create index upgrade_events_org on upgrade_events (org_id, upgrade_id, sequence)`.execute(db);

  // A small default catalogue, so a fresh install can be upgraded: 2.0.0 is a required stop for the runtime.
  const seed = (service: string, version: string, notes: string, stop: boolean, at: string) => ({
    service,
    version,
    notes,
    required_stop: stop ? 1 : 0,
    published_at: at,
    published_by: null,
  });
  await db
    .insertInto('releases')
    .values([
      ...['agent', 'orchestrator'].flatMap((s) => [
        seed(s, '1.0.0', 'First general release.', false, '2026-01-15T00:00:00.000Z'),
        seed(s, '1.1.0', 'Policy evaluation cache; faster heartbeats.', false, '2026-03-02T00:00:00.000Z'),
        seed(s, '2.0.0', 'Storage format 2: migrates data on start. Required stop: every node passes through it.', true, '2026-05-11T00:00:00.000Z'),
        seed(s, '2.1.0', 'Dynamic policy routing actions.', false, '2026-07-20T00:00:00.000Z'),
      ]),
      seed('customer-portal', '1.0.0', 'First general release.', false, '2026-01-15T00:00:00.000Z'),
      seed('customer-portal', '1.1.0', 'Usage dashboards.', false, '2026-04-08T00:00:00.000Z'),
      seed('customer-portal', '1.2.0', 'Deployment status page.', false, '2026-08-03T00:00:00.000Z'),
    ])
    .execute();
}
