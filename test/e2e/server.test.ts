import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import SQLite from 'better-sqlite3';
import { adminKeyOf, removeServerData, serverDataDir, startServer } from '../helpers/child-server.js';
import { databaseKind } from '../helpers/harness.js';

after(removeServerData);


describe('the real server over HTTP', () => {
  it('starts on SQLite with no setup, says where its generated secrets are, and serves the first five minutes', async () => {
    const dir = serverDataDir();
    const s = await startServer(dir);
    try {
      assert.match(s.output(), /ADMIN_API_KEY not set: using a generated one kept in .*dev-secrets\.json/);
      assert.match(s.output(), new RegExp(`"database":"${databaseKind()}"`));
      const key = adminKeyOf(dir);
      const created = await fetch(`${s.url}/api/v1/admin/organizations`, {
        method: 'POST',
        headers: { 'x-admin-api-key': key, 'content-type': 'application/json' },
        body: JSON.stringify({ org_id: 'acme', name: 'Acme', password: 'first-five-minutes' }),
      });
      assert.equal(created.status, 201);
      const login = await fetch(`${s.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ org_id: 'acme', password: 'first-five-minutes' }),
      });
      assert.equal(login.status, 200);
      const cookie = login.headers.getSetCookie()[0].split(';')[0];
      const gql = await fetch(`${s.url}/graphql`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ organization { orgId name tier } }' }),
      });
      assert.deepEqual(await gql.json(), { data: { organization: { orgId: 'acme', name: 'Acme', tier: 'DEVELOPER' } } });
      assert.doesNotMatch(s.output(), new RegExp(key), 'the admin key is never logged');
      assert.doesNotMatch(s.output(), /first-five-minutes/, 'nor a password');
      // The first start says where it is and what to do next; a later start on the same data does not repeat it.
      assert.match(s.output(), /AxonFlow Enterprise API is running at http:\/\/localhost:\d+/);
      assert.match(s.output(), /GraphiQL: +http:\/\/localhost:\d+\/graphql/);
      assert.match(s.output(), new RegExp(`Generated secrets: ${join(dir, 'dev-secrets.json').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      assert.match(s.output(), /The first five minutes/);
    } finally {
      s.proc.kill('SIGKILL');
      await s.exited;
    }
    const again = await startServer(dir);
    try {
      assert.doesNotMatch(again.output(), /is running at/);
    } finally {
      again.proc.kill('SIGKILL');
    }
  });

  it('reads bodies from the socket: declared, chunked, too large, or not JSON', async () => {
    const dir = serverDataDir();
    const s = await startServer(dir);
    /** One request written as given, on a connection of its own; the status line and body that come back. */
    const raw = (head: string, body: string | Buffer = '') =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const socket = connect(s.port, '127.0.0.1');
        let data = '';
        socket.on('data', (d) => (data += d));
        socket.on('error', reject);
        socket.on('end', () => resolve({ status: Number(data.split(' ')[1]), body: data.slice(data.indexOf('\r\n\r\n') + 4) }));
        socket.write(`${head}\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
        socket.write(body);
      });
    const chunked = (chunks: string[]) => chunks.map((c) => `${Buffer.byteLength(c).toString(16)}\r\n${c}\r\n`).join('') + '0\r\n\r\n';
    try {
      const login = JSON.stringify({ org_id: 'nobody', password: 'not-the-password-1' });
      const declared = await raw(`POST /api/v1/auth/login HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: ${login.length}`, login);
      assert.equal(declared.status, 401, declared.body);
      const streamed = await raw('POST /api/v1/auth/login HTTP/1.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked', chunked([login.slice(0, 10), login.slice(10)]));
      assert.equal(streamed.status, 401, streamed.body);
      const query = JSON.stringify({ query: '{ deploymentConfig { mode } }' });
      const gqlStreamed = await raw('POST /graphql HTTP/1.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked', chunked([query.slice(0, 7), query.slice(7)]));
      assert.equal(gqlStreamed.status, 200, gqlStreamed.body);
      assert.equal(JSON.parse(gqlStreamed.body).data.deploymentConfig.mode, 'saas');
      // Over the limit: refused from the header, before a byte of the body is sent.
      const declaredHuge = await raw('POST /graphql HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 2000000');
      assert.equal(declaredHuge.status, 413);
      assert.equal(JSON.parse(declaredHuge.body).error.code, 'PAYLOAD_TOO_LARGE');
      const streamedHuge = await raw('POST /api/v1/auth/login HTTP/1.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked', chunked(Array.from({ length: 20 }, () => 'x'.repeat(60_000))));
      assert.equal(streamedHuge.status, 413);
      const notJson = await raw('POST /graphql HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 9', '{"query":');
      assert.equal(notJson.status, 400);
      assert.equal(JSON.parse(notJson.body).errors[0].extensions.code, 'BAD_REQUEST');
    } finally {
      s.proc.kill('SIGKILL');
      await s.exited;
    }
  });

  it('on SIGTERM turns not-ready, finishes the request in flight, and exits 0', async () => {
    const dir = serverDataDir();
    const s = await startServer(dir, { SHUTDOWN_DRAIN_SECONDS: '1' });
    const body = JSON.stringify({ org_id: 'nobody', password: 'wrong-password-1' });
    const socket = connect(s.port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    let response = '';
    socket.on('data', (d) => (response += d));
    // Half a request is on the wire when the signal comes.
    socket.write(`POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`);
    await new Promise((r) => setTimeout(r, 200));
    s.proc.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    const ready = await fetch(`${s.url}/readyz`);
    assert.equal(ready.status, 503);
    assert.equal((await ready.json()).checks.draining, true);
    socket.write(body.slice(10));
    const code = await s.exited;
    assert.match(response, /^HTTP\/1\.1 401/, 'the in-flight request got its answer');
    assert.equal(code, 0);
    assert.match(s.output(), /"msg":"stopped"/);
  });

  it('keeps every acknowledged write across SIGKILL, exactly once, with the database intact', async () => {
    const dir = serverDataDir();
    let s = await startServer(dir);
    const key = adminKeyOf(dir);
    const acknowledged: string[] = [];
    let stop = false;
    const writer = (async () => {
      for (let i = 0; !stop && i < 10_000; i++) {
        try {
          const r = await fetch(`${s.url}/api/v1/admin/organizations`, {
            method: 'POST',
            headers: { 'x-admin-api-key': key, 'content-type': 'application/json' },
            body: JSON.stringify({ org_id: `org-${i}`, name: `Org ${i}` }),
          });
          if (r.status === 201) acknowledged.push(`org-${i}`);
        } catch {
          return; // the server died mid-request: that write was never acknowledged
        }
      }
    })();
    await new Promise((r) => setTimeout(r, 1500));
    s.proc.kill('SIGKILL');
    stop = true;
    await writer;
    await s.exited;
    assert.ok(acknowledged.length > 5, `only ${acknowledged.length} writes before the kill`);

    if (databaseKind() === 'sqlite') {
      const db = new SQLite(join(dir, 'axonflow.db'));
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
      db.close();
    }
    s = await startServer(dir);
    try {
      const list = await fetch(`${s.url}/api/v1/admin/organizations?limit=100`, { headers: { 'x-admin-api-key': key } });
      const total = (await list.json()).total as number;
      assert.ok(total >= acknowledged.length && total <= acknowledged.length + 1, `${total} rows for ${acknowledged.length} acknowledged`);
      for (const id of acknowledged) {
        const r = await fetch(`${s.url}/api/v1/admin/organizations/${id}`, { headers: { 'x-admin-api-key': key } });
        assert.equal(r.status, 200, id);
      }
      const verify = await fetch(`${s.url}/api/v1/admin/audit/verify`, { headers: { 'x-admin-api-key': key } });
      assert.equal((await verify.json()).valid, true, 'the audit chain survived the kill');
    } finally {
      s.proc.kill('SIGKILL');
    }
  });
});
