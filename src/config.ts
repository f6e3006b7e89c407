import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DatabaseConfig } from './db/database.js';
import { parseAllowHosts } from './outbound/allow-hosts.js';
import { generateSigningKeyPem, loadSigningKey } from './licenses/license-format.js';

export const DEPLOYMENT_MODES = ['saas', 'enterprise', 'in-vpc'] as const;
export const ENVIRONMENTS = ['development', 'staging', 'production'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type DeploymentMode = (typeof DEPLOYMENT_MODES)[number];
export type Environment = (typeof ENVIRONMENTS)[number];

export interface Config {
  port: number;
  host: string;
  database: DatabaseConfig;
  dataDir: string;
  /** null only where the deployment mode lets a missing key through (see adminKeyPolicy). */
  adminApiKey: string | null;
  deploymentMode: DeploymentMode;
  environment: Environment;
  publicUrl: string | null;
  /** Host names the service answers for besides PUBLIC_URL's (and loopback names in development). */
  allowedHosts: string[];
  /** Exact origins a browser may call the API from with credentials (CORS); empty: CORS is closed. */
  corsOrigins: string[];
  trustProxyHops: number;
  sessionIdleSeconds: number;
  sessionAbsoluteSeconds: number;
  /** Requests a second one SCIM token may make (averaged over 10 s); Entra ID needs 25. */
  scimRequestsPerSecond: number;
  logLevel: (typeof LOG_LEVELS)[number];
  /** After SIGTERM, how long /readyz answers 503 while traffic still flows, before the listener closes. */
  shutdownDrainSeconds: number;
  /** 32 bytes for AES-256-GCM of secrets kept at rest. */
  encryptionKey: Buffer;
  /** Keys that sealed secrets before the current one: they still open, and rotate-secrets re-seals under the current. */
  encryptionKeysPrevious: Buffer[];
  /** Exact host:port entries server-side fetches may reach over http or on private addresses (development, tests). */
  outboundAllowHosts: string[];
  /** PKCS#8 PEM of the Ed25519 key that signs licenses. */
  licenseSigningKeyPem: string;
  /** How long an upgrade may take before it ends FAILED or PARTIAL with the nodes it did not see upgraded. */
  upgradeDeadlineSeconds: number;
  /** Where export files are written (EXPORT_DIR; default DATA_DIR/exports). */
  exportDir: string;
  /** How long a completed export's file is kept before it is deleted and the export marked expired. */
  exportRetentionDays: number;
  /** Exports of one organization that run at once; more wait queued. */
  exportMaxRunningPerOrg: number;
  /**
   * How long a background job's claim lasts without a heartbeat (JOB_LEASE_SECONDS): a job whose worker died
   * is taken over by another instance (or the restarted one) this long after its last heartbeat.
   */
  jobLeaseSeconds: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export interface LoadedConfig {
  config: Config;
  /** Human notes for the start-up log: generated secrets and where they are kept. */
  notices: string[];
  /** Where development secrets were made for the first time in this start (a fresh data folder), else null. */
  firstStartSecrets: string | null;
}

type Env = Record<string, string | undefined>;

/**
 * Whether a request without X-Admin-API-Key may act as the operator when no key is configured. The
 * documented rule: saas keeps the admin API keyed except in staging; enterprise and in-vpc treat the network
 * as the boundary. A configured key is required in every mode; development always has one (made at first start).
 */
export function missingAdminKeyAllowed(mode: DeploymentMode, environment: Environment): boolean {
  if (mode !== 'saas') return true;
  return environment === 'staging';
}

export function loadConfig(env: Env = process.env): LoadedConfig {
  const problems: string[] = [];
  const notices: string[] = [];
  const pick = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    problems.push(`${name}=${JSON.stringify(raw)} is not one of ${allowed.join(', ')}`);
    return fallback;
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name}=${JSON.stringify(raw)} must be a whole number from ${min} to ${max}`);
      return fallback;
    }
    return n;
  };

  const environment = pick('ENVIRONMENT', ENVIRONMENTS, 'development');
  const deploymentMode = pick('DEPLOYMENT_MODE', DEPLOYMENT_MODES, 'saas');
  const production = environment === 'production';
  const dataDir = resolve(env.DATA_DIR || './data');
  const database = parseDatabaseUrl(env.DATABASE_URL, dataDir, problems);
  if (env.DATABASE_SCHEMA) {
    if (database.kind !== 'postgres') problems.push('DATABASE_SCHEMA is for PostgreSQL: set DATABASE_URL=postgres://... too');
    else if (!/^[a-z_][a-z0-9_]{0,62}$/.test(env.DATABASE_SCHEMA)) problems.push('DATABASE_SCHEMA must be a lower-case identifier (letters, digits, _)');
    else database.schema = env.DATABASE_SCHEMA;
  }
  if (env.SQLITE_LOCKING) {
    if (database.kind !== 'sqlite') problems.push('SQLITE_LOCKING is for the embedded SQLite database');
    else if (env.SQLITE_LOCKING !== 'exclusive' && env.SQLITE_LOCKING !== 'shared') problems.push(`SQLITE_LOCKING=${JSON.stringify(env.SQLITE_LOCKING)} is not one of exclusive, shared`);
    else database.locking = env.SQLITE_LOCKING;
  }

  let publicUrl: string | null = null;
  if (env.PUBLIC_URL) {
    try {
      const u = new URL(env.PUBLIC_URL);
      if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error();
      publicUrl = u.origin;
      if (production && u.protocol !== 'https:') problems.push('PUBLIC_URL must be https in production');
    } catch {
      problems.push(`PUBLIC_URL=${JSON.stringify(env.PUBLIC_URL)} is not an http(s) URL`);
    }
  }

  const allowedHosts = list(env.ALLOWED_HOSTS);
  for (const h of allowedHosts) {
    if (!/^([a-z0-9]([a-z0-9-]*[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?$|^\[[0-9a-f:.]+\](:\d{1,5})?$/i.test(h)) {
      problems.push(`ALLOWED_HOSTS: ${JSON.stringify(h)} is not a host name (e.g. api.example.com or 10.0.0.5:8080)`);
    }
  }
  if (environment !== 'development' && !publicUrl && allowedHosts.length === 0) {
    problems.push(`PUBLIC_URL or ALLOWED_HOSTS is required when ENVIRONMENT=${environment}: requests are answered only for the service's own host names`);
  }
  const corsOrigins = list(env.CORS_ORIGINS);
  for (const o of corsOrigins) {
    let exact = false;
    try {
      const u = new URL(o);
      exact = (u.protocol === 'https:' || u.protocol === 'http:') && u.origin === o && !o.includes('*');
    } catch {
      // not a URL
    }
    if (!exact) problems.push(`CORS_ORIGINS: ${JSON.stringify(o)} is not an exact origin like https://portal.example.com (no path, no wildcard)`);
  }

  const sessionIdleSeconds = int('SESSION_IDLE_TIMEOUT_SECONDS', 3600, 60, 7 * 86400);
  const sessionAbsoluteSeconds = int('SESSION_ABSOLUTE_TIMEOUT_SECONDS', 86400, 300, 30 * 86400);
  const scimRequestsPerSecond = int('SCIM_RATE_LIMIT', 100, 1, 100_000);
  if (sessionIdleSeconds > sessionAbsoluteSeconds) {
    problems.push('SESSION_IDLE_TIMEOUT_SECONDS must not exceed SESSION_ABSOLUTE_TIMEOUT_SECONDS');
  }

  // Secrets: production must be given each one; development makes what is missing and keeps it on disk.
  const devSecrets = production ? null : new DevSecretStore(dataDir);
  const secret = (name: string, make: () => string, requiredInProduction: boolean): string | null => {
    const given = env[name];
    if (given) return given;
    if (production) {
      if (requiredInProduction) problems.push(`${name} is required when ENVIRONMENT=production`);
      return null;
    }
    if (environment === 'staging' && !requiredInProduction) return null;
    const value = devSecrets!.get(name, make);
    notices.push(`${name} not set: using a generated one kept in ${devSecrets!.path}`);
    return value;
  };

  const adminRequired = deploymentMode === 'saas' && production;
  let adminApiKey: string | null;
  if (env.ADMIN_API_KEY) {
    adminApiKey = env.ADMIN_API_KEY;
    if (adminApiKey.length < 16) problems.push('ADMIN_API_KEY must be at least 16 characters');
  } else if (environment === 'development') {
    adminApiKey = secret('ADMIN_API_KEY', () => `adm_${randomBytes(24).toString('base64url')}`, true);
  } else {
    adminApiKey = null;
    if (adminRequired) problems.push('ADMIN_API_KEY is required when DEPLOYMENT_MODE=saas and ENVIRONMENT=production');
  }

  if (adminApiKey === null && missingAdminKeyAllowed(deploymentMode, environment)) {
    notices.push(
      `ADMIN_API_KEY is not set: with DEPLOYMENT_MODE=${deploymentMode} and ENVIRONMENT=${environment} the admin API is open to anyone who can reach this service on the network`,
    );
  }

  const encryptionRaw = secret('ENCRYPTION_KEY', () => randomBytes(32).toString('base64'), true);
  let encryptionKey: Buffer = Buffer.alloc(0);
  if (encryptionRaw !== null) {
    encryptionKey = decodeKey32(encryptionRaw);
    if (encryptionKey.length !== 32) problems.push('ENCRYPTION_KEY must be 32 bytes, as 64 hex characters or base64');
  }

  const encryptionKeysPrevious = list(env.ENCRYPTION_KEYS_PREVIOUS).map((raw, i) => {
    const key = decodeKey32(raw);
    if (key.length !== 32) problems.push(`ENCRYPTION_KEYS_PREVIOUS: entry ${i + 1} must be 32 bytes, as 64 hex characters or base64`);
    return key;
  });
  const outbound = parseAllowHosts(env.OUTBOUND_ALLOW_HOSTS, production);
  problems.push(...outbound.problems);

  const licenseRaw = secret('LICENSE_SIGNING_KEY', generateSigningKeyPem, true);
  let licenseSigningKeyPem = '';
  if (licenseRaw !== null) {
    try {
      licenseSigningKeyPem = loadSigningKey(licenseRaw).export({ type: 'pkcs8', format: 'pem' }).toString();
    } catch (err) {
      problems.push(`LICENSE_SIGNING_KEY: ${(err as Error).message}`);
    }
  }

  const config: Config = {
    port: int('PORT', 8080, 0, 65535),
    host: env.HOST || '127.0.0.1',
    database,
    dataDir,
    adminApiKey,
    deploymentMode,
    environment,
    publicUrl,
    allowedHosts,
    corsOrigins,
    trustProxyHops: int('TRUST_PROXY_HOPS', 0, 0, 10),
    sessionIdleSeconds,
    sessionAbsoluteSeconds,
    scimRequestsPerSecond,
    logLevel: pick('LOG_LEVEL', LOG_LEVELS, 'info'),
    shutdownDrainSeconds: int('SHUTDOWN_DRAIN_SECONDS', 0, 0, 120),
    encryptionKey,
    encryptionKeysPrevious,
    outboundAllowHosts: outbound.hosts,
    licenseSigningKeyPem,
    upgradeDeadlineSeconds: int('UPGRADE_DEADLINE_SECONDS', 1800, 60, 7 * 86400),
    exportDir: resolve(env.EXPORT_DIR || join(dataDir, 'exports')),
    exportRetentionDays: int('EXPORT_RETENTION_DAYS', 30, 1, 3650),
    exportMaxRunningPerOrg: int('EXPORT_MAX_RUNNING_PER_ORG', 2, 1, 50),
    jobLeaseSeconds: int('JOB_LEASE_SECONDS', 30, 2, 3600),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  const firstStartSecrets = devSecrets?.save() ? devSecrets.path : null;
  return { config, notices, firstStartSecrets };
}

function list(raw: string | undefined): string[] {
  return (raw ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

function parseDatabaseUrl(raw: string | undefined, dataDir: string, problems: string[]): DatabaseConfig {
  if (!raw) return { kind: 'sqlite', path: join(dataDir, 'axonflow.db') };
  if (raw.startsWith('sqlite:')) {
    const path = raw.slice('sqlite:'.length).replace(/^\/\//, '');
    if (!path) problems.push('DATABASE_URL=sqlite: needs a path, e.g. sqlite:./data/axonflow.db');
    return { kind: 'sqlite', path: path === ':memory:' ? path : resolve(path) };
  }
  if (raw.startsWith('postgres://') || raw.startsWith('postgresql://')) {
    try {
      new URL(raw);
    } catch {
      problems.push('DATABASE_URL is not a valid postgres:// URL');
    }
    return { kind: 'postgres', url: raw };
  }
  problems.push('DATABASE_URL must start with sqlite:, postgres:// or postgresql://');
  return { kind: 'sqlite', path: join(dataDir, 'axonflow.db') };
}

function decodeKey32(raw: string): Buffer {
  if (/^[0-9a-fA-F]{64}$/.test(raw)) return Buffer.from(raw, 'hex');
  return Buffer.from(raw, 'base64');
}

/** Development-only secrets, kept beside the database so restarts keep sessions, keys and licenses valid. */
class DevSecretStore {
  readonly path: string;
  private values: Record<string, string>;
  private dirty = false;
  constructor(dataDir: string) {
    this.path = join(dataDir, 'dev-secrets.json');
    this.values = existsSync(this.path) ? JSON.parse(readFileSync(this.path, 'utf8')) : {};
  }
  get(name: string, make: () => string): string {
    if (!this.values[name]) {
      this.values[name] = make();
      this.dirty = true;
    }
    return this.values[name];
  }
  /** Writes what was made; true when the file did not exist before. */
  save(): boolean {
    if (!this.dirty) return false;
    const created = !existsSync(this.path);
    mkdirSync(join(this.path, '..'), { recursive: true, mode: 0o700 });
    writeFileSync(this.path, JSON.stringify(this.values, null, 2) + '\n', { mode: 0o600 });
    chmodSync(this.path, 0o600);
    return created;
  }
}
