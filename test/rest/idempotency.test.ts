import assert from 'node:assert/strict';
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

  it('answers 409 while the first request is still in flight', async () => {
    const store = h.runtime.services.idempotency;
    const claim = await store.claim('user:acme:u1', 'busy', 'POST /x', 'fp');
    assert.equal(claim.kind, 'proceed');
    await assert.rejects(store.claim('user:acme:u1', 'busy', 'POST /x', 'fp'), /still being processed/);
    // A claim left behind by a dead process is taken over after a minute.
    h.clock.advance(61_000);
    const again = await store.claim('user:acme:u1', 'busy', 'POST /x', 'fp');
    assert.equal(again.kind, 'proceed');
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
