import type { ApiResult, Harness } from '../helpers/harness.js';

export const FIVE_MINUTES = 5 * 60 * 1000;

export function heartbeat(h: Harness, key: string, body: Record<string, unknown>): Promise<ApiResult> {
  return h.call('POST', '/api/v1/nodes/heartbeat', { body, headers: { authorization: `Bearer ${key}` } });
}

export function node(nodeId: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { node_id: nodeId, hostname: `${nodeId}.internal`, role: 'agent', version: '1.0.0', ...extra };
}

/** Heartbeats that must be accepted; throws with the body otherwise. */
export async function beat(h: Harness, key: string, nodeId: string, extra: Record<string, unknown> = {}): Promise<ApiResult> {
  const r = await heartbeat(h, key, node(nodeId, extra));
  if (r.status !== 200) throw new Error(`heartbeat ${nodeId}: ${r.status} ${JSON.stringify(r.body)}`);
  return r;
}

export async function listNodes(h: Harness, cookie: string): Promise<ApiResult> {
  const r = await h.call('GET', '/api/v1/nodes', { cookie });
  if (r.status !== 200) throw new Error(`GET /api/v1/nodes: ${r.status} ${JSON.stringify(r.body)}`);
  return r;
}

export async function bandEvents(h: Harness, orgId: string): Promise<any[]> {
  const r = await h.admin('GET', `/api/v1/admin/audit?org_id=${orgId}&action=nodes.band_changed`);
  if (r.status !== 200) throw new Error(`audit: ${r.status} ${JSON.stringify(r.body)}`);
  // Newest first from the API; oldest first reads better in assertions.
  return [...r.body.events].reverse();
}
