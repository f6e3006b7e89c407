import type { Generated, Selectable } from 'kysely';
import type { ApiKeyTables } from './tables/api-keys.js';
import type { ComplianceTables } from './tables/compliance.js';
import type { DeploymentTables } from './tables/deployments.js';
import type { IdempotencyTables } from './tables/idempotency.js';
import type { JobTables } from './tables/jobs.js';
import type { LicenseTables } from './tables/licenses.js';
import type { NodeTables } from './tables/nodes.js';
import type { ScimTables } from './tables/scim.js';
import type { RuntimeTables } from './tables/runtime.js';
import type { SsoTables } from './tables/sso.js';
import type { UsageTables } from './tables/usage.js';

/**
 * Row types, as stored: timestamps are ISO-8601 UTC text, booleans 0/1 integers, JSON text.
 * The same shapes work on SQLite and PostgreSQL; conversion to domain values happens in the query files.
 */
export interface OrganizationsTable {
  org_id: string;
  name: string;
  tier: string;
  status: string;
  max_nodes: number;
  contact_email: string | null;
  contact_phone: string | null;
  expires_at: string;
  created_at: string;
  updated_at: string;
}

export interface UsersTable {
  id: string;
  org_id: string;
  email: string;
  email_lower: string;
  name: string;
  role: string;
  /** 'organization' is the account behind the org password; 'person' is everyone else. */
  kind: string;
  status: string;
  password_hash: string | null;
  source: string;
  /** Who assigned the role: manual, scim or api. SCIM recomputes only what it assigned. */
  role_source: Generated<string>;
  created_at: string;
  updated_at: string;
  last_login_at: string | null;
}

export interface SessionsTable {
  id: string;
  org_id: string;
  user_id: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  ip: string | null;
  user_agent: string | null;
}

export interface AuditEventsTable {
  id: string;
  chain: string;
  seq: number;
  org_id: string | null;
  action: string;
  actor_type: string;
  actor_id: string | null;
  target_type: string | null;
  target_id: string | null;
  outcome: string;
  ip: string | null;
  user_agent: string | null;
  details: string;
  created_at: string;
  prev_hash: string;
  hash: string;
}

export interface AuditHeadsTable {
  chain: string;
  seq: number;
  hash: string;
}

export interface RateLimitsTable {
  key: string;
  window_start: number;
  count: number;
}

/** Every table: the foundation's here, each later area's in tables/<area>.ts. */
export interface Tables extends ApiKeyTables, LicenseTables, NodeTables, UsageTables, IdempotencyTables, ScimTables, SsoTables, RuntimeTables, JobTables, DeploymentTables, ComplianceTables {
  organizations: OrganizationsTable;
  users: UsersTable;
  sessions: SessionsTable;
  audit_events: AuditEventsTable;
  audit_heads: AuditHeadsTable;
  rate_limits: RateLimitsTable;
}

export type OrganizationRow = Selectable<OrganizationsTable>;
export type UserRow = Selectable<UsersTable>;
export type AuditEventRow = Selectable<AuditEventsTable>;
