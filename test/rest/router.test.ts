import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_KEY, Harness } from '../helpers/harness.js';

describe('REST adapter: bodies and errors', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start();
  });
  after(() => h.close());

  const post = (rawBody: string | Uint8Array, contentType = 'application/json') =>
    h.call('POST', '/api/v1/admin/organizations', { rawBody, headers: { 'x-admin-api-key': ADMIN_KEY, 'content-type': contentType } });

  it('malformed JSON is 400', async () => {
    const r = await post('{"org_id": "a",');
    assert.equal(r.status, 400);
    assert.equal(r.body.error.message, 'the body is not valid JSON');
  });

  it('a body that is not an object is 400', async () => {
    for (const body of ['[]', '"x"', '42', 'null']) {
      const r = await post(body);
      assert.equal(r.status, 400, body);
      assert.match(r.body.error.message, /JSON object/);
    }
  });

  it('a non-JSON content type is 400 (no form posts)', async () => {
    const r = await post('org_id=a&name=b', 'application/x-www-form-urlencoded');
    assert.equal(r.status, 400);
    assert.match(r.body.error.message, /Content-Type: application\/json/);
  });

  it('invalid UTF-8 is 400', async () => {
    const r = await post(new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]));
    assert.equal(r.status, 400);
    assert.match(r.body.error.message, /UTF-8/);
  });

  it('a body over 1 MB is 413', async () => {
    const r = await post(JSON.stringify({ org_id: 'big', name: 'x'.repeat(1024 * 1024) }));
    assert.equal(r.status, 413);
    assert.equal(r.body.error.code, 'PAYLOAD_TOO_LARGE');
    assert.equal((await h.admin('GET', '/api/v1/admin/organizations/big')).status, 404);
  });

  it('deeply nested JSON is a 400, not a crash', async () => {
    const deep = '{"org_id":"deep","name":"D","contact_phone":' + '['.repeat(50_000) + ']'.repeat(50_000) + '}';
    const r = await post(deep);
    assert.equal(r.status, 400);
    assert.match(r.body.error.message, /nests deeper/);
  });

  it('wrong types are 400 naming the snake_case field, without echoing the value', async () => {
    const r = await h.admin('POST', '/api/v1/admin/organizations', { org_id: 'typed', name: 'T', password: 12345678901 });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.field, 'password');
    assert.equal(r.body.error.message, 'password must be a string');
  });

  it('unknown paths are a JSON 404', async () => {
    const r = await h.call('GET', '/api/v1/nothing-here');
    assert.equal(r.status, 404);
    assert.equal(r.body.error.code, 'NOT_FOUND');
  });

  it('every response carries a request id, and a tame caller id is kept', async () => {
    const mine = await h.call('GET', '/livez', { headers: { 'x-request-id': 'trace-1234abcd' } });
    assert.equal(mine.headers.get('x-request-id'), 'trace-1234abcd');
    const forged = await h.call('GET', '/livez', { headers: { 'x-request-id': 'bad id {"level":60}' } });
    assert.match(forged.headers.get('x-request-id')!, /^[0-9a-f-]{36}$/);
  });
});

describe('probes', () => {
  it('livez, readyz and health answer, and readyz turns 503 while draining', async () => {
    const h = await Harness.start();
    try {
      assert.deepEqual((await h.call('GET', '/livez')).body, { status: 'ok' });
      const ready = await h.call('GET', '/readyz');
      assert.equal(ready.status, 200);
      assert.equal(ready.body.checks.migrations, 'ok');
      const health = await h.call('GET', '/health');
      assert.equal(health.body.status, 'healthy');
      assert.equal(health.body.mode, 'saas');
      h.runtime.lifecycle.draining = true;
      assert.equal((await h.call('GET', '/readyz')).status, 503);
    } finally {
      await h.close();
    }
  });
});
