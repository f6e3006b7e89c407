import type { Installation } from '../domain/connectors.js';
import type { HealthStatus } from '../domain/providers.js';
import type { Executor } from './database.js';
import type { ConnectorsTable } from './tables/runtime.js';

export interface StoredInstallation extends Installation {
  sealedCredentials: string | null;
}

function toInstallation(r: ConnectorsTable): StoredInstallation {
  return {
    orgId: r.org_id,
    connectorId: r.connector_id,
    connectorName: r.connector_name,
    displayName: r.display_name,
    connectionUrl: r.connection_url ?? '',
    options: JSON.parse(r.options) as Record<string, unknown>,
    hasCredentials: r.credentials !== null,
    sealedCredentials: r.credentials,
    timeoutMs: r.timeout_ms,
    maxRetries: r.max_retries,
    enabled: r.enabled === 1,
    health: { status: r.health_status as HealthStatus, message: r.health_message, latencyMs: r.health_latency_ms, lastChecked: r.health_checked_at },
    installedAt: r.installed_at,
    updatedAt: r.updated_at,
  };
}

function toRow(i: StoredInstallation): ConnectorsTable {
  return {
    org_id: i.orgId,
    connector_id: i.connectorId,
    connector_name: i.connectorName,
    display_name: i.displayName,
    connection_url: i.connectionUrl,
    options: JSON.stringify(i.options),
    credentials: i.sealedCredentials,
    timeout_ms: i.timeoutMs,
    max_retries: i.maxRetries,
    enabled: i.enabled ? 1 : 0,
    health_status: i.health.status,
    health_message: i.health.message,
    health_latency_ms: i.health.latencyMs,
    health_checked_at: i.health.lastChecked,
    installed_at: i.installedAt,
    updated_at: i.updatedAt,
  };
}

export async function listInstallations(db: Executor, orgId: string): Promise<StoredInstallation[]> {
  return (await db.selectFrom('connectors').selectAll().where('org_id', '=', orgId).execute()).map(toInstallation);
}

export async function findInstallation(db: Executor, orgId: string, connectorId: string): Promise<StoredInstallation | null> {
  const r = await db.selectFrom('connectors').selectAll().where('org_id', '=', orgId).where('connector_id', '=', connectorId).executeTakeFirst();
  return r ? toInstallation(r) : null;
}

/** Installs, or replaces the configuration of what is installed. */
export async function upsertInstallation(db: Executor, i: StoredInstallation): Promise<void> {
  const row = toRow(i);
  const { org_id: _o, connector_id: _c, installed_at: _i, ...rest } = row;
  await db.insertInto('connectors').values(row).onConflict((oc) => oc.columns(['org_id', 'connector_id']).doUpdateSet(rest)).execute();
}

export async function deleteInstallation(db: Executor, orgId: string, connectorId: string): Promise<boolean> {
  const r = await db.deleteFrom('connectors').where('org_id', '=', orgId).where('connector_id', '=', connectorId).executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}

export async function saveInstallationHealth(db: Executor, i: Pick<Installation, 'orgId' | 'connectorId' | 'health' | 'updatedAt'>): Promise<void> {
  await db
    .updateTable('connectors')
    .set({ health_status: i.health.status, health_message: i.health.message, health_latency_ms: i.health.latencyMs, health_checked_at: i.health.lastChecked })
    .where('org_id', '=', i.orgId)
    .where('connector_id', '=', i.connectorId)
    .where('updated_at', '=', i.updatedAt)
    .execute();
}

export async function listSealedCredentials(db: Executor): Promise<{ id: string; sealed: string }[]> {
  const rows = await db.selectFrom('connectors').select(['org_id', 'connector_id', 'credentials']).where('credentials', 'is not', null).execute();
  return rows.map((r) => ({ id: JSON.stringify([r.org_id, r.connector_id]), sealed: r.credentials! }));
}

export async function resealCredentials(db: Executor, id: string, from: string, to: string): Promise<boolean> {
  const [orgId, connectorId] = JSON.parse(id) as [string, string];
  const r = await db.updateTable('connectors').set({ credentials: to }).where('org_id', '=', orgId).where('connector_id', '=', connectorId).where('credentials', '=', from).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}
