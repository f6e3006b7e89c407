import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_KEY, type CallOptions, Harness } from '../helpers/harness.js';

// Who may reach the human-oversight routes: the governed runtime (an API key with hitl:request) asks, a person
// (a portal session with hitl:review) decides, sessions and keys with compliance:read look. All of it only
// for an organization that has the hitl module, and only its own requests.

const BASE = '/api/v1/hitl/queue';
const bearer = (key: string): CallOptions => ({ headers: { authorization: `Bearer ${key}` } });
const ask = (requestId: string, extra: Record<string, unknown> = {}) => ({
  request_id: requestId,
  severity: 'high',
  reason: 'wire transfer above the limit',
  context: { amount_usd: 25_000 },
  ...extra,
});

describe('hitl: who may do what', () => {
  let h: Harness;
  let ownerA: string;
  let viewerA: string;
  let reviewerA: { cookie: string; userId: string; email: string };
  let ownerB: string;
  let requestKeyA: string;
  let readKeyA: string;
  let starKeyA: string;
  let otherKeyA: string;
  let requestKeyB: string;
  let scimA: string;
  let itemA: string;
  let itemB: string;

  const statusOf = async (id: string, cookie: string) => (await h.call('GET', `${BASE}/${id}`, { cookie })).body.status;
  const rowCount = async (orgId: string) =>
    Number((await h.runtime.database.db.selectFrom('hitl_requests').select((eb) => eb.fn.countAll<number>().as('n')).where('org_id', '=', orgId).executeTakeFirstOrThrow()).n);
  const enable = async (orgId: string, modules: string[]) => {
    const r = await h.admin('PATCH', `/api/v1/admin/organizations/${orgId}`, { modules });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  };

  before(async () => {
    h = await Harness.start();
    // PROFESSIONAL licenses do not include hitl: the operator enables it for acme and globex.
    for (const org of ['acme', 'globex', 'initech']) await h.createOrg(org, { tier: 'PROFESSIONAL' });
    await enable('acme', ['hitl']);
    await enable('globex', ['hitl']);
    ownerA = await h.login('acme');
    ownerB = await h.login('globex');
    viewerA = (await h.userSession('acme', 'viewer', ownerA)).cookie;
    reviewerA = await h.userSession('acme', 'policy_admin', ownerA);
    requestKeyA = (await h.apiKey('acme', ['hitl:request'], ownerA)).key;
    readKeyA = (await h.apiKey('acme', ['compliance:read'], ownerA)).key;
    starKeyA = (await h.apiKey('acme', ['*'], ownerA)).key;
    otherKeyA = (await h.apiKey('acme', ['nodes:write'], ownerA)).key;
    requestKeyB = (await h.apiKey('globex', ['hitl:request'], ownerB)).key;
    scimA = (await h.scimToken('acme', ownerA)).token;
    const a = await h.call('POST', BASE, { ...bearer(requestKeyA), body: ask('a-1') });
    assert.equal(a.status, 201, JSON.stringify(a.body));
    itemA = a.body.id;
    const b = await h.call('POST', BASE, { ...bearer(requestKeyB), body: ask('b-1') });
    assert.equal(b.status, 201, JSON.stringify(b.body));
    itemB = b.body.id;
  });
  after(() => h.close());

  describe('the module gate', () => {
    let ownerC: string;
    let keyC: string;
    before(async () => {
      ownerC = await h.login('initech');
      keyC = (await h.apiKey('initech', ['hitl:request', 'compliance:read'], ownerC)).key;
    });

    it('an organization without hitl gets 403 MODULE_NOT_ENABLED naming hitl on every route, bad bodies included, and nothing is written', async () => {
      const rows: [string, string, CallOptions][] = [
        ['POST', BASE, { ...bearer(keyC), body: ask('c-1') }],
        // Input the route would refuse with 400: the module is judged first.
        ['POST', BASE, { ...bearer(keyC), body: { request_id: '', severity: 'urgent', context: [] } }],
        ['GET', BASE, { cookie: ownerC }],
        ['GET', `${BASE}?status=nonsense`, { cookie: ownerC }],
        ['GET', BASE, bearer(keyC)],
        ['GET', `${BASE}/hitl_missing`, { cookie: ownerC }],
        ['POST', `${BASE}/hitl_missing/approve`, { cookie: ownerC, body: { comments: 'fine' } }],
        ['POST', `${BASE}/hitl_missing/reject`, { cookie: ownerC, body: { reason: 'short' } }],
        ['POST', `${BASE}/hitl_missing/override`, { cookie: ownerC, body: { decision: 'maybe' } }],
        ['GET', '/api/v1/hitl/metrics', { cookie: ownerC }],
      ];
      for (const [method, path, opts] of rows) {
        const r = await h.call(method, path, opts);
        const where = `${method} ${path}: ${JSON.stringify(r.body)}`;
        assert.equal(r.status, 403, where);
        assert.equal(r.body.error.code, 'MODULE_NOT_ENABLED', where);
        assert.equal(r.body.error.module, 'hitl', where);
        assert.match(r.body.error.message, /PATCH \/api\/v1\/admin\/organizations\/initech/, where);
      }
      assert.equal(await rowCount('initech'), 0, 'no request was written');
      const gql = await h.graphql('{ hitlMetrics { pending } }', {}, { cookie: ownerC });
      assert.equal(gql.errors[0].extensions.code, 'MODULE_NOT_ENABLED');
      assert.equal(gql.errors[0].extensions.module, 'hitl');
    });

    it('the wrong kind of credential is still a 401 on a disabled module: the door is judged before the module', async () => {
      const r = await h.call('POST', BASE, { cookie: ownerC, body: ask('c-2') });
      assert.equal(r.status, 401, JSON.stringify(r.body));
      assert.deepEqual(r.body.error.required_auth, ['api_key']);
    });

    it('the operator enabling hitl opens the routes; taking it away closes them again', async () => {
      await enable('initech', ['hitl']);
      const r = await h.call('POST', BASE, { ...bearer(keyC), body: ask('c-3') });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      const list = await h.call('GET', BASE, { cookie: ownerC });
      assert.equal(list.status, 200);
      assert.deepEqual(list.body.requests.map((x: any) => x.request_id), ['c-3']);
      await enable('initech', []);
      const again = await h.call('GET', `${BASE}/${r.body.id}`, { cookie: ownerC });
      assert.equal(again.status, 403);
      assert.equal(again.body.error.code, 'MODULE_NOT_ENABLED');
    });

    it('an ENTERPRISE license includes hitl without the operator', async () => {
      await h.createOrg('umbrella', { tier: 'ENTERPRISE' });
      const owner = await h.login('umbrella');
      const key = (await h.apiKey('umbrella', ['hitl:request'], owner)).key;
      const r = await h.call('POST', BASE, { ...bearer(key), body: ask('u-1') });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.equal((await h.call('GET', '/api/v1/hitl/metrics', { cookie: owner })).body.pending, 1);
    });
  });

  describe('credentials of the wrong kind', () => {
    it('a portal session cannot ask for a decision: 401 naming the API key, nothing written', async () => {
      const before = await rowCount('acme');
      const r = await h.call('POST', BASE, { cookie: ownerA, body: ask('from-a-browser') });
      assert.equal(r.status, 401, JSON.stringify(r.body));
      assert.equal(r.body.error.code, 'UNAUTHENTICATED');
      assert.deepEqual(r.body.error.required_auth, ['api_key']);
      assert.match(r.body.error.message, /this route needs a runtime API key/);
      assert.match(r.body.error.message, /a portal session was presented/);
      assert.equal(await rowCount('acme'), before);
    });

    it("an API key, even with '*', cannot decide: 401 naming the portal session, the request stays pending", async () => {
      const rows: [string, Record<string, unknown>][] = [
        [`${BASE}/${itemA}/approve`, { comments: 'looks fine' }],
        [`${BASE}/${itemA}/reject`, { reason: 'not within policy limits' }],
        [`${BASE}/${itemA}/override`, { decision: 'approve', reason: 'should have been approved' }],
      ];
      for (const [path, body] of rows) {
        for (const opts of [bearer(starKeyA), { headers: { 'x-api-key': requestKeyA } }]) {
          const r = await h.call('POST', path, { ...opts, body });
          const where = `${path}: ${JSON.stringify(r.body)}`;
          assert.equal(r.status, 401, where);
          assert.deepEqual(r.body.error.required_auth, ['portal_session'], where);
          assert.match(r.body.error.message, /this route needs a portal session/, where);
          assert.match(r.body.error.message, /a runtime API key was presented/, where);
        }
      }
      assert.equal(await statusOf(itemA, ownerA), 'pending');
    });

    it('the admin key, a SCIM token or no credential: 401 on every route', async () => {
      const rows: [string, string, Record<string, unknown> | undefined][] = [
        ['POST', BASE, ask('a-admin')],
        ['GET', BASE, undefined],
        ['GET', `${BASE}/${itemA}`, undefined],
        ['POST', `${BASE}/${itemA}/approve`, {}],
        ['POST', `${BASE}/${itemA}/reject`, { reason: 'not within policy limits' }],
        ['POST', `${BASE}/${itemA}/override`, { decision: 'reject', reason: 'should have been rejected' }],
        ['GET', '/api/v1/hitl/metrics', undefined],
      ];
      const callers: [CallOptions, RegExp][] = [
        [{ headers: { 'x-admin-api-key': ADMIN_KEY } }, /the admin API key was presented/],
        [bearer(scimA), /a SCIM bearer token was presented/],
        [{}, /no credential was presented/],
      ];
      for (const [opts, presented] of callers) {
        for (const [method, path, body] of rows) {
          const r = await h.call(method, path, { ...opts, body });
          const where = `${method} ${path}: ${JSON.stringify(r.body)}`;
          assert.equal(r.status, 401, where);
          assert.equal(r.body.error.code, 'UNAUTHENTICATED', where);
          assert.match(r.body.error.message, presented, where);
          assert.equal(JSON.stringify(r.body).includes('request_id'), false, 'no request data in a refusal');
        }
      }
      assert.equal(await statusOf(itemA, ownerA), 'pending');
      assert.equal(await rowCount('acme'), 1);
    });
  });

  describe('permissions and scopes', () => {
    it('a viewer reads the queue, a request and the metrics', async () => {
      const list = await h.call('GET', BASE, { cookie: viewerA });
      assert.equal(list.status, 200, JSON.stringify(list.body));
      assert.deepEqual(list.body.requests.map((x: any) => x.id), [itemA]);
      const one = await h.call('GET', `${BASE}/${itemA}`, { cookie: viewerA });
      assert.equal(one.body.request_id, 'a-1');
      assert.equal((await h.call('GET', '/api/v1/hitl/metrics', { cookie: viewerA })).body.pending, 1);
    });

    it('a viewer gets 403 naming hitl:review on approve, reject and override, even with a bad body, and the request stays pending', async () => {
      const rows: [string, Record<string, unknown>][] = [
        [`${BASE}/${itemA}/approve`, { comments: 'looks fine' }],
        [`${BASE}/${itemA}/reject`, { reason: 'not within policy limits' }],
        [`${BASE}/${itemA}/reject`, { reason: 'short' }],
        [`${BASE}/${itemA}/override`, { decision: 'approve', reason: 'should have been approved' }],
      ];
      for (const [path, body] of rows) {
        const r = await h.call('POST', path, { cookie: viewerA, body });
        const where = `${path}: ${JSON.stringify(r.body)}`;
        assert.equal(r.status, 403, where);
        assert.equal(r.body.error.code, 'FORBIDDEN', where);
        assert.match(r.body.error.message, /your role \(viewer\) lacks the permission hitl:review/, where);
      }
      assert.equal(await statusOf(itemA, ownerA), 'pending');
    });

    it('a key without hitl:request cannot ask; a key without compliance:read cannot look', async () => {
      for (const key of [readKeyA, otherKeyA]) {
        const r = await h.call('POST', BASE, { ...bearer(key), body: ask('a-nope') });
        assert.equal(r.status, 403, JSON.stringify(r.body));
        assert.match(r.body.error.message, /this API key lacks the scope hitl:request/);
      }
      for (const path of [BASE, `${BASE}/${itemA}`, '/api/v1/hitl/metrics']) {
        const r = await h.call('GET', path, bearer(requestKeyA));
        assert.equal(r.status, 403, `${path}: ${JSON.stringify(r.body)}`);
        assert.match(r.body.error.message, /this API key lacks the scope compliance:read/);
      }
      assert.equal(await rowCount('acme'), 1, 'nothing was asked');
      const read = await h.call('GET', `${BASE}/${itemA}`, bearer(readKeyA));
      assert.equal(read.status, 200);
      assert.equal(read.body.status, 'pending');
    });

    it('a reviewer decides as themselves: approved_by in the body is ignored, their id and email are recorded', async () => {
      const r = await h.call('POST', `${BASE}/${itemA}/approve`, { cookie: reviewerA.cookie, body: { approved_by: 'ceo@acme.example.com', comments: 'within policy' } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.status, 'approved');
      assert.equal(r.body.decided_by, reviewerA.userId);
      assert.equal(r.body.decided_by_email, reviewerA.email);
      assert.equal(r.body.comments, 'within policy');
      assert.equal(JSON.stringify(r.body).includes('ceo@acme'), false);
    });
  });

  describe('tenants', () => {
    it("another organization's request is 404 on every route, and stays as it was", async () => {
      const rows: [string, string, Record<string, unknown> | undefined][] = [
        ['GET', `${BASE}/${itemB}`, undefined],
        ['POST', `${BASE}/${itemB}/approve`, { comments: 'mine now' }],
        ['POST', `${BASE}/${itemB}/reject`, { reason: 'not within policy limits' }],
        ['POST', `${BASE}/${itemB}/override`, { decision: 'approve', reason: 'should have been approved' }],
      ];
      for (const [method, path, body] of rows) {
        const r = await h.call(method, path, { cookie: ownerA, body });
        assert.equal(r.status, 404, `${method} ${path}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error.code, 'NOT_FOUND');
      }
      assert.equal((await h.call('GET', `${BASE}/${itemB}`, bearer(readKeyA))).status, 404);
      const theirs = await h.call('GET', `${BASE}/${itemB}`, { cookie: ownerB });
      assert.equal(theirs.body.status, 'pending');
      assert.equal(theirs.body.decided_by, null);
      const mine = await h.call('GET', BASE, { cookie: ownerA });
      assert.equal(mine.body.requests.some((x: any) => x.id === itemB), false, "globex's request is not in acme's queue");
      assert.equal((await h.call('GET', '/api/v1/hitl/metrics', { cookie: ownerB })).body.total, 1);
    });

    it('the same request_id in two organizations is two requests', async () => {
      const r = await h.call('POST', BASE, { ...bearer(requestKeyB), body: ask('a-1') });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.notEqual(r.body.id, itemA);
      assert.equal(await statusOf(itemA, ownerA), 'approved', "acme's a-1 is untouched");
    });
  });
});
