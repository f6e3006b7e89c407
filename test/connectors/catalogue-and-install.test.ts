import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { type AddressInfo, createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { SecretBox } from '../../src/crypto/secret-box.js';
import { CONNECTOR_CATALOGUE } from '../../src/domain/connectors.js';
import { CREDENTIALS_CONTEXT } from '../../src/services/connectors/service.js';
import { rotateSecrets } from '../../src/services/secret-rotation.js';
import { Harness } from '../helpers/harness.js';

const BASE = '/api/v1/connectors';
const IDS = ['postgres', 'cassandra', 'salesforce', 'amadeus', 'slack', 'snowflake', 'custom'];
const T0 = '2026-06-01T12:00:00.000Z';

const pw = (label: string) => `pw-${label}-${randomBytes(10).toString('hex')}`;

async function counts(h: Harness): Promise<{ connectors: number; audit: number }> {
  const db = h.runtime.database.db;
  const c = await db.selectFrom('connectors').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
  const a = await db.selectFrom('audit_events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
  return { connectors: Number(c.n), audit: Number(a.n) };
}

function row(h: Harness, orgId: string, id: string) {
  return h.runtime.database.db.selectFrom('connectors').selectAll().where('org_id', '=', orgId).where('connector_id', '=', id).executeTakeFirst();
}

function auditOf(h: Harness, orgId: string, targetId: string) {
  return h.runtime.database.db
    .selectFrom('audit_events')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('target_type', '=', 'connector')
    .where('target_id', '=', targetId)
    .orderBy('seq')
    .execute();
}

describe('connectors: catalogue', () => {
  let h: Harness;
  let owner: string;
  before(async () => {
    ({ h, cookie: owner } = await Harness.withOrgSession('acme'));
  });
  after(() => h.close());

  it('GET lists the seven types in catalogue order, each with its config_schema, none installed', async () => {
    const r = await h.call('GET', BASE, { cookie: owner });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(
      r.body.connectors.map((c: any) => c.id),
      IDS,
    );
    for (const c of r.body.connectors) {
      const entry = CONNECTOR_CATALOGUE.find((e) => e.id === c.id)!;
      assert.equal(c.connector_type, entry.type);
      assert.equal(c.display_name, entry.displayName);
      assert.equal(c.description, entry.description);
      // The schemas are returned as written: their keys (additionalProperties, maxLength, ssl_mode) are not converted.
      assert.deepEqual(c.config_schema, { schemes: entry.schemes, default_url: entry.defaultUrl, options: entry.options, credentials: entry.credentials });
      assert.deepEqual(
        {
          installed: c.installed,
          connector_name: c.connector_name,
          connection_url: c.connection_url,
          options: c.options,
          has_credentials: c.has_credentials,
          timeout_ms: c.timeout_ms,
          max_retries: c.max_retries,
          enabled: c.enabled,
          health_status: c.health_status,
          health: c.health,
          installed_at: c.installed_at,
        },
        {
          installed: false,
          connector_name: null,
          connection_url: null,
          options: null,
          has_credentials: false,
          timeout_ms: null,
          max_retries: null,
          enabled: false,
          health_status: null,
          health: null,
          installed_at: null,
        },
        c.id,
      );
      assert.ok(!('credentials' in c), `${c.id}: no credentials field`);
    }
    const pg = r.body.connectors.find((c: any) => c.id === 'postgres');
    assert.equal(pg.config_schema.options.properties.ssl_mode.default, 'verify-full');
    assert.equal(pg.config_schema.options.additionalProperties, false);
    assert.deepEqual(pg.config_schema.credentials.required, ['username', 'password']);
    assert.deepEqual(pg.config_schema.schemes, ['postgres', 'postgresql']);
    assert.equal(r.body.connectors.find((c: any) => c.id === 'amadeus').config_schema.default_url, 'https://api.amadeus.com');
    assert.equal(r.body.connectors.find((c: any) => c.id === 'slack').config_schema.default_url, 'https://slack.com/api');
  });

  it('GET /{id} answers one entry; an id not in the catalogue is 404', async () => {
    const r = await h.call('GET', `${BASE}/cassandra`, { cookie: owner });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.id, 'cassandra');
    assert.equal(r.body.installed, false);
    assert.deepEqual(r.body.config_schema.options.required, ['keyspace']);
    for (const id of ['mysql', 'Postgres', 'postgres%20', 'connectors']) {
      const missing = await h.call('GET', `${BASE}/${id}`, { cookie: owner });
      assert.equal(missing.status, 404, `${id}: ${JSON.stringify(missing.body)}`);
      assert.equal(missing.body.error.code, 'NOT_FOUND');
      assert.match(missing.body.error.message, /catalogue/);
    }
  });

  it('the GraphQL face lists the same catalogue', async () => {
    const res = await h.graphql('{ connectors { id connectorType schemes defaultUrl optionsSchema installed installation { connectorName } } }', {}, { cookie: owner });
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    assert.deepEqual(
      res.data.connectors.map((c: any) => c.id),
      IDS,
    );
    assert.ok(res.data.connectors.every((c: any) => c.installed === false && c.installation === null));
  });
});

describe('connectors: install, reinstall, uninstall', () => {
  let h: Harness;
  let owner: string;
  const pgPassword = pw('postgres');
  before(async () => {
    ({ h, cookie: owner } = await Harness.withOrgSession('acme'));
  });
  after(() => h.close());

  const install = (id: string, body: unknown, cookie = owner) => h.call('POST', `${BASE}/${id}/install`, { cookie, body });
  const box = () => new SecretBox(h.config.encryptionKey);

  it('first install: 201, schema defaults filled into options, credentials sealed and only flagged', async () => {
    const r = await install('postgres', {
      connection_url: 'postgres://db.example.com:5432/app?sslmode=require&application_name=axon',
      options: { database: 'app' },
      credentials: { username: 'reader', password: pgPassword },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const { config_schema: _schema, ...shown } = r.body;
    assert.deepEqual(shown, {
      id: 'postgres',
      connector_type: 'postgres',
      display_name: 'PostgreSQL',
      description: CONNECTOR_CATALOGUE[0].description,
      installed: true,
      connector_name: 'postgres',
      connection_url: 'postgres://db.example.com:5432/app?sslmode=require&application_name=axon',
      options: { database: 'app', ssl_mode: 'verify-full', pool_size: 10, read_only: true },
      has_credentials: true,
      timeout_ms: 5000,
      max_retries: 3,
      enabled: true,
      health_status: 'unknown',
      health: { status: 'unknown', message: null, latency_ms: null, last_checked: null },
      installed_at: T0,
      updated_at: T0,
    });
    assert.ok(!JSON.stringify(r.body).includes(pgPassword));

    const stored = (await row(h, 'acme', 'postgres'))!;
    assert.ok(stored.credentials && !stored.credentials.includes(pgPassword) && !stored.credentials.includes('reader'));
    assert.deepEqual(JSON.parse(box().open(stored.credentials, CREDENTIALS_CONTEXT)), { username: 'reader', password: pgPassword });
    assert.deepEqual(JSON.parse(stored.options), { database: 'app', ssl_mode: 'verify-full', pool_size: 10, read_only: true });

    const [event, ...more] = await auditOf(h, 'acme', 'postgres');
    assert.equal(more.length, 0);
    assert.equal(event.action, 'connector.installed');
    assert.equal(event.actor_type, 'user');
    // The query (where drivers take passwords and key paths) is not kept in the trail.
    assert.deepEqual(JSON.parse(event.details), {
      connector_type: 'postgres',
      connection_url: 'postgres://db.example.com:5432/app',
      enabled: true,
      credentials: 'set',
    });
  });

  it('install state shows in the list and in GET /{id}', async () => {
    const list = await h.call('GET', BASE, { cookie: owner });
    assert.deepEqual(
      list.body.connectors.filter((c: any) => c.installed).map((c: any) => c.id),
      ['postgres'],
    );
    const one = await h.call('GET', `${BASE}/postgres`, { cookie: owner });
    assert.equal(one.status, 200);
    assert.equal(one.body.installed, true);
    assert.equal(one.body.has_credentials, true);
    assert.equal(one.body.options.ssl_mode, 'verify-full');
  });

  it('reinstall without credentials: 200, reconfigured, the sealed credentials kept as they were', async () => {
    const before = (await row(h, 'acme', 'postgres'))!;
    h.clock.advance(60_000);
    const r = await install('postgres', { options: { database: 'app', ssl_mode: 'require', pool_size: 20 }, timeout_ms: 2500, max_retries: 0, display_name: 'Orders DB' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.connection_url, 'postgres://db.example.com:5432/app?sslmode=require&application_name=axon', 'kept when omitted');
    assert.deepEqual(r.body.options, { database: 'app', ssl_mode: 'require', pool_size: 20, read_only: true });
    assert.equal(r.body.display_name, 'Orders DB');
    assert.equal(r.body.timeout_ms, 2500);
    assert.equal(r.body.max_retries, 0);
    assert.equal(r.body.has_credentials, true);
    assert.equal(r.body.installed_at, T0);
    assert.equal(r.body.updated_at, '2026-06-01T12:01:00.000Z');
    const after = (await row(h, 'acme', 'postgres'))!;
    assert.equal(after.credentials, before.credentials, 'the sealed value is untouched');
    const events = await auditOf(h, 'acme', 'postgres');
    assert.equal(events.at(-1)!.action, 'connector.reconfigured');
    assert.equal(JSON.parse(events.at(-1)!.details).credentials, 'kept');
    assert.equal((await counts(h)).connectors, 1);
  });

  it('reinstall with credentials replaces them (re-sealed), still 200', async () => {
    const before = (await row(h, 'acme', 'postgres'))!;
    const next = pw('postgres-2');
    const r = await install('postgres', { credentials: { username: 'writer', password: next } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    // Options omitted: kept.
    assert.equal(r.body.options.pool_size, 20);
    assert.equal(r.body.display_name, 'Orders DB');
    const after = (await row(h, 'acme', 'postgres'))!;
    assert.notEqual(after.credentials, before.credentials);
    assert.deepEqual(JSON.parse(box().open(after.credentials!, CREDENTIALS_CONTEXT)), { username: 'writer', password: next });
    assert.equal(JSON.parse((await auditOf(h, 'acme', 'postgres')).at(-1)!.details).credentials, 'replaced');
  });

  it('uninstall: 204, the row and its credentials gone, state flips back; a second uninstall is 404', async () => {
    const r = await h.call('DELETE', `${BASE}/postgres/uninstall`, { cookie: owner });
    assert.equal(r.status, 204, JSON.stringify(r.body));
    assert.equal(r.body, null);
    assert.equal(await row(h, 'acme', 'postgres'), undefined);
    const one = await h.call('GET', `${BASE}/postgres`, { cookie: owner });
    assert.equal(one.body.installed, false);
    assert.equal(one.body.has_credentials, false);
    assert.equal(one.body.options, null);
    assert.equal((await auditOf(h, 'acme', 'postgres')).at(-1)!.action, 'connector.uninstalled');

    const audit = (await counts(h)).audit;
    const again = await h.call('DELETE', `${BASE}/postgres/uninstall`, { cookie: owner });
    assert.equal(again.status, 404, JSON.stringify(again.body));
    assert.equal(again.body.error.code, 'NOT_FOUND');
    assert.match(again.body.error.message, /not installed/);
    assert.equal((await counts(h)).audit, audit);
    const unknown = await h.call('DELETE', `${BASE}/mysql/uninstall`, { cookie: owner });
    assert.equal(unknown.status, 404);
  });

  it('installing again after uninstall is a first install (201), and needs the credentials again', async () => {
    const without = await install('postgres', { connection_url: 'postgres://db.example.com/app' });
    assert.equal(without.status, 400, JSON.stringify(without.body));
    assert.equal(without.body.error.field, 'credentials.username');
    const r = await install('postgres', { connection_url: 'postgresql://db.example.com/app', credentials: { username: 'u', password: pw('again') } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.installed_at, '2026-06-01T12:01:00.000Z');
    assert.equal(r.body.options.ssl_mode, 'verify-full');
    assert.equal(r.body.display_name, 'PostgreSQL', 'the earlier display name went with the uninstall');
  });

  it('amadeus and slack take their default URL when connection_url is omitted', async () => {
    const a = await install('amadeus', { credentials: { api_key: 'ak-1', api_secret: pw('amadeus') } });
    assert.equal(a.status, 201, JSON.stringify(a.body));
    assert.equal(a.body.connection_url, 'https://api.amadeus.com');
    assert.deepEqual(a.body.options, { environment: 'production' });
    const s = await install('slack', { options: { default_channel: '#ops' }, credentials: { bot_token: 'xoxb-1234567890-abcdef' } });
    assert.equal(s.status, 201, JSON.stringify(s.body));
    assert.equal(s.body.connection_url, 'https://slack.com/api');
    assert.deepEqual(s.body.options, { default_channel: '#ops' });
    // A type without a default URL requires one.
    const sf = await install('salesforce', { credentials: { client_id: 'c', client_secret: pw('sf') } });
    assert.equal(sf.status, 400, JSON.stringify(sf.body));
    assert.equal(sf.body.error.field, 'connection_url');
    assert.match(sf.body.error.message, /^connection_url is required for Salesforce connectors/);
  });

  it('the other types install with their own schema: cassandra, salesforce, snowflake', async () => {
    const c = await install('cassandra', { connection_url: 'cassandra://cass.example.com', options: { keyspace: 'orders_v2' }, credentials: { username: 'u', password: pw('cass') } });
    assert.equal(c.status, 201, JSON.stringify(c.body));
    assert.deepEqual(c.body.options, { keyspace: 'orders_v2', consistency: 'LOCAL_QUORUM' });
    const sf = await install('salesforce', { connection_url: 'https://acme.my.salesforce.com', credentials: { client_id: 'c', client_secret: pw('sf'), refresh_token: pw('rt') } });
    assert.equal(sf.status, 201, JSON.stringify(sf.body));
    assert.deepEqual(sf.body.options, { api_version: 'v61.0', sandbox: false });
    const sn = await install('snowflake', {
      connection_url: 'https://acme.snowflakecomputing.com',
      options: { warehouse: 'WH', database: 'DB', role: 'READER' },
      credentials: { username: 'u', password: pw('snow') },
      enabled: false,
    });
    assert.equal(sn.status, 201, JSON.stringify(sn.body));
    assert.equal(sn.body.enabled, false);
    assert.equal((await row(h, 'acme', 'snowflake'))!.enabled, 0);
  });

  it('custom: options and credentials keys are kept verbatim (no camel/snake conversion), names are the caller’s', async () => {
    const token = pw('custom');
    const r = await install('custom', {
      connection_url: 'https://api.partner.example/v2',
      connector_name: 'partner-api',
      display_name: 'Partner API (prod)',
      options: { baseUrl: '/x', retry_policy: { maxDelayMs: 50, back_off: 'exp' }, 'Mixed-Case': [1, { innerKey: true }] },
      credentials: { apiToken: token, client_secret: 's', 'X-Header': 'h' },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.connector_name, 'partner-api');
    assert.equal(r.body.display_name, 'Partner API (prod)');
    assert.deepEqual(r.body.options, { baseUrl: '/x', retry_policy: { maxDelayMs: 50, back_off: 'exp' }, 'Mixed-Case': [1, { innerKey: true }] });
    const stored = (await row(h, 'acme', 'custom'))!;
    assert.deepEqual(JSON.parse(stored.options), r.body.options);
    assert.deepEqual(JSON.parse(new SecretBox(h.config.encryptionKey).open(stored.credentials!, CREDENTIALS_CONTEXT)), { apiToken: token, client_secret: 's', 'X-Header': 'h' });
    const got = await h.call('GET', `${BASE}/custom`, { cookie: owner });
    assert.deepEqual(got.body.options, r.body.options);

    // The GraphQL face keeps them too.
    const gql = await h.graphql('{ connector(id: "custom") { installation { options hasCredentials connectorName } } }', {}, { cookie: owner });
    assert.deepEqual(gql.data.connector.installation, { options: r.body.options, hasCredentials: true, connectorName: 'partner-api' });
  });

  it('custom without credentials installs with has_credentials false (its schema requires none)', async () => {
    await h.createOrg('solo');
    const cookie = await h.login('solo');
    const r = await install('custom', { connection_url: 'tcp://queue.example.com:5672' }, cookie);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.has_credentials, false);
    assert.deepEqual(r.body.options, {});
    assert.equal((await row(h, 'solo', 'custom'))!.credentials, null);
    assert.equal(JSON.parse((await auditOf(h, 'solo', 'custom'))[0].details).credentials, 'none');
  });

  it('custom with credentials {} has none: nothing sealed, has_credentials false', async () => {
    await h.createOrg('empty-creds');
    const cookie = await h.login('empty-creds');
    const r = await install('custom', { connection_url: 'tcp://queue.example.com:5672', credentials: {} }, cookie);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.has_credentials, false);
    assert.equal((await row(h, 'empty-creds', 'custom'))!.credentials, null);
    assert.equal(JSON.parse((await auditOf(h, 'empty-creds', 'custom'))[0].details).credentials, 'none');
  });

  it('two installations of one organization may not share a connector_name (409, nothing stored)', async () => {
    await h.createOrg('names');
    const cookie = await h.login('names');
    const first = await install('custom', { connection_url: 'tcp://queue.example.com:5672', connector_name: 'warehouse' }, cookie);
    assert.equal(first.status, 201, JSON.stringify(first.body));
    const second = await install('snowflake', { connection_url: 'https://acme.snowflakecomputing.com', connector_name: 'warehouse', options: { warehouse: 'w', database: 'd' }, credentials: { username: 'u', password: 'p-not-shown' } }, cookie);
    assert.equal(second.status, 409, JSON.stringify(second.body));
    assert.match(second.body.error.message, /named "warehouse"/);
    assert.equal(await row(h, 'names', 'snowflake'), undefined);
  });

  it('installs through GraphQL: created true, then false on a reinstall', async () => {
    await h.createOrg('gql');
    const cookie = await h.login('gql');
    const m = `mutation($input: ConnectorInstallInput!) { installConnector(id: "amadeus", input: $input) { created connector { installed installation { connectionUrl options hasCredentials } } } }`;
    const first = await h.graphql(m, { input: { credentials: { api_key: 'k', api_secret: pw('g') }, options: { environment: 'test' } } }, { cookie });
    assert.equal(first.errors, undefined, JSON.stringify(first.errors));
    assert.equal(first.data.installConnector.created, true);
    assert.deepEqual(first.data.installConnector.connector.installation, { connectionUrl: 'https://api.amadeus.com', options: { environment: 'test' }, hasCredentials: true });
    const second = await h.graphql(m, { input: { timeoutMs: 1000 } }, { cookie });
    assert.equal(second.errors, undefined, JSON.stringify(second.errors));
    assert.equal(second.data.installConnector.created, false);
    assert.equal(second.data.installConnector.connector.installation.hasCredentials, true);
    const bad = await h.graphql(m, { input: { options: { environment: 'staging' } } }, { cookie });
    assert.equal(bad.data, null);
    assert.equal(bad.errors[0].extensions.code, 'INVALID_INPUT');
    assert.match(bad.errors[0].message, /options\.environment must be one of test, production/);
  });
});

describe('connectors: bad input is refused with 400 naming the field, and nothing is stored', () => {
  let h: Harness;
  let owner: string;
  before(async () => {
    ({ h, cookie: owner } = await Harness.withOrgSession('acme'));
  });
  after(() => h.close());

  const pgCreds = { username: 'u', password: 'pw-not-shown-0001' };
  const cases: { name: string; id: string; body: Record<string, unknown>; field: string; message?: RegExp }[] = [
    { name: 'pool_size below the minimum', id: 'postgres', body: { connection_url: 'postgres://db.example.com/app', options: { pool_size: 0 }, credentials: pgCreds }, field: 'options.pool_size', message: /must be at least 1/ },
    { name: 'pool_size above the maximum', id: 'postgres', body: { connection_url: 'postgres://db.example.com/app', options: { pool_size: 101 }, credentials: pgCreds }, field: 'options.pool_size', message: /must be at most 100/ },
    { name: 'pool_size not whole', id: 'postgres', body: { connection_url: 'postgres://db.example.com/app', options: { pool_size: 2.5 }, credentials: pgCreds }, field: 'options.pool_size', message: /must be a whole number/ },
    { name: 'an unknown option', id: 'postgres', body: { connection_url: 'postgres://db.example.com/app', options: { sslmode: 'require' }, credentials: pgCreds }, field: 'options.sslmode', message: /is not an option of PostgreSQL connectors/ },
    { name: 'an option of the wrong type', id: 'postgres', body: { connection_url: 'postgres://db.example.com/app', options: { read_only: 'yes' }, credentials: pgCreds }, field: 'options.read_only', message: /boolean/ },
    { name: 'an option outside its enum', id: 'postgres', body: { connection_url: 'postgres://db.example.com/app', options: { ssl_mode: 'prefer' }, credentials: pgCreds }, field: 'options.ssl_mode', message: /must be one of disable, require, verify-ca, verify-full/ },
    { name: 'cassandra without keyspace', id: 'cassandra', body: { connection_url: 'cassandra://c.example.com:9042', options: {}, credentials: pgCreds }, field: 'options.keyspace', message: /is required/ },
    { name: 'cassandra with a keyspace off the pattern', id: 'cassandra', body: { connection_url: 'cassandra://c.example.com:9042', options: { keyspace: '1orders; DROP' }, credentials: pgCreds }, field: 'options.keyspace', message: /not in the expected format/ },
    { name: 'cassandra consistency not in its enum', id: 'cassandra', body: { connection_url: 'cassandra://c.example.com', options: { keyspace: 'ks', consistency: 'TWO' }, credentials: pgCreds }, field: 'options.consistency' },
    { name: 'salesforce api_version off the pattern', id: 'salesforce', body: { connection_url: 'https://x.my.salesforce.com', options: { api_version: '61' }, credentials: { client_id: 'c', client_secret: 's' } }, field: 'options.api_version' },
    { name: 'snowflake without warehouse', id: 'snowflake', body: { connection_url: 'https://x.snowflakecomputing.com', options: { database: 'DB' }, credentials: pgCreds }, field: 'options.warehouse', message: /is required/ },
    { name: 'an empty database name', id: 'postgres', body: { connection_url: 'postgres://db.example.com/app', options: { database: '' }, credentials: pgCreds }, field: 'options.database' },
    { name: 'custom with more than 50 options', id: 'custom', body: { connection_url: 'https://api.example.com', options: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`o${i}`, i])) }, field: 'options' },
    { name: 'options that are not an object', id: 'postgres', body: { connection_url: 'postgres://db.example.com/app', options: ['ssl_mode'], credentials: pgCreds }, field: 'options' },
    { name: 'credentials missing a required field', id: 'postgres', body: { connection_url: 'postgres://db.example.com/app', credentials: { username: 'u' } }, field: 'credentials.password', message: /is required/ },
    { name: 'credentials with an unknown field', id: 'postgres', body: { connection_url: 'postgres://db.example.com/app', credentials: { ...pgCreds, token: 'pw-not-shown-0002' } }, field: 'credentials.token', message: /is not a credential of PostgreSQL connectors/ },
    { name: 'no credentials at all for a type that requires them', id: 'amadeus', body: {}, field: 'credentials.api_key', message: /is required/ },
    { name: 'a slack bot_token that is not xoxb-', id: 'slack', body: { credentials: { bot_token: 'xoxp-pw-not-shown-0003' } }, field: 'credentials.bot_token', message: /not in the expected format/ },
    { name: 'a slack channel off the pattern', id: 'slack', body: { options: { default_channel: '#Has Spaces' }, credentials: { bot_token: 'xoxb-1234567890-abc' } }, field: 'options.default_channel' },
    { name: 'a custom credential that is not a string', id: 'custom', body: { connection_url: 'https://api.example.com', credentials: { token: 12345 } }, field: 'credentials.token', message: /string/ },
    { name: 'an unknown option spelt in camelCase (named as sent)', id: 'postgres', body: { connection_url: 'postgres://db.example.com/app', options: { sslMode: 'require' }, credentials: pgCreds }, field: 'options.sslMode', message: /is not an option/ },
    { name: 'a camelCase custom credential that is not a string (named as sent)', id: 'custom', body: { connection_url: 'https://api.example.com', credentials: { apiToken: 7 } }, field: 'credentials.apiToken', message: /string/ },
    { name: 'postgres with an https URL', id: 'postgres', body: { connection_url: 'https://db.example.com/app', credentials: pgCreds }, field: 'connection_url', message: /must start with postgres:\/\/ or postgresql:\/\// },
    { name: 'slack with a postgres URL', id: 'slack', body: { connection_url: 'postgres://db.example.com', credentials: { bot_token: 'xoxb-1234567890-abc' } }, field: 'connection_url', message: /must start with https:\/\// },
    { name: 'custom with plain http to a host not allow-listed', id: 'custom', body: { connection_url: 'http://api.example.com/' }, field: 'connection_url', message: /must start with https:\/\/ or tcp:\/\// },
    { name: 'custom with ftp', id: 'custom', body: { connection_url: 'ftp://files.example.com:21' }, field: 'connection_url' },
    { name: 'a URL that is not absolute', id: 'postgres', body: { connection_url: 'db.example.com:5432/app', credentials: pgCreds }, field: 'connection_url' },
    { name: 'user:pass@ in the URL', id: 'postgres', body: { connection_url: 'postgres://admin:pw-not-shown-0004@db.example.com/app', credentials: pgCreds }, field: 'connection_url', message: /must not carry credentials/ },
    { name: 'a user name alone in the URL', id: 'salesforce', body: { connection_url: 'https://admin@x.my.salesforce.com', credentials: { client_id: 'c', client_secret: 's' } }, field: 'connection_url', message: /must not carry credentials/ },
    { name: '?password= in the URL', id: 'postgres', body: { connection_url: 'postgres://db.example.com/app?password=pw-not-shown-0005', credentials: pgCreds }, field: 'connection_url', message: /must not carry "password"/ },
    { name: '?api_key= in the URL', id: 'custom', body: { connection_url: 'https://api.example.com/?api_key=pw-not-shown-0006' }, field: 'connection_url', message: /must not carry "api_key"/ },
    { name: 'a private address', id: 'postgres', body: { connection_url: 'postgres://10.0.0.1:5432/app', credentials: pgCreds }, field: 'connection_url', message: /must not point at 10\.0\.0\.1/ },
    { name: 'the metadata address', id: 'custom', body: { connection_url: 'https://169.254.169.254/latest/meta-data/' }, field: 'connection_url', message: /must not point at 169\.254\.169\.254/ },
    { name: 'loopback over tcp', id: 'custom', body: { connection_url: 'tcp://127.0.0.1:6379' }, field: 'connection_url', message: /must not point at 127\.0\.0\.1/ },
    { name: 'loopback spelt in hex on a non-special scheme', id: 'postgres', body: { connection_url: 'postgres://0x7f000001/app', credentials: pgCreds }, field: 'connection_url', message: /must not point at 127\.0\.0\.1/ },
    { name: 'tcp:// without a port', id: 'custom', body: { connection_url: 'tcp://queue.example.com' }, field: 'connection_url', message: /must name a port/ },
    { name: 'timeout_ms negative', id: 'custom', body: { connection_url: 'https://api.example.com', timeout_ms: -1 }, field: 'timeout_ms', message: /must be a whole number from 100 to 60000/ },
    { name: 'timeout_ms zero', id: 'custom', body: { connection_url: 'https://api.example.com', timeout_ms: 0 }, field: 'timeout_ms', message: /from 100 to 60000/ },
    { name: 'timeout_ms over 60000', id: 'custom', body: { connection_url: 'https://api.example.com', timeout_ms: 60_001 }, field: 'timeout_ms', message: /from 100 to 60000/ },
    { name: 'timeout_ms not whole', id: 'custom', body: { connection_url: 'https://api.example.com', timeout_ms: 1.5 }, field: 'timeout_ms' },
    { name: 'timeout_ms as a string', id: 'custom', body: { connection_url: 'https://api.example.com', timeout_ms: '500' }, field: 'timeout_ms' },
    { name: 'max_retries over 10', id: 'custom', body: { connection_url: 'https://api.example.com', max_retries: 11 }, field: 'max_retries', message: /from 0 to 10/ },
    { name: 'max_retries negative', id: 'custom', body: { connection_url: 'https://api.example.com', max_retries: -1 }, field: 'max_retries' },
    { name: 'enabled not a boolean', id: 'custom', body: { connection_url: 'https://api.example.com', enabled: 'yes' }, field: 'enabled' },
    { name: 'a connector_name with upper case', id: 'custom', body: { connection_url: 'https://api.example.com', connector_name: 'Partner' }, field: 'connector_name' },
    { name: 'a display_name with a control character', id: 'custom', body: { connection_url: 'https://api.example.com', display_name: 'a\nb' }, field: 'display_name' },
    { name: 'an unknown body field', id: 'custom', body: { connection_url: 'https://api.example.com', api_key: 'pw-not-shown-0007' }, field: 'api_key', message: /is not a field this route takes/ },
    { name: 'a misspelt body field', id: 'postgres', body: { connection_url: 'postgres://db.example.com/app', credential: pgCreds }, field: 'credential', message: /is not a field this route takes/ },
  ];

  for (const c of cases) {
    it(`${c.name} -> 400 ${c.field}`, async () => {
      const before = await counts(h);
      const r = await h.call('POST', `${BASE}/${c.id}/install`, { cookie: owner, body: c.body });
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.error.code, 'INVALID_INPUT');
      assert.equal(r.body.error.field, c.field, JSON.stringify(r.body));
      assert.ok(r.body.error.message.startsWith(`${c.field} `), r.body.error.message);
      if (c.message) assert.match(r.body.error.message, c.message);
      // The values sent, secrets above all, are never repeated back.
      assert.ok(!JSON.stringify(r.body).includes('pw-not-shown'), JSON.stringify(r.body));
      assert.deepEqual(await counts(h), before);
    });
  }

  it(
    'a secret in the URL fragment (#access_token=) is refused like one in the query',
    async () => {
      const before = await counts(h);
      const r = await h.call('POST', `${BASE}/custom/install`, { cookie: owner, body: { connection_url: 'https://api.example.com/#access_token=pw-not-shown-0008' } });
      try {
        assert.equal(r.status, 400, JSON.stringify(r.body));
        assert.equal(r.body.error.field, 'connection_url');
        assert.deepEqual(await counts(h), before);
      } finally {
        if (r.status < 300) assert.equal((await h.call('DELETE', `${BASE}/custom/uninstall`, { cookie: owner })).status, 204);
      }
    },
  );

  it('a body that is not an object, or not JSON, is 400 and stores nothing', async () => {
    const before = await counts(h);
    for (const rawBody of ['[]', '"x"', '{"connection_url":']) {
      const r = await h.call('POST', `${BASE}/custom/install`, { cookie: owner, rawBody, headers: { 'content-type': 'application/json' } });
      assert.equal(r.status, 400, `${rawBody}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, 'INVALID_INPUT');
    }
    assert.deepEqual(await counts(h), before);
  });

  it('an id not in the catalogue is 404, whatever the body, and stores nothing', async () => {
    const before = await counts(h);
    for (const body of [{}, { connection_url: 'https://api.example.com' }, { connection_url: 'mysql://db.example.com:3306', credentials: pgCreds }]) {
      const r = await h.call('POST', `${BASE}/mysql/install`, { cookie: owner, body });
      assert.equal(r.status, 404, JSON.stringify(r.body));
      assert.equal(r.body.error.code, 'NOT_FOUND');
    }
    assert.deepEqual(await counts(h), before);
  });

  it('a bad reinstall leaves the installation exactly as it was', async () => {
    const ok = await h.call('POST', `${BASE}/postgres/install`, { cookie: owner, body: { connection_url: 'postgres://db.example.com/app', credentials: pgCreds } });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    const stored = await row(h, 'acme', 'postgres');
    const before = await counts(h);
    h.clock.advance(1000);
    for (const body of [
      { options: { pool_size: 500 } },
      { credentials: { username: 'u' } },
      { connection_url: 'https://db.example.com' },
      { connection_url: 'postgres://10.1.2.3/app' },
      { timeout_ms: 0 },
      { max_retries: 99 },
    ]) {
      const r = await h.call('POST', `${BASE}/postgres/install`, { cookie: owner, body });
      assert.equal(r.status, 400, `${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
    }
    assert.deepEqual(await row(h, 'acme', 'postgres'), stored);
    assert.deepEqual(await counts(h), before);
  });
});

describe('connectors: credentials are write-only', () => {
  let h: Harness;
  let owner: string;
  let listener: { port: number; close: () => Promise<void> };
  const hex = () => randomBytes(12).toString('hex');
  const secrets = {
    pgUser: `svc-user-${hex()}`,
    pgPassword: `pg-pass-${hex()}`,
    slackToken: `xoxb-${hex()}-${hex()}`,
    slackSigning: `slack-signing-${hex()}`,
    amadeusKey: `amadeus-key-${hex()}`,
    amadeusSecret: `amadeus-secret-${hex()}`,
    customToken: `custom-token-${hex()}`,
    refusedValue: `refused-value-${hex()}`,
    badToken: `xoxp-${hex()}`,
  };
  const values = Object.values(secrets);
  const leaked = (text: string) => values.filter((v) => text.includes(v));
  const responses: { what: string; body: unknown }[] = [];
  const sealedBefore = new Map<string, string>();

  before(async () => {
    const server = createServer((socket) => socket.destroy());
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const port = (server.address() as AddressInfo).port;
    listener = { port, close: () => new Promise<void>((done) => server.close(() => done())) };
    h = await Harness.start({ outboundAllowHosts: [`127.0.0.1:${port}`] });
    await h.createOrg('acme');
    owner = await h.login('acme');
  });
  after(async () => {
    await h.close();
    await listener.close();
  });

  const rest = async (what: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const r = await h.call(method, path, { cookie: owner, body, headers });
    responses.push({ what, body: r.body });
    return r;
  };
  const gql = async (what: string, query: string, variables: Record<string, unknown> = {}) => {
    const body = await h.graphql(query, variables, { cookie: owner });
    responses.push({ what, body });
    return body;
  };
  const sealed = async (id: string) =>
    (await h.runtime.database.db.selectFrom('connectors').select('credentials').where('org_id', '=', 'acme').where('connector_id', '=', id).executeTakeFirstOrThrow()).credentials;

  it('no response carries a credential value: install, replay, get, list, health, reinstall, refusals, GraphQL', async () => {
    const pgBody = { connection_url: `postgres://127.0.0.1:${listener.port}/app`, credentials: { username: secrets.pgUser, password: secrets.pgPassword } };
    const first = await rest('install postgres', 'POST', `${BASE}/postgres/install`, pgBody, { 'idempotency-key': 'install-pg-1' });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    assert.equal(first.body.has_credentials, true);
    const replay = await rest('install postgres replayed', 'POST', `${BASE}/postgres/install`, pgBody, { 'idempotency-key': 'install-pg-1' });
    assert.equal(replay.status, 201);
    assert.equal(replay.headers.get('idempotency-replayed'), 'true');
    assert.equal((await rest('install slack', 'POST', `${BASE}/slack/install`, { credentials: { bot_token: secrets.slackToken, signing_secret: secrets.slackSigning } })).status, 201);
    assert.equal((await rest('install custom', 'POST', `${BASE}/custom/install`, { connection_url: 'https://partner.example.com', credentials: { token: secrets.customToken } })).status, 201);
    const viaGraphql = await gql(
      'install amadeus (GraphQL)',
      `mutation($input: ConnectorInstallInput!) { installConnector(id: "amadeus", input: $input) { created connector { id installed installation { connectorName displayName connectionUrl options hasCredentials timeoutMs maxRetries enabled healthStatus health { status message } installedAt updatedAt } } } }`,
      { input: { credentials: { api_key: secrets.amadeusKey, api_secret: secrets.amadeusSecret } } },
    );
    assert.equal(viaGraphql.errors, undefined, JSON.stringify(viaGraphql.errors));
    for (const id of ['postgres', 'slack', 'custom', 'amadeus']) sealedBefore.set(id, (await sealed(id))!);

    await rest('list', 'GET', BASE);
    for (const id of ['postgres', 'slack', 'custom', 'amadeus']) {
      const one = await rest(`get ${id}`, 'GET', `${BASE}/${id}`);
      assert.equal(one.body.has_credentials, true, id);
      assert.ok(!('credentials' in one.body), id);
    }
    assert.equal((await rest('health POST', 'POST', `${BASE}/postgres/health`)).body.status, 'healthy');
    assert.equal((await rest('health GET', 'GET', `${BASE}/postgres/health`)).status, 200);
    const all = await gql(
      'GraphQL connectors',
      `{ connectors { id optionsSchema credentialsSchema installation { connectorName displayName connectionUrl options hasCredentials timeoutMs maxRetries enabled healthStatus health { status message latencyMs lastChecked } installedAt updatedAt } } connectorHealth(id: "postgres") { status message } }`,
    );
    assert.equal(all.errors, undefined, JSON.stringify(all.errors));
    // There is no field to read them by.
    const asked = await gql('GraphQL credentials field', '{ connector(id: "postgres") { installation { credentials } } }');
    assert.match(asked.errors[0].message, /Cannot query field "credentials"/);

    // Reinstall without credentials: the answer says they are still set, and the sealed value is the same.
    const re = await rest('reinstall postgres', 'POST', `${BASE}/postgres/install`, { options: { pool_size: 2 } });
    assert.equal(re.status, 200, JSON.stringify(re.body));
    assert.equal(re.body.has_credentials, true);
    assert.equal(await sealed('postgres'), sealedBefore.get('postgres'));

    // Refusals say which field, never what was sent.
    const unknownField = await rest('refused unknown credential', 'POST', `${BASE}/postgres/install`, { credentials: { username: 'u', password: 'p', pin: secrets.refusedValue } });
    assert.equal(unknownField.status, 400);
    const badToken = await rest('refused bot token', 'POST', `${BASE}/slack/install`, { credentials: { bot_token: secrets.badToken } });
    assert.equal(badToken.status, 400);
    assert.equal(badToken.body.error.field, 'credentials.bot_token');
    const notObject = await rest('refused credentials string', 'POST', `${BASE}/custom/install`, { credentials: secrets.refusedValue });
    assert.equal(notObject.status, 400);
    const gqlRefused = await gql('GraphQL refused credential', `mutation($input: ConnectorInstallInput!) { installConnector(id: "slack", input: $input) { created } }`, {
      input: { credentials: { bot_token: secrets.badToken } },
    });
    assert.equal(gqlRefused.errors[0].extensions.code, 'INVALID_INPUT');
    // None of the refused values replaced what was stored.
    assert.equal(await sealed('slack'), sealedBefore.get('slack'));
    assert.equal(await sealed('custom'), sealedBefore.get('custom'));

    for (const r of responses) assert.deepEqual(leaked(JSON.stringify(r.body)), [], r.what);
  });

  it('nor the logs', () => {
    assert.ok(h.logs.some((l) => l.path === `${BASE}/postgres/install`), 'requests were logged');
    assert.deepEqual(leaked(JSON.stringify(h.logs)), []);
    assert.deepEqual(leaked(h.queries.join('\n')), []);
  });

  it('nor the audit trail', async () => {
    const rows = await h.runtime.database.db.selectFrom('audit_events').selectAll().execute();
    assert.ok(rows.filter((r) => r.target_type === 'connector').length >= 5);
    assert.deepEqual(leaked(JSON.stringify(rows)), []);
  });

  it('nor any table: the credentials column holds a sealed value that opens to the JSON sent', async () => {
    const db = h.runtime.database.db;
    const schema = h.config.database.kind === 'postgres' ? h.config.database.schema : undefined;
    const tables = (await db.introspection.getTables()).filter((t) => !t.isView && (schema === undefined || t.schema === schema));
    assert.ok(tables.some((t) => t.name === 'connectors') && tables.some((t) => t.name === 'idempotency_keys'));
    for (const t of tables) {
      const rows = await sql<Record<string, unknown>>`select * from ${sql.table(t.name)}`.execute(db);
      if (t.name === 'connectors') assert.equal(rows.rows.length, 4, 'the dump reads the rows');
      assert.deepEqual(leaked(JSON.stringify(rows.rows)), [], t.name);
    }
    const box = new SecretBox(h.config.encryptionKey);
    const pg = (await sealed('postgres'))!;
    assert.ok(pg.startsWith('v1.'), pg.slice(0, 10));
    assert.deepEqual(JSON.parse(box.open(pg, CREDENTIALS_CONTEXT)), { username: secrets.pgUser, password: secrets.pgPassword });
    assert.deepEqual(JSON.parse(box.open((await sealed('slack'))!, CREDENTIALS_CONTEXT)), { bot_token: secrets.slackToken, signing_secret: secrets.slackSigning });
    // Bound to its purpose: the same box does not open it under another context.
    assert.throws(() => box.open(pg, 'llm_providers.api_key'));
  });

  it('rotate-secrets re-seals connector credentials under the new key, once', async () => {
    const oldKey = h.config.encryptionKey;
    const newKey = randomBytes(32);
    const rotating = new SecretBox(newKey, [oldKey]);
    const before = await sealed('postgres');
    assert.deepEqual(await rotateSecrets(h.runtime.database.db, rotating), { resealed: 4, current: 0, keyId: rotating.currentKeyId });
    const after = (await sealed('postgres'))!;
    assert.notEqual(after, before);
    assert.deepEqual(JSON.parse(new SecretBox(newKey).open(after, CREDENTIALS_CONTEXT)), { username: secrets.pgUser, password: secrets.pgPassword });
    assert.throws(() => new SecretBox(oldKey).open(after, CREDENTIALS_CONTEXT));
    assert.deepEqual(await rotateSecrets(h.runtime.database.db, rotating), { resealed: 0, current: 4, keyId: rotating.currentKeyId });
  });
});
