import type { Health, HealthStatus, LlmProvider, ProviderType } from '../domain/providers.js';
import type { Executor } from './database.js';
import type { LlmProvidersTable } from './tables/runtime.js';

/** A provider as stored, with its sealed key (the service opens it to call the provider; no face sees it). */
export interface StoredProvider extends LlmProvider {
  sealedApiKey: string | null;
}

function toProvider(r: LlmProvidersTable): StoredProvider {
  return {
    id: r.id,
    orgId: r.org_id,
    name: r.name,
    type: r.type as ProviderType,
    endpoint: r.endpoint,
    model: r.model,
    region: r.region,
    enabled: r.enabled === 1,
    priority: r.priority,
    weight: r.weight,
    rateLimit: r.rate_limit,
    timeoutSeconds: r.timeout_seconds,
    hasApiKey: r.api_key !== null,
    sealedApiKey: r.api_key,
    settings: JSON.parse(r.settings) as Record<string, unknown>,
    health: { status: r.health_status as HealthStatus, message: r.health_message, latencyMs: r.health_latency_ms, lastChecked: r.health_checked_at },
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function toRow(p: StoredProvider): LlmProvidersTable {
  return {
    id: p.id,
    org_id: p.orgId,
    name: p.name,
    type: p.type,
    endpoint: p.endpoint,
    model: p.model,
    region: p.region,
    enabled: p.enabled ? 1 : 0,
    priority: p.priority,
    weight: p.weight,
    rate_limit: p.rateLimit,
    timeout_seconds: p.timeoutSeconds,
    api_key: p.sealedApiKey,
    settings: JSON.stringify(p.settings),
    health_status: p.health.status,
    health_message: p.health.message,
    health_latency_ms: p.health.latencyMs,
    health_checked_at: p.health.lastChecked,
    created_at: p.createdAt,
    updated_at: p.updatedAt,
  };
}

export interface ProviderFilter {
  type?: ProviderType;
  enabled?: boolean;
}

function filtered(db: Executor, orgId: string, f: ProviderFilter) {
  let q = db.selectFrom('llm_providers').where('org_id', '=', orgId);
  if (f.type) q = q.where('type', '=', f.type);
  if (f.enabled !== undefined) q = q.where('enabled', '=', f.enabled ? 1 : 0);
  return q;
}

/** Routing order: priority (higher first), then name. */
export async function listProviders(db: Executor, orgId: string, f: ProviderFilter, page?: { offset: number; limit: number }): Promise<StoredProvider[]> {
  let q = filtered(db, orgId, f).selectAll().orderBy('priority', 'desc').orderBy('name');
  if (page) q = q.offset(page.offset).limit(page.limit);
  return (await q.execute()).map(toProvider);
}

export async function countProviders(db: Executor, orgId: string, f: ProviderFilter): Promise<number> {
  const r = await filtered(db, orgId, f).select((eb) => eb.fn.countAll().as('n')).executeTakeFirst();
  return Number(r?.n ?? 0);
}

export async function findProvider(db: Executor, orgId: string, name: string): Promise<StoredProvider | null> {
  const r = await db.selectFrom('llm_providers').selectAll().where('org_id', '=', orgId).where('name', '=', name).executeTakeFirst();
  return r ? toProvider(r) : null;
}

/** False when the name is taken. */
export async function insertProvider(db: Executor, p: StoredProvider): Promise<boolean> {
  const r = await db.insertInto('llm_providers').values(toRow(p)).onConflict((oc) => oc.columns(['org_id', 'name']).doNothing()).executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
}

export async function saveProvider(db: Executor, p: StoredProvider): Promise<boolean> {
  const { id, org_id, created_at: _c, ...rest } = toRow(p);
  const r = await db.updateTable('llm_providers').set(rest).where('org_id', '=', org_id).where('id', '=', id).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function saveProviderHealth(db: Executor, orgId: string, id: string, updatedAt: string, h: Health): Promise<void> {
  await db
    .updateTable('llm_providers')
    .set({ health_status: h.status, health_message: h.message, health_latency_ms: h.latencyMs, health_checked_at: h.lastChecked })
    .where('org_id', '=', orgId)
    .where('id', '=', id)
    .where('updated_at', '=', updatedAt)
    .execute();
}

export async function setProviderWeights(db: Executor, orgId: string, weights: Map<string, number>, now: string): Promise<void> {
  // One statement per provider named, and one that zeroes the rest: an organization has a handful.
  await db.updateTable('llm_providers').set({ weight: 0, updated_at: now }).where('org_id', '=', orgId).where('name', 'not in', [...weights.keys()]).execute();
  for (const [name, weight] of weights) {
    await db.updateTable('llm_providers').set({ weight, updated_at: now }).where('org_id', '=', orgId).where('name', '=', name).execute();
  }
}

export async function deleteProvider(db: Executor, orgId: string, name: string): Promise<boolean> {
  const r = await db.deleteFrom('llm_providers').where('org_id', '=', orgId).where('name', '=', name).executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}

export async function listSealedProviderKeys(db: Executor): Promise<{ id: string; sealed: string }[]> {
  const rows = await db.selectFrom('llm_providers').select(['id', 'api_key']).where('api_key', 'is not', null).execute();
  return rows.map((r) => ({ id: r.id, sealed: r.api_key! }));
}

export async function resealProviderKey(db: Executor, id: string, from: string, to: string): Promise<boolean> {
  const r = await db.updateTable('llm_providers').set({ api_key: to }).where('id', '=', id).where('api_key', '=', from).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}
