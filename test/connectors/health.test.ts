import assert from 'node:assert/strict';
import { createServer as createHttpServer, type IncomingHttpHeaders } from 'node:http';
import { type AddressInfo, createServer as createTcpServer, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../src/logger.js';
import { createRuntime } from '../../src/server.js';
import { Harness, databaseKind, freshDatabase, underSchemaLock } from '../helpers/harness.js';

const BASE = '/api/v1/connectors';

/** A TCP service on loopback that accepts connections and says nothing (a database, as far as a connect can tell). */
interface Listener {
  port: number;
  connections: number;
  close: () => Promise<void>;
}

async function tcpListener(host = '127.0.0.1'): Promise<Listener> {
  const sockets = new Set<Socket>();
  const state: Listener = { port: 0, connections: 0, close: async () => {} };
  const server = createTcpServer((socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((done) => server.listen(0, host, done));
  state.port = (server.address() as AddressInfo).port;
  state.close = () =>
    new Promise<void>((done) => {
      for (const s of sockets) s.destroy();
      server.close(() => done());
    });
  return state;
}

/** A port that was just listened on and is now closed: a connect to it is refused. */
async function closedPort(): Promise<number> {
  const l = await tcpListener();
  await l.close();
  return l.port;
}

/** An HTTP API on loopback: /moved answers 302, /broken 500, anything else 503 (any answer is "reachable"). */
interface HttpMock {
  port: number;
  seen: { method: string; url: string; headers: IncomingHttpHeaders }[];
  close: () => void;
}

async function httpMock(): Promise<HttpMock> {
  const seen: HttpMock['seen'] = [];
  const server = createHttpServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    if (req.url?.startsWith('/moved')) return res.writeHead(302, { location: 'https://elsewhere.example.com/' }).end();
    if (req.url?.startsWith('/broken')) return res.writeHead(500).end('internal');
    res.writeHead(503, { 'content-type': 'application/json' }).end('{"status":"maintenance"}');
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

describe('connectors: health is a real reachability check, kept on the connector', () => {
  let h: Harness;
  let owner: string;
  let db: Listener;
  let silent: Listener;
  let elsewhere: Listener;
  let api: HttpMock;
  let refused: number;
  let dropDatabase: () => Promise<void>;

  before(async () => {
    db = await tcpListener();
    silent = await tcpListener();
    // 127.0.0.2 is loopback too, and not allow-listed: nothing may reach it.
    elsewhere = await tcpListener('127.0.0.2');
    api = await httpMock();
    refused = await closedPort();
    // Shared locking on SQLite: a second runtime (a restart with other settings) opens the same file.
    const fresh = await freshDatabase();
    dropDatabase = fresh.drop;
    h = await Harness.start({
      database: fresh.config.kind === 'sqlite' ? { ...fresh.config, locking: 'shared' as const } : fresh.config,
      outboundAllowHosts: [`127.0.0.1:${db.port}`, `127.0.0.1:${silent.port}`, `127.0.0.1:${api.port}`, `127.0.0.1:${refused}`],
    });
    await h.createOrg('acme');
    owner = await h.login('acme');
  });
  after(async () => {
    await h.close();
    await dropDatabase();
    api.close();
    await Promise.all([db.close(), silent.close(), elsewhere.close()]);
  });

  const install = async (id: string, body: Record<string, unknown>, want = 0) => {
    const r = await h.call('POST', `${BASE}/${id}/install`, { cookie: owner, body });
    if (want) assert.equal(r.status, want, JSON.stringify(r.body));
    else assert.ok(r.status === 200 || r.status === 201, JSON.stringify(r.body));
    return r;
  };
  const health = async (id: string, method: 'GET' | 'POST' = 'POST') => {
    const r = await h.call(method, `${BASE}/${id}/health`, { cookie: owner });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body;
  };
  const shown = async (id: string) => (await h.call('GET', `${BASE}/${id}`, { cookie: owner })).body;
  const auditCount = async () =>
    Number((await h.runtime.database.db.selectFrom('audit_events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

  it('postgres: a TCP connect to the listener -> healthy with latency_ms, kept as health_status and health', async () => {
    await install('postgres', { connection_url: `postgres://127.0.0.1:${db.port}/app`, credentials: { username: 'u', password: 'p' } }, 201);
    assert.equal((await shown('postgres')).health_status, 'unknown');
    const before = db.connections;
    const audit = await auditCount();
    const updatedAt = (await shown('postgres')).updated_at;
    h.clock.advance(5000);

    const body = await health('postgres');
    assert.equal(body.id, 'postgres');
    assert.equal(body.status, 'healthy');
    assert.equal(body.message, `TCP connection to 127.0.0.1:${db.port} opened`);
    assert.equal(typeof body.latency_ms, 'number');
    assert.ok(Number.isInteger(body.latency_ms) && body.latency_ms >= 0);
    assert.equal(body.last_checked, '2026-06-01T12:00:05.000Z');
    assert.equal(db.connections, before + 1, 'the listener saw exactly one connection');

    const after = await shown('postgres');
    assert.equal(after.health_status, 'healthy');
    const { id: _id, ...kept } = body;
    assert.deepEqual(after.health, kept);
    // Observing changes only the health: no reconfiguration, no audit event.
    assert.equal(after.updated_at, updatedAt);
    assert.equal(await auditCount(), audit);
    const row = await h.runtime.database.db.selectFrom('connectors').selectAll().where('org_id', '=', 'acme').where('connector_id', '=', 'postgres').executeTakeFirstOrThrow();
    assert.equal(row.health_status, 'healthy');
    assert.equal(row.health_message, body.message);
    assert.equal(row.health_latency_ms, body.latency_ms);
    assert.equal(row.health_checked_at, '2026-06-01T12:00:05.000Z');
  });

  it('GET /{id}/health runs the same check', async () => {
    const before = db.connections;
    const body = await health('postgres', 'GET');
    assert.equal(body.status, 'healthy');
    assert.equal(db.connections, before + 1);
  });

  it('the GraphQL connectorHealth query does the same', async () => {
    const before = db.connections;
    const res = await h.graphql('{ connectorHealth(id: "postgres") { status message latencyMs lastChecked } }', {}, { cookie: owner });
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    assert.equal(res.data.connectorHealth.status, 'healthy');
    assert.equal(typeof res.data.connectorHealth.latencyMs, 'number');
    assert.equal(db.connections, before + 1);
  });

  it('a reinstall resets the health to unknown until checked again', async () => {
    const r = await install('postgres', { options: { pool_size: 5 } }, 200);
    assert.equal(r.body.health_status, 'unknown');
    assert.deepEqual(r.body.health, { status: 'unknown', message: null, latency_ms: null, last_checked: null });
    assert.equal((await health('postgres')).status, 'healthy');
  });

  it('cassandra: TCP connect to the port in the URL; without one, its default port 9042 is what the allow list judges', async () => {
    const refusedAtInstall = await h.call('POST', `${BASE}/cassandra/install`, {
      cookie: owner,
      body: { connection_url: 'cassandra://127.0.0.1', options: { keyspace: 'ks' }, credentials: { username: 'u', password: 'p' } },
    });
    assert.equal(refusedAtInstall.status, 400, JSON.stringify(refusedAtInstall.body));
    assert.equal(refusedAtInstall.body.error.field, 'connection_url');
    assert.match(refusedAtInstall.body.error.message, /must not point at 127\.0\.0\.1/);

    await install('cassandra', { connection_url: `cassandra://127.0.0.1:${db.port}`, options: { keyspace: 'ks' }, credentials: { username: 'u', password: 'p' } }, 201);
    const before = db.connections;
    const body = await health('cassandra');
    assert.equal(body.status, 'healthy');
    assert.equal(db.connections, before + 1);
  });

  it('custom tcp:// to a closed port -> unhealthy naming ECONNREFUSED, latency_ms null', async () => {
    await install('custom', { connection_url: `tcp://127.0.0.1:${refused}` }, 201);
    const body = await health('custom');
    assert.equal(body.status, 'unhealthy');
    assert.match(body.message, /ECONNREFUSED/);
    assert.match(body.message, new RegExp(`127\\.0\\.0\\.1:${refused}`));
    assert.equal(body.latency_ms, null);
    assert.equal(body.last_checked, h.clock.now().toISOString());
    const after = await shown('custom');
    assert.equal(after.health_status, 'unhealthy');
    assert.equal(after.health.message, body.message);
  });

  it('custom http:// is allowed for an allow-listed host, and any HTTP answer (503) counts as reachable', async () => {
    const r = await install('custom', { connection_url: `http://127.0.0.1:${api.port}/status?probe=1`, credentials: { token: 'custom-secret-never-sent' } }, 200);
    assert.equal(r.body.connection_url, `http://127.0.0.1:${api.port}/status?probe=1`);
    const from = api.seen.length;
    const body = await health('custom');
    assert.equal(body.status, 'healthy');
    assert.equal(body.message, 'reachable (HTTP 503)');
    assert.equal(typeof body.latency_ms, 'number');
    const requests = api.seen.slice(from);
    assert.equal(requests.length, 1);
    assert.equal(requests[0].method, 'GET');
    assert.equal(requests[0].url, '/status?probe=1');
    // A reachability check: the stored credentials are not sent.
    assert.ok(!JSON.stringify(requests[0].headers).includes('custom-secret-never-sent'));
    assert.equal(requests[0].headers.authorization, undefined);
  });

  it('a 500 is an answer too: healthy', async () => {
    await install('custom', { connection_url: `http://127.0.0.1:${api.port}/broken`, credentials: {} }, 200);
    const body = await health('custom');
    assert.equal(body.status, 'healthy');
    assert.equal(body.message, 'reachable (HTTP 500)');
  });

  it('an https-typed connector (amadeus) may also use http:// to an allow-listed host', async () => {
    await install('amadeus', { connection_url: `http://127.0.0.1:${api.port}/v1`, credentials: { api_key: 'k', api_secret: 's' } }, 201);
    const from = api.seen.length;
    const body = await health('amadeus');
    assert.equal(body.status, 'healthy');
    assert.equal(api.seen.slice(from).length, 1);
    assert.equal(api.seen.at(-1)!.url, '/v1');
  });

  it('postgres never takes http://, allow-listed or not', async () => {
    await h.createOrg('other');
    const r = await h.call('POST', `${BASE}/postgres/install`, {
      cookie: await h.login('other'),
      body: { connection_url: `http://127.0.0.1:${db.port}/`, credentials: { username: 'u', password: 'p' } },
    });
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.equal(r.body.error.field, 'connection_url');
    assert.match(r.body.error.message, /must start with postgres:\/\/ or postgresql:\/\//);
  });

  it('a redirect is not followed: unhealthy', async () => {
    await install('custom', { connection_url: `http://127.0.0.1:${api.port}/moved`, credentials: {} }, 200);
    const from = api.seen.length;
    const body = await health('custom');
    assert.equal(body.status, 'unhealthy');
    assert.match(body.message, /redirects are not followed \(302/);
    assert.equal(api.seen.length, from + 1, 'elsewhere.example.com was not asked');
  });

  it('a listener that accepts but never answers HTTP, with timeout_ms 200 -> unhealthy "no answer within 200 ms"', async () => {
    await install('custom', { connection_url: `http://127.0.0.1:${silent.port}/`, timeout_ms: 200, credentials: {} }, 200);
    const before = silent.connections;
    const body = await health('custom');
    assert.equal(body.status, 'unhealthy');
    assert.match(body.message, /^no answer within 200 ms \(127\.0\.0\.1:\d+\)$/);
    assert.equal(body.latency_ms, null);
    assert.equal(silent.connections, before + 1, 'it did connect');
    assert.equal((await shown('custom')).health_status, 'unhealthy');
  });

  it('https:// to a listener that does not speak TLS -> unhealthy', async () => {
    await install('custom', { connection_url: `https://127.0.0.1:${api.port}/`, timeout_ms: 2000, credentials: {} }, 200);
    const body = await health('custom');
    assert.equal(body.status, 'unhealthy');
    assert.equal(body.latency_ms, null);
  });

  it('an address literal that is not allow-listed is refused at install; the listener there sees nothing', async () => {
    const r = await h.call('POST', `${BASE}/custom/install`, { cookie: owner, body: { connection_url: `tcp://127.0.0.2:${elsewhere.port}` } });
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.equal(r.body.error.field, 'connection_url');
    assert.match(r.body.error.message, /must not point at 127\.0\.0\.2/);
    // The same host on a port that is not the listed one is not allow-listed either.
    const otherPort = await h.call('POST', `${BASE}/custom/install`, { cookie: owner, body: { connection_url: `tcp://127.0.0.1:${elsewhere.port}` } });
    assert.equal(otherPort.status, 400, JSON.stringify(otherPort.body));
    assert.equal(elsewhere.connections, 0);
    // The installation in place is untouched.
    assert.equal((await shown('custom')).connection_url, `https://127.0.0.1:${api.port}/`);
  });

  it('a loopback name that is not allow-listed (localhost:<port> is not 127.0.0.1:<port>) is refused at install', async () => {
    await h.createOrg('named');
    const cookie = await h.login('named');
    const before = db.connections;
    for (const host of ['localhost', 'db.localhost']) {
      const r = await h.call('POST', `${BASE}/postgres/install`, {
        cookie,
        body: { connection_url: `postgres://${host}:${db.port}/app`, credentials: { username: 'u', password: 'p' } },
      });
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.error.field, 'connection_url');
      assert.match(r.body.error.message, /a loopback name/);
    }
    assert.equal((await h.call('POST', `${BASE}/postgres/health`, { cookie })).status, 404);
    assert.equal(db.connections, before, 'no connection was made');
  });

  it('an installation whose host is no longer allow-listed (restart with another list) is checked unhealthy without connecting', async () => {
    // Installed while 127.0.0.1:<db.port> was listed; the next runtime on the same database lists nothing.
    const logs: Record<string, unknown>[] = [];
    const make = () => createRuntime({ ...h.config, outboundAllowHosts: [] }, createLogger('info', { write: (line: string) => void logs.push(JSON.parse(line)) }), h.clock);
    const rt = databaseKind() === 'postgres' ? await underSchemaLock(process.env.DATABASE_URL!, make) : await make();
    try {
      const before = db.connections;
      const res = await rt.app.request(`${BASE}/postgres/health`, { method: 'POST', headers: { cookie: `axonflow_session=${owner}`, 'x-forwarded-for': '198.51.100.7' } });
      const body = (await res.json()) as any;
      assert.equal(res.status, 200, JSON.stringify(body));
      assert.equal(body.status, 'unhealthy');
      assert.match(body.message, /127\.0\.0\.1 is a loopback address/);
      assert.equal(body.latency_ms, null);
      assert.equal(db.connections, before, 'the listener saw no connection');
    } finally {
      await rt.close();
    }
    assert.equal((await shown('postgres')).health_status, 'unhealthy');
    // Back on the runtime that lists it, the same installation is healthy again.
    assert.equal((await health('postgres')).status, 'healthy');
  });

  it('health of a connector that is not installed is 404 (GET and POST); of an id not in the catalogue too', async () => {
    for (const method of ['GET', 'POST']) {
      for (const id of ['slack', 'snowflake', 'mysql']) {
        const r = await h.call(method, `${BASE}/${id}/health`, { cookie: owner });
        assert.equal(r.status, 404, `${method} ${id}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error.code, 'NOT_FOUND');
      }
    }
    const gql = await h.graphql('{ connectorHealth(id: "slack") { status } }', {}, { cookie: owner });
    assert.equal(gql.errors[0].extensions.code, 'NOT_FOUND');
  });

  it('after uninstall, health is 404 and the listener is not contacted', async () => {
    const del = await h.call('DELETE', `${BASE}/cassandra/uninstall`, { cookie: owner });
    assert.equal(del.status, 204);
    const before = db.connections;
    const r = await h.call('POST', `${BASE}/cassandra/health`, { cookie: owner });
    assert.equal(r.status, 404, JSON.stringify(r.body));
    assert.equal(db.connections, before);
  });
});
