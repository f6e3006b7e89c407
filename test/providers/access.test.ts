import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ADMIN_KEY, Harness } from '../helpers/harness.js';

const BASE = '/api/v1/llm-providers';

interface Mock {
  port: number;
  seen: { url: string; headers: IncomingHttpHeaders }[];
  connections: number;
  close: () => void;
}

async function mockProvider(): Promise<Mock> {
  const state: Mock = { port: 0, seen: [], connections: 0, close: () => {} };
  const server = createServer((req, res) => {
    state.seen.push({ url: req.url ?? '', headers: req.headers });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":[]}');
  });
  server.on('connection', () => state.connections++);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  state.port = (server.address() as AddressInfo).port;
  state.close = () => {
    server.closeAllConnections();
    server.close();
  };
  return state;
}

type Route = { method: string; path: string; body?: unknown };

describe('who may read and change LLM providers', () => {
  let h: Harness;
  let mock: Mock;
  let ep: string;
  let ownerA: string;
  let ownerB: string;
  const KEY_A = 'sk-access-org-a-provider-key';

  before(async () => {
    mock = await mockProvider();
    ep = `http://127.0.0.1:${mock.port}`;
    h = await Harness.start({ outboundAllowHosts: [`127.0.0.1:${mock.port}`] });
    await h.createOrg('org-a');
    await h.createOrg('org-b');
    ownerA = await h.login('org-a');
    ownerB = await h.login('org-b');
    const r = await h.call('POST', BASE, { cookie: ownerA, body: { name: 'main', type: 'openai', endpoint: `${ep}/a/v1`, api_key: KEY_A, weight: 3 } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  });
  after(async () => {
    await h.close();
    mock.close();
  });

  const reads: Route[] = [
    { method: 'GET', path: BASE },
    { method: 'GET', path: `${BASE}/routing` },
    { method: 'GET', path: `${BASE}/status` },
    { method: 'GET', path: `${BASE}/main` },
    { method: 'GET', path: `${BASE}/main/health` },
  ];
  const writes: Route[] = [
    { method: 'POST', path: BASE, body: { name: 'intruder', type: 'openai' } },
    { method: 'PUT', path: `${BASE}/routing`, body: { weights: { main: 9 } } },
    { method: 'PUT', path: `${BASE}/main`, body: { model: 'changed', api_key: 'sk-replaced-by-intruder' } },
    { method: 'DELETE', path: `${BASE}/main` },
    { method: 'POST', path: `${BASE}/main/test` },
  ];
  const every = [...reads, ...writes];

  const send = (r: Route, auth: { cookie?: string; headers?: Record<string, string> }) => h.call(r.method, r.path, { ...auth, body: r.body });
  const label = (r: Route) => `${r.method} ${r.path.replace(BASE, '') || '/'}`;

  /** Org A's provider as stored, and how many requests reached its endpoint: what a refused call must leave alone. */
  const snapshot = async () => ({
    providers: await h.runtime.database.db.selectFrom('llm_providers').selectAll().where('org_id', '=', 'org-a').orderBy('name').execute(),
    requests: mock.connections,
  });

  const refusedEverywhere = async (auth: { cookie?: string; headers?: Record<string, string> }, status: number, message: RegExp, routes = every) => {
    const before = await snapshot();
    for (const r of routes) {
      const res = await send(r, auth);
      assert.equal(res.status, status, `${label(r)}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, status === 401 ? 'UNAUTHENTICATED' : 'FORBIDDEN', label(r));
      assert.deepEqual(res.body.error.required_auth, ['portal_session', 'api_key'], label(r));
      assert.match(res.body.error.message, message, label(r));
      if (status === 401) assert.match(res.headers.get('www-authenticate') ?? '', /Session realm="portal".*Bearer realm="runtime"/, label(r));
      assert.ok(!JSON.stringify(res.body).includes(KEY_A));
    }
    assert.deepEqual(await snapshot(), before, 'nothing changed and no request went out');
  };

  describe('credentials that are not for these routes: 401 on every route', () => {
    it('no credential', async () => {
      await refusedEverywhere({}, 401, /no credential was presented/);
    });

    it('a SCIM token', async () => {
      const { token } = await h.scimToken('org-a', ownerA);
      await refusedEverywhere({ headers: { authorization: `Bearer ${token}` } }, 401, /SCIM tokens are accepted only on \/scim\/v2/);
    });

    it('the admin API key', async () => {
      await refusedEverywhere({ headers: { 'x-admin-api-key': ADMIN_KEY } }, 401, /admin API key was presented/);
    });

    it('an API key that does not exist, and a revoked one', async () => {
      await refusedEverywhere({ headers: { authorization: 'Bearer axon_notarealkey_0000000000000000' } }, 401, /./);
      const { key, id } = await h.apiKey('org-a', ['providers:read', 'providers:write'], ownerA);
      assert.equal((await send(reads[0], { headers: { authorization: `Bearer ${key}` } })).status, 200);
      assert.equal((await h.call('DELETE', `/api/v1/keys/${id}`, { cookie: ownerA })).status, 200);
      await refusedEverywhere({ headers: { authorization: `Bearer ${key}` } }, 401, /revoked/);
    });

    it('a session that has logged out', async () => {
      const cookie = await h.login('org-a');
      assert.equal((await h.call('POST', '/api/v1/auth/logout', { cookie })).status, 200);
      await refusedEverywhere({ cookie }, 401, /./);
    });
  });

  describe('portal roles', () => {
    it('viewer: reads every route; every write -> 403 naming providers:write, audited as refused', async () => {
      const viewer = await h.userSession('org-a', 'viewer', ownerA);
      for (const r of reads) {
        const res = await send(r, { cookie: viewer.cookie });
        assert.equal(res.status, 200, `${label(r)}: ${JSON.stringify(res.body)}`);
      }
      assert.equal((await send(reads[3], { cookie: viewer.cookie })).body.has_api_key, true);
      await refusedEverywhere({ cookie: viewer.cookie }, 403, /your role \(viewer\) lacks the permission providers:write/, writes);
      const refusals = await h.runtime.database.db
        .selectFrom('audit_events')
        .selectAll()
        .where('action', '=', 'authorization.refused')
        .where('actor_id', '=', viewer.userId)
        .execute();
      assert.equal(refusals.length, writes.length);
      assert.ok(refusals.every((e) => e.outcome === 'denied' && e.org_id === 'org-a'));
    });

    it('policy_admin: reads; writes -> 403', async () => {
      const pa = await h.userSession('org-a', 'policy_admin', ownerA);
      for (const r of reads) assert.equal((await send(r, { cookie: pa.cookie })).status, 200, label(r));
      await refusedEverywhere({ cookie: pa.cookie }, 403, /your role \(policy_admin\) lacks the permission providers:write/, writes);
    });

    for (const role of ['developer', 'admin'] as const) {
      it(`${role}: reads and writes every route, audited as that user`, async () => {
        const u = await h.userSession('org-a', role, ownerA);
        const auth = { cookie: u.cookie };
        const name = `by-${role}`;
        for (const r of reads) assert.equal((await send(r, auth)).status, 200, label(r));
        const steps: [Route, number][] = [
          [{ method: 'POST', path: BASE, body: { name, type: 'openai', endpoint: `${ep}/${role}/v1` } }, 201],
          [{ method: 'PUT', path: `${BASE}/${name}`, body: { model: 'gpt-4o' } }, 200],
          [{ method: 'PUT', path: `${BASE}/routing`, body: { weights: { main: 3, [name]: 1 } } }, 200],
          [{ method: 'POST', path: `${BASE}/${name}/test` }, 200],
          [{ method: 'DELETE', path: `${BASE}/${name}` }, 204],
        ];
        for (const [r, status] of steps) {
          const res = await send(r, auth);
          assert.equal(res.status, status, `${label(r)}: ${JSON.stringify(res.body)}`);
        }
        const events = await h.runtime.database.db.selectFrom('audit_events').selectAll().where('actor_id', '=', u.userId).where('org_id', '=', 'org-a').orderBy('seq').execute();
        assert.deepEqual(
          events.filter((e) => e.action.startsWith('llm_')).map((e) => [e.action, e.actor_type, e.outcome]),
          [
            ['llm_provider.created', 'user', 'success'],
            ['llm_provider.updated', 'user', 'success'],
            ['llm_routing.updated', 'user', 'success'],
            ['llm_provider.tested', 'user', 'success'],
            ['llm_provider.deleted', 'user', 'success'],
          ],
        );
      });
    }
  });

  describe('runtime API keys', () => {
    const bearer = (key: string) => ({ headers: { authorization: `Bearer ${key}` } });

    it('providers:read reads every route; every write -> 403 naming providers:write', async () => {
      const { key } = await h.apiKey('org-a', ['providers:read'], ownerA);
      for (const r of reads) {
        const res = await send(r, bearer(key));
        assert.equal(res.status, 200, `${label(r)}: ${JSON.stringify(res.body)}`);
      }
      await refusedEverywhere(bearer(key), 403, /this API key lacks the scope providers:write/, writes);
    });

    it('providers:write writes, audited with actor_type api_key and the key id; X-API-Key works too', async () => {
      const { key, id } = await h.apiKey('org-a', ['providers:write'], ownerA);
      const steps: [Route, number][] = [
        [{ method: 'POST', path: BASE, body: { name: 'by-key', type: 'anthropic', endpoint: `${ep}/key` } }, 201],
        [{ method: 'PUT', path: `${BASE}/by-key`, body: { priority: 5 } }, 200],
        [{ method: 'PUT', path: `${BASE}/routing`, body: { weights: { main: 3, 'by-key': 2 } } }, 200],
        [{ method: 'POST', path: `${BASE}/by-key/test` }, 200],
        [{ method: 'DELETE', path: `${BASE}/by-key` }, 204],
      ];
      for (const [i, [r, status]] of steps.entries()) {
        // Alternate the two headers a runtime key may come in.
        const auth = i % 2 === 0 ? bearer(key) : { headers: { 'x-api-key': key } };
        const res = await send(r, auth);
        assert.equal(res.status, status, `${label(r)}: ${JSON.stringify(res.body)}`);
      }
      const events = await h.runtime.database.db.selectFrom('audit_events').selectAll().where('actor_id', '=', id).orderBy('seq').execute();
      assert.deepEqual(
        events.map((e) => [e.action, e.actor_type, e.org_id]),
        [
          ['llm_provider.created', 'api_key', 'org-a'],
          ['llm_provider.updated', 'api_key', 'org-a'],
          ['llm_routing.updated', 'api_key', 'org-a'],
          ['llm_provider.tested', 'api_key', 'org-a'],
          ['llm_provider.deleted', 'api_key', 'org-a'],
        ],
      );
    });

    it('a key with only unrelated scopes -> 403 on every route', async () => {
      const { key } = await h.apiKey('org-a', ['connectors:write', 'nodes:write', 'usage:write'], ownerA);
      await refusedEverywhere(bearer(key), 403, /this API key lacks the scope providers:(read|write)/);
      const r = await send(reads[0], bearer(key));
      assert.match(r.body.error.message, /providers:read/);
    });

    it('a "*" key reads and writes', async () => {
      const { key } = await h.apiKey('org-a', ['*'], ownerA);
      assert.equal((await send(reads[0], bearer(key))).status, 200);
      assert.equal((await send({ method: 'PUT', path: `${BASE}/main`, body: { weight: 3 } }, bearer(key))).status, 200);
    });
  });

  describe('the same doors on GraphQL', () => {
    it('no credential, a viewer, a read-only key: refused; the owner: allowed', async () => {
      const mutation = 'mutation { updateLlmProvider(name: "main", input: { model: "via-graphql" }) { model } }';
      const anonymous = await h.graphql(mutation);
      assert.equal(anonymous.errors[0].extensions.code, 'UNAUTHENTICATED');
      const viewer = await h.userSession('org-a', 'viewer', ownerA);
      assert.equal((await h.graphql(mutation, {}, { cookie: viewer.cookie })).errors[0].extensions.code, 'FORBIDDEN');
      const { key } = await h.apiKey('org-a', ['providers:read'], ownerA);
      const byKey = await h.graphql(mutation, {}, { headers: { authorization: `Bearer ${key}` } });
      assert.equal(byKey.errors[0].extensions.code, 'FORBIDDEN');
      const read = await h.graphql('{ llmProvider(name: "main") { name hasApiKey } }', {}, { headers: { authorization: `Bearer ${key}` } });
      assert.deepEqual(read.data.llmProvider, { name: 'main', hasApiKey: true });
      assert.notEqual((await h.call('GET', `${BASE}/main`, { cookie: ownerA })).body.model, 'via-graphql');
    });
  });

  describe('organizations stay apart', () => {
    it("org B's session on org A's provider name -> 404 for GET, PUT, DELETE, health and test; A's provider untouched, nothing sent", async () => {
      const before = await snapshot();
      const routes: Route[] = [
        { method: 'GET', path: `${BASE}/main` },
        { method: 'PUT', path: `${BASE}/main`, body: { endpoint: 'https://evil.example.com/v1', api_key: null } },
        { method: 'DELETE', path: `${BASE}/main` },
        { method: 'GET', path: `${BASE}/main/health` },
        { method: 'POST', path: `${BASE}/main/test` },
      ];
      for (const r of routes) {
        const res = await send(r, { cookie: ownerB });
        assert.equal(res.status, 404, `${label(r)}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.error.code, 'NOT_FOUND');
      }
      const { key } = await h.apiKey('org-b', ['*'], ownerB);
      for (const r of routes) assert.equal((await send(r, { headers: { authorization: `Bearer ${key}` } })).status, 404, label(r));
      assert.deepEqual(await snapshot(), before);
    });

    it("org B's lists, routing and status show none of A's providers; B cannot route to A's provider", async () => {
      const list = await h.call('GET', BASE, { cookie: ownerB });
      assert.deepEqual(list.body, { providers: [], total: 0, next_cursor: null });
      assert.deepEqual((await h.call('GET', `${BASE}/routing`, { cookie: ownerB })).body, { weights: {}, ready: false });
      const status = await h.call('GET', `${BASE}/status`, { cookie: ownerB });
      assert.deepEqual([status.body.total, status.body.providers], [0, []]);
      const route = await h.call('PUT', `${BASE}/routing`, { cookie: ownerB, body: { weights: { main: 1 } } });
      assert.equal(route.status, 400);
      assert.equal(route.body.error.field, 'weights.main');
      const gqlList = await h.graphql('{ llmProviders { totalCount } }', {}, { cookie: ownerB });
      assert.equal(gqlList.data.llmProviders.totalCount, 0);
      const gqlOne = await h.graphql('{ llmProvider(name: "main") { name } }', {}, { cookie: ownerB });
      assert.equal(gqlOne.errors[0].extensions.code, 'NOT_FOUND');
      assert.equal((await h.call('GET', `${BASE}/main`, { cookie: ownerA })).body.weight, 3, "A's weight untouched");
    });

    it('B may use the same name; each organization keeps its own', async () => {
      const r = await h.call('POST', BASE, { cookie: ownerB, body: { name: 'main', type: 'gemini' } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.equal(r.body.has_api_key, false);
      const a = await h.call('GET', `${BASE}/main`, { cookie: ownerA });
      assert.equal(a.body.type, 'openai');
      assert.equal(a.body.has_api_key, true);
      assert.equal((await h.call('DELETE', `${BASE}/main`, { cookie: ownerB })).status, 204);
      assert.equal((await h.call('GET', `${BASE}/main`, { cookie: ownerA })).status, 200);
    });

    it("A's own /test still reaches A's endpoint with A's key", async () => {
      const from = mock.seen.length;
      const r = await h.call('POST', `${BASE}/main/test`, { cookie: ownerA });
      assert.equal(r.body.status, 'healthy', JSON.stringify(r.body));
      assert.deepEqual(
        mock.seen.slice(from).map((s) => [s.url, s.headers.authorization]),
        [['/a/v1/models', `Bearer ${KEY_A}`]],
      );
    });
  });
});
