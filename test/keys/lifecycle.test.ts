import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from '../helpers/harness.js';
import { bearer, keyRow, mistype } from './fixtures.js';

/** GET /api/v1/auth/session is a portal route: a live key is recognised and sent away, a dead one is named as dead. */
/** A refused key on a runtime route: the answer says why the key was not accepted. */
async function rejectedOnRuntimeRoute(h: Harness, key: string): Promise<string> {
  const r = await h.call('POST', '/api/v1/nodes/heartbeat', {
    headers: bearer(key),
    body: { node_id: 'n1', hostname: 'h1', role: 'agent', version: '1.0.0' },
  });
  assert.equal(r.status, 401);
  return r.body.error.message;
}

async function presentOnPortalRoute(h: Harness, key: string): Promise<string> {
  const r = await h.call('GET', '/api/v1/auth/session', { headers: bearer(key) });
  assert.equal(r.status, 401);
  return r.body.error.message;
}

describe('another organization cannot see or revoke a key', () => {
  let h: Harness;
  let key: string;
  let keyId: string;
  let bCookie: string;

  before(async () => {
    h = await Harness.start();
    await h.createOrg('acme');
    await h.createOrg('beta');
    ({ key, id: keyId } = await h.apiKey('acme', ['nodes:write']));
    bCookie = await h.login('beta');
  });
  after(() => h.close());

  it("GET of A's key id with B's session is 404 without the key's data", async () => {
    const r = await h.call('GET', `/api/v1/keys/${keyId}`, { cookie: bCookie });
    assert.equal(r.status, 404);
    assert.ok(!JSON.stringify(r.body).includes('nodes:write'));
    assert.ok(!JSON.stringify(r.body).includes('key for'));
  });

  it("B's list does not show A's key", async () => {
    const r = await h.call('GET', '/api/v1/keys', { cookie: bCookie });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.keys, []);
  });

  it("DELETE of A's key id with B's session is 404 and A's key still works", async () => {
    const r = await h.call('DELETE', `/api/v1/keys/${keyId}`, { cookie: bCookie });
    assert.equal(r.status, 404);
    assert.equal((await keyRow(h, keyId)).revoked_at, null);
    const v = await h.runtime.services.apiKeys.verify(key);
    assert.ok(!('rejected' in v));
    assert.equal(v.orgId, 'acme');
  });
});

// Each test logs in afresh: the expiry test moves the clock past the session idle timeout.
describe('revocation, expiry and suspension take effect on the next request', () => {
  let h: Harness;

  before(async () => {
    h = await Harness.start();
    await h.createOrg('acme');
    await h.createOrg('beta');
  });
  after(() => h.close());

  it('a key works, and stops at once when revoked', async () => {
    const owner = await h.login('acme');
    const { key, id } = await h.apiKey('acme', ['nodes:write', 'usage:write'], owner);
    const before = await h.runtime.services.apiKeys.verify(key);
    assert.ok(!('rejected' in before));
    assert.deepEqual(before, { kind: 'api_key', orgId: 'acme', keyId: id, scopes: new Set(['nodes:write', 'usage:write']) });
    assert.match(await presentOnPortalRoute(h, key), /a runtime API key was presented: API keys are accepted only on runtime routes/);

    const r = await h.call('DELETE', `/api/v1/keys/${id}`, { cookie: owner });
    assert.equal(r.status, 200);
    assert.equal(r.body.id, id);
    assert.equal(r.body.revoked_at, h.clock.now().toISOString());
    assert.equal(r.body.key, undefined);

    const afterRevoke = await h.runtime.services.apiKeys.verify(key);
    assert.ok('rejected' in afterRevoke);
    assert.match(afterRevoke.rejected, /revoked/);
    const message = await rejectedOnRuntimeRoute(h, key);
    assert.match(message, /the API key presented was not accepted: the API key was revoked/);
    assert.ok(!message.includes(key));
  });

  it('revoking twice is harmless and keeps the first revocation time', async () => {
    const owner = await h.login('acme');
    const { id } = await h.apiKey('acme', ['nodes:write'], owner);
    const first = await h.call('DELETE', `/api/v1/keys/${id}`, { cookie: owner });
    h.clock.advance(5000);
    const second = await h.call('DELETE', `/api/v1/keys/${id}`, { cookie: owner });
    assert.equal(second.status, 200);
    assert.equal(second.body.revoked_at, first.body.revoked_at);
    const list = await h.call('GET', '/api/v1/keys', { cookie: owner });
    assert.equal(list.body.keys.find((k: any) => k.id === id).revoked_at, first.body.revoked_at);
    const audit = await h.admin('GET', '/api/v1/admin/audit?org_id=acme&action=api_key.revoked');
    assert.equal(audit.body.events.filter((e: any) => e.target_id === id).length, 1);
  });

  it('DELETE of an unknown id is 404', async () => {
    const owner = await h.login('acme');
    const r = await h.call('DELETE', '/api/v1/keys/key_ffffffffffffffff', { cookie: owner });
    assert.equal(r.status, 404);
  });

  it('a key stops the moment it expires', async () => {
    const owner = await h.login('acme');
    const expiresAt = new Date(h.clock.now().getTime() + 3600_000).toISOString();
    const r = await h.call('POST', '/api/v1/keys', { cookie: owner, body: { name: 'hour', scopes: ['*'], expires_at: expiresAt } });
    assert.equal(r.status, 201);
    assert.equal(r.body.expires_at, expiresAt);
    h.clock.advance(3600_000 - 1);
    assert.ok(!('rejected' in (await h.runtime.services.apiKeys.verify(r.body.key))));
    h.clock.advance(2);
    const v = await h.runtime.services.apiKeys.verify(r.body.key);
    assert.ok('rejected' in v);
    assert.match(v.rejected, /expired/);
    assert.match(await rejectedOnRuntimeRoute(h, r.body.key), /not accepted: the API key has expired/);
  });

  it('a mistyped key is refused for its checksum', async () => {
    const owner = await h.login('acme');
    const { key } = await h.apiKey('acme', ['nodes:write'], owner);
    const v = await h.runtime.services.apiKeys.verify(mistype(key));
    assert.ok('rejected' in v);
    assert.match(v.rejected, /checksum/);
    assert.match(await rejectedOnRuntimeRoute(h, mistype(key)), /not accepted: the key checksum does not match/);
    // The original is untouched by the attempt.
    assert.ok(!('rejected' in (await h.runtime.services.apiKeys.verify(key))));
  });

  it('a well-formed key that was never issued is unknown', async () => {
    const owner = await h.login('acme');
    const { key } = await h.apiKey('acme', ['nodes:write'], owner);
    await h.runtime.database.db.deleteFrom('api_keys').where('digest', '=', (await keyRowByKey(key)).digest).execute();
    const v = await h.runtime.services.apiKeys.verify(key);
    assert.ok('rejected' in v);
    assert.match(v.rejected, /unknown API key/);
  });

  it("a suspended organization's keys stop; other organizations' keys do not", async () => {
    const owner = await h.login('acme');
    const { key } = await h.apiKey('acme', ['nodes:write'], owner);
    const other = await h.apiKey('beta', ['nodes:write']);
    const patch = await h.admin('PATCH', '/api/v1/admin/organizations/acme', { status: 'SUSPENDED' });
    assert.equal(patch.status, 200, JSON.stringify(patch.body));
    const v = await h.runtime.services.apiKeys.verify(key);
    assert.ok('rejected' in v);
    assert.match(v.rejected, /suspended/);
    assert.match(await rejectedOnRuntimeRoute(h, key), /not accepted: the organization is suspended/);
    assert.ok(!('rejected' in (await h.runtime.services.apiKeys.verify(other.key))));
  });

  async function keyRowByKey(key: string) {
    return keyRow(h, `key_${key.slice(5, 21)}`);
  }
});

describe('last_used_at', () => {
  let h: Harness;

  before(async () => {
    h = await Harness.start();
    await h.createOrg('acme');
  });
  after(() => h.close());

  it('is set on first use and written at most once a minute', async () => {
    const owner = await h.login('acme');
    const { key, id } = await h.apiKey('acme', ['nodes:write'], owner);
    assert.equal((await keyRow(h, id)).last_used_at, null);

    const t0 = h.clock.now().toISOString();
    await h.runtime.services.apiKeys.verify(key);
    assert.equal((await keyRow(h, id)).last_used_at, t0);

    h.clock.advance(30_000);
    await h.runtime.services.apiKeys.verify(key);
    // Over HTTP too: the key is verified (then sent away) on a portal route.
    await presentOnPortalRoute(h, key);
    assert.equal((await keyRow(h, id)).last_used_at, t0);

    h.clock.advance(31_000);
    await presentOnPortalRoute(h, key);
    const t1 = h.clock.now().toISOString();
    assert.equal((await keyRow(h, id)).last_used_at, t1);

    const list = await h.call('GET', '/api/v1/keys', { cookie: owner });
    assert.equal(list.body.keys.find((k: any) => k.id === id).last_used_at, t1);
  });

  it('a refused attempt does not count as use', async () => {
    const owner = await h.login('acme');
    const { key, id } = await h.apiKey('acme', ['nodes:write'], owner);
    await h.runtime.services.apiKeys.verify(mistype(key));
    await h.call('DELETE', `/api/v1/keys/${id}`, { cookie: owner });
    await h.runtime.services.apiKeys.verify(key);
    assert.equal((await keyRow(h, id)).last_used_at, null);
  });
});
