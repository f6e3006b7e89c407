import { type Kysely, sql } from 'kysely';

/**
 * Single sign-on. One configuration per organization (SAML or OIDC); login requests kept in the database,
 * not in process memory, so the instance that answers the IdP's callback need not be the one that started
 * the login; assertion ids used once; and identities keyed by (org, IdP, subject), never by email.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('sso_configs')
    .addColumn('org_id', 'text', (c) => c.primaryKey().references('organizations.org_id').onDelete('cascade'))
    .addColumn('protocol', 'text', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('enforce_sso', 'integer', (c) => c.notNull())
    .addColumn('idp_entity_id', 'text')
    .addColumn('idp_sso_url', 'text')
    .addColumn('idp_certificate', 'text')
    .addColumn('idp_metadata_url', 'text')
    .addColumn('email_domains', 'text', (c) => c.notNull())
    .addColumn('oidc_issuer', 'text')
    .addColumn('oidc_audience', 'text')
    .addColumn('oidc_jwks_uri', 'text')
    .addColumn('oidc_claim_mapping', 'text')
    // Sealed by the secret box: never readable through any API.
    .addColumn('oidc_client_secret', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  // A login in flight: the SAML AuthnRequest ID or the OIDC state, bound to the browser that started it.
  await db.schema
    .createTable('sso_login_requests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.org_id').onDelete('cascade'))
    .addColumn('protocol', 'text', (c) => c.notNull())
    .addColumn('browser_digest', 'text', (c) => c.notNull())
    .addColumn('return_to', 'text', (c) => c.notNull())
    .addColumn('nonce', 'text')
    .addColumn('code_verifier', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('consumed_at', 'text')
    .execute();
  await db.schema.createIndex('sso_login_requests_expiry').on('sso_login_requests').column('expires_at').execute();

  // Each assertion id once, until the assertion itself has expired.
  await db.schema
    .createTable('sso_assertion_ids')
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.org_id').onDelete('cascade'))
    .addColumn('assertion_id', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('sso_assertion_ids_pk', ['org_id', 'assertion_id'])
    .execute();

  await db.schema
    .createTable('sso_identities')
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.org_id').onDelete('cascade'))
    .addColumn('idp', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_login_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('sso_identities_pk', ['org_id', 'idp', 'subject'])
    .execute();
  await db.schema.createIndex('sso_identities_user').on('sso_identities').column('user_id').execute();

  // The SSO login audit reads the org's audit chain by action and outcome, newest first.
  await sql`create index audit_events_org_action on audit_events (org_id, action, created_at)`.execute(db);
}
