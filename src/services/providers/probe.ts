import { performance } from 'node:perf_hooks';
import type { Health, LlmProvider } from '../../domain/providers.js';
import { DEFAULT_ENDPOINTS } from '../../domain/providers.js';
import { OutboundRefused, type OutboundClient } from '../../outbound/client.js';

/** A test request never waits longer than this, whatever the provider's own timeout says. */
const MAX_PROBE_MS = 30_000;
const ANTHROPIC_VERSION = '2023-06-01';
const AZURE_API_VERSION = '2024-10-21';

export interface ProbeResult extends Health {
  httpStatus: number | null;
}

/** Where a provider is reached: its endpoint, or its type's. */
export function baseUrl(p: LlmProvider): string {
  if (p.endpoint) return p.endpoint;
  if (p.type === 'bedrock') return `https://bedrock.${p.region}.amazonaws.com`;
  return DEFAULT_ENDPOINTS[p.type]!;
}

/**
 * The smallest request that proves the endpoint answers and takes the key: each API's model list (no tokens
 * spent). Bedrock signs with SigV4, which needs AWS credentials this service does not hold: only reachability.
 */
function request(p: LlmProvider, key: string | null): { url: string; headers: Record<string, string> } {
  const base = baseUrl(p);
  const auth = (h: Record<string, string>) => (key ? h : {});
  switch (p.type) {
    case 'openai':
      return { url: `${base}/models`, headers: auth({ authorization: `Bearer ${key}` }) };
    case 'anthropic':
      return { url: `${base}/v1/models`, headers: { 'anthropic-version': ANTHROPIC_VERSION, ...auth({ 'x-api-key': key! }) } };
    case 'azure-openai': {
      const version = typeof p.settings.api_version === 'string' ? p.settings.api_version : AZURE_API_VERSION;
      return { url: `${base}/openai/models?api-version=${encodeURIComponent(version)}`, headers: auth({ 'api-key': key! }) };
    }
    case 'gemini':
      return { url: `${base}/v1beta/models`, headers: auth({ 'x-goog-api-key': key! }) };
    case 'ollama':
      return { url: `${base}/api/tags`, headers: {} };
    case 'bedrock':
      return { url: `${base}/`, headers: {} };
    case 'custom': {
      const path = typeof p.settings.health_path === 'string' && p.settings.health_path.startsWith('/') ? p.settings.health_path : '';
      return { url: `${base}${path}`, headers: auth({ authorization: `Bearer ${key}` }) };
    }
  }
}

function judged(p: LlmProvider, status: number): Pick<Health, 'status' | 'message'> {
  if (p.type === 'bedrock') {
    if (status >= 500) return { status: 'unhealthy', message: `the provider answered ${status}` };
    return { status: 'healthy', message: `reachable (HTTP ${status}); credentials are not checked here: Bedrock signs requests with AWS SigV4` };
  }
  if (status >= 200 && status < 300) return { status: 'healthy', message: `answered ${status}` };
  if (status === 401 || status === 403) return { status: 'unhealthy', message: `the provider refused the credentials (${status})${p.hasApiKey ? '' : ': no api_key is set'}` };
  if (status === 429) return { status: 'degraded', message: 'the provider answered 429: rate limited' };
  if (status === 404) return { status: 'unhealthy', message: 'the provider answered 404: check the endpoint' };
  if (status >= 500) return { status: 'unhealthy', message: `the provider answered ${status}` };
  return { status: 'unhealthy', message: `unexpected answer ${status}` };
}

/** One real request through the guarded outbound client: no redirects, private addresses refused, bounded time. */
export async function probe(outbound: OutboundClient, p: LlmProvider, key: string | null, now: () => string): Promise<ProbeResult> {
  const { url, headers } = request(p, key);
  const started = performance.now();
  try {
    const res = await outbound.fetch(url, { headers: { accept: 'application/json', ...headers }, timeoutMs: Math.min(p.timeoutSeconds * 1000, MAX_PROBE_MS) });
    const latencyMs = Math.round(performance.now() - started);
    return { ...judged(p, res.status), latencyMs, lastChecked: now(), httpStatus: res.status };
  } catch (err) {
    if (!(err instanceof OutboundRefused)) throw err;
    return { status: 'unhealthy', message: err.message, latencyMs: null, lastChecked: now(), httpStatus: null };
  }
}
