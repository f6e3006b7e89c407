import { type Kysely, sql } from 'kysely';

/**
 * SCIM provisioning. A provisioned user is a portal user (users) with a SCIM resource beside it (scim_users,
 * same id): the resource as the identity provider sent it is kept whole (resource, JSON), and the columns
 * beside it are the filterable and sortable attributes, lower-cased where the attribute is not case-exact,
 * so one comparison means the same on SQLite and PostgreSQL. Multi-valued attributes (emails, phoneNumbers,
 * ...) are rows of scim_user_values, matched through EXISTS. Group members are rows of scim_members, changed
 * as sets: the cost of a change follows the members changed, not the size of the group.
 */
export async function up(db: Kysely<any>): Promise<void> {
  // Who assigned a user's role: SCIM recomputes only the roles it assigned.
  await db.schema.alterTable('users').addColumn('role_source', 'text', (c) => c.notNull().defaultTo('manual')).execute();

  await db.schema
    .createTable('scim_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.org_id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('expires_at', 'text')
    .addColumn('revoked_at', 'text')
    .addColumn('last_used_at', 'text')
    .addColumn('last_error_at', 'text')
    .addColumn('last_error_status', 'integer')
    .addColumn('last_error_type', 'text')
    .addColumn('last_error_detail', 'text')
    .addColumn('last_error_request', 'text')
    .execute();
  await sql`create index scim_tokens_org_page on scim_tokens (org_id, created_at desc, id)`.execute(db);

  // Requests of each token per hour and status class: the sync health directory admins ask support about.
  await db.schema
    .createTable('scim_token_traffic')
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('token_id', 'text', (c) => c.notNull().references('scim_tokens.id').onDelete('cascade'))
    .addColumn('hour', 'text', (c) => c.notNull())
    .addColumn('status_class', 'text', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('scim_token_traffic_pk', ['token_id', 'hour', 'status_class'])
    .execute();
  await db.schema.createIndex('scim_token_traffic_org_hour').on('scim_token_traffic').columns(['org_id', 'hour']).execute();

  await db.schema
    .createTable('scim_users')
    .addColumn('id', 'text', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.org_id').onDelete('cascade'))
    .addColumn('external_id', 'text')
    .addColumn('user_name', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text')
    .addColumn('given_name', 'text')
    .addColumn('family_name', 'text')
    .addColumn('formatted_name', 'text')
    .addColumn('nick_name', 'text')
    .addColumn('title', 'text')
    .addColumn('user_type', 'text')
    .addColumn('locale', 'text')
    .addColumn('preferred_language', 'text')
    .addColumn('timezone', 'text')
    .addColumn('active', 'integer', (c) => c.notNull())
    // An admin disabled them in the portal: they stay out whatever the identity provider sends, until the
    // portal enables them again (the portal's kill switch outlives the provider's next sync).
    .addColumn('portal_disabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('employee_number', 'text')
    .addColumn('cost_center', 'text')
    .addColumn('organization', 'text')
    .addColumn('division', 'text')
    .addColumn('department', 'text')
    .addColumn('manager_id', 'text')
    .addColumn('resource', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('scim_users_org_user_name').unique().on('scim_users').columns(['org_id', 'user_name']).execute();
  await db.schema.createIndex('scim_users_org_external_id').on('scim_users').columns(['org_id', 'external_id']).execute();
  await db.schema.createIndex('scim_users_org_created').on('scim_users').columns(['org_id', 'created_at', 'id']).execute();

  await db.schema
    .createTable('scim_user_values')
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull().references('scim_users.id').onDelete('cascade'))
    .addColumn('attr', 'text', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('value', 'text')
    .addColumn('type', 'text')
    .addColumn('display', 'text')
    // null when the value says nothing of primary: `primary pr` means it was said.
    .addColumn('is_primary', 'integer')
    .addPrimaryKeyConstraint('scim_user_values_pk', ['user_id', 'attr', 'position'])
    .execute();
  await db.schema.createIndex('scim_user_values_org_attr_value').on('scim_user_values').columns(['org_id', 'attr', 'value']).execute();

  await db.schema
    .createTable('scim_groups')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.org_id').onDelete('cascade'))
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('display_name_lower', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text')
    .addColumn('resource', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('role', 'text')
    .addColumn('role_rank', 'integer')
    .addColumn('role_mapped_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('scim_groups_org_display_name').unique().on('scim_groups').columns(['org_id', 'display_name_lower']).execute();
  await db.schema.createIndex('scim_groups_org_external_id').on('scim_groups').columns(['org_id', 'external_id']).execute();
  await db.schema.createIndex('scim_groups_org_created').on('scim_groups').columns(['org_id', 'created_at', 'id']).execute();

  await db.schema
    .createTable('scim_members')
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('group_id', 'text', (c) => c.notNull().references('scim_groups.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('scim_users.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('scim_members_pk', ['org_id', 'group_id', 'user_id'])
    .execute();
  await db.schema.createIndex('scim_members_org_user').on('scim_members').columns(['org_id', 'user_id', 'group_id']).execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
