/** Static (pattern) and dynamic (condition) policies: the vocabulary every layer shares. */

export const STATIC_TIERS = ['system', 'organization', 'tenant'] as const;
export type StaticTier = (typeof STATIC_TIERS)[number];
export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];
/** Strictest first: a text matched by several policies gets the strictest of their actions. */
export const STATIC_ACTIONS = ['block', 'redact', 'warn', 'log'] as const;
export type StaticAction = (typeof STATIC_ACTIONS)[number];

export interface StaticPolicy {
  id: string;
  /** null for system-tier policies: they ship with the service, the same for everyone. */
  orgId: string | null;
  tier: StaticTier;
  tenantId: string | null;
  name: string;
  category: string;
  description: string | null;
  /** RE2 syntax (no backreferences or lookaround): matching takes time linear in the text. */
  pattern: string;
  severity: Severity;
  action: StaticAction;
  priority: number;
  enabled: boolean;
  tags: string[];
  version: number;
  createdAt: string;
  updatedAt: string;
  deletedAt: string | null;
}

export interface PolicyOverride {
  id: string;
  orgId: string;
  policyId: string;
  action: StaticAction | null;
  enabled: boolean | null;
  reason: string;
  expiresAt: string;
  createdBy: string | null;
  createdAt: string;
}

/** A policy as it applies to an organization now: its override (if one is active) folded in. */
export interface EffectiveStaticPolicy {
  policy: StaticPolicy;
  action: StaticAction;
  enabled: boolean;
  override: PolicyOverride | null;
}

export const POLICY_CHANGES = ['created', 'updated', 'toggled', 'deleted', 'override_set', 'override_removed'] as const;
export type PolicyChange = (typeof POLICY_CHANGES)[number];

export interface PolicyVersion {
  policyId: string;
  version: number;
  changeType: PolicyChange;
  changedBy: string;
  snapshot: Record<string, unknown>;
  createdAt: string;
}

const SHIPPED = '2026-01-01T00:00:00.000Z';
function system(id: string, name: string, category: string, pattern: string, severity: Severity, action: StaticAction, description: string): StaticPolicy {
  return {
    id, orgId: null, tier: 'system', tenantId: null, name, category, description, pattern, severity, action,
    priority: 1000, enabled: true, tags: ['system'], version: 1, createdAt: SHIPPED, updatedAt: SHIPPED, deletedAt: null,
  };
}

/** The system tier: read-only for every organization, which may override one for a while (with a reason). */
export const SYSTEM_POLICIES: readonly StaticPolicy[] = [
  system('sys_secret_private_key', 'Private key block', 'secrets', '-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----', 'critical', 'block', 'PEM private keys must never reach a model.'),
  system('sys_secret_aws_access_key', 'AWS access key id', 'secrets', '\\b(?:AKIA|ASIA)[0-9A-Z]{16}\\b', 'critical', 'block', 'AWS access key ids.'),
  system('sys_pii_credit_card', 'Payment card number', 'pii', '\\b\\d{4}[ -]?\\d{4}[ -]?\\d{4}[ -]?\\d{1,4}\\b', 'high', 'redact', 'Card numbers (PCI DSS).'),
  system('sys_pii_us_ssn', 'US social security number', 'pii', '\\b\\d{3}-\\d{2}-\\d{4}\\b', 'high', 'redact', 'US SSNs.'),
  system('sys_pii_email', 'Email address', 'pii', '[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}', 'medium', 'redact', 'Email addresses.'),
  system('sys_injection_ignore_instructions', 'Prompt injection: ignore instructions', 'injection', '(?i)ignore (?:all |any )?(?:the )?(?:previous|prior|above) instructions', 'high', 'warn', 'The classic instruction-override phrasing.'),
  system('sys_injection_sql_union', 'SQL injection: UNION SELECT', 'injection', '(?i)\\bunion\\s+(?:all\\s)?\\s*select\\b', 'medium', 'log', 'UNION-based SQL injection in prompts or tool input.'),
];
