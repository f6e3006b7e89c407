import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_KEY, Harness } from '../helpers/harness.js';

// What a web page on another origin can make a browser send, against every face: it reads nothing (CORS
// closed), and changes nothing for a caller who brings no header credential (cookie or keyless operator).

const licensesOf = async (h: Harness, orgId: string) =>
  (await h.runtime.database.db.selectFrom('licenses').select('id').where('org_id', '=', orgId).execute()).length;

describe('CORS: closed unless an exact origin is listed', () => {
  let h: Harness;
  let cookie: string;
  before(async () => {
    h = await Harness.start({ corsOrigins: ['https://portal.example.com'] });
    await h.createOrg('acme');
    cookie = await h.login('acme');
  });
  after(() => h.close());

  it('gives a foreign origin no CORS headers on GraphQL and REST, with or without the cookie', async () => {
    for (const [method, path, body] of [
      ['POST', '/graphql', { query: '{ organization { orgId } }' }],
      ['GET', '/api/v1/auth/session', undefined],
    ] as const) {
      const r = await h.call(method, path, { cookie, body, headers: { origin: 'https://evil.example' } });
      assert.equal(r.headers.get('access-control-allow-origin'), null, `${path} reflects no origin`);
      assert.equal(r.headers.get('access-control-allow-credentials'), null);
      assert.match(r.headers.get('vary') ?? '', /Origin/);
    }
  });

  it('answers a foreign preflight 403 without CORS headers, and a listed one with the exact origin', async () => {
    const preflight = (origin: string) =>
      h.call('OPTIONS', '/graphql', {
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
    const foreign = await preflight('https://evil.example');
    assert.equal(foreign.status, 403);
    assert.equal(foreign.headers.get('access-control-allow-origin'), null);
    const nullOrigin = await preflight('null');
    assert.equal(nullOrigin.headers.get('access-control-allow-origin'), null);
    const listed = await preflight('https://portal.example.com');
    assert.equal(listed.status, 204);
    assert.equal(listed.headers.get('access-control-allow-origin'), 'https://portal.example.com');
    assert.equal(listed.headers.get('access-control-allow-credentials'), 'true');
    assert.match(listed.headers.get('access-control-allow-methods')!, /POST/);
  });

  it('lets the listed origin read with the cookie, never as "*"', async () => {
    const r = await h.call('POST', '/graphql', {
      cookie,
      body: { query: '{ organization { orgId } }' },
      headers: { origin: 'https://portal.example.com' },
    });
    assert.deepEqual(r.body.data, { organization: { orgId: 'acme' } });
    assert.equal(r.headers.get('access-control-allow-origin'), 'https://portal.example.com');
    assert.equal(r.headers.get('access-control-allow-credentials'), 'true');
    assert.match(r.headers.get('access-control-expose-headers')!, /X-Request-Id/);
  });

  it('is closed by default: no origin gets CORS headers when CORS_ORIGINS is empty', async () => {
    const closed = await Harness.start();
    try {
      const r = await closed.call('OPTIONS', '/api/v1/keys', { headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'GET' } });
      assert.equal(r.status, 403);
      assert.equal(r.headers.get('access-control-allow-origin'), null);
    } finally {
      await closed.close();
    }
  });
});

describe('the keyless operator cannot be reached from a browser', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start({ deploymentMode: 'enterprise', adminApiKey: null, publicUrl: 'https://control.example.com' });
    await h.call('POST', '/api/v1/admin/organizations', { body: { org_id: 'acme', name: 'Acme', password: 'acme-password-1' } });
  });
  after(() => h.close());

  const setPassword = (headers: Record<string, string>, rawBody = JSON.stringify({ password: 'attacker-chosen-1' })) =>
    h.call('POST', '/api/v1/admin/organizations/acme/password', { rawBody, headers });
  const issueLicense = (headers: Record<string, string>, rawBody = '{}') =>
    h.call('POST', '/api/v1/admin/organizations/acme/license', { rawBody, headers });

  it('refuses a foreign Origin, Origin: null, a form post and a text body, and changes nothing', async () => {
    const licenses = await licensesOf(h, 'acme');
    const attempts = [
      await setPassword({ origin: 'https://evil.example', 'content-type': 'application/json' }),
      await setPassword({ origin: 'null', 'content-type': 'application/json' }),
      await setPassword({ 'content-type': 'application/x-www-form-urlencoded' }, ''),
      await setPassword({ 'content-type': 'text/plain' }),
      await issueLicense({ origin: 'http://localhost:8080', 'content-type': 'application/json' }),
      await issueLicense({ 'content-type': 'application/x-www-form-urlencoded' }, ''),
      await h.call('POST', '/graphql', {
        rawBody: JSON.stringify({ query: 'mutation { issueLicense(orgId: "acme", input: {}) { licenseId } }' }),
        headers: { 'content-type': 'text/plain', 'x-graphql-yoga-csrf': '1' },
      }),
    ];
    for (const r of attempts) {
      assert.equal(r.status, 403, JSON.stringify(r.body));
      assert.equal(r.body.error?.code ?? r.body.errors?.[0]?.extensions?.code, 'FORBIDDEN');
    }
    assert.equal(await licensesOf(h, 'acme'), licenses, 'no license was issued');
    const login = await h.call('POST', '/api/v1/auth/login', { body: { org_id: 'acme', password: 'acme-password-1' }, ip: '192.0.2.40' });
    assert.equal(login.status, 200, 'the password was not changed');
  });

  it('answers 421 to another Host (DNS rebinding) before any work', async () => {
    const before = await licensesOf(h, 'acme');
    const rebound = await issueLicense({ host: 'evil.example:8080', 'content-type': 'application/json' });
    assert.equal(rebound.status, 421);
    assert.equal(rebound.body.error.code, 'MISDIRECTED_REQUEST');
    assert.match(rebound.body.error.message, /ALLOWED_HOSTS/);
    const gql = await h.call('POST', '/graphql', { body: { query: '{ organizations { totalCount } }' }, headers: { host: 'evil.example' } });
    assert.equal(gql.status, 421);
    assert.equal(await licensesOf(h, 'acme'), before);
    assert.equal((await h.call('GET', '/livez', { headers: { host: '10.1.2.3:8080' } })).status, 200, 'probes answer any Host');
  });

  it('still serves its own pages and scripts: same origin or no Origin, with JSON', async () => {
    const before = await licensesOf(h, 'acme');
    const own = await issueLicense({ origin: 'https://control.example.com', 'content-type': 'application/json', host: 'control.example.com' });
    assert.equal(own.status, 201, JSON.stringify(own.body));
    const script = await issueLicense({ 'content-type': 'application/json' });
    assert.equal(script.status, 201);
    assert.equal(await licensesOf(h, 'acme'), before + 2);
  });

  it('is never the operator for a request a browser says comes from another site, whatever the method', async () => {
    const rows = async () => (await h.runtime.database.db.selectFrom('audit_events').select('id').where('action', '=', 'admin.organization_read').execute()).length;
    const before = await rows();
    const foreign: Record<string, string>[] = [{ 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site' }, { origin: 'https://evil.example' }];
    for (const headers of foreign) {
      const r = await h.call('GET', '/api/v1/admin/organizations/acme', { headers });
      assert.equal(r.status, 401, JSON.stringify(headers));
      assert.match(r.body.error.message, /needs the admin API key/);
    }
    assert.equal(await rows(), before, 'no audit row written for an <img> on another site');
    const own = await h.call('GET', '/api/v1/admin/organizations/acme', { headers: { 'sec-fetch-site': 'same-origin' } });
    assert.equal(own.status, 200);
  });

  it('lets an origin listed for CORS log in, but never act as the keyless operator', async () => {
    const cors = await Harness.start({ deploymentMode: 'enterprise', adminApiKey: null, corsOrigins: ['https://portal.example.com'] });
    try {
      await cors.call('POST', '/api/v1/admin/organizations', { body: { org_id: 'acme', name: 'Acme', password: 'acme-password-1' } });
      const headers = { origin: 'https://portal.example.com' };
      const op = await cors.call('POST', '/api/v1/admin/organizations/acme/license', { body: {}, headers });
      assert.equal(op.status, 401);
      const login = await cors.call('POST', '/api/v1/auth/login', { body: { org_id: 'acme', password: 'acme-password-1' }, headers });
      assert.equal(login.status, 200);
      assert.equal(login.headers.get('access-control-allow-origin'), 'https://portal.example.com');
    } finally {
      await cors.close();
    }
  });

  it('once a key is configured, requires it in this mode too', async () => {
    const keyed = await Harness.start({ deploymentMode: 'enterprise' });
    try {
      const r = await keyed.call('GET', '/api/v1/admin/organizations');
      assert.equal(r.status, 401);
      assert.deepEqual(r.body.error.required_auth, ['admin_api_key']);
      assert.equal((await keyed.call('GET', '/api/v1/admin/organizations', { headers: { 'x-admin-api-key': ADMIN_KEY } })).status, 200);
    } finally {
      await keyed.close();
    }
  });
});

describe('a cookie caller changes nothing from another origin or with a form body', () => {
  let h: Harness;
  let cookie: string;
  before(async () => {
    ({ h, cookie } = await Harness.withOrgSession('acme'));
  });
  after(() => h.close());

  const keyRows = async () => (await h.runtime.database.db.selectFrom('api_keys').select('id').execute()).length;

  it('refuses foreign and null origins and form or text bodies, naming what to send', async () => {
    const before = await keyRows();
    const body = JSON.stringify({ name: 'k', scopes: ['usage:write'] });
    const variants: Record<string, string>[] = [
      { origin: 'https://evil.example', 'content-type': 'application/json' },
      { origin: 'http://localhost:9999', 'content-type': 'application/json' },
      { origin: 'null', 'content-type': 'application/json' },
      { 'content-type': 'application/x-www-form-urlencoded' },
      { 'content-type': 'text/plain;charset=UTF-8' },
      { 'content-type': 'multipart/form-data; boundary=x' },
    ];
    for (const headers of variants) {
      const r = await h.call('POST', '/api/v1/keys', { cookie, rawBody: body, headers });
      assert.equal(r.status, 403, JSON.stringify(headers));
      assert.match(r.body.error.message, /Origin|Content-Type: application\/json/);
    }
    assert.equal(await keyRows(), before);
    const own = await h.call('POST', '/api/v1/keys', { cookie, rawBody: body, headers: { origin: 'http://localhost', 'content-type': 'application/json' } });
    assert.equal(own.status, 201, 'the same origin with JSON is the portal itself');
  });

  it('leaves header credentials alone: a page cannot send them, so a script may post any content type', async () => {
    const { key } = await h.apiKey('acme', ['nodes:write'], cookie);
    const r = await h.call('POST', '/api/v1/nodes/heartbeat', {
      rawBody: JSON.stringify({ node_id: 'n1', hostname: 'h', role: 'agent', version: '1' }),
      headers: { authorization: `Bearer ${key}`, 'content-type': 'text/plain', origin: 'https://elsewhere.example' },
    });
    assert.equal(r.status, 400, 'judged as input (not JSON), not refused as a browser request');
    assert.match(r.body.error.message, /application\/json/);
  });
});
