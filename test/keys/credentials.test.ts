import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_KEY, Harness } from '../helpers/harness.js';
import { keyRow, keyRows } from './fixtures.js';

// Every key route is a portal route: only a session opens it, whatever else is presented.
describe('key routes refuse every credential but a portal session', () => {
  let h: Harness;
  let keyId: string;
  let key: string;

  before(async () => {
    h = await Harness.start();
    await h.createOrg('acme');
    ({ id: keyId, key } = await h.apiKey('acme', ['*']));
  });
  after(() => h.close());

  const routes = (): [string, string, unknown][] => [
    ['GET', '/api/v1/keys', undefined],
    ['POST', '/api/v1/keys', { name: 'sneaky', scopes: ['*'] }],
    ['GET', `/api/v1/keys/${keyId}`, undefined],
    ['DELETE', `/api/v1/keys/${keyId}`, undefined],
  ];

  async function expectUntouched() {
    assert.equal((await keyRows(h, 'acme')).length, 1, 'a key was written');
    assert.equal((await keyRow(h, keyId)).revoked_at, null, 'the key was revoked');
  }

  const cases: [string, () => Record<string, string>, RegExp][] = [
    ['no credential', () => ({}), /needs a portal session.*no credential was presented/],
    ['the admin key', () => ({ 'x-admin-api-key': ADMIN_KEY }), /needs a portal session.*the admin API key was presented/],
    ['the API key as bearer', () => ({ authorization: `Bearer ${key}` }), /API keys are accepted only on runtime routes/],
    ['the API key as X-API-Key', () => ({ 'x-api-key': key }), /API keys are accepted only on runtime routes/],
    ['a SCIM bearer token', () => ({ authorization: 'Bearer scim_abc' }), /needs a portal session.*SCIM/],
  ];

  for (const [label, headers, message] of cases) {
    it(`${label} -> 401 naming portal_session, nothing written`, async () => {
      for (const [method, path, body] of routes()) {
        const r = await h.call(method, path, { headers: headers(), body });
        assert.equal(r.status, 401, `${method} ${path}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error.code, 'UNAUTHENTICATED');
        assert.deepEqual(r.body.error.required_auth, ['portal_session'], `${method} ${path}`);
        assert.match(r.body.error.message, message, `${method} ${path}`);
        assert.ok(!JSON.stringify(r.body).includes('sneaky'));
      }
      await expectUntouched();
    });
  }

  it('a bad body without a credential is still 401, not 400', async () => {
    const r = await h.call('POST', '/api/v1/keys', { rawBody: '{nope', headers: { 'content-type': 'application/json' } });
    assert.equal(r.status, 401);
    await expectUntouched();
  });

  it('a dead session cookie -> 401 saying the session was not accepted', async () => {
    const r = await h.call('GET', '/api/v1/keys', { cookie: 'not-a-real-session' });
    assert.equal(r.status, 401);
    assert.match(r.body.error.message, /portal session presented was not accepted/);
  });
});
