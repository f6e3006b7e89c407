import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from '../helpers/harness.js';

// What a hostile or merely unlucky client can send, and what must hold anyway: no input stalls the process,
// concurrent writes neither lose updates nor answer 500, representations and their ETags move together.

const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const patch = (...Operations: unknown[]) => ({ schemas: [PATCH_OP], Operations });
const q = (filter: string) => `filter=${encodeURIComponent(filter)}`;

describe('SCIM robustness', () => {
  let h: Harness;
  let owner: string;
  let token: string;
  let tokenId: string;
  const user = async (userName: string, extra: Record<string, unknown> = {}) => {
    const r = await h.scim(token, 'POST', 'Users', { schemas: [USER_SCHEMA], userName, ...extra });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body;
  };

  before(async () => {
    ({ h, cookie: owner } = await Harness.withOrgSession('robust'));
    ({ token, id: tokenId } = await h.scimToken('robust', owner));
  });
  after(() => h.close());

  it('a filter with line breaks in an unclosed quote is refused at once, in lists, searches, PATCH paths and GraphQL', async () => {
    const evil = `userName eq "${'\n'.repeat(60)}`;
    const started = Date.now();
    const list = await h.scim(token, 'GET', `Users?${q(evil)}`);
    assert.equal(list.status, 400);
    assert.equal(list.body.scimType, 'invalidFilter');
    assert.match(list.body.detail, /control character/);
    const search = await h.scim(token, 'POST', 'Users/.search', { filter: evil });
    assert.equal(search.body.scimType, 'invalidFilter');
    const g = await h.scim(token, 'POST', 'Groups', { displayName: 'Evil paths' });
    const p = await h.scim(token, 'PATCH', `Groups/${g.body.id}`, patch({ op: 'remove', path: `members[value eq "${'\n'.repeat(60)}]` }));
    assert.equal(p.status, 400);
    assert.equal(p.body.scimType, 'invalidFilter');
    const gql = await h.graphql('query($f: String) { organization { directoryUsers(filter: $f) { totalCount } } }', { f: evil }, { cookie: owner });
    assert.equal(gql.errors?.[0]?.extensions?.code, 'INVALID_INPUT');
    // Exponential backtracking on 60 line breaks would take longer than the universe has left; a refusal is instant.
    assert.ok(Date.now() - started < 5_000);
  });

  it('parallel POSTs of one userName: exactly one is created, the others are 409 uniqueness, none is a 500', async () => {
    const results = await Promise.all(Array.from({ length: 6 }, () => h.scim(token, 'POST', 'Users', { schemas: [USER_SCHEMA], userName: 'Twin@robust.example' })));
    assert.deepEqual(results.map((r) => r.status).sort(), [201, 409, 409, 409, 409, 409]);
    for (const r of results.filter((x) => x.status === 409)) assert.equal(r.body.scimType, 'uniqueness');
    const found = await h.scim(token, 'GET', `Users?${q('userName eq "twin@robust.example"')}`);
    assert.equal(found.body.totalResults, 1);
  });

  it('parallel PATCHes of one user lose nothing: a deactivation and a title change both stand', async () => {
    const u = await user('parallel@robust.example');
    const [a, b] = await Promise.all([
      h.scim(token, 'PATCH', `Users/${u.id}`, patch({ op: 'replace', path: 'active', value: false })),
      h.scim(token, 'PATCH', `Users/${u.id}`, patch({ op: 'replace', path: 'title', value: 'Engineer' })),
    ]);
    assert.deepEqual([a.status, b.status], [200, 200]);
    const read = await h.scim(token, 'GET', `Users/${u.id}`);
    assert.equal(read.body.active, false);
    assert.equal(read.body.title, 'Engineer');
    assert.equal(read.body.meta.version, 'W/"3"');
  });

  it('parallel member additions to one group all land', async () => {
    const members = await Promise.all(Array.from({ length: 5 }, (_, i) => user(`member${i}@robust.example`)));
    const g = await h.scim(token, 'POST', 'Groups', { displayName: 'Parallel' });
    const results = await Promise.all(members.map((m) => h.scim(token, 'PATCH', `Groups/${g.body.id}`, patch({ op: 'add', path: 'members', value: [{ value: m.id }] }))));
    assert.ok(results.every((r) => r.status === 204));
    const read = await h.scim(token, 'GET', `Groups/${g.body.id}`);
    assert.deepEqual(read.body.members.map((m: { value: string }) => m.value).sort(), members.map((m) => m.id).sort());
    assert.equal(read.body.meta.version, 'W/"6"', 'one version per change, never two changes under one');
  });

  it("joining or leaving a group moves the user's version, so a cached copy is not served as current", async () => {
    const u = await user('cached@robust.example');
    const etag = u.meta.version;
    const g = await h.scim(token, 'POST', 'Groups', { displayName: 'Movers' });
    await h.scim(token, 'PATCH', `Groups/${g.body.id}`, patch({ op: 'add', path: 'members', value: [{ value: u.id }] }));
    const after = await h.scim(token, 'GET', `Users/${u.id}`, undefined, { 'if-none-match': etag });
    assert.equal(after.status, 200, 'the old ETag no longer matches');
    assert.deepEqual(after.body.groups.map((x: { value: string }) => x.value), [g.body.id]);
    assert.notEqual(after.body.meta.version, etag);
    await h.scim(token, 'DELETE', `Groups/${g.body.id}`);
    const gone = await h.scim(token, 'GET', `Users/${u.id}`, undefined, { 'if-none-match': after.body.meta.version });
    assert.equal(gone.status, 200);
    assert.equal(gone.body.groups, undefined);
  });

  it('a SearchRequest with null attributes is a plain search; a number there is 400', async () => {
    const ok = await h.scim(token, 'POST', 'Users/.search', { filter: 'userName sw "cached"', attributes: null, excludedAttributes: null, count: null });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.totalResults, 1);
    const bad = await h.scim(token, 'POST', 'Users/.search', { attributes: 5 });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.scimType, 'invalidValue');
  });

  it('emails[primary pr] finds only values that say whether they are primary', async () => {
    await user('says@robust.example', { emails: [{ value: 'says@robust.example', primary: false }] });
    await user('silent@robust.example', { emails: [{ value: 'silent@robust.example' }] });
    const said = await h.scim(token, 'GET', `Users?${q('emails[primary pr]')}&attributes=userName`);
    assert.deepEqual(said.body.Resources.map((r: { userName: string }) => r.userName), ['says@robust.example']);
    const notPrimary = await h.scim(token, 'GET', `Users?${q('emails[primary eq false]')}&attributes=userName`);
    assert.deepEqual(notPrimary.body.Resources.map((r: { userName: string }) => r.userName), ['says@robust.example']);
  });

  it('groups listed with their members come 20 to a page; without members, as many as asked', async () => {
    for (let i = 0; i < 24; i++) await h.scim(token, 'POST', 'Groups', { displayName: `Page group ${i}` });
    const total = (await h.scim(token, 'GET', 'Groups?count=0')).body.totalResults;
    const withMembers = await h.scim(token, 'GET', 'Groups?count=100');
    assert.equal(withMembers.body.itemsPerPage, 20);
    assert.equal(withMembers.body.totalResults, total);
    const next = await h.scim(token, 'GET', 'Groups?count=100&startIndex=21');
    assert.equal(next.body.startIndex, 21);
    const without = await h.scim(token, 'GET', 'Groups?count=100&excludedAttributes=members');
    assert.equal(without.body.itemsPerPage, total);
  });

  it("a revoked token's refusals show in its health: the provider is still sending it", async () => {
    const revoked = await h.call('DELETE', `/api/v1/scim/tokens/${tokenId}`, { cookie: owner });
    assert.equal(revoked.status, 200);
    assert.ok(revoked.body.revoked_at);
    assert.ok(revoked.body.requests24h.ok > 0, 'the revoke answer shows what the provider did with the token');
    const before = (await h.call('GET', '/api/v1/scim/tokens', { cookie: owner })).body.tokens.find((t: { id: string }) => t.id === tokenId);
    h.clock.advance(120_000);
    const r = await h.scim(token, 'GET', 'Users');
    assert.equal(r.status, 401);
    const list = await h.call('GET', '/api/v1/scim/tokens', { cookie: owner });
    const mine = list.body.tokens.find((t: { id: string }) => t.id === tokenId);
    assert.equal(mine.last_used_at, before.last_used_at, 'a refused token was not used');
    assert.equal(mine.last_error.status, 401);
    assert.match(mine.last_error.detail, /revoked/);
    assert.ok(mine.requests24h.client_errors >= 1);
  });

  it('the directory in GraphQL is for portal admins: a viewer is refused', async () => {
    const viewer = await h.userSession('robust', 'viewer', owner);
    const r = await h.graphql('{ organization { directoryUsers { totalCount } } }', {}, { cookie: viewer.cookie });
    assert.equal(r.errors?.[0]?.extensions?.code, 'FORBIDDEN');
    assert.match(r.errors[0].message, /users:manage/);
  });
});
