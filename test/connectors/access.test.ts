import assert from 'node:assert/strict';
import { type AddressInfo, createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ADMIN_KEY, Harness } from '../helpers/harness.js';

const BASE = '/api/v1/connectors';
const PASSWORD_A = 'pg-password-of-org-a-7f3a9c';

type Route = { method: string; path: string; body?: unknown };
type Auth = { cookie?: string; headers?: Record<string, string> };

describe('who may read, install and check connectors', () => {
  let h: Harness;
  let ownerA: string;
  let ownerB: string;
  let listener: { port: number; connections: number; close: () => Promise<void> };

  before(async () => {
    const server = createServer((socket) => {
      listener.connections++;
      socket.destroy();
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    listener = { port: (server.address() as AddressInfo).port, connections: 0, close: () => new Promise<void>((done) => server.close(() => done())) };
    h = await Harness.start({ outboundAllowHosts: [`127.0.0.1:${listener.port}`] });
    await h.createOrg('org-a');
    await h.createOrg('org-b');
    ownerA = await h.login('org-a');
    ownerB = await h.login('org-b');
    const r = await h.call('POST', `${BASE}/postgres/install`, {
      cookie: ownerA,
      body: { connection_url: `postgres://127.0.0.1:${listener.port}/app`, options: { database: 'app' }, credentials: { username: 'reader', password: PASSWORD_A } },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  });
  after(async () => {
    await h.close();
    await listener.close();
  });

  const reads: Route[] = [
    { method: 'GET', path: BASE },
    { method: 'GET', path: `${BASE}/postgres` },
    // A live look: any reader.
    { method: 'GET', path: `${BASE}/postgres/health` },
  ];
  const writes: Route[] = [
    { method: 'POST', path: `${BASE}/postgres/install`, body: { connection_url: 'postgres://evil.example.com/app', credentials: { username: 'x', password: 'replaced-by-intruder' } } },
    { method: 'POST', path: `${BASE}/slack/install`, body: { credentials: { bot_token: 'xoxb-intruder-000000' } } },
    // Who may call is decided before what was sent is judged, and before the id is looked up.
    { method: 'POST', path: `${BASE}/postgres/install`, body: { options: { pool_size: 1000 } } },
    { method: 'POST', path: `${BASE}/mysql/install`, body: {} },
    { method: 'DELETE', path: `${BASE}/postgres/uninstall` },
    // Looking and keeping what was seen as the connector's health_status is a change.
    { method: 'POST', path: `${BASE}/postgres/health` },
  ];
  const every = [...reads, ...writes];

  const send = (r: Route, auth: Auth) => h.call(r.method, r.path, { ...auth, body: r.body });
  const label = (r: Route) => `${r.method} ${r.path.replace(BASE, '') || '/'}`;
  const bearer = (key: string): Auth => ({ headers: { authorization: `Bearer ${key}` } });

  /** Every installation as stored, the connector audit events, and how many connections reached the listener. */
  const snapshot = async () => ({
    connectors: await h.runtime.database.db.selectFrom('connectors').selectAll().orderBy('org_id').orderBy('connector_id').execute(),
    audit: await h.runtime.database.db.selectFrom('audit_events').select(['id']).where('target_type', '=', 'connector').execute(),
    connections: listener.connections,
  });

  const refusedEverywhere = async (auth: Auth, status: number, message: RegExp, routes = every) => {
    const before = await snapshot();
    for (const r of routes) {
      const res = await send(r, auth);
      assert.equal(res.status, status, `${label(r)}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, status === 401 ? 'UNAUTHENTICATED' : 'FORBIDDEN', label(r));
      assert.deepEqual(res.body.error.required_auth, ['portal_session', 'api_key'], label(r));
      assert.match(res.body.error.message, message, label(r));
      if (status === 401) assert.match(res.headers.get('www-authenticate') ?? '', /Session realm="portal".*Bearer realm="runtime"/, label(r));
      assert.ok(!JSON.stringify(res.body).includes(PASSWORD_A));
    }
    assert.deepEqual(await snapshot(), before, 'nothing changed and no connection was made');
  };

  describe('credentials that are not for these routes: 401 on every route', () => {
    it('no credential', async () => {
      await refusedEverywhere({}, 401, /no credential was presented/);
    });

    it('a SCIM token', async () => {
      const { token } = await h.scimToken('org-a', ownerA);
      await refusedEverywhere(bearer(token), 401, /SCIM tokens are accepted only on \/scim\/v2/);
    });

    it('the admin API key', async () => {
      await refusedEverywhere({ headers: { 'x-admin-api-key': ADMIN_KEY } }, 401, /admin API key was presented/);
    });

    it('an API key that does not exist', async () => {
      await refusedEverywhere(bearer('axon_notarealkey_0000000000000000'), 401, /./);
    });
  });

  describe('portal roles', () => {
    it('viewer: reads every route and may run the health check; install and uninstall -> 403 naming connectors:write', async () => {
      const viewer = await h.userSession('org-a', 'viewer', ownerA);
      for (const r of reads) {
        const res = await send(r, { cookie: viewer.cookie });
        assert.equal(res.status, 200, `${label(r)}: ${JSON.stringify(res.body)}`);
      }
      const one = await send(reads[1], { cookie: viewer.cookie });
      assert.equal(one.body.installed, true);
      assert.equal(one.body.has_credentials, true);
      const before = listener.connections;
      const checked = await send(reads[2], { cookie: viewer.cookie });
      assert.equal(checked.body.status, 'healthy');
      assert.equal(listener.connections, before + 1, 'the check is real for a viewer too');

      await refusedEverywhere({ cookie: viewer.cookie }, 403, /your role \(viewer\) lacks the permission connectors:write/, writes);
      const refusals = await h.runtime.database.db
        .selectFrom('audit_events')
        .selectAll()
        .where('action', '=', 'authorization.refused')
        .where('actor_id', '=', viewer.userId)
        .execute();
      assert.equal(refusals.length, writes.length);
      assert.ok(refusals.every((e) => e.outcome === 'denied' && e.org_id === 'org-a'));
    });

    it('policy_admin: reads; install and uninstall -> 403', async () => {
      const pa = await h.userSession('org-a', 'policy_admin', ownerA);
      for (const r of reads) assert.equal((await send(r, { cookie: pa.cookie })).status, 200, label(r));
      await refusedEverywhere({ cookie: pa.cookie }, 403, /your role \(policy_admin\) lacks the permission connectors:write/, writes);
    });

    for (const role of ['developer', 'admin'] as const) {
      it(`${role}: installs, reconfigures, checks and uninstalls, audited as that user`, async () => {
        const u = await h.userSession('org-a', role, ownerA);
        const auth = { cookie: u.cookie };
        for (const r of reads) assert.equal((await send(r, auth)).status, 200, label(r));
        const steps: [Route, number][] = [
          [{ method: 'POST', path: `${BASE}/cassandra/install`, body: { connection_url: `cassandra://127.0.0.1:${listener.port}`, options: { keyspace: role }, credentials: { username: 'u', password: 'p' } } }, 201],
          [{ method: 'POST', path: `${BASE}/cassandra/install`, body: { options: { keyspace: `${role}_2` } } }, 200],
          [{ method: 'POST', path: `${BASE}/cassandra/health` }, 200],
          [{ method: 'DELETE', path: `${BASE}/cassandra/uninstall` }, 204],
        ];
        for (const [r, status] of steps) {
          const res = await send(r, auth);
          assert.equal(res.status, status, `${label(r)}: ${JSON.stringify(res.body)}`);
        }
        const events = await h.runtime.database.db.selectFrom('audit_events').selectAll().where('actor_id', '=', u.userId).where('target_type', '=', 'connector').orderBy('seq').execute();
        assert.deepEqual(
          events.map((e) => [e.action, e.actor_type, e.outcome, e.org_id, e.target_id]),
          [
            ['connector.installed', 'user', 'success', 'org-a', 'cassandra'],
            ['connector.reconfigured', 'user', 'success', 'org-a', 'cassandra'],
            ['connector.uninstalled', 'user', 'success', 'org-a', 'cassandra'],
          ],
        );
      });
    }
  });

  describe('runtime API keys', () => {
    it('connectors:read reads every route and runs the health check; install and uninstall -> 403 naming connectors:write', async () => {
      const { key } = await h.apiKey('org-a', ['connectors:read'], ownerA);
      for (const r of reads) {
        const res = await send(r, bearer(key));
        assert.equal(res.status, 200, `${label(r)}: ${JSON.stringify(res.body)}`);
      }
      const before = listener.connections;
      assert.equal((await send(reads[2], { headers: { 'x-api-key': key } })).body.status, 'healthy');
      assert.equal(listener.connections, before + 1);
      await refusedEverywhere(bearer(key), 403, /this API key lacks the scope connectors:write/, writes);
    });

    it('connectors:write installs and uninstalls, audited with actor_type api_key and the key id; X-API-Key works too', async () => {
      const { key, id } = await h.apiKey('org-a', ['connectors:write'], ownerA);
      const steps: [Route, number][] = [
        [{ method: 'POST', path: `${BASE}/slack/install`, body: { credentials: { bot_token: 'xoxb-by-key-0000000000' } } }, 201],
        [{ method: 'POST', path: `${BASE}/slack/install`, body: { options: { default_channel: '#alerts' } } }, 200],
        [{ method: 'DELETE', path: `${BASE}/slack/uninstall` }, 204],
      ];
      for (const [i, [r, status]] of steps.entries()) {
        const auth = i % 2 === 0 ? bearer(key) : { headers: { 'x-api-key': key } };
        const res = await send(r, auth);
        assert.equal(res.status, status, `${label(r)}: ${JSON.stringify(res.body)}`);
      }
      const events = await h.runtime.database.db.selectFrom('audit_events').selectAll().where('actor_id', '=', id).orderBy('seq').execute();
      assert.deepEqual(
        events.map((e) => [e.action, e.actor_type, e.org_id, e.target_id]),
        [
          ['connector.installed', 'api_key', 'org-a', 'slack'],
          ['connector.reconfigured', 'api_key', 'org-a', 'slack'],
          ['connector.uninstalled', 'api_key', 'org-a', 'slack'],
        ],
      );
      // Reads ask for connectors:read, which this key was not given.
      const list = await send(reads[0], bearer(key));
      assert.equal(list.status, 403, JSON.stringify(list.body));
      assert.match(list.body.error.message, /this API key lacks the scope connectors:read/);
    });

    it('a key with only unrelated scopes -> 403 on every route', async () => {
      const { key } = await h.apiKey('org-a', ['providers:read', 'providers:write', 'policies:write', 'nodes:write'], ownerA);
      await refusedEverywhere(bearer(key), 403, /this API key lacks the scope connectors:(read|write)/);
      assert.match((await send(reads[0], bearer(key))).body.error.message, /connectors:read/);
      assert.match((await send(writes[0], bearer(key))).body.error.message, /connectors:write/);
    });

    it('a "*" key reads, checks and installs', async () => {
      const { key } = await h.apiKey('org-a', ['*'], ownerA);
      for (const r of reads) assert.equal((await send(r, bearer(key))).status, 200, label(r));
      const r = await send({ method: 'POST', path: `${BASE}/postgres/install`, body: { max_retries: 5 } }, bearer(key));
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.max_retries, 5);
      assert.equal(r.body.has_credentials, true);
    });
  });

  describe('the same doors on GraphQL', () => {
    it('no credential, a viewer, a read-only key: install refused; the read-only key reads and checks', async () => {
      const mutation = 'mutation { installConnector(id: "postgres", input: { timeoutMs: 1234 }) { created } }';
      const anonymous = await h.graphql(mutation);
      assert.equal(anonymous.errors[0].extensions.code, 'UNAUTHENTICATED');
      const viewer = await h.userSession('org-a', 'viewer', ownerA);
      assert.equal((await h.graphql(mutation, {}, { cookie: viewer.cookie })).errors[0].extensions.code, 'FORBIDDEN');
      assert.equal((await h.graphql('mutation { uninstallConnector(id: "postgres") }', {}, { cookie: viewer.cookie })).errors[0].extensions.code, 'FORBIDDEN');
      const { key } = await h.apiKey('org-a', ['connectors:read'], ownerA);
      assert.equal((await h.graphql(mutation, {}, bearer(key))).errors[0].extensions.code, 'FORBIDDEN');
      const read = await h.graphql('{ connector(id: "postgres") { installed installation { hasCredentials } } connectorHealth(id: "postgres") { status } }', {}, bearer(key));
      assert.equal(read.errors, undefined, JSON.stringify(read.errors));
      assert.deepEqual(read.data, { connector: { installed: true, installation: { hasCredentials: true } }, connectorHealth: { status: 'healthy' } });
      assert.notEqual((await h.call('GET', `${BASE}/postgres`, { cookie: ownerA })).body.timeout_ms, 1234);
      assert.equal((await h.graphql('{ connectors { id } }')).errors[0].extensions.code, 'UNAUTHENTICATED');
    });
  });

  describe('organizations stay apart', () => {
    it("org B sees the catalogue with org A's installation absent", async () => {
      const list = await h.call('GET', BASE, { cookie: ownerB });
      assert.equal(list.status, 200);
      assert.equal(list.body.connectors.length, 7);
      assert.ok(list.body.connectors.every((c: any) => c.installed === false && c.has_credentials === false && c.connection_url === null));
      const one = await h.call('GET', `${BASE}/postgres`, { cookie: ownerB });
      assert.equal(one.status, 200);
      assert.equal(one.body.installed, false);
      const gql = await h.graphql('{ connector(id: "postgres") { installed installation { connectionUrl } } }', {}, { cookie: ownerB });
      assert.deepEqual(gql.data.connector, { installed: false, installation: null });
      // Meanwhile A's is installed.
      assert.equal((await h.call('GET', `${BASE}/postgres`, { cookie: ownerA })).body.installed, true);
    });

    it("org B's uninstall and health of A's connector -> 404; A's untouched and nothing contacted", async () => {
      const before = await snapshot();
      const routes: Route[] = [
        { method: 'DELETE', path: `${BASE}/postgres/uninstall` },
        { method: 'GET', path: `${BASE}/postgres/health` },
        { method: 'POST', path: `${BASE}/postgres/health` },
      ];
      const { key } = await h.apiKey('org-b', ['*'], ownerB);
      for (const auth of [{ cookie: ownerB }, bearer(key)]) {
        for (const r of routes) {
          const res = await send(r, auth);
          assert.equal(res.status, 404, `${label(r)}: ${JSON.stringify(res.body)}`);
          assert.equal(res.body.error.code, 'NOT_FOUND');
          assert.match(res.body.error.message, /not installed in this organization/);
        }
      }
      const gql = await h.graphql('{ connectorHealth(id: "postgres") { status } }', {}, { cookie: ownerB });
      assert.equal(gql.errors[0].extensions.code, 'NOT_FOUND');
      assert.deepEqual(await snapshot(), before);
    });

    it('B installs its own: a first install (201) beside A’s, and B’s uninstall leaves A’s in place', async () => {
      const aBefore = await h.runtime.database.db.selectFrom('connectors').selectAll().where('org_id', '=', 'org-a').where('connector_id', '=', 'postgres').executeTakeFirstOrThrow();
      const r = await h.call('POST', `${BASE}/postgres/install`, {
        cookie: ownerB,
        body: { connection_url: 'postgres://db.org-b.example.com/b', credentials: { username: 'b', password: 'pw-of-b' } },
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.equal(r.body.connection_url, 'postgres://db.org-b.example.com/b');
      assert.equal(r.body.options.database, undefined, "A's options are not B's");
      assert.equal((await h.call('GET', `${BASE}/postgres`, { cookie: ownerA })).body.connection_url, `postgres://127.0.0.1:${listener.port}/app`);
      assert.equal((await h.call('DELETE', `${BASE}/postgres/uninstall`, { cookie: ownerB })).status, 204);
      const aAfter = await h.runtime.database.db.selectFrom('connectors').selectAll().where('org_id', '=', 'org-a').where('connector_id', '=', 'postgres').executeTakeFirstOrThrow();
      assert.deepEqual(aAfter, aBefore);
      const bEvents = await h.runtime.database.db.selectFrom('audit_events').select(['action', 'org_id']).where('target_type', '=', 'connector').where('org_id', '=', 'org-b').orderBy('seq').execute();
      assert.deepEqual(bEvents, [
        { action: 'connector.installed', org_id: 'org-b' },
        { action: 'connector.uninstalled', org_id: 'org-b' },
      ]);
    });

    it("A's key cannot reach B's installation either", async () => {
      const b = await h.call('POST', `${BASE}/amadeus/install`, { cookie: ownerB, body: { credentials: { api_key: 'k', api_secret: 's' } } });
      assert.equal(b.status, 201, JSON.stringify(b.body));
      const { key } = await h.apiKey('org-a', ['*'], ownerA);
      assert.equal((await send({ method: 'GET', path: `${BASE}/amadeus` }, bearer(key))).body.installed, false);
      assert.equal((await send({ method: 'DELETE', path: `${BASE}/amadeus/uninstall` }, bearer(key))).status, 404);
      assert.equal((await h.call('GET', `${BASE}/amadeus`, { cookie: ownerB })).body.installed, true);
    });
  });
});
