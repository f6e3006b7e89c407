import { InvalidInput } from '../../domain/errors.js';
import { slug } from '../validate.js';
import { unreachableAddress } from '../admin-urls.js';
import { DEFAULT_ENDPOINTS, PROVIDER_TYPES, type ProviderType } from '../../domain/providers.js';

export interface ProviderInput {
  name?: string | null;
  type?: string | null;
  endpoint?: string | null;
  model?: string | null;
  region?: string | null;
  enabled?: boolean | null;
  priority?: number | null;
  weight?: number | null;
  rateLimit?: number | null;
  timeoutSeconds?: number | null;
  /** Write-only. Omitted on update: kept; null: removed. */
  apiKey?: string | null;
  settings?: Record<string, unknown> | null;
}

export const MAX_WEIGHT = 1000;
const MAX_SETTINGS_BYTES = 16 * 1024;

export function providerName(value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new InvalidInput('is required', 'name');
  slug('name', value);
  // These are paths of their own under /api/v1/llm-providers.
  if (value === 'routing' || value === 'status') throw new InvalidInput(`"${value}" is reserved`, 'name');
  return value;
}

export function providerType(value: unknown): ProviderType {
  if (typeof value !== 'string' || value === '') throw new InvalidInput(`is required: one of ${PROVIDER_TYPES.join(', ')}`, 'type');
  if (!(PROVIDER_TYPES as readonly string[]).includes(value)) throw new InvalidInput(`must be one of ${PROVIDER_TYPES.join(', ')}`, 'type');
  return value as ProviderType;
}

/**
 * An endpoint an admin typed: https (http only for a host in OUTBOUND_ALLOW_HOSTS, such as a local Ollama),
 * no credentials in it (they belong in api_key), no query or fragment to smuggle parameters.
 */
export function endpoint(value: string | null, type: ProviderType, allows: (url: URL) => boolean): string | null {
  if (value === null || value === '') {
    if (DEFAULT_ENDPOINTS[type] === null && type !== 'bedrock') throw new InvalidInput(`is required for type ${type}`, 'endpoint');
    return null;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidInput('must be an absolute URL (https://...)', 'endpoint');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && allows(url))) {
    throw new InvalidInput('must be https (plain http only for a host listed in OUTBOUND_ALLOW_HOSTS)', 'endpoint');
  }
  if (url.username || url.password) throw new InvalidInput('must not carry credentials: give the key as api_key', 'endpoint');
  if (url.search || url.hash) throw new InvalidInput('must not have a query or fragment', 'endpoint');
  const unreachable = unreachableAddress(url, allows);
  if (unreachable) throw new InvalidInput(unreachable, 'endpoint');
  if (value.length > 2048) throw new InvalidInput('must be at most 2048 characters', 'endpoint');
  return url.href.replace(/\/+$/, '');
}

export function region(value: string | null, type: ProviderType): string | null {
  if (value === null || value === '') {
    if (type === 'bedrock') throw new InvalidInput('is required for type bedrock (an AWS region such as us-east-1)', 'region');
    return null;
  }
  if (!/^[a-z]{2}(-[a-z]+)+-\d{1,2}$|^[a-z]+[a-z0-9-]{1,40}$/.test(value)) throw new InvalidInput('must be a region name such as us-east-1 or westeurope', 'region');
  return value;
}

export function model(value: string | null): string | null {
  if (value === null || value === '') return null;
  if (value.length > 200 || /[\u0000-\u001f\u007f]/.test(value)) throw new InvalidInput('must be at most 200 printable characters', 'model');
  return value;
}

export function apiKey(value: string): string {
  if (value === '') throw new InvalidInput('must not be empty (send null to remove the key)', 'apiKey');
  // It travels in an HTTP header: visible ASCII only.
  if (value.length > 4096 || !/^[\x21-\x7e]+$/.test(value)) throw new InvalidInput('must be at most 4096 visible ASCII characters (no spaces)', 'apiKey');
  return value;
}

export function settings(value: Record<string, unknown>): Record<string, unknown> {
  if (JSON.stringify(value).length > MAX_SETTINGS_BYTES) throw new InvalidInput(`must be at most ${MAX_SETTINGS_BYTES} bytes of JSON`, 'settings');
  return value;
}
