import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_KEY, type ApiResult, Harness } from '../helpers/harness.js';

function assertHouseHeaders(r: ApiResult, where: string): void {
  assert.match(r.headers.get('x-request-id') ?? '', /^[A-Za-z0-9._-]{8,64}$/, `${where}: X-Request-Id`);
  assert.equal(r.headers.get('cache-control'), 'no-store', `${where}: Cache-Control`);
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff', `${where}: nosniff`);
}

describe('honest HTTP on every face', () => {
  let h: Harness;
  let cookie: string;
  before(async () => {
    ({ h, cookie } = await Harness.withOrgSession('acme'));
  });
  after(() => h.close());

  it('answers X-Request-Id, no-store and nosniff everywhere, /graphql and its errors included', async () => {
    const cases: [string, Promise<ApiResult>][] = [
      ['GraphQL data', h.call('POST', '/graphql', { cookie, body: { query: '{ organization { orgId } }' } })],
      ['GraphQL error', h.call('POST', '/graphql', { body: { query: '{ nope }' } })],
      ['GraphQL bad JSON', h.call('POST', '/graphql', { rawBody: '{"query":', headers: { 'content-type': 'application/json' } })],
      ['REST', h.call('GET', '/api/v1/auth/session', { cookie })],
      ['REST 401', h.call('GET', '/api/v1/keys')],
      ['404', h.call('GET', '/api/v1/nowhere')],
      ['405', h.call('PUT', '/api/v1/keys')],
      ['probe', h.call('GET', '/readyz')],
    ];
    for (const [where, pending] of cases) assertHouseHeaders(await pending, where);
    const given = await h.call('POST', '/graphql', { body: { query: '{ nope }' }, headers: { 'x-request-id': 'trace-abc-12345' } });
    assert.equal(given.headers.get('x-request-id'), 'trace-abc-12345', 'a tame caller id is kept');
  });

  it('keeps a route’s own caching rule where it has one', async () => {
    const r = await h.call('GET', '/api/v1/license/public-key');
    assert.equal(r.headers.get('cache-control'), 'public, max-age=300');
  });

  it('answers a known path with the wrong method 405 with Allow, and an unknown path 404', async () => {
    const wrong = await h.call('PUT', '/api/v1/keys', { cookie, body: {} });
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get('allow'), 'GET, HEAD, POST');
    assert.equal(wrong.body.error.code, 'METHOD_NOT_ALLOWED');
    const param = await h.call('POST', '/api/v1/keys/key_123', { cookie, body: {} });
    assert.equal(param.status, 405);
    assert.equal(param.headers.get('allow'), 'DELETE, GET, HEAD');
    const gql = await h.call('DELETE', '/graphql');
    assert.equal(gql.status, 405);
    assert.equal(gql.headers.get('allow'), 'GET, POST');
    const probe = await h.call('POST', '/livez');
    assert.equal(probe.status, 405);
    const head = await h.call('HEAD', '/graphql');
    assert.equal(head.status, 405);
    assert.equal(head.headers.get('allow'), 'GET, POST');
    assertHouseHeaders(head, 'HEAD /graphql');
    assert.equal((await h.call('POST', '/graphql/', { body: {} })).status, 404, 'another path, not a wrong method');
    const unknown = await h.call('GET', '/api/v1/keyz');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.headers.get('allow'), null);
  });

  it('carries WWW-Authenticate on 401, with the scheme of the model the route takes', async () => {
    const portal = await h.call('GET', '/api/v1/keys');
    assert.equal(portal.status, 401);
    assert.equal(portal.headers.get('www-authenticate'), 'Session realm="portal", cookie="axonflow_session"');
    const admin = await h.call('GET', '/api/v1/admin/organizations', { cookie });
    assert.equal(admin.headers.get('www-authenticate'), 'ApiKey realm="admin", header="X-Admin-API-Key"');
    const runtime = await h.call('POST', '/api/v1/nodes/heartbeat', { body: {} });
    assert.equal(runtime.headers.get('www-authenticate'), 'Bearer realm="runtime"');
    const revoked = await h.call('POST', '/api/v1/nodes/heartbeat', { body: {}, headers: { authorization: `Bearer axon_${'0'.repeat(16)}_${'x'.repeat(49)}` } });
    assert.equal(revoked.headers.get('www-authenticate'), 'Bearer realm="runtime", error="invalid_token"');
    const viewer = (await h.userSession('acme', 'viewer', cookie)).cookie;
    const forbidden = await h.call('POST', '/api/v1/keys', { cookie: viewer, body: { name: 'k', scopes: ['usage:write'] } });
    assert.equal(forbidden.status, 403);
    assert.equal(forbidden.headers.get('www-authenticate'), null, 'a 403 is not a challenge');
  });

  it('names what was presented truthfully: Basic, a foreign bearer, a truncated key', async () => {
    const basic = await h.call('POST', '/api/v1/nodes/heartbeat', { body: {}, headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    assert.equal(basic.status, 401);
    assert.match(basic.body.error.message, /an Authorization header with the Basic scheme was presented, which is no credential of this service/);
    assert.doesNotMatch(basic.body.error.message, /runtime API key was presented/);
    const malformed = await h.call('GET', '/api/v1/keys', { headers: { authorization: 'Bearer  axon_x extra' } });
    assert.match(malformed.body.error.message, /a malformed Authorization header/);
    const foreign = await h.call('GET', '/api/v1/keys', { headers: { authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.e30.x' } });
    assert.match(foreign.body.error.message, /a bearer token that is neither an API key \(axon_\.\.\.\) nor a SCIM token/);
    const { key } = await h.apiKey('acme', ['nodes:write'], cookie);
    const truncated = await h.call('POST', '/api/v1/nodes/heartbeat', { body: {}, headers: { 'x-api-key': key.slice(0, 40) } });
    assert.equal(truncated.status, 401);
    assert.match(truncated.body.error.message, /malformed or truncated/);
  });

  it('names the header to send when GraphQL refuses a request any page could send', async () => {
    const r = await h.call('GET', `/graphql?query=${encodeURIComponent('{ deploymentConfig { mode } }')}`);
    assert.equal(r.status, 403);
    assert.match(r.body.errors[0].message, /x-graphql-yoga-csrf/);
    assert.match(r.body.errors[0].message, /Content-Type: application\/json/);
    const ok = await h.call('GET', `/graphql?query=${encodeURIComponent('{ deploymentConfig { mode } }')}`, { headers: { 'x-graphql-yoga-csrf': '1' } });
    assert.deepEqual(ok.body.data, { deploymentConfig: { mode: 'saas' } });
  });

  it('refuses invalid UTF-8 on /graphql as REST does, with 400', async () => {
    const bytes = new Uint8Array([...Buffer.from('{"query":"{ deploymentConfig { mode } }","x":"'), 0xff, 0xfe, ...Buffer.from('"}')]);
    const gql = await h.call('POST', '/graphql', { rawBody: bytes, headers: { 'content-type': 'application/json' } });
    assert.equal(gql.status, 400);
    assert.equal(gql.body.errors[0].extensions.code, 'INVALID_INPUT');
    assert.match(gql.body.errors[0].message, /UTF-8/);
    const rest = await h.call('POST', '/api/v1/admin/organizations', { rawBody: bytes, headers: { 'content-type': 'application/json', 'x-admin-api-key': ADMIN_KEY } });
    assert.equal(rest.status, 400);
    assert.match(rest.body.error.message, /UTF-8/);
  });
});
