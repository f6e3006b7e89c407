import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { ADMIN_KEY, type CallOptions, Harness } from '../helpers/harness.js';

const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const TOKEN_SHAPE = /^scim_[0-9a-f]{16}_([A-Za-z0-9_-]{43})[0-9A-Za-z]{6}$/;
const DAY = 86_400_000;

/** The token format's checksum (6 base62 digits of CRC-32), to forge a token that passes the shape check. */
function checksum(body: string): string {
  const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  let n = crc32(body);
  let out = '';
  for (let i = 0; i < 6; i++) {
    out = BASE62[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

const patch = (...Operations: unknown[]) => ({ schemas: [PATCH_OP], Operations });

/** A 401 of SCIM: the error body in SCIM's media type and the Bearer challenge; returns the detail. */
function unauthorized(r: { status: number; body: any; headers: Headers }): string {
  assert.equal(r.status, 401, JSON.stringify(r.body));
  assert.equal(r.headers.get('content-type'), 'application/scim+json');
  assert.deepEqual(r.body.schemas, [ERROR]);
  assert.equal(r.body.status, '401');
  assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer realm="SCIM"/);
  assert.match(r.body.detail, /this route needs a SCIM bearer token/);
  return r.body.detail;
}

/** A 401 of a portal route: the REST error envelope, naming the portal session as what is needed. */
function needsPortalSession(r: { status: number; body: any }): void {
  assert.equal(r.status, 401, JSON.stringify(r.body));
  assert.equal(r.body.error.code, 'UNAUTHENTICATED');
  assert.match(r.body.error.message, /needs a portal session/);
  assert.match(r.body.error.message, /a SCIM bearer token was presented: SCIM tokens are accepted only on \/scim\/v2/);
  assert.deepEqual(r.body.error.required_auth, ['portal_session']);
}

describe('credentials on /scim/v2', () => {
  let h: Harness;
  let cookie: string;

  before(async () => {
    ({ h, cookie } = await Harness.withOrgSession('acme'));
  });
  after(() => h.close());

  it('no token is 401 with the SCIM error body and the Bearer challenge', async () => {
    for (const path of ['/scim/v2/Users', '/scim/v2/Groups', '/scim/v2/Users/usr_x', '/scim/v2/Users/.search']) {
      const r = await h.call(path.endsWith('.search') ? 'POST' : 'GET', path, path.endsWith('.search') ? { body: {} } : {});
      assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="SCIM"');
      assert.match(unauthorized(r), /no credential was presented/);
    }
  });

  it('a token works, and a revoked one is refused on the very next request', async () => {
    const { token, id } = await h.scimToken('acme', cookie);
    assert.equal((await h.scim(token, 'GET', 'Users')).status, 200);
    const revoke = await h.call('DELETE', `/api/v1/scim/tokens/${id}`, { cookie });
    assert.equal(revoke.status, 200);
    assert.equal(revoke.body.revoked_at, h.clock.now().toISOString());
    assert.equal(revoke.body.token, undefined);
    const r = await h.scim(token, 'GET', 'Users');
    assert.match(unauthorized(r), /was not accepted: the SCIM token was revoked/);
    assert.match(r.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    assert.ok(!r.body.detail.includes(token));
    // Writes too.
    unauthorized(await h.scim(token, 'POST', 'Users', { userName: 'late@example.com' }));
    assert.equal((await h.scim((await h.scimToken('acme', cookie)).token, 'GET', 'Users')).body.totalResults, 0);
  });

  it('a token that expires stops at its expiry', async () => {
    const r = await h.call('POST', '/api/v1/scim/tokens', { cookie, body: { name: 'one day', expires_in_days: 1 } });
    assert.equal(r.status, 201);
    assert.equal(r.body.expires_at, new Date(h.clock.now().getTime() + DAY).toISOString());
    h.clock.advance(DAY - 1000);
    assert.equal((await h.scim(r.body.token, 'GET', 'Users')).status, 200);
    h.clock.advance(1000);
    assert.match(unauthorized(await h.scim(r.body.token, 'GET', 'Users')), /the SCIM token has expired/);
    h.clock.advance(DAY);
    assert.match(unauthorized(await h.scim(r.body.token, 'GET', 'Users')), /expired/);
  });

  it('a malformed, mistyped or forged scim_ token is 401', async () => {
    const { token } = await h.scimToken('acme', await h.login('acme'));
    const last = token.at(-1) === 'A' ? 'B' : 'A';
    for (const bad of ['scim_', 'scim_123', 'scim_zzzzzzzzzzzzzzzz_short', token.slice(0, -1), `${token}x`, token.slice(0, -1) + last]) {
      const detail = unauthorized(await h.scim(bad, 'GET', 'Users'));
      assert.match(detail, /malformed or truncated|checksum does not match/, bad);
    }
    // A well-formed token, checksum and all, under a real public id but with another secret: unknown.
    const body = `${/^scim_[0-9a-f]{16}_/.exec(token)![0]}${randomBytes(32).toString('base64url')}`;
    const forged = await h.scim(body + checksum(body), 'GET', 'Users');
    assert.match(unauthorized(forged), /unknown SCIM token/);
    assert.equal((await h.scim(token, 'GET', 'Users')).status, 200);
  });

  it('a session cookie, an API key and the admin key are each refused, naming what the route needs', async () => {
    // The expiry test moved the clock past the session idle timeout: log in afresh.
    cookie = await h.login('acme');
    const session = await h.call('GET', '/scim/v2/Users', { cookie });
    assert.match(unauthorized(session), /a portal session was presented/);
    const { key } = await h.apiKey('acme', ['*'], cookie);
    const keyHeaders: Record<string, string>[] = [{ authorization: `Bearer ${key}` }, { 'x-api-key': key }];
    for (const headers of keyHeaders) {
      const r = await h.call('GET', '/scim/v2/Users', { headers });
      assert.match(unauthorized(r), /a runtime API key was presented/);
      assert.ok(!r.body.detail.includes(key));
    }
    const admin = await h.call('GET', '/scim/v2/Users', { headers: { 'x-admin-api-key': ADMIN_KEY } });
    assert.match(unauthorized(admin), /the admin API key was presented/);
    assert.ok(!admin.body.detail.includes(ADMIN_KEY));
    const basic = await h.call('GET', '/scim/v2/Users', { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    assert.match(unauthorized(basic), /Basic scheme/);
    // None of them wrote through: the directory is still empty.
    const { token } = await h.scimToken('acme', cookie);
    const refused: CallOptions[] = [{ cookie }, { headers: { 'x-admin-api-key': ADMIN_KEY } }, { headers: { authorization: `Bearer ${key}` } }];
    for (const opts of refused) {
      const r = await h.call('POST', '/scim/v2/Users', { ...opts, body: { userName: 'sneaky@example.com' } });
      assert.equal(r.status, 401);
    }
    assert.equal((await h.scim(token, 'GET', 'Users')).body.totalResults, 0);
  });

  it('a SCIM token on portal routes and GraphQL is 401 naming the portal session', async () => {
    cookie = await h.login('acme');
    const { token } = await h.scimToken('acme', cookie);
    const bearer = { authorization: `Bearer ${token}` };
    needsPortalSession(await h.call('GET', '/api/v1/keys', { headers: bearer }));
    needsPortalSession(await h.call('GET', '/api/v1/auth/session', { headers: bearer }));
    needsPortalSession(await h.call('GET', '/api/v1/scim/tokens', { headers: bearer }));
    needsPortalSession(await h.call('POST', '/api/v1/scim/tokens', { headers: bearer, body: { name: 'self-made' } }));
    const gql = await h.graphql('{ organization { orgId } }', {}, { headers: bearer });
    assert.equal(gql.data, null);
    assert.equal(gql.errors[0].extensions.code, 'UNAUTHENTICATED');
    assert.equal(gql.errors[0].extensions.status, 401);
    assert.match(gql.errors[0].message, /needs a portal session/);
    assert.deepEqual(gql.errors[0].extensions.requiredAuth, ['portal_session']);
    const mint = await h.graphql('mutation { createScimToken(input: { name: "escalate" }) { token } }', {}, { headers: bearer });
    assert.equal(mint.errors[0].extensions.code, 'UNAUTHENTICATED');
    const list = await h.call('GET', '/api/v1/scim/tokens', { cookie });
    assert.ok(!list.body.tokens.some((t: any) => t.name === 'self-made' || t.name === 'escalate'));
  });

  it("a suspended organization's token is 401, and works again when it is reactivated", async () => {
    const { token } = await h.scimToken('acme', await h.login('acme'));
    assert.equal((await h.scim(token, 'GET', 'Users')).status, 200);
    const s = await h.admin('PATCH', '/api/v1/admin/organizations/acme', { status: 'SUSPENDED' });
    assert.equal(s.status, 200, JSON.stringify(s.body));
    assert.match(unauthorized(await h.scim(token, 'GET', 'Users')), /the organization is suspended/);
    unauthorized(await h.scim(token, 'POST', 'Users', { userName: 'during@example.com' }));
    const a = await h.admin('PATCH', '/api/v1/admin/organizations/acme', { status: 'ACTIVE' });
    assert.equal(a.status, 200);
    const r = await h.scim(token, 'GET', 'Users');
    assert.equal(r.status, 200);
    assert.ok(!r.body.Resources.some((u: any) => u.userName === 'during@example.com'));
  });
});

describe('organizations are isolated', () => {
  let h: Harness;
  let acme: string;
  let beta: string;
  let user: any;
  let group: any;
  let betaGroup: any;

  before(async () => {
    let cookie: string;
    ({ h, cookie } = await Harness.withOrgSession('acme'));
    await h.createOrg('beta');
    acme = (await h.scimToken('acme', cookie)).token;
    beta = (await h.scimToken('beta')).token;
    user = (await h.scim(acme, 'POST', 'Users', { schemas: [USER_SCHEMA], userName: 'ada@acme.example', displayName: 'Ada', externalId: 'okta-1' })).body;
    group = (await h.scim(acme, 'POST', 'Groups', { displayName: 'Acme Admins', members: [{ value: user.id }] })).body;
    // Joining the group moved the user's version: read it as it stands now.
    user = (await h.scim(acme, 'GET', `Users/${user.id}`)).body;
    betaGroup = (await h.scim(beta, 'POST', 'Groups', { displayName: 'Beta Team', members: [] })).body;
    assert.ok(user.id && group.id && betaGroup.id);
  });
  after(() => h.close());

  it("another org's lists show none of this org's users or groups, whatever the filter", async () => {
    const users = await h.scim(beta, 'GET', 'Users');
    assert.equal(users.status, 200);
    assert.equal(users.body.totalResults, 0);
    for (const filter of [`id eq "${user.id}"`, 'userName eq "ada@acme.example"', 'externalId eq "okta-1"', `groups.value eq "${group.id}"`]) {
      const r = await h.scim(beta, 'GET', `Users?filter=${encodeURIComponent(filter)}`);
      assert.equal(r.body.totalResults, 0, filter);
    }
    const groups = await h.scim(beta, 'GET', 'Groups');
    assert.deepEqual(groups.body.Resources.map((g: any) => g.id), [betaGroup.id]);
    const byMember = await h.scim(beta, 'GET', `Groups?filter=${encodeURIComponent(`members.value eq "${user.id}"`)}`);
    assert.equal(byMember.body.totalResults, 0);
    const search = await h.scim(beta, 'POST', 'Users/.search', { filter: 'userName pr' });
    assert.equal(search.body.totalResults, 0);
  });

  it("GET, PUT, PATCH and DELETE of this org's ids are 404 for another org", async () => {
    for (const [method, path, body] of [
      ['GET', `Users/${user.id}`, undefined],
      ['PUT', `Users/${user.id}`, { userName: 'taken@beta.example' }],
      ['PATCH', `Users/${user.id}`, patch({ op: 'replace', path: 'active', value: false })],
      ['DELETE', `Users/${user.id}`, undefined],
      ['GET', `Groups/${group.id}`, undefined],
      ['PUT', `Groups/${group.id}`, { displayName: 'Hijacked', members: [] }],
      ['PATCH', `Groups/${group.id}`, patch({ op: 'remove', path: 'members' })],
      ['DELETE', `Groups/${group.id}`, undefined],
    ] as const) {
      const r = await h.scim(beta, method, path, body);
      assert.equal(r.status, 404, `${method} ${path}`);
      assert.deepEqual(r.body.schemas, [ERROR]);
      assert.ok(!JSON.stringify(r.body).includes('ada@acme.example'));
    }
    const still = await h.scim(acme, 'GET', `Users/${user.id}`);
    assert.equal(still.body.active, true);
    assert.equal(still.body.meta.version, user.meta.version);
    const g = await h.scim(acme, 'GET', `Groups/${group.id}`);
    assert.equal(g.body.displayName, 'Acme Admins');
    assert.deepEqual(g.body.members.map((m: any) => m.value), [user.id]);
  });

  it("adding this org's user to another org's group is 400 invalidValue", async () => {
    const r = await h.scim(beta, 'PATCH', `Groups/${betaGroup.id}`, patch({ op: 'add', path: 'members', value: [{ value: user.id }] }));
    assert.equal(r.status, 400);
    assert.equal(r.body.scimType, 'invalidValue');
    const put = await h.scim(beta, 'PUT', `Groups/${betaGroup.id}`, { displayName: 'Beta Team', members: [{ value: user.id }] });
    assert.equal(put.status, 400);
    assert.equal(put.body.scimType, 'invalidValue');
    const post = await h.scim(beta, 'POST', 'Groups', { displayName: 'Beta Poachers', members: [{ value: user.id }] });
    assert.equal(post.status, 400);
    const read = await h.scim(beta, 'GET', `Groups/${betaGroup.id}`);
    assert.deepEqual(read.body.members ?? [], []);
    const acmeUser = await h.scim(acme, 'GET', `Users/${user.id}`);
    assert.deepEqual(acmeUser.body.groups.map((g: any) => g.value), [group.id]);
  });

  it("the same userName and group name in another org are that org's own", async () => {
    const u = await h.scim(beta, 'POST', 'Users', { userName: 'ADA@acme.example' });
    assert.equal(u.status, 201, JSON.stringify(u.body));
    assert.notEqual(u.body.id, user.id);
    const g = await h.scim(beta, 'POST', 'Groups', { displayName: 'acme admins' });
    assert.equal(g.status, 201, JSON.stringify(g.body));
    assert.equal((await h.scim(acme, 'GET', 'Users')).body.totalResults, 1);
    assert.equal((await h.scim(acme, 'GET', 'Groups')).body.totalResults, 1);
  });
});

describe('token management', () => {
  let h: Harness;
  let cookie: string;

  before(async () => {
    ({ h, cookie } = await Harness.withOrgSession('acme'));
  });
  after(() => h.close());

  it('POST /api/v1/scim/tokens shows the token once; the list shows only its prefix', async () => {
    const r = await h.call('POST', '/api/v1/scim/tokens', { cookie, body: { name: 'Okta production' } });
    assert.equal(r.status, 201);
    const m = TOKEN_SHAPE.exec(r.body.token);
    assert.ok(m, r.body.token);
    assert.ok(Buffer.from(m[1], 'base64url').length * 8 >= 128);
    assert.deepEqual(Object.keys(r.body).sort(), ['created_at', 'expires_at', 'id', 'last_error', 'last_used_at', 'name', 'prefix', 'requests24h', 'revoked_at', 'token']);
    assert.match(r.body.id, /^sct_[0-9a-f]{16}$/);
    assert.equal(r.body.name, 'Okta production');
    assert.ok(r.body.token.startsWith(`${r.body.prefix}_`));
    assert.equal(r.body.created_at, h.clock.now().toISOString());
    assert.equal(r.body.expires_at, null);
    assert.equal(r.body.revoked_at, null);
    assert.equal(r.body.last_used_at, null);
    assert.equal(r.body.last_error, null);
    assert.deepEqual(r.body.requests24h, { ok: 0, not_modified: 0, client_errors: 0, server_errors: 0 });

    const second = await h.call('POST', '/api/v1/scim/tokens', { cookie, body: { name: 'Entra' } });
    assert.notEqual(second.body.token, r.body.token);
    assert.notEqual(TOKEN_SHAPE.exec(second.body.token)![1], m[1]);

    const list = await h.call('GET', '/api/v1/scim/tokens', { cookie });
    assert.equal(list.status, 200);
    const text = JSON.stringify(list.body);
    assert.ok(!text.includes(r.body.token) && !text.includes(m[1]));
    assert.ok(!text.includes(second.body.token));
    const listed = list.body.tokens.find((t: any) => t.id === r.body.id);
    assert.equal(listed.prefix, r.body.prefix);
    assert.equal(listed.token, undefined);
    assert.equal(listed.name, 'Okta production');
  });

  it('needs a session with sso:configure: a viewer is 403, an API key 401', async () => {
    const viewer = await h.userSession('acme', 'viewer', cookie);
    for (const [method, path] of [['POST', '/api/v1/scim/tokens'], ['GET', '/api/v1/scim/tokens']] as const) {
      const r = await h.call(method, path, { cookie: viewer.cookie, ...(method === 'POST' ? { body: { name: 'viewer-made' } } : {}) });
      assert.equal(r.status, 403, `${method} ${path}`);
      assert.match(r.body.error.message, /sso:configure/);
    }
    const { key } = await h.apiKey('acme', ['*'], cookie);
    const byKey = await h.call('POST', '/api/v1/scim/tokens', { headers: { authorization: `Bearer ${key}` }, body: { name: 'key-made' } });
    assert.equal(byKey.status, 401);
    assert.match(byKey.body.error.message, /needs a portal session/);
    const { id } = await h.scimToken('acme', cookie);
    const revoke = await h.call('DELETE', `/api/v1/scim/tokens/${id}`, { cookie: viewer.cookie });
    assert.equal(revoke.status, 403);
    const list = await h.call('GET', '/api/v1/scim/tokens', { cookie });
    assert.ok(!list.body.tokens.some((t: any) => t.name === 'viewer-made' || t.name === 'key-made'));
    assert.equal(list.body.tokens.find((t: any) => t.id === id).revoked_at, null);
  });

  it('bad input is 400', async () => {
    const cases: [unknown, RegExp][] = [
      [{}, /name/],
      [{ name: '' }, /name/],
      [{ name: 'x', expires_in_days: 0 }, /expires_in_days/],
      [{ name: 'x', expires_in_days: 'x' }, /expires_in_days/],
      [{ name: 'x', expires_in_days: 3651 }, /expires_in_days/],
      [{ name: 'x', expires_in_days: 1.5 }, /expires_in_days/],
      [{ name: 'x', scopes: ['scim'] }, /scopes/],
    ];
    const before = (await h.call('GET', '/api/v1/scim/tokens', { cookie })).body.tokens.length;
    for (const [body, field] of cases) {
      const r = await h.call('POST', '/api/v1/scim/tokens', { cookie, body });
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.error.code, 'INVALID_INPUT');
      assert.match(r.body.error.message, field);
    }
    assert.equal((await h.call('GET', '/api/v1/scim/tokens', { cookie })).body.tokens.length, before);
  });

  it('revoking an unknown id is 404, and another org cannot revoke this one', async () => {
    const r = await h.call('DELETE', '/api/v1/scim/tokens/sct_0000000000000000', { cookie });
    assert.equal(r.status, 404);
    await h.createOrg('other');
    const { token, id } = await h.scimToken('acme', cookie);
    const other = await h.call('DELETE', `/api/v1/scim/tokens/${id}`, { cookie: await h.login('other') });
    assert.equal(other.status, 404);
    assert.equal((await h.scim(token, 'GET', 'Users')).status, 200);
  });

  it('the list shows last use, the last 24 hours by class, and the last error', async () => {
    const { token, id } = await h.scimToken('acme', cookie);
    const created = await h.scim(token, 'POST', 'Users', { userName: 'health@example.com' });
    assert.equal(created.status, 201);
    assert.equal((await h.scim(token, 'GET', 'Users')).status, 200);
    assert.equal((await h.scim(token, 'GET', `Users/${created.body.id}`, undefined, { 'if-none-match': created.headers.get('etag')! })).status, 304);
    assert.equal((await h.scim(token, 'GET', 'Users/usr_missing00000000')).status, 404);
    h.clock.advance(5000);
    const failed = await h.scim(token, 'GET', `Users?filter=${encodeURIComponent('shoeSize gt 40')}`);
    assert.equal(failed.status, 400);
    const row = (await h.call('GET', '/api/v1/scim/tokens', { cookie })).body.tokens.find((t: any) => t.id === id);
    assert.deepEqual(row.requests24h, { ok: 2, not_modified: 1, client_errors: 2, server_errors: 0 });
    assert.equal(row.last_used_at, h.clock.now().toISOString());
    assert.equal(row.last_error.status, 400);
    assert.equal(row.last_error.scim_type, 'invalidFilter');
    assert.match(row.last_error.detail, /shoeSize/);
    assert.equal(row.last_error.request, 'GET /scim/v2/Users');
    assert.equal(row.last_error.at, h.clock.now().toISOString());

    // A day later the counts have rolled off, the last error stays.
    h.clock.advance(26 * 3600_000);
    const later = (await h.call('GET', '/api/v1/scim/tokens', { cookie: await h.login('acme') })).body.tokens.find((t: any) => t.id === id);
    assert.deepEqual(later.requests24h, { ok: 0, not_modified: 0, client_errors: 0, server_errors: 0 });
    assert.equal(later.last_error.scim_type, 'invalidFilter');
  });

  it('GraphQL shows the same token fields and creates tokens', async () => {
    const owner = await h.login('acme');
    const made = await h.graphql('mutation($input: CreateScimTokenInput!) { createScimToken(input: $input) { token scimToken { id prefix name expiresAt } } }', { input: { name: 'Via GraphQL', expiresInDays: 30 } }, { cookie: owner });
    assert.equal(made.errors, undefined, JSON.stringify(made.errors));
    const { token, scimToken } = made.data.createScimToken;
    assert.match(token, TOKEN_SHAPE);
    assert.ok(token.startsWith(`${scimToken.prefix}_`));
    assert.equal(scimToken.expiresAt, new Date(h.clock.now().getTime() + 30 * DAY).toISOString());
    assert.equal((await h.scim(token, 'GET', 'Users')).status, 200);
    assert.equal((await h.scim(token, 'PATCH', 'Users/usr_missing00000000', patch({ op: 'replace', path: 'active', value: false }))).status, 404);

    const q = await h.graphql(
      '{ organization { scimTokens { edges { node { id prefix requests24h { ok clientErrors } lastError { status scimType } } } } } }',
      {},
      { cookie: owner },
    );
    assert.equal(q.errors, undefined, JSON.stringify(q.errors));
    const node = q.data.organization.scimTokens.edges.map((e: any) => e.node).find((n: any) => n.id === scimToken.id);
    assert.deepEqual(node, { id: scimToken.id, prefix: scimToken.prefix, requests24h: { ok: 1, clientErrors: 1 }, lastError: { status: 404, scimType: null } });
    assert.ok(!JSON.stringify(q).includes(token));

    const viewer = await h.userSession('acme', 'viewer', owner);
    const denied = await h.graphql('mutation { createScimToken(input: { name: "viewer" }) { token } }', {}, { cookie: viewer.cookie });
    assert.equal(denied.errors[0].extensions.code, 'FORBIDDEN');
    const bad = await h.graphql('mutation { createScimToken(input: { name: "bad", expiresInDays: 0 }) { token } }', {}, { cookie: owner });
    assert.ok(bad.errors?.length);
    assert.equal(bad.data?.createScimToken ?? null, null);
  });

  it('access logs never carry a token secret or a password sent in a SCIM body', async () => {
    // The health test moved the clock a day on: log in afresh.
    cookie = await h.login('acme');
    const { token } = await h.scimToken('acme', cookie);
    const password = 'Correct-Horse-Battery-Staple-42';
    const r = await h.scim(token, 'POST', 'Users', { userName: 'logged@example.com', password });
    assert.equal(r.status, 201);
    await h.scim(token, 'PUT', `Users/${r.body.id}`, { userName: 'logged@example.com', password: `${password}-put` });
    await h.scim(token, 'PATCH', `Users/${r.body.id}`, patch({ op: 'replace', path: 'password', value: `${password}-patch` }));
    await h.scim(token, 'POST', 'Users', `{"userName": "broken", "password": "${password}"`);
    await h.scim(`${token}x`, 'GET', 'Users');
    const secret = TOKEN_SHAPE.exec(token)![1];
    const lines = h.logs.filter((l) => String(l.path ?? '').startsWith('/scim/v2'));
    assert.ok(lines.length >= 5, `${lines.length} SCIM log lines`);
    assert.ok(lines.some((l) => l.status === 201 && l.principal === 'scim'));
    const all = JSON.stringify(h.logs);
    assert.ok(!all.includes(secret), 'a token secret is in the logs');
    assert.ok(!all.includes(password), 'a password is in the logs');
    assert.ok(!all.includes(ADMIN_KEY));
  });
});

describe('rate limit per token', () => {
  let h: Harness;
  let cookie: string;

  before(async () => {
    ({ h, cookie } = await Harness.withOrgSession('acme', { scimRequestsPerSecond: 1 }));
  });
  after(() => h.close());

  it('10 requests pass in the 10 s window, the 11th is 429 with Retry-After, and the window reopens', async () => {
    const { token, id } = await h.scimToken('acme', cookie);
    for (let i = 0; i < 10; i++) assert.equal((await h.scim(token, 'GET', 'Users')).status, 200, `request ${i + 1}`);
    const r = await h.scim(token, 'GET', 'Users');
    assert.equal(r.status, 429);
    assert.equal(r.headers.get('content-type'), 'application/scim+json');
    assert.deepEqual(r.body.schemas, [ERROR]);
    assert.equal(r.body.status, '429');
    assert.match(r.body.detail, /more than 1 requests a second/);
    const retryAfter = Number(r.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 10, String(retryAfter));
    // Writes are held back too, and nothing is written.
    assert.equal((await h.scim(token, 'POST', 'Users', { userName: 'throttled@example.com' })).status, 429);
    // Another token of the same organization has its own budget.
    const other = await h.scimToken('acme', cookie);
    assert.equal((await h.scim(other.token, 'GET', 'Users')).status, 200);
    // Discovery is public and not counted.
    assert.equal((await h.call('GET', '/scim/v2/ServiceProviderConfig')).status, 200);

    h.clock.advance(retryAfter * 1000);
    const again = await h.scim(token, 'GET', 'Users');
    assert.equal(again.status, 200);
    assert.equal(again.body.totalResults, 0);
    const row = (await h.call('GET', '/api/v1/scim/tokens', { cookie: await h.login('acme') })).body.tokens.find((t: any) => t.id === id);
    assert.equal(row.last_error.status, 429);
    assert.equal(row.requests24h.client_errors, 2);
    assert.equal(row.requests24h.ok, 11);
  });
});
