import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from '../helpers/harness.js';
import { KEY_LIST_FIELDS, keyRow, keyRows, sha256 } from './fixtures.js';

describe('POST /api/v1/keys and reading keys back', () => {
  let h: Harness;
  let owner: string;
  let created: { status: number; body: any };

  before(async () => {
    h = await Harness.start();
    await h.createOrg('acme');
    owner = await h.login('acme');
    created = await h.call('POST', '/api/v1/keys', {
      cookie: owner,
      body: { name: '  ingest node  ', scopes: ['usage:write', 'nodes:write', 'usage:write'], expires_at: '2026-12-31T00:00:00Z' },
    });
  });
  after(() => h.close());

  it('answers 201 with the secret once, beside id, prefix, scopes and expires_at', () => {
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const b = created.body;
    assert.match(b.key, /^axon_[0-9a-f]{16}_[A-Za-z0-9_-]{49}$/);
    assert.match(b.id, /^key_[0-9a-f]{16}$/);
    assert.equal(b.prefix, b.key.slice(0, 21));
    assert.equal(b.id, `key_${b.prefix.slice(5)}`);
    assert.equal(b.name, 'ingest node');
    assert.deepEqual(b.scopes, ['nodes:write', 'usage:write']);
    assert.equal(b.expires_at, '2026-12-31T00:00:00.000Z');
    assert.equal(b.created_at, '2026-06-01T12:00:00.000Z');
    assert.equal(b.revoked_at, null);
    assert.equal(b.last_used_at, null);
  });

  it('stores a SHA-256 digest of the key, never the key or its secret part', async () => {
    const row = await keyRow(h, created.body.id);
    assert.equal(row.digest, sha256(created.body.key));
    assert.equal(row.org_id, 'acme');
    const secret = created.body.key.slice(22);
    for (const value of Object.values(row)) {
      if (typeof value !== 'string') continue;
      assert.ok(!value.includes(secret), 'a column holds the secret');
    }
  });

  it('lists the key with the documented fields and no secret', async () => {
    const r = await h.call('GET', '/api/v1/keys', { cookie: owner });
    assert.equal(r.status, 200);
    assert.equal(r.body.next_cursor, null);
    const item = r.body.keys.find((k: any) => k.id === created.body.id);
    assert.deepEqual(Object.keys(item).sort(), KEY_LIST_FIELDS);
    assert.equal(item.prefix, created.body.prefix);
    assert.deepEqual(item.scopes, ['nodes:write', 'usage:write']);
    assert.ok(!JSON.stringify(r.body).includes(created.body.key.slice(22)));
  });

  it('GET by id shows the same fields and no secret', async () => {
    const r = await h.call('GET', `/api/v1/keys/${created.body.id}`, { cookie: owner });
    assert.equal(r.status, 200);
    assert.deepEqual(Object.keys(r.body).sort(), KEY_LIST_FIELDS);
    assert.equal(r.body.name, 'ingest node');
    assert.ok(!JSON.stringify(r.body).includes(created.body.key.slice(22)));
  });

  it('GET of an id the org does not have is 404', async () => {
    const r = await h.call('GET', '/api/v1/keys/key_0000000000000000', { cookie: owner });
    assert.equal(r.status, 404);
    assert.equal(r.body.error.code, 'NOT_FOUND');
  });

  it('records the creation in the audit chain without the secret', async () => {
    const r = await h.admin('GET', '/api/v1/admin/audit?org_id=acme');
    assert.equal(r.status, 200);
    const ev = r.body.events.find((e: any) => e.action === 'api_key.created' && e.target_id === created.body.id);
    assert.ok(ev, 'no api_key.created event');
    assert.equal(ev.actor_type, 'user');
    const text = JSON.stringify(r.body);
    assert.ok(!text.includes(created.body.key.slice(22)));
    assert.ok(!text.includes(sha256(created.body.key)), 'the digest is in the audit trail');
  });

  it('keys without expires_at never expire; the list is newest first', async () => {
    h.clock.advance(1000);
    const second = await h.call('POST', '/api/v1/keys', { cookie: owner, body: { name: 'second', scopes: ['*'] } });
    assert.equal(second.status, 201);
    assert.equal(second.body.expires_at, null);
    const r = await h.call('GET', '/api/v1/keys', { cookie: owner });
    assert.deepEqual(r.body.keys.map((k: any) => k.id), [second.body.id, created.body.id]);
  });

  it('pages with limit and cursor', async () => {
    const first = await h.call('GET', '/api/v1/keys?limit=1', { cookie: owner });
    assert.equal(first.status, 200);
    assert.equal(first.body.keys.length, 1);
    assert.ok(first.body.next_cursor);
    const next = await h.call('GET', `/api/v1/keys?limit=1&cursor=${encodeURIComponent(first.body.next_cursor)}`, { cookie: owner });
    assert.equal(next.body.keys.length, 1);
    assert.notEqual(next.body.keys[0].id, first.body.keys[0].id);
    const bad = await h.call('GET', '/api/v1/keys?limit=0', { cookie: owner });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.field, 'limit');
  });
});

describe('who may manage keys', () => {
  let h: Harness;
  let keyId: string;
  let key: string;
  let viewer: { cookie: string };

  before(async () => {
    h = await Harness.start();
    await h.createOrg('acme');
    const owner = await h.login('acme');
    ({ id: keyId, key } = await h.apiKey('acme', ['nodes:write'], owner));
    viewer = await h.userSession('acme', 'viewer', owner);
  });
  after(() => h.close());

  it('a viewer can list and read keys', async () => {
    const list = await h.call('GET', '/api/v1/keys', { cookie: viewer.cookie });
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.keys.map((k: any) => k.id), [keyId]);
    const one = await h.call('GET', `/api/v1/keys/${keyId}`, { cookie: viewer.cookie });
    assert.equal(one.status, 200);
  });

  it('a viewer gets 403 naming keys:manage on POST, and nothing is written', async () => {
    const r = await h.call('POST', '/api/v1/keys', { cookie: viewer.cookie, body: { name: 'x', scopes: ['nodes:write'] } });
    assert.equal(r.status, 403);
    assert.equal(r.body.error.code, 'FORBIDDEN');
    assert.match(r.body.error.message, /keys:manage/);
    assert.match(r.body.error.message, /viewer/);
    assert.deepEqual(r.body.error.required_auth, ['portal_session']);
    assert.equal((await keyRows(h, 'acme')).length, 1);
  });

  it('a viewer gets 403 naming keys:manage on DELETE, and the key keeps working', async () => {
    const r = await h.call('DELETE', `/api/v1/keys/${keyId}`, { cookie: viewer.cookie });
    assert.equal(r.status, 403);
    assert.match(r.body.error.message, /keys:manage/);
    assert.equal((await keyRow(h, keyId)).revoked_at, null);
    const v = await h.runtime.services.apiKeys.verify(key);
    assert.equal('rejected' in v, false);
  });

  it('a developer can create a key, recorded as theirs', async () => {
    const dev = await h.userSession('acme', 'developer');
    const r = await h.call('POST', '/api/v1/keys', { cookie: dev.cookie, body: { name: 'dev key', scopes: ['providers:read'] } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal((await keyRow(h, r.body.id)).created_by, dev.userId);
  });
});
