import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createServer, type Server } from 'node:net';
import { Harness } from '../helpers/harness.js';

describe('connector credentials stay with their host; a GET of health keeps nothing', () => {
  let h: Harness;
  let cookie: string;
  let server: Server;
  let port: number;
  const BASE = '/api/v1/connectors';
  before(async () => {
    server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
    h = await Harness.start({ outboundAllowHosts: [`127.0.0.1:${port}`, `127.0.0.1:${port + 1}`] });
    await h.createOrg('acme');
    cookie = await h.login('acme');
    const r = await h.call('POST', `${BASE}/postgres/install`, { cookie, body: { connection_url: `postgres://127.0.0.1:${port}/app`, credentials: { username: 'app', password: 'pg-secret-original' } } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  });
  after(async () => {
    await h.close();
    server.close();
  });

  const row = () => h.runtime.database.db.selectFrom('connectors').selectAll().where('connector_id', '=', 'postgres').executeTakeFirstOrThrow();

  it('a reinstall naming another host without credentials -> 400 credentials, nothing changed', async () => {
    const stored = await row();
    const r = await h.call('POST', `${BASE}/postgres/install`, { cookie, body: { connection_url: 'postgres://db.attacker.example/app' } });
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.equal(r.body.error.field, 'credentials');
    assert.deepEqual(await row(), stored);
  });

  for (const [what, url] of [
    ['another port', (port: number) => `postgres://127.0.0.1:${port + 1}/app`],
    ['a query that switches TLS off', (port: number) => `postgres://127.0.0.1:${port}/app?sslmode=disable`],
  ] as const) {
    it(`a reinstall with ${what} and no credentials -> 400 credentials`, async () => {
      const stored = await row();
      const r = await h.call('POST', `${BASE}/postgres/install`, { cookie, body: { connection_url: url(port) } });
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.error.field, 'credentials');
      assert.deepEqual(await row(), stored);
    });
  }

  it('a host in the query (libpq host=, hostaddr=) is refused: drivers would connect there instead', async () => {
    for (const q of ['host=evil.example', 'hostaddr=203.0.113.9']) {
      const r = await h.call('POST', `${BASE}/postgres/install`, { cookie, body: { connection_url: `postgres://127.0.0.1:${port}/app?${q}`, credentials: { username: 'a', password: 'b-not-shown' } } });
      assert.equal(r.status, 400, q);
      assert.equal(r.body.error.field, 'connection_url');
    }
  });

  it('a reinstall on the same host keeps the credentials', async () => {
    const stored = await row();
    const r = await h.call('POST', `${BASE}/postgres/install`, { cookie, body: { connection_url: `postgres://127.0.0.1:${port}/other`, options: { pool_size: 3 } } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.has_credentials, true);
    assert.equal((await row()).credentials, stored.credentials);
  });

  it('GET /health looks and keeps nothing; POST /health keeps what it saw', async () => {
    const looked = await h.call('GET', `${BASE}/postgres/health`, { cookie });
    assert.equal(looked.status, 200);
    assert.equal(looked.body.status, 'healthy');
    assert.equal((await row()).health_status, 'unknown');
    const kept = await h.call('POST', `${BASE}/postgres/health`, { cookie });
    assert.equal(kept.body.status, 'healthy');
    assert.equal((await row()).health_status, 'healthy');
  });
});
