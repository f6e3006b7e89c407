/** Tables of runtime management; merged into Tables in ../tables.ts. */
export interface LlmProvidersTable {
  id: string;
  org_id: string;
  name: string;
  type: string;
  endpoint: string | null;
  model: string | null;
  region: string | null;
  enabled: number;
  priority: number;
  weight: number;
  rate_limit: number | null;
  timeout_seconds: number;
  /** Sealed (crypto/secret-box). */
  api_key: string | null;
  /** JSON object. */
  settings: string;
  health_status: string;
  health_message: string | null;
  health_latency_ms: number | null;
  health_checked_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface ConnectorsTable {
  org_id: string;
  /** The catalogue entry installed. */
  connector_id: string;
  connector_name: string;
  display_name: string;
  connection_url: string | null;
  /** JSON object, checked against the type's schema. */
  options: string;
  /** Sealed JSON object. */
  credentials: string | null;
  timeout_ms: number;
  max_retries: number;
  enabled: number;
  health_status: string;
  health_message: string | null;
  health_latency_ms: number | null;
  health_checked_at: string | null;
  installed_at: string;
  updated_at: string;
}

export interface StaticPoliciesTable {
  id: string;
  org_id: string;
  tier: string;
  tenant_id: string | null;
  name: string;
  category: string;
  description: string | null;
  pattern: string;
  severity: string;
  action: string;
  priority: number;
  enabled: number;
  /** JSON array of strings. */
  tags: string;
  version: number;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
}

export interface StaticPolicyOverridesTable {
  id: string;
  org_id: string;
  policy_id: string;
  action: string | null;
  enabled: number | null;
  reason: string;
  expires_at: string;
  created_by: string | null;
  created_at: string;
  removed_at: string | null;
}

export interface DynamicPoliciesTable {
  id: string;
  org_id: string;
  name: string;
  name_lower: string;
  type: string;
  category: string;
  description: string | null;
  /** JSON arrays. */
  conditions: string;
  actions: string;
  priority: number;
  enabled: number;
  tags: string;
  version: number;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
}

export interface PolicyVersionsTable {
  org_id: string;
  policy_id: string;
  version: number;
  change_type: string;
  /** "<actor type>:<actor id>". */
  changed_by: string;
  /** JSON: the policy after the change. */
  snapshot: string;
  created_at: string;
}

export interface RuntimeTables {
  llm_providers: LlmProvidersTable;
  connectors: ConnectorsTable;
  static_policies: StaticPoliciesTable;
  static_policy_overrides: StaticPolicyOverridesTable;
  dynamic_policies: DynamicPoliciesTable;
  policy_versions: PolicyVersionsTable;
}
