import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ADMIN_KEY, Harness } from '../helpers/harness.js';

describe('Idempotency-Key on creating requests', () => {
  let h: Harness;
  let cookie: string;
  before(async () => {
    h = await Harness.start();
    await h.createOrg('acme');
    await h.createOrg('globex');
    cookie = await h.login('acme');
  });
  after(() => h.close());

  const createKey = (key: string, body: object, who: { cookie: string } = { cookie }) =>
    h.call('POST', '/api/v1/keys', { ...who, body, headers: { 'idempotency-key': key } });
  const keyRows = async (org: string) =>
    (await h.runtime.database.db.selectFrom('api_keys').select('id').where('org_id', '=', org).execute()).length;

  it('replays the first answer, without the secret, and creates once', async () => {
    const before = await keyRows('acme');
    const first = await createKey('retry-1', { name: 'ci', scopes: ['usage:write'] });
    assert.equal(first.status, 201);
    assert.match(first.body.key, /^axon_/);
    const again = await createKey('retry-1', { name: 'ci', scopes: ['usage:write'] });
    assert.equal(again.status, 201);
    assert.equal(again.headers.get('idempotency-replayed'), 'true');
    assert.equal(again.body.id, first.body.id);
    assert.equal(again.body.key, undefined, 'the secret is shown once, never replayed');
    assert.equal(await keyRows('acme'), before + 1);
    const stored = await h.runtime.database.db.selectFrom('idempotency_keys').select('body').execute();
    assert.ok(stored.every((r) => !String(r.body).includes(first.body.key)), 'no secret at rest in the record');
  });

  it('refuses the same key with another body (422) and changes nothing', async () => {
    await createKey('retry-2', { name: 'one', scopes: ['usage:write'] });
    const before = await keyRows('acme');
    const other = await createKey('retry-2', { name: 'two', scopes: ['usage:write'] });
    assert.equal(other.status, 422);
    assert.equal(other.body.error.code, 'IDEMPOTENCY_KEY_REUSED');
    assert.equal(await keyRows('acme'), before);
  });

  it('answers 409 to a retry sent while the first request is still running', async () => {
    const send = () =>
      h.call('POST', '/api/v1/admin/organizations', {
        // The password makes the first request hash with argon2 for a while: the retry lands during it.
        body: { org_id: 'slow', name: 'Slow', password: 'slow-password-1' },
        headers: { 'x-admin-api-key': ADMIN_KEY, 'idempotency-key': 'org-slow' },
      });
    // The retry is sent once the first has claimed its key, while it is still hashing: on a loaded machine two
    // sends started together can otherwise arrive one after the other.
    const first = send();
    const claimed = () =>
      h.runtime.database.db.selectFrom('idempotency_keys').select('state').where('key', '=', 'org-slow').executeTakeFirst();
    for (let i = 0; i < 2000 && (await claimed())?.state !== 'in_flight'; i++) await new Promise((r) => setTimeout(r, 1));
    const results = await Promise.all([first, send()]);
    assert.deepEqual(results.map((r) => r.status).sort(), [201, 409]);
    const busy = results.find((r) => r.status === 409)!;
    assert.equal(busy.body.error.code, 'CONFLICT');
    assert.match(busy.body.error.message, /still being processed/);
    const replay = await send();
    assert.equal(replay.status, 201, 'once the first is done, a retry replays it');
    assert.equal(replay.headers.get('idempotency-replayed'), 'true');
    const orgs = await h.runtime.database.db.selectFrom('organizations').select('org_id').where('org_id', '=', 'slow').execute();
    assert.equal(orgs.length, 1);
  });

  it('takes over a claim abandoned by a process that died, after a minute', async () => {
    const store = h.runtime.services.idempotency;
    const claim = await store.claim('user:acme:u1', 'busy', 'POST /x', 'fp');
    assert.equal(claim.kind, 'proceed');
    await assert.rejects(store.claim('user:acme:u1', 'busy', 'POST /x', 'fp'), /still being processed/);
    h.clock.advance(61_000);
    assert.equal((await store.claim('user:acme:u1', 'busy', 'POST /x', 'fp')).kind, 'proceed');
  });

  it('keeps a keyed fingerprint of bodies that hold passwords, never a bare digest', async () => {
    // Another org: setting a password ends the sessions of the org account the other tests use.
    await h.createOrg('pwd');
    const body = { password: 'operator-chosen-9' };
    const r = await h.call('POST', '/api/v1/admin/organizations/pwd/password', { body, headers: { 'x-admin-api-key': ADMIN_KEY, 'idempotency-key': 'pw-1' } });
    assert.equal(r.status, 200);
    const row = await h.runtime.database.db.selectFrom('idempotency_keys').selectAll().where('key', '=', 'pw-1').executeTakeFirstOrThrow();
    const route = 'POST /api/v1/admin/organizations/pwd/password';
    for (const guess of [`${route}\n${JSON.stringify(body)}`, `${route}\n{"password":"operator-chosen-9"}`, JSON.stringify(body), body.password]) {
      assert.notEqual(row.request_hash, createHash('sha256').update(guess).digest('hex'), 'a digest anyone can recompute');
    }
    assert.ok(!JSON.stringify(row).includes('operator-chosen-9'));
    // Keyed: another deployment (another ENCRYPTION_KEY) fingerprints the same request differently.
    const other = await Harness.start();
    try {
      await other.createOrg('pwd');
      await other.call('POST', '/api/v1/admin/organizations/pwd/password', { body, headers: { 'x-admin-api-key': ADMIN_KEY, 'idempotency-key': 'pw-1' } });
      const theirs = await other.runtime.database.db.selectFrom('idempotency_keys').selectAll().where('key', '=', 'pw-1').executeTakeFirstOrThrow();
      assert.notEqual(theirs.request_hash, row.request_hash);
    } finally {
      await other.close();
    }
  });

  it('does not keep refusals: a corrected retry with the same key goes through', async () => {
    const bad = await createKey('retry-3', { name: 'x', scopes: ['no-such-scope'] });
    assert.equal(bad.status, 400);
    const good = await createKey('retry-3', { name: 'x', scopes: ['usage:write'] });
    assert.equal(good.status, 201);
    assert.ok(good.body.key);
  });

  it('keeps keys per caller: another org with the same key value creates its own', async () => {
    const b = await h.login('globex');
    const a1 = await createKey('shared-value', { name: 'k', scopes: ['usage:write'] });
    const b1 = await createKey('shared-value', { name: 'k', scopes: ['usage:write'] }, { cookie: b });
    assert.equal(b1.status, 201);
    assert.notEqual(b1.body.id, a1.body.id);
    assert.ok(b1.body.key, 'not a replay of the other org');
  });

  it('works for the operator too: a retried org creation answers 201 again, once', async () => {
    const send = () =>
      h.call('POST', '/api/v1/admin/organizations', {
        body: { org_id: 'retried', name: 'Retried', password: 'retried-secret-1' },
        headers: { 'x-admin-api-key': ADMIN_KEY, 'idempotency-key': 'org-retried' },
      });
    const first = await send();
    const second = await send();
    assert.equal(first.status, 201);
    assert.equal(second.status, 201);
    assert.deepEqual(second.body, first.body);
  });

  it('refuses a malformed key', async () => {
    const r = await createKey('has space', { name: 'x', scopes: ['usage:write'] });
    assert.equal(r.status, 400);
    assert.match(r.body.error.message, /Idempotency-Key/);
    const long = await createKey('k'.repeat(256), { name: 'x', scopes: ['usage:write'] });
    assert.equal(long.status, 400);
  });
});

describe('Idempotency-Key for the keyless operator', () => {
  it('is honoured: a retried license issue issues one license', async () => {
    const h = await Harness.start({ deploymentMode: 'enterprise', adminApiKey: null });
    try {
      await h.call('POST', '/api/v1/admin/organizations', { body: { org_id: 'acme', name: 'Acme' } });
      const count = async () => (await h.runtime.database.db.selectFrom('licenses').select('id').where('org_id', '=', 'acme').execute()).length;
      const before = await count();
      const send = () => h.call('POST', '/api/v1/admin/organizations/acme/license', { body: { validity_days: 30 }, headers: { 'idempotency-key': 'lic-1' } });
      const first = await send();
      const second = await send();
      assert.equal(first.status, 201);
      assert.match(first.body.license_key, /^AXON-/);
      assert.equal(second.status, 201);
      assert.equal(second.headers.get('idempotency-replayed'), 'true');
      assert.equal(second.body.license_id, first.body.license_id);
      assert.equal(second.body.license_key, undefined, 'the key is shown once');
      assert.equal(await count(), before + 1);
      const audit = await h.call('GET', '/api/v1/admin/audit?action=license.issued&org_id=acme');
      assert.ok(audit.body.events.every((e: any) => e.actor_type === 'operator'), 'the keyless operator is audited as the operator');
    } finally {
      await h.close();
    }
  });
});

describe('Idempotency-Key on /graphql', () => {
  let h: Harness;
  let cookie: string;
  before(async () => {
    ({ h, cookie } = await Harness.withOrgSession('acme'));
  });
  after(() => h.close());

  const CREATE = 'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key apiKey { id name } } }';
  const send = (key: string, variables: object, query = CREATE) =>
    h.call('POST', '/graphql', { cookie, body: { query, variables }, headers: { 'idempotency-key': key } });
  const keyRows = async () => (await h.runtime.database.db.selectFrom('api_keys').select('id').execute()).length;

  it('replays a single mutation without its secret, refuses another request with the key, and keeps no refusal', async () => {
    const before = await keyRows();
    const first = await send('g-1', { input: { name: 'ci', scopes: ['usage:write'] } });
    assert.match(first.body.data.createApiKey.key, /^axon_/);
    const again = await send('g-1', { input: { name: 'ci', scopes: ['usage:write'] } });
    assert.equal(again.headers.get('idempotency-replayed'), 'true');
    assert.deepEqual(again.body.data.createApiKey.apiKey, first.body.data.createApiKey.apiKey);
    assert.equal(again.body.data.createApiKey.key, undefined, 'the secret is never replayed');
    assert.equal(await keyRows(), before + 1);
    const reused = await send('g-1', { input: { name: 'other', scopes: ['usage:write'] } });
    assert.equal(reused.status, 422);
    assert.equal(reused.body.errors[0].extensions.code, 'IDEMPOTENCY_KEY_REUSED');
    const refused = await send('g-2', { input: { name: 'x', scopes: ['nope'] } });
    assert.equal(refused.body.errors[0].extensions.code, 'INVALID_INPUT');
    const corrected = await send('g-2', { input: { name: 'x', scopes: ['usage:write'] } });
    assert.match(corrected.body.data.createApiKey.key, /^axon_/, 'a refusal is not kept: the corrected retry runs');
    assert.equal(await keyRows(), before + 2);
  });

  it('finds the secret whatever alias or fragment the caller puts it under', async () => {
    const aliased = 'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { apiKey { id } secret: key ...More } } fragment More on ApiKeyCreated { again: key }';
    const first = await send('g-4', { input: { name: 'aliased', scopes: ['usage:write'] } }, aliased);
    assert.match(first.body.data.createApiKey.secret, /^axon_/);
    assert.equal(first.body.data.createApiKey.again, first.body.data.createApiKey.secret);
    const stored = await h.runtime.database.db.selectFrom('idempotency_keys').select('body').where('key', '=', 'g-4').executeTakeFirstOrThrow();
    assert.ok(!String(stored.body).includes(first.body.data.createApiKey.secret), 'no secret at rest');
    const replay = await send('g-4', { input: { name: 'aliased', scopes: ['usage:write'] } }, aliased);
    assert.deepEqual(replay.body.data.createApiKey, { apiKey: first.body.data.createApiKey.apiKey });
  });

  it('keeps non-secret fields that share a secret\'s name', async () => {
    const r = await send('g-5', { input: { name: 'named key', scopes: ['usage:write'] } }, 'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key: apiKey { name } } }');
    const replay = await send('g-5', { input: { name: 'named key', scopes: ['usage:write'] } }, 'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key: apiKey { name } } }');
    assert.deepEqual(replay.body.data, r.body.data, 'an alias called "key" is not a secret');
  });

  it('leaves queries and multi-operation documents alone', async () => {
    const q = await send('g-3', {}, '{ organization { orgId } }');
    const q2 = await send('g-3', {}, '{ organization { name } }');
    assert.equal(q2.headers.get('idempotency-replayed'), null);
    assert.deepEqual(q.body.data, { organization: { orgId: 'acme' } });
    assert.equal((await h.runtime.database.db.selectFrom('idempotency_keys').select('key').where('key', '=', 'g-3').execute()).length, 0);
  });
});
