import type { SecretBox } from '../../crypto/secret-box.js';
import { deleteInstallation, findInstallation, listInstallations, saveInstallationHealth, type StoredInstallation, upsertInstallation } from '../../db/connectors.js';
import { inTransaction } from '../../db/database.js';
import { lockOrganization } from '../../db/organizations.js';
import { CONNECTOR_CATALOGUE, type CatalogueEntry, type Installation } from '../../domain/connectors.js';
import { Conflict, InvalidInput, NotFound } from '../../domain/errors.js';
import { type Health, UNCHECKED } from '../../domain/providers.js';
import { OutboundRefused, type OutboundClient } from '../../outbound/client.js';
import { type Actor, tenantOf } from '../actor.js';
import { unreachableAddress } from '../admin-urls.js';
import type { ServiceDeps } from '../deps.js';
import * as v from '../validate.js';
import { checkAgainstSchema } from './schemas.js';

export const CREDENTIALS_CONTEXT = 'connectors.credentials';

export interface InstallInput {
  connectorName?: string | null;
  displayName?: string | null;
  connectionUrl?: string | null;
  options?: Record<string, unknown> | null;
  /** Write-only. Omitted on a reinstall: kept. */
  credentials?: Record<string, unknown> | null;
  timeoutMs?: number | null;
  maxRetries?: number | null;
  enabled?: boolean | null;
}

export interface CatalogueItem {
  entry: CatalogueEntry;
  installation: Installation | null;
}

const BY_ID = new Map(CONNECTOR_CATALOGUE.map((e) => [e.id, e]));

function visible(i: StoredInstallation): Installation {
  const { sealedCredentials: _sealed, ...installation } = i;
  return installation;
}

/** The data connectors an organization's runtime may use: the shipped catalogue, what is installed, and whether it answers. */
export class ConnectorService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly box: SecretBox,
    private readonly outbound: OutboundClient,
  ) {}

  async catalogue(actor: Actor): Promise<CatalogueItem[]> {
    const installed = new Map((await listInstallations(this.deps.db, tenantOf(actor))).map((i) => [i.connectorId, visible(i)]));
    return CONNECTOR_CATALOGUE.map((entry) => ({ entry, installation: installed.get(entry.id) ?? null }));
  }

  async get(actor: Actor, id: string): Promise<CatalogueItem> {
    const entry = this.entry(id);
    const i = await findInstallation(this.deps.db, tenantOf(actor), entry.id);
    return { entry, installation: i ? visible(i) : null };
  }

  /** Installs, or reconfigures what is installed (credentials omitted: kept, as long as the host stays). */
  async install(actor: Actor, id: string, input: InstallInput): Promise<{ item: CatalogueItem; created: boolean }> {
    const orgId = tenantOf(actor);
    const entry = this.entry(id);
    return inTransaction(this.deps.db, async (trx) => {
      // Read under the organization's lock: a concurrent uninstall or install is not written over.
      await lockOrganization(trx, orgId);
      const current = await findInstallation(trx, orgId, entry.id);
      const installation = this.configured(entry, orgId, current, input);
      const others = (await listInstallations(trx, orgId)).filter((i) => i.connectorId !== entry.id);
      if (others.some((i) => i.connectorName === installation.connectorName)) {
        throw new Conflict(`another connector of this organization is named "${installation.connectorName}"; choose another connector_name`);
      }
      await upsertInstallation(trx, installation);
      const given = input.credentials != null;
      await this.deps.audit.append(trx, actor, {
        action: current ? 'connector.reconfigured' : 'connector.installed',
        orgId,
        targetType: 'connector',
        targetId: entry.id,
        details: {
          connector_type: entry.type,
          connection_url: redactedUrl(installation.connectionUrl),
          enabled: installation.enabled,
          credentials: installation.sealedCredentials === null ? 'none' : !given ? 'kept' : current?.sealedCredentials ? 'replaced' : 'set',
        },
      });
      return { item: { entry, installation: visible(installation) }, created: !current };
    });
  }

  private configured(entry: CatalogueEntry, orgId: string, current: StoredInstallation | null, input: InstallInput): StoredInstallation {
    const now = this.deps.clock.now().toISOString();
    const connectionUrl = this.connectionUrl(entry, input.connectionUrl ?? current?.connectionUrl ?? null);
    const options = checkAgainstSchema(entry, 'options', input.options ?? current?.options ?? {});
    let sealedCredentials = current?.sealedCredentials ?? null;
    if (input.credentials != null) {
      const credentials = checkAgainstSchema(entry, 'credentials', input.credentials);
      // {} is no credentials (a custom connector that needs none), not an empty secret.
      sealedCredentials = Object.keys(credentials).length > 0 ? this.box.seal(JSON.stringify(credentials), CREDENTIALS_CONTEXT) : null;
    } else if (!sealedCredentials) {
      // A type whose schema requires fields cannot run without them.
      checkAgainstSchema(entry, 'credentials', {});
    } else if (current && destination(entry, connectionUrl) !== destination(entry, current.connectionUrl)) {
      // Otherwise whoever may reconfigure could point the connector at their own host, credentials and all.
      throw new InvalidInput('must be given again when connection_url names another destination (scheme, host, port or parameters): stored credentials only go where they were given for', 'credentials');
    }
    return {
      orgId,
      connectorId: entry.id,
      connectorName: v.slug('connectorName', input.connectorName ?? current?.connectorName ?? entry.id),
      displayName: v.text('displayName', input.displayName ?? current?.displayName ?? entry.displayName, { max: 100 }),
      connectionUrl,
      options,
      hasCredentials: sealedCredentials !== null,
      sealedCredentials,
      timeoutMs: v.integer('timeoutMs', input.timeoutMs ?? current?.timeoutMs ?? 5000, 100, 60_000),
      maxRetries: v.integer('maxRetries', input.maxRetries ?? current?.maxRetries ?? 3, 0, 10),
      enabled: input.enabled ?? current?.enabled ?? true,
      // A new configuration has not been checked yet.
      health: UNCHECKED,
      installedAt: current?.installedAt ?? now,
      updatedAt: now,
    };
  }

  async uninstall(actor: Actor, id: string): Promise<void> {
    const orgId = tenantOf(actor);
    const entry = this.entry(id);
    await inTransaction(this.deps.db, async (trx) => {
      if (!(await deleteInstallation(trx, orgId, entry.id))) throw new NotFound(`connector ${entry.id} is not installed in this organization`);
      await this.deps.audit.append(trx, actor, { action: 'connector.uninstalled', orgId, targetType: 'connector', targetId: entry.id });
    });
  }

  /**
   * A real reachability check within the connector's timeout: a TCP connect for databases, an HTTPS request
   * (any HTTP answer counts as reachable) for APIs. Kept as the installation's health when `keep` (a write).
   */
  async checkHealth(actor: Actor, id: string, keep: boolean): Promise<Health> {
    const orgId = tenantOf(actor);
    const entry = this.entry(id);
    const installed = await findInstallation(this.deps.db, orgId, entry.id);
    if (!installed) throw new NotFound(`connector ${entry.id} is not installed in this organization`);
    const url = new URL(installed.connectionUrl);
    let health: Health;
    const checkedAt = () => this.deps.clock.now().toISOString();
    try {
      if (url.protocol === 'https:' || url.protocol === 'http:') {
        const started = performance.now();
        const res = await this.outbound.fetch(url.href, { timeoutMs: installed.timeoutMs });
        health = { status: 'healthy', message: `reachable (HTTP ${res.status})`, latencyMs: Math.round(performance.now() - started), lastChecked: checkedAt() };
      } else {
        const port = Number(url.port) || entry.defaultPort!;
        const latencyMs = await this.outbound.reach(url.hostname, port, installed.timeoutMs);
        health = { status: 'healthy', message: `TCP connection to ${url.hostname}:${port} opened`, latencyMs, lastChecked: checkedAt() };
      }
    } catch (err) {
      if (!(err instanceof OutboundRefused)) throw err;
      health = { status: 'unhealthy', message: err.message, latencyMs: null, lastChecked: checkedAt() };
    }
    if (!keep) return health;
    // Only onto the configuration it checked: a reinstall meanwhile starts again from unknown.
    await saveInstallationHealth(this.deps.db, { orgId, connectorId: entry.id, health, updatedAt: installed.updatedAt });
    return health;
  }

  private entry(id: string): CatalogueEntry {
    const entry = BY_ID.get(id);
    if (!entry) throw new NotFound(`no connector ${id.slice(0, 64)} in the catalogue (GET /api/v1/connectors lists them)`);
    return entry;
  }

  private connectionUrl(entry: CatalogueEntry, value: string | null): string {
    const raw = value ?? entry.defaultUrl;
    const schemes = entry.schemes.map((s) => `${s}://`).join(' or ');
    if (!raw) throw new InvalidInput(`is required for ${entry.displayName} connectors (${schemes}...)`, 'connectionUrl');
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new InvalidInput(`must be an absolute URL (${schemes}...)`, 'connectionUrl');
    }
    const scheme = url.protocol.replace(/:$/, '');
    if (!entry.schemes.includes(scheme) && !(scheme === 'http' && entry.schemes.includes('https') && this.outbound.allows(url))) {
      throw new InvalidInput(`must start with ${schemes}`, 'connectionUrl');
    }
    if (url.username || url.password) throw new InvalidInput('must not carry credentials: give them as credentials (write-only, sealed)', 'connectionUrl');
    if (url.hash) throw new InvalidInput('must not have a fragment (#...)', 'connectionUrl');
    if (!url.hostname) throw new InvalidInput('must name a host', 'connectionUrl');
    if (scheme === 'tcp' && !url.port) throw new InvalidInput('must name a port (tcp://host:port)', 'connectionUrl');
    if (raw.length > 2048) throw new InvalidInput('must be at most 2048 characters', 'connectionUrl');
    for (const key of url.searchParams.keys()) {
      if (/pass|pwd|secret|token|key/i.test(key)) throw new InvalidInput(`must not carry "${key}": secrets belong in credentials (write-only, sealed)`, 'connectionUrl');
      // Drivers would connect there instead, past the address check below.
      if (/^(host|hostaddr)$/i.test(key)) throw new InvalidInput(`must not carry "${key}": name the host in the URL itself`, 'connectionUrl');
    }
    // Judged as the outbound client will judge it: host and port, whatever the scheme.
    const web = scheme === 'https' || scheme === 'http';
    const port = url.port || (web ? '' : String(entry.defaultPort ?? ''));
    const target = new URL(`${scheme === 'http' ? 'http' : 'https'}://${url.hostname}${port ? `:${port}` : ''}/`);
    const unreachable = unreachableAddress(target, (u) => this.outbound.allows(u));
    if (unreachable) throw new InvalidInput(unreachable, 'connectionUrl');
    return raw;
  }
}

/**
 * Where credentials would be sent: scheme, host (case and a trailing dot folded), port (the default filled in)
 * and the query, where drivers take another host (libpq's host=, hostaddr=) or switch TLS off (sslmode=).
 */
function destination(entry: CatalogueEntry, raw: string): string {
  const url = new URL(raw);
  const scheme = url.protocol.replace(/:$/, '');
  const port = url.port || (scheme === 'https' ? '443' : scheme === 'http' ? '80' : String(entry.defaultPort ?? ''));
  return JSON.stringify([scheme, url.hostname.toLowerCase().replace(/\.$/, ''), port, url.search]);
}

/** The URL without query (where drivers take passwords, sslkey paths): what the audit trail may keep. */
function redactedUrl(raw: string): string {
  const url = new URL(raw);
  url.search = '';
  url.hash = '';
  return url.href;
}
