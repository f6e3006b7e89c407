import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_KEY, Harness } from '../helpers/harness.js';
import { currentKey, orgActor, storedLicenses } from './helpers.js';

describe('who may read and issue licenses', () => {
  let h: Harness;
  let cookieA: string;
  let cookieB: string;

  before(async () => {
    h = await Harness.start();
    await h.createOrg('org-a', { tier: 'ENTERPRISE' });
    await h.createOrg('org-b', { tier: 'DEVELOPER' });
    cookieA = await h.login('org-a');
    cookieB = await h.login('org-b');
  });
  after(() => h.close());

  describe('GET /api/v1/license', () => {
    it('no credential: 401 naming the portal session', async () => {
      const r = await h.call('GET', '/api/v1/license');
      assert.equal(r.status, 401);
      assert.equal(r.body.error.code, 'UNAUTHENTICATED');
      assert.deepEqual(r.body.error.required_auth, ['portal_session']);
      assert.match(r.body.error.message, /portal session/);
      assert.match(r.body.error.message, /no credential was presented/);
    });

    it('the admin key: 401 saying the admin API key is not accepted here', async () => {
      const r = await h.call('GET', '/api/v1/license', { headers: { 'x-admin-api-key': ADMIN_KEY } });
      assert.equal(r.status, 401);
      assert.deepEqual(r.body.error.required_auth, ['portal_session']);
      assert.match(r.body.error.message, /portal session/);
      assert.match(r.body.error.message, /admin API key was presented/);
    });

    it('a runtime API key: 401 saying API keys are for runtime routes', async () => {
      const created = await h.call('POST', '/api/v1/keys', { cookie: cookieA, body: { name: 'runtime', scopes: ['nodes:write'] } });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const r = await h.call('GET', '/api/v1/license', { headers: { authorization: `Bearer ${created.body.key}` } });
      assert.equal(r.status, 401);
      assert.deepEqual(r.body.error.required_auth, ['portal_session']);
      assert.match(r.body.error.message, /runtime API key was presented/);
    });

    it('a viewer session reads its license (viewers have license:read)', async () => {
      const viewer = await h.userSession('org-a', 'viewer', cookieA);
      const r = await h.call('GET', '/api/v1/license', { cookie: viewer.cookie });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.org_id, 'org-a');
      assert.equal(r.body.status, 'valid');
    });

    it("each session sees only its own organization's license", async () => {
      const a = await currentKey(h, 'org-a');
      const b = await currentKey(h, 'org-b');
      const rb = await h.call('GET', '/api/v1/license', { cookie: cookieB });
      assert.equal(rb.status, 200);
      assert.equal(rb.body.org_id, 'org-b');
      assert.equal(rb.body.license_id, b.id);
      assert.equal(rb.body.tier, 'DEVELOPER');
      assert.equal(JSON.stringify(rb.body).includes(a.id), false);
      // The path takes no org id; a query string asking for another org changes nothing.
      const sneaky = await h.call('GET', '/api/v1/license?org_id=org-a', { cookie: cookieB });
      assert.equal(sneaky.body.license_id, b.id);
    });

    it('404 NOT_FOUND when the organization has no license', async () => {
      await h.createOrg('org-empty');
      const cookie = await h.login('org-empty');
      await h.runtime.database.db.deleteFrom('licenses').where('org_id', '=', 'org-empty').execute();
      const r = await h.call('GET', '/api/v1/license', { cookie });
      assert.equal(r.status, 404);
      assert.equal(r.body.error.code, 'NOT_FOUND');
      assert.equal(await h.runtime.services.licenses.current(orgActor('org-empty')), null);
      assert.deepEqual(await h.runtime.services.licenses.statusFor(orgActor('org-empty')), { status: 'missing', expiresAt: null, daysRemaining: 0 });
    });
  });

  describe('GET /api/v1/license/public-key', () => {
    it('is public and publishes {pem, jwk}', async () => {
      const r = await h.call('GET', '/api/v1/license/public-key');
      assert.equal(r.status, 200);
      assert.match(r.body.pem, /^-----BEGIN PUBLIC KEY-----/);
      assert.equal(r.body.jwk.kty, 'OKP');
      assert.equal(r.body.jwk.crv, 'Ed25519');
      assert.equal(r.body.jwk.d, undefined, 'never the private part');
      assert.equal(JSON.stringify(r.body).includes('PRIVATE'), false);
    });
  });

  describe('POST /api/v1/admin/organizations/:org_id/license', () => {
    const path = '/api/v1/admin/organizations/org-a/license';

    it('no credential: 401 naming the admin API key, nothing written', async () => {
      const before = await storedLicenses(h, 'org-a');
      const r = await h.call('POST', path, { body: { validity_days: 10 } });
      assert.equal(r.status, 401);
      assert.deepEqual(r.body.error.required_auth, ['admin_api_key']);
      assert.match(r.body.error.message, /admin API key/);
      assert.deepEqual(await storedLicenses(h, 'org-a'), before);
    });

    it('a portal session: 401 naming the admin API key and the session presented, nothing written', async () => {
      const before = await storedLicenses(h, 'org-a');
      const r = await h.call('POST', path, { cookie: cookieA, body: { validity_days: 10 } });
      assert.equal(r.status, 401);
      assert.deepEqual(r.body.error.required_auth, ['admin_api_key']);
      assert.match(r.body.error.message, /admin API key/);
      assert.match(r.body.error.message, /a portal session was presented/);
      assert.deepEqual(await storedLicenses(h, 'org-a'), before);
    });

    it('a wrong admin key: 401, nothing written', async () => {
      const before = await storedLicenses(h, 'org-a');
      const r = await h.call('POST', path, { headers: { 'x-admin-api-key': 'adm_wrong_key_0000000000000' }, body: {} });
      assert.equal(r.status, 401);
      assert.deepEqual(r.body.error.required_auth, ['admin_api_key']);
      assert.deepEqual(await storedLicenses(h, 'org-a'), before);
    });

    it('a session is refused before its bad body is judged', async () => {
      const r = await h.call('POST', path, { cookie: cookieA, body: { validity_days: 0, colour: 'red' } });
      assert.equal(r.status, 401);
    });

    it("the operator may issue for any organization; the other org's session is untouched", async () => {
      const aBefore = await currentKey(h, 'org-a');
      const r = await h.admin('POST', '/api/v1/admin/organizations/org-b/license', { tier: 'PROFESSIONAL' });
      assert.equal(r.status, 201);
      assert.equal(r.body.org_id, 'org-b');
      const b = await h.call('GET', '/api/v1/license', { cookie: cookieB });
      assert.equal(b.body.license_id, r.body.license_id);
      assert.equal(b.body.tier, 'PROFESSIONAL');
      const a = await h.call('GET', '/api/v1/license', { cookie: cookieA });
      assert.equal(a.body.license_id, aBefore.id);
      assert.equal(a.body.tier, 'ENTERPRISE');
    });
  });

  describe('GET /api/v1/admin/organizations/:org_id/license', () => {
    it('the operator reads any organization license, without the key', async () => {
      const stored = await currentKey(h, 'org-b');
      const reads = async () => (await h.admin('GET', '/api/v1/admin/audit?org_id=org-b&action=admin.license_read')).body.events.length;
      const before = await reads();
      const r = await h.admin('GET', '/api/v1/admin/organizations/org-b/license');
      assert.equal(r.status, 200);
      assert.equal(r.body.license_id, stored.id);
      assert.equal(r.body.status, 'valid');
      assert.equal(JSON.stringify(r.body).includes(stored.licenseKey), false);
      assert.equal(await reads(), before + 1, 'the read is audited, once');
    });

    it('a session is refused with 401; an unknown org is 404', async () => {
      const s = await h.call('GET', '/api/v1/admin/organizations/org-b/license', { cookie: cookieA });
      assert.equal(s.status, 401);
      assert.match(s.body.error.message, /a portal session was presented/);
      const missing = await h.admin('GET', '/api/v1/admin/organizations/nope/license');
      assert.equal(missing.status, 404);
    });
  });

  describe('GraphQL', () => {
    it('organization { license } for a session', async () => {
      const res = await h.graphql(`{ organization { orgId license { licenseId orgId status tier daysRemaining keyPrefix reason } } }`, {}, { cookie: cookieA });
      assert.equal(res.errors, undefined, JSON.stringify(res.errors));
      assert.equal(res.data.organization.license.status, 'valid');
      assert.equal(res.data.organization.license.orgId, 'org-a');
      assert.equal(res.data.organization.license.reason, null);
    });

    it('session.organization.license is the same, own-org view', async () => {
      const res = await h.graphql(`{ session { organization { license { orgId } } } }`, {}, { cookie: cookieB });
      assert.equal(res.errors, undefined, JSON.stringify(res.errors));
      assert.equal(res.data.session.organization.license.orgId, 'org-b');
    });

    it('a session cannot reach adminLicense or issueLicense', async () => {
      const read = await h.graphql(`{ adminLicense(orgId: "org-a") { licenseId } }`, {}, { cookie: cookieB });
      assert.equal(read.data?.adminLicense ?? null, null);
      assert.equal(read.errors[0].extensions.code, 'UNAUTHENTICATED');
      const before = await storedLicenses(h, 'org-b');
      const issue = await h.graphql(`mutation { issueLicense(orgId: "org-b", input: { maxNodes: 1 }) { licenseKey } }`, {}, { cookie: cookieB });
      assert.equal(issue.errors[0].extensions.code, 'UNAUTHENTICATED');
      assert.deepEqual(await storedLicenses(h, 'org-b'), before);
    });

    it('the admin key sees no session-only license field but may use adminLicense and licensePublicKey', async () => {
      const headers = { 'x-admin-api-key': ADMIN_KEY };
      const res = await h.graphql(`{ adminLicense(orgId: "org-a") { orgId status } licensePublicKey { pem jwk } }`, {}, { headers });
      assert.equal(res.errors, undefined, JSON.stringify(res.errors));
      assert.equal(res.data.adminLicense.orgId, 'org-a');
      assert.equal(res.data.licensePublicKey.jwk.crv, 'Ed25519');
      const viaOrg = await h.graphql(`{ adminOrganization(orgId: "org-a") { orgId license { status } } }`, {}, { headers });
      assert.equal(viaOrg.data.adminOrganization.license, null);
      assert.equal(viaOrg.errors[0].extensions.code, 'UNAUTHENTICATED');
    });
  });
});
