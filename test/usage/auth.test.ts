import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_KEY, Harness } from '../helpers/harness.js';
import { bearer, ingest, ingestOk, summary } from './helpers.js';

const EVENT = { event_id: 'a-1', type: 'api_call', occurred_at: '2026-06-01T11:00:00Z', status: 200 };
const READS = ['/api/v1/usage/summary', '/api/v1/usage'];

describe('usage credentials', () => {
  let h: Harness;
  let cookie: string;
  let writeKey: string;
  before(async () => {
    h = await Harness.start();
    await h.createOrg('acme');
    cookie = await h.login('acme');
    writeKey = (await h.apiKey('acme', ['usage:write'], cookie)).key;
  });
  after(() => h.close());

  const totalRequests = async () => (await summary(h, cookie)).totals.total_requests as number;

  it('ingest takes a runtime key with usage:write, also as X-API-Key and as *', async () => {
    assert.deepEqual(await ingestOk(h, writeKey, [EVENT]), { accepted: 1, duplicates: 0 });
    const r = await h.call('POST', '/api/v1/usage/events', { headers: { 'x-api-key': writeKey }, body: { events: [{ ...EVENT, event_id: 'a-2' }] } });
    assert.equal(r.status, 200);
    const star = (await h.apiKey('acme', ['*'], cookie)).key;
    assert.deepEqual(await ingestOk(h, star, [{ ...EVENT, event_id: 'a-3' }]), { accepted: 1, duplicates: 0 });
    assert.equal(await totalRequests(), 3);
  });

  it('ingest without a credential: 401 naming the API key', async () => {
    const r = await h.call('POST', '/api/v1/usage/events', { body: { events: [EVENT] } });
    assert.equal(r.status, 401);
    assert.match(r.body.error.message, /needs a runtime API key.*no credential was presented/);
    assert.deepEqual(r.body.error.required_auth, ['api_key']);
  });

  it('ingest with a portal session: 401 saying a portal session was presented', async () => {
    const r = await h.call('POST', '/api/v1/usage/events', { cookie, body: { events: [{ ...EVENT, event_id: 's-1' }] } });
    assert.equal(r.status, 401);
    assert.match(r.body.error.message, /needs a runtime API key.*a portal session was presented/);
  });

  it('ingest with a key lacking usage:write: 403 naming the scope, even for a bad body', async () => {
    const nodesKey = (await h.apiKey('acme', ['nodes:write'], cookie)).key;
    const r = await ingest(h, nodesKey, [{ ...EVENT, event_id: 'n-1' }]);
    assert.equal(r.status, 403);
    assert.match(r.body.error.message, /lacks the scope usage:write/);
    // Who may call is decided before what was sent is judged.
    const bad = await ingest(h, nodesKey, [{ event_id: 'n-2', type: 'nope' }]);
    assert.equal(bad.status, 403);
    const none = await h.call('POST', '/api/v1/usage/events', { body: { events: 'x' } });
    assert.equal(none.status, 401);
  });

  it('ingest with the admin key, a wrong key or a revoked key: 401', async () => {
    const admin = await h.call('POST', '/api/v1/usage/events', { headers: { 'x-admin-api-key': ADMIN_KEY }, body: { events: [EVENT] } });
    assert.equal(admin.status, 401);
    assert.match(admin.body.error.message, /admin API key was presented/);
    const wrong = await ingest(h, 'axon_notarealkey_0000000000000000', [EVENT]);
    assert.equal(wrong.status, 401);
    const { key, id } = await h.apiKey('acme', ['usage:write'], cookie);
    assert.equal((await h.call('DELETE', `/api/v1/keys/${id}`, { cookie })).status, 200);
    const revoked = await ingest(h, key, [{ ...EVENT, event_id: 'r-1' }]);
    assert.equal(revoked.status, 401);
    assert.equal(await totalRequests(), 3);
  });

  for (const path of READS) {
    it(`GET ${path}: any role's session reads; none, API key and admin key get 401`, async () => {
      const viewer = await h.userSession('acme', 'viewer', cookie);
      const ok = await h.call('GET', path, { cookie: viewer.cookie });
      assert.equal(ok.status, 200);
      assert.equal(ok.body.totals.total_requests, 3);

      const none = await h.call('GET', path);
      assert.equal(none.status, 401);
      assert.match(none.body.error.message, /needs a portal session.*no credential was presented/);

      const key = await h.call('GET', path, { headers: bearer(writeKey) });
      assert.equal(key.status, 401);
      assert.match(key.body.error.message, /needs a portal session.*runtime API key was presented/);

      const admin = await h.call('GET', path, { headers: { 'x-admin-api-key': ADMIN_KEY } });
      assert.equal(admin.status, 401);
      assert.match(admin.body.error.message, /admin API key was presented/);

      // Credentials are judged before the query string.
      const badQuery = await h.call('GET', `${path}?granularity=week`, { headers: bearer(writeKey) });
      assert.equal(badQuery.status, 401);
    });
  }

  it('GraphQL: organization.usage needs a session, ingestUsage a key with the scope', async () => {
    const read = `{ organization { usage { totals { totalRequests } } } }`;
    const asKey = await h.graphql(read, {}, { headers: bearer(writeKey) });
    assert.equal(asKey.data, null);
    assert.equal(asKey.errors[0].extensions.code, 'UNAUTHENTICATED');
    const asSession = await h.graphql(read, {}, { cookie });
    assert.equal(asSession.data.organization.usage.totals.totalRequests, 3);

    const write = `mutation($input: UsageBatchInput!) { ingestUsage(input: $input) { accepted } }`;
    const vars = { input: { events: [{ eventId: 'gq-1', type: 'api_call', occurredAt: '2026-06-01T11:00:00Z' }] } };
    const asSessionWrite = await h.graphql(write, vars, { cookie });
    assert.equal(asSessionWrite.errors[0].extensions.code, 'UNAUTHENTICATED');
    assert.match(asSessionWrite.errors[0].message, /portal session was presented/);
    const asKeyWrite = await h.graphql(write, vars, { headers: bearer(writeKey) });
    assert.deepEqual(asKeyWrite.data, { ingestUsage: { accepted: 1 } });
  });

  it("another organization's session and keys see and write only their own usage", async () => {
    await h.createOrg('globex');
    const gCookie = await h.login('globex');
    const gKey = (await h.apiKey('globex', ['usage:write'], gCookie)).key;
    assert.equal((await summary(h, gCookie)).totals.total_requests, 0);
    // acme's ids are globex's own ids: all new for globex.
    assert.deepEqual(await ingestOk(h, gKey, [EVENT, { ...EVENT, event_id: 'a-2' }]), { accepted: 2, duplicates: 0 });
    assert.equal((await summary(h, gCookie)).totals.total_requests, 2);
    assert.equal((await summary(h, cookie)).totals.total_requests, 4);
    // An org id in the query string is not an input the reports take.
    const r = await h.call('GET', '/api/v1/usage/summary?org_id=acme', { cookie: gCookie });
    assert.equal(r.body.totals.total_requests, 2);
  });
});
