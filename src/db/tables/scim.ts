import type { Generated } from 'kysely';

/** Tables of this area; merged into Tables in ../tables.ts. */
export interface ScimTokensTable {
  id: string;
  org_id: string;
  name: string;
  /** What may be shown: "scim_" and the public id. */
  prefix: string;
  /** SHA-256 of the whole token, hex. The token itself is never stored. */
  digest: string;
  created_at: string;
  created_by: string | null;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  last_error_at: string | null;
  last_error_status: number | null;
  last_error_type: string | null;
  last_error_detail: string | null;
  /** Method and path of the request that failed (no query, no body). */
  last_error_request: string | null;
}

export interface ScimTokenTrafficTable {
  org_id: string;
  token_id: string;
  /** The hour's start, ISO-8601 UTC. */
  hour: string;
  /** '2xx', '3xx', '4xx' or '5xx'. */
  status_class: string;
  count: number;
}

/** Filterable columns are lower-cased unless the attribute is case-exact (id, externalId, manager). */
export interface ScimUsersTable {
  id: string;
  org_id: string;
  external_id: string | null;
  user_name: string;
  display_name: string | null;
  given_name: string | null;
  family_name: string | null;
  formatted_name: string | null;
  nick_name: string | null;
  title: string | null;
  user_type: string | null;
  locale: string | null;
  preferred_language: string | null;
  timezone: string | null;
  active: number;
  portal_disabled: Generated<number>;
  employee_number: string | null;
  cost_center: string | null;
  organization: string | null;
  division: string | null;
  department: string | null;
  manager_id: string | null;
  /** The canonical resource as JSON, without id, meta and groups (the service adds those). */
  resource: string;
  version: number;
  created_at: string;
  updated_at: string;
}

export interface ScimUserValuesTable {
  org_id: string;
  user_id: string;
  /** emails, phoneNumbers, ims, photos, addresses, entitlements, roles, x509Certificates */
  attr: string;
  position: number;
  value: string | null;
  type: string | null;
  display: string | null;
  is_primary: number | null;
}

export interface ScimGroupsTable {
  id: string;
  org_id: string;
  /** As sent, for members' groups lists; display_name_lower is the unique, filterable key. */
  display_name: string;
  display_name_lower: string;
  external_id: string | null;
  resource: string;
  version: number;
  role: string | null;
  role_rank: number | null;
  role_mapped_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface ScimMembersTable {
  org_id: string;
  group_id: string;
  user_id: string;
}

export interface ScimTables {
  scim_tokens: ScimTokensTable;
  scim_token_traffic: ScimTokenTrafficTable;
  scim_users: ScimUsersTable;
  scim_user_values: ScimUserValuesTable;
  scim_groups: ScimGroupsTable;
  scim_members: ScimMembersTable;
}
