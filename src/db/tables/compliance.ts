/** Tables of this area; merged into Tables in ../tables.ts. */

/** A module the operator enabled for an organization (a license enables modules of its own). */
export interface OrgModulesTable {
  org_id: string;
  module: string;
  enabled_at: string;
  enabled_by: string | null;
}

/** One export job and, once completed, the file it wrote (under the export directory). */
export interface ComplianceExportsTable {
  /** exp_... */
  id: string;
  org_id: string;
  /** The module it belongs to: eu_ai_act, sebi, rbi, mas_feat, evidence, audit. */
  framework: string;
  export_type: string;
  /** 'json' | 'csv' */
  format: string;
  period_from: string | null;
  period_to: string | null;
  redact_pii: number;
  /** JSON object of framework-specific choices. */
  options: string;
  /** queued, running, completed, failed, expired */
  status: string;
  /** 0-100 */
  progress: number;
  rows: number;
  total_rows: number | null;
  bytes: number | null;
  sha256: string | null;
  /** Canonical JSON (RFC 8785) of the manifest, exactly as signed. */
  manifest: string | null;
  /** Ed25519 signature of manifest, base64url. */
  signature: string | null;
  error: string | null;
  /** Actor label, e.g. "user:usr_..." or "api_key:key_...". */
  requested_by: string;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  /** When the file is deleted (retention). */
  expires_at: string | null;
  /** The attempt that runs (or ran to completion): names its files and fences its writes. */
  run_token: string | null;
}

export interface ConformityAssessmentsTable {
  /** ca_... */
  id: string;
  org_id: string;
  system_name: string;
  assessment_type: string;
  risk_level: string;
  description: string | null;
  /** draft, submitted, approved, rejected */
  status: string;
  /** JSON array of export ids. */
  evidence: string;
  created_by: string;
  created_at: string;
  updated_at: string;
  submitted_by: string | null;
  submitted_at: string | null;
  decided_by: string | null;
  decided_at: string | null;
  decision_note: string | null;
  /** 1 at creation, bumped by every write. */
  version: number;
}

/** A decision the governed runtime asked a person to make. */
export interface HitlRequestsTable {
  /** hitl_... */
  id: string;
  org_id: string;
  request_id: string;
  /** low, medium, high, critical */
  severity: string;
  reason: string;
  /** JSON object. */
  context: string;
  eu_ai_act_article: string | null;
  /** pending, approved, rejected, expired, overridden */
  status: string;
  expires_at: string | null;
  /** The API key that asked. */
  requested_by: string;
  created_at: string;
  /** approve, reject; null while pending or expired. For overridden: the decision recorded after expiry. */
  decision: string | null;
  /** The deciding user's id. */
  decided_by: string | null;
  /** The deciding user's email when they decided (null for the organization account). */
  decided_by_email: string | null;
  decided_at: string | null;
  /** decided_at - created_at of an in-time decision (approved or rejected); null otherwise. */
  decision_seconds: number | null;
  comments: string | null;
  decision_reason: string | null;
}

/** A policy hit the governed runtime reported; (org_id, violation_id) makes a retried report harmless. */
export interface PolicyViolationsTable {
  org_id: string;
  violation_id: string;
  policy_id: string | null;
  policy_name: string;
  /** static, dynamic */
  policy_type: string;
  /** low, medium, high, critical */
  severity: string;
  /** block, redact, warn, log, require_approval, route */
  action: string;
  occurred_at: string;
  node_id: string | null;
  request_id: string | null;
  /** JSON object. */
  details: string;
  received_at: string;
}

export interface ComplianceTables {
  org_modules: OrgModulesTable;
  compliance_exports: ComplianceExportsTable;
  conformity_assessments: ConformityAssessmentsTable;
  hitl_requests: HitlRequestsTable;
  policy_violations: PolicyViolationsTable;
}
