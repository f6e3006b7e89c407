import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { ManualClock } from '../../src/clock.js';
import type { Config } from '../../src/config.js';
import type { DatabaseConfig } from '../../src/db/database.js';
import { generateSigningKeyPem } from '../../src/licenses/license-format.js';
import { createLogger } from '../../src/logger.js';
import { type Runtime, createRuntime } from '../../src/server.js';

export const ADMIN_KEY = 'adm_test_key_0123456789abcdef';
const signingKey = generateSigningKeyPem();

/** The suite runs on PostgreSQL when DATABASE_URL points at one, else on a fresh SQLite file. */
export function databaseKind(): 'sqlite' | 'postgres' {
  return /^postgres(ql)?:\/\//.test(process.env.DATABASE_URL ?? '') ? 'postgres' : 'sqlite';
}

// Kysely's migrator introspects every schema of the database; a schema dropped by a parallel test file in
// the middle of that query fails it. Creating runtimes (migrations) and dropping schemas take turns.
const SCHEMA_LOCK = 727274;
export async function underSchemaLock<T>(url: string, fn: () => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [SCHEMA_LOCK]);
    return await fn();
  } finally {
    await client.end(); // ends the session, which releases the lock
  }
}

export interface FreshDatabase {
  config: DatabaseConfig;
  drop: () => Promise<void>;
  exclusive: <T>(fn: () => Promise<T>) => Promise<T>;
}

/** An empty database of the suite's kind: a SQLite file in a new folder, or a new PostgreSQL schema. */
export async function freshDatabase(): Promise<FreshDatabase> {
  if (databaseKind() === 'postgres') {
    const url = process.env.DATABASE_URL!;
    const schema = `t_${randomBytes(6).toString('hex')}`;
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`create schema ${schema}`);
    await client.end();
    return {
      config: { kind: 'postgres', url, schema },
      exclusive: (fn) => underSchemaLock(url, fn),
      drop: () =>
        underSchemaLock(url, async () => {
          const c = new pg.Client({ connectionString: url });
          await c.connect();
          await c.query(`drop schema ${schema} cascade`);
          await c.end();
        }),
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'axon-test-'));
  return {
    config: { kind: 'sqlite', path: join(dir, 'test.db') },
    exclusive: (fn) => fn(),
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function testConfig(database: DatabaseConfig, overrides: Partial<Config> = {}): Config {
  return {
    port: 0,
    host: '127.0.0.1',
    database,
    dataDir: tmpdir(),
    adminApiKey: ADMIN_KEY,
    deploymentMode: 'saas',
    environment: 'development',
    publicUrl: null,
    // app.request() asks for http://localhost/...: outside development that name must be listed.
    allowedHosts: ['localhost'],
    corsOrigins: [],
    trustProxyHops: 1,
    sessionIdleSeconds: 1800,
    sessionAbsoluteSeconds: 86400,
    scimRequestsPerSecond: 100,
    logLevel: 'silent',
    shutdownDrainSeconds: 0,
    encryptionKey: randomBytes(32),
    encryptionKeysPrevious: [],
    outboundAllowHosts: [],
    licenseSigningKeyPem: signingKey,
    upgradeDeadlineSeconds: 1800,
    exportDir: join(tmpdir(), `axon-exports-${randomBytes(6).toString('hex')}`),
    exportRetentionDays: 30,
    exportMaxRunningPerOrg: 2,
    jobLeaseSeconds: 30,
    ...overrides,
  };
}

export interface ApiResult {
  status: number;
  body: any;
  headers: Headers;
  /** The axonflow_session value set by this response, '' when cleared, undefined when untouched. */
  sessionCookie: string | undefined;
}

export interface CallOptions {
  body?: unknown;
  rawBody?: string | Uint8Array;
  cookie?: string;
  headers?: Record<string, string>;
  ip?: string;
}

export class Harness {
  private constructor(
    /** Replaced by restart(): the same database under a new service. */
    public runtime: Runtime,
    /** Every log line the service wrote, parsed: it logs at info level in tests, into this list. */
    readonly logs: Record<string, unknown>[],
    /** Every SQL statement run since start, for tests that bound round trips. */
    readonly queries: string[],
    readonly clock: ManualClock,
    readonly config: Config,
    private readonly drop: () => Promise<void>,
    private readonly exclusive: <T>(fn: () => Promise<T>) => Promise<T>,
  ) {}

  static async start(overrides: Partial<Config> = {}, clock = new ManualClock('2026-06-01T12:00:00.000Z')): Promise<Harness> {
    const db = await freshDatabase();
    const config = testConfig(db.config, overrides);
    const queries: string[] = [];
    const logs: Record<string, unknown>[] = [];
    const logger = createLogger('info', { write: (line: string) => void logs.push(JSON.parse(line)) });
    const runtime = await db.exclusive(() => createRuntime(config, logger, clock, { onQuery: (q) => queries.push(q) }));
    return new Harness(runtime, logs, queries, clock, config, db.drop, db.exclusive);
  }

  /**
   * Stops the service and starts a new one on the same database and clock, as a restart of the process would:
   * nothing held in memory survives, only what was committed.
   */
  async restart(): Promise<void> {
    await this.runtime.close();
    const logger = createLogger('info', { write: (line: string) => void this.logs.push(JSON.parse(line)) });
    this.runtime = await this.exclusive(() => createRuntime(this.config, logger, this.clock, { onQuery: (q) => this.queries.push(q) }));
  }

  /** A fresh service with one organization and its owner's session: where most suites start. */
  static async withOrgSession(orgId: string, overrides: Partial<Config> = {}): Promise<{ h: Harness; cookie: string }> {
    const h = await Harness.start(overrides);
    await h.createOrg(orgId);
    return { h, cookie: await h.login(orgId) };
  }

  async call(method: string, path: string, opts: CallOptions = {}): Promise<ApiResult> {
    const headers: Record<string, string> = { 'x-forwarded-for': opts.ip ?? '198.51.100.7', ...opts.headers };
    if (opts.cookie !== undefined) headers.cookie = `axonflow_session=${opts.cookie}`;
    let body: string | Uint8Array | undefined;
    if (opts.rawBody !== undefined) body = opts.rawBody;
    else if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await this.runtime.app.request(path, { method, headers, body: body as BodyInit | undefined });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: keep the text
    }
    const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('axonflow_session='));
    return {
      status: res.status,
      body: parsed,
      headers: res.headers,
      sessionCookie: setCookie === undefined ? undefined : setCookie.slice('axonflow_session='.length).split(';')[0],
    };
  }

  admin(method: string, path: string, body?: unknown): Promise<ApiResult> {
    return this.call(method, path, { body, headers: { 'x-admin-api-key': ADMIN_KEY } });
  }

  async graphql(query: string, variables: Record<string, unknown> = {}, opts: CallOptions = {}): Promise<any> {
    const r = await this.call('POST', '/graphql', { ...opts, body: { query, variables } });
    return r.body;
  }

  async createOrg(orgId: string, extra: Record<string, unknown> = {}): Promise<ApiResult> {
    const r = await this.admin('POST', '/api/v1/admin/organizations', {
      org_id: orgId,
      name: `${orgId} Inc`,
      password: `${orgId}-password-1`,
      ...extra,
    });
    if (r.status !== 201) throw new Error(`createOrg ${orgId}: ${r.status} ${JSON.stringify(r.body)}`);
    return r;
  }

  /** Logs in (org password unless email given) from a fresh IP each time, and returns the cookie value. */
  async login(orgId: string, password = `${orgId}-password-1`, email?: string): Promise<string> {
    const r = await this.call('POST', '/api/v1/auth/login', {
      body: { org_id: orgId, password, ...(email ? { email } : {}) },
      ip: `203.0.113.${Math.floor(Math.random() * 250) + 1}`,
    });
    if (r.status !== 200 || !r.sessionCookie) throw new Error(`login ${orgId}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.sessionCookie;
  }

  /** Adds a portal user with a role through GraphQL as the org account, and returns their cookie. */
  async userSession(orgId: string, role: string, ownerCookie?: string): Promise<{ cookie: string; userId: string; email: string }> {
    const owner = ownerCookie ?? (await this.login(orgId));
    const email = `${role}-${randomBytes(3).toString('hex')}@${orgId}.example.com`;
    const res = await this.graphql(
      `mutation($input: AddUserInput!) { addUser(input: $input) { user { id } initialPassword } }`,
      { input: { email, name: `${role} user`, role } },
      { cookie: owner },
    );
    if (!res.data?.addUser) throw new Error(`addUser: ${JSON.stringify(res.errors)}`);
    const cookie = await this.login(orgId, res.data.addUser.initialPassword, email);
    return { cookie, userId: res.data.addUser.user.id, email };
  }

  /** Creates a runtime API key through REST as the org account, and returns the secret. */
  async apiKey(orgId: string, scopes: string[], cookie?: string): Promise<{ key: string; id: string }> {
    const r = await this.call('POST', '/api/v1/keys', {
      cookie: cookie ?? (await this.login(orgId)),
      body: { name: `key for ${scopes.join(' ')}`, scopes },
    });
    if (r.status !== 201) throw new Error(`apiKey: ${r.status} ${JSON.stringify(r.body)}`);
    return { key: r.body.key, id: r.body.id };
  }

  /** Creates a SCIM token through REST as the org account, and returns the secret. */
  async scimToken(orgId: string, cookie?: string): Promise<{ token: string; id: string }> {
    const r = await this.call('POST', '/api/v1/scim/tokens', { cookie: cookie ?? (await this.login(orgId)), body: { name: `IdP of ${orgId}` } });
    if (r.status !== 201) throw new Error(`scimToken: ${r.status} ${JSON.stringify(r.body)}`);
    return { token: r.body.token, id: r.body.id };
  }

  /** A SCIM request with a bearer token, as an identity provider sends it (application/scim+json). */
  scim(token: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResult> {
    return this.call(method, path.startsWith('/') ? path : `/scim/v2/${path}`, {
      ...(body === undefined ? {} : typeof body === 'string' ? { rawBody: body } : { body }),
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/scim+json' } : {}), ...headers },
    });
  }

  async close(): Promise<void> {
    await this.runtime.close();
    await this.drop();
    rmSync(this.config.exportDir, { recursive: true, force: true });
  }
}
