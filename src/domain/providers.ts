/** LLM providers the runtime routes to. */

export const PROVIDER_TYPES = ['openai', 'anthropic', 'azure-openai', 'bedrock', 'gemini', 'ollama', 'custom'] as const;
export type ProviderType = (typeof PROVIDER_TYPES)[number];

export const HEALTH_STATUSES = ['unknown', 'healthy', 'degraded', 'unhealthy'] as const;
export type HealthStatus = (typeof HEALTH_STATUSES)[number];

export interface Health {
  status: HealthStatus;
  message: string | null;
  latencyMs: number | null;
  lastChecked: string | null;
}

/** Health before any check, and after a change of what a check would reach. */
export const UNCHECKED: Health = Object.freeze({ status: 'unknown', message: null, latencyMs: null, lastChecked: null });

export interface LlmProvider {
  id: string;
  orgId: string;
  name: string;
  type: ProviderType;
  endpoint: string | null;
  model: string | null;
  region: string | null;
  enabled: boolean;
  priority: number;
  weight: number;
  rateLimit: number | null;
  timeoutSeconds: number;
  hasApiKey: boolean;
  settings: Record<string, unknown>;
  health: Health;
  createdAt: string;
  updatedAt: string;
}

/** Where each type is reached when no endpoint is given; null: the endpoint is required. */
export const DEFAULT_ENDPOINTS: Record<ProviderType, string | null> = {
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com',
  'azure-openai': null,
  bedrock: null, // from the region
  gemini: 'https://generativelanguage.googleapis.com',
  ollama: null,
  custom: null,
};
