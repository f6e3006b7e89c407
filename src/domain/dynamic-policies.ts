/** Dynamic policies: conditions over a request's context, and what to do when they all hold. */

export const DYNAMIC_TYPES = ['content', 'user', 'risk', 'cost'] as const;
export type DynamicType = (typeof DYNAMIC_TYPES)[number];
export const OPERATORS = ['equals', 'not_equals', 'contains', 'not_contains', 'greater_than', 'less_than', 'in', 'not_in', 'regex'] as const;
export type Operator = (typeof OPERATORS)[number];
export const ACTION_TYPES = ['block', 'redact', 'warn', 'log', 'require_approval', 'route'] as const;
export type ActionType = (typeof ACTION_TYPES)[number];
export const SORT_FIELDS = ['name', 'priority', 'created_at', 'updated_at'] as const;
export type SortField = (typeof SORT_FIELDS)[number];

export type ValueKind = 'string' | 'number' | 'boolean' | 'string_list';

export interface ContextField {
  field: string;
  kind: ValueKind;
  description: string;
}

export interface Condition {
  field: string;
  operator: Operator;
  value: unknown;
}

export interface PolicyAction {
  type: ActionType;
  config: Record<string, unknown>;
}

export interface DynamicPolicy {
  id: string;
  orgId: string;
  name: string;
  type: DynamicType;
  category: string;
  description: string | null;
  conditions: Condition[];
  actions: PolicyAction[];
  priority: number;
  enabled: boolean;
  tags: string[];
  version: number;
  createdAt: string;
  updatedAt: string;
  deletedAt: string | null;
}

/** Which operators each kind of value takes. */
export const OPERATORS_BY_KIND: Record<ValueKind, readonly Operator[]> = {
  string: ['equals', 'not_equals', 'contains', 'not_contains', 'in', 'not_in', 'regex'],
  number: ['equals', 'not_equals', 'greater_than', 'less_than', 'in', 'not_in'],
  boolean: ['equals', 'not_equals'],
  string_list: ['contains', 'not_contains', 'in', 'not_in'],
};

const f = (field: string, kind: ValueKind, description: string): ContextField => ({ field, kind, description });
const USER = [
  f('user.id', 'string', 'The end user the request is made for.'),
  f('user.email', 'string', "The end user's email."),
  f('user.role', 'string', "The end user's role in the calling application."),
  f('user.department', 'string', 'Department or cost centre.'),
  f('user.country', 'string', 'ISO 3166-1 alpha-2 country code.'),
  f('user.groups', 'string_list', 'Groups the end user belongs to.'),
];

/** The published schema: the request-context fields a policy of each type may test. */
export const CONTEXT_FIELDS: Record<DynamicType, readonly ContextField[]> = {
  content: [
    f('content', 'string', 'The prompt or completion text.'),
    f('content_length', 'number', 'Its length in characters.'),
    f('direction', 'string', 'request or response.'),
    f('model', 'string', 'The model asked.'),
    f('provider', 'string', 'The LLM provider name.'),
    f('language', 'string', 'Detected language (ISO 639-1).'),
  ],
  user: USER,
  risk: [
    f('risk_score', 'number', 'Overall risk, 0 to 1.'),
    f('jailbreak_score', 'number', 'Likelihood of a jailbreak attempt, 0 to 1.'),
    f('pii_detected', 'boolean', 'Whether personal data was detected.'),
    f('data_classification', 'string', 'public, internal, confidential or restricted.'),
    f('user.role', 'string', "The end user's role."),
  ],
  cost: [
    f('estimated_cost_usd', 'number', 'Estimated cost of this request.'),
    f('tokens', 'number', 'Estimated total tokens.'),
    f('daily_spend_usd', 'number', "The organization's spend today."),
    f('monthly_spend_usd', 'number', "The organization's spend this month."),
    f('model', 'string', 'The model asked.'),
    f('provider', 'string', 'The LLM provider name.'),
  ],
};

/** JSON Schemas of each action's config (ajv-checked). */
export const ACTION_CONFIG_SCHEMAS: Record<ActionType, Record<string, unknown>> = {
  block: { type: 'object', additionalProperties: false, properties: { message: { type: 'string', maxLength: 500 } } },
  warn: { type: 'object', additionalProperties: false, properties: { message: { type: 'string', maxLength: 500 } } },
  log: { type: 'object', additionalProperties: false, properties: { level: { enum: ['info', 'warning', 'critical'], default: 'info' } } },
  redact: {
    type: 'object',
    additionalProperties: false,
    properties: {
      fields: { type: 'array', maxItems: 20, items: { type: 'string', minLength: 1, maxLength: 100 } },
      replacement: { type: 'string', maxLength: 50, default: '[REDACTED]' },
    },
  },
  require_approval: {
    type: 'object',
    additionalProperties: false,
    properties: {
      approvers: { type: 'array', maxItems: 20, items: { type: 'string', minLength: 1, maxLength: 254 } },
      timeout_minutes: { type: 'integer', minimum: 1, maximum: 10080, default: 60 },
    },
  },
  route: {
    type: 'object',
    additionalProperties: false,
    required: ['provider'],
    properties: { provider: { type: 'string', minLength: 1, maxLength: 63 } },
  },
};
