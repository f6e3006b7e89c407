import { type Kysely, sql } from 'kysely';

/**
 * Runtime management: the LLM providers an organization routes to, the connectors it installed, and its static
 * (pattern) and dynamic (condition) policies. Secrets (provider API keys, connector credentials) are sealed by
 * the secret box. Policies are soft-deleted and every change leaves a snapshot in policy_versions. System-tier
 * static policies are not rows: they ship with the code, the same for every organization.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('llm_providers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.org_id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('endpoint', 'text')
    .addColumn('model', 'text')
    .addColumn('region', 'text')
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('priority', 'integer', (c) => c.notNull())
    .addColumn('weight', 'integer', (c) => c.notNull())
    .addColumn('rate_limit', 'integer')
    .addColumn('timeout_seconds', 'integer', (c) => c.notNull())
    .addColumn('api_key', 'text')
    .addColumn('settings', 'text', (c) => c.notNull())
    .addColumn('health_status', 'text', (c) => c.notNull())
    .addColumn('health_message', 'text')
    .addColumn('health_latency_ms', 'integer')
    .addColumn('health_checked_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await sql`create unique index llm_providers_org_name on llm_providers (org_id, name)`.execute(db);

  await db.schema
    .createTable('connectors')
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.org_id').onDelete('cascade'))
    .addColumn('connector_id', 'text', (c) => c.notNull())
    .addColumn('connector_name', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('connection_url', 'text')
    .addColumn('options', 'text', (c) => c.notNull())
    .addColumn('credentials', 'text')
    .addColumn('timeout_ms', 'integer', (c) => c.notNull())
    .addColumn('max_retries', 'integer', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('health_status', 'text', (c) => c.notNull())
    .addColumn('health_message', 'text')
    .addColumn('health_latency_ms', 'integer')
    .addColumn('health_checked_at', 'text')
    .addColumn('installed_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('connectors_pk', ['org_id', 'connector_id'])
    .execute();
  await sql`create unique index connectors_org_name on connectors (org_id, connector_name)`.execute(db);

  await db.schema
    .createTable('static_policies')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.org_id').onDelete('cascade'))
    .addColumn('tier', 'text', (c) => c.notNull())
    .addColumn('tenant_id', 'text')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('pattern', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('priority', 'integer', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('tags', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('deleted_at', 'text')
    .execute();
  await sql`create index static_policies_org on static_policies (org_id, priority desc, id)`.execute(db);
  // A name is reused only once the policy that had it is deleted.
  await sql`create unique index static_policies_org_name on static_policies (org_id, name) where deleted_at is null`.execute(db);

  // An organization's temporary exception to one static policy (its own or a system one).
  await db.schema
    .createTable('static_policy_overrides')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.org_id').onDelete('cascade'))
    .addColumn('policy_id', 'text', (c) => c.notNull())
    .addColumn('action', 'text')
    .addColumn('enabled', 'integer')
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('removed_at', 'text')
    .execute();
  await sql`create index static_policy_overrides_org on static_policy_overrides (org_id, policy_id, expires_at)`.execute(db);

  await db.schema
    .createTable('dynamic_policies')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.org_id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('name_lower', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('conditions', 'text', (c) => c.notNull())
    .addColumn('actions', 'text', (c) => c.notNull())
    .addColumn('priority', 'integer', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('tags', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('deleted_at', 'text')
    .execute();
  await sql`create index dynamic_policies_org on dynamic_policies (org_id, priority desc, id)`.execute(db);
  await sql`create unique index dynamic_policies_org_name on dynamic_policies (org_id, name_lower) where deleted_at is null`.execute(db);

  // Every change of a policy, whole: what it was after the change, who made it and how.
  await db.schema
    .createTable('policy_versions')
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.org_id').onDelete('cascade'))
    .addColumn('policy_id', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('change_type', 'text', (c) => c.notNull())
    .addColumn('changed_by', 'text', (c) => c.notNull())
    .addColumn('snapshot', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('policy_versions_pk', ['org_id', 'policy_id', 'version'])
    .execute();
}
