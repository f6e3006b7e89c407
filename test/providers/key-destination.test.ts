import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Harness } from '../helpers/harness.js';

// A stored key goes only where it was given for: whoever may edit a provider cannot repoint it and collect the key.
describe('a provider key stays with its destination', () => {
  let h: Harness;
  let cookie: string;
  const BASE = '/api/v1/llm-providers';
  before(async () => {
    ({ h, cookie } = await Harness.withOrgSession('acme'));
    const r = await h.call('POST', BASE, { cookie, body: { name: 'main', type: 'openai', endpoint: 'https://llm.acme.example/v1', api_key: 'sk-acme-original-key' } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  });
  after(() => h.close());

  const row = () => h.runtime.database.db.selectFrom('llm_providers').selectAll().where('name', '=', 'main').executeTakeFirstOrThrow();

  for (const [what, body] of [
    ['another origin', { endpoint: 'https://collector.attacker.example/v1' }],
    ['another port of the same host', { endpoint: 'https://llm.acme.example:8443/v1' }],
    ['another type', { type: 'custom' }],
  ] as const) {
    it(`${what} without the key again -> 400 api_key, nothing changed`, async () => {
      const stored = await row();
      const r = await h.call('PUT', `${BASE}/main`, { cookie, body });
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.error.field, 'api_key');
      assert.match(r.body.error.message, /must be given again/);
      assert.deepEqual(await row(), stored);
    });
  }

  it('another path on the same origin is another destination too (gateways tell tenants apart by path)', async () => {
    const stored = await row();
    const r = await h.call('PUT', `${BASE}/main`, { cookie, body: { endpoint: 'https://llm.acme.example/tenant-b/v1' } });
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.equal(r.body.error.field, 'api_key');
    assert.deepEqual(await row(), stored);
  });

  it('a change that keeps the destination keeps the key, and resets health when settings change', async () => {
    const same = await h.call('PUT', `${BASE}/main`, { cookie, body: { endpoint: 'https://LLM.acme.example:443/v1/', model: 'gpt-4.1' } });
    assert.equal(same.status, 200, JSON.stringify(same.body));
    assert.equal(same.body.has_api_key, true);
    const settings = await h.call('PUT', `${BASE}/main`, { cookie, body: { settings: { note: 'x' } } });
    assert.equal(settings.body.health.status, 'unknown');
  });

  it('another origin with a new key, or with the key removed, is allowed', async () => {
    const moved = await h.call('PUT', `${BASE}/main`, { cookie, body: { endpoint: 'https://llm2.acme.example/v1', api_key: 'sk-acme-second-key' } });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    assert.equal(moved.body.has_api_key, true);
    const keyless = await h.call('PUT', `${BASE}/main`, { cookie, body: { type: 'ollama', endpoint: 'https://ollama.acme.example', api_key: null } });
    assert.equal(keyless.status, 200, JSON.stringify(keyless.body));
    assert.equal(keyless.body.has_api_key, false);
    // With no key stored there is nothing to lose: it may move freely.
    assert.equal((await h.call('PUT', `${BASE}/main`, { cookie, body: { endpoint: 'https://ollama2.acme.example' } })).status, 200);
  });
});
