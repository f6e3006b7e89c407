import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { verifyFromFiles } from '../../scripts/verify-license.js';
import {
  LICENSE_AUDIENCE,
  generateSigningKeyPem,
  loadSigningKey,
  signLicense,
  verifyLicense,
  type LicensePayload,
} from '../../src/licenses/license-format.js';
import type { LicensesTable } from '../../src/db/tables/licenses.js';
import { Harness } from '../helpers/harness.js';
import { DAY, currentKey, flipPayloadChar, orgActor, setStoredKey } from './helpers.js';

describe('license status as time passes', () => {
  let h: Harness;
  let cookie: string;
  let expiresAt: number;

  before(async () => {
    h = await Harness.start();
    const org = await h.createOrg('acme', { tier: 'ENTERPRISE' });
    expiresAt = Date.parse(org.body.expires_at);
    cookie = await h.login('acme');
  });
  after(() => h.close());

  it('is valid with a year to run', async () => {
    const r = await h.call('GET', '/api/v1/license', { cookie });
    assert.equal(r.body.status, 'valid');
    assert.equal(r.body.days_remaining, 365);
    assert.equal((await h.runtime.services.licenses.grantsOf('acme')).includes('scim'), true);
    assert.equal((await h.runtime.services.licenses.grantsOf('acme')).includes('sebi'), false, 'not in the ENTERPRISE catalogue');
  });

  it('is expiring 20 days before expiry', async () => {
    h.clock.set(new Date(expiresAt - 20 * DAY));
    cookie = await h.login('acme');
    const r = await h.call('GET', '/api/v1/license', { cookie });
    assert.equal(r.status, 200);
    assert.equal(r.body.status, 'expiring');
    assert.equal(r.body.days_remaining, 20);
    assert.equal('reason' in r.body, false);
    const summary = await h.runtime.services.licenses.statusFor(orgActor('acme'));
    assert.deepEqual(summary, { status: 'expiring', expiresAt: new Date(expiresAt).toISOString(), daysRemaining: 20 });
    assert.equal((await h.runtime.services.licenses.grantsOf('acme')).includes('scim'), true, 'expiring still grants');
  });

  it('is expired past expiry, with 0 days and a reason', async () => {
    h.clock.set(new Date(expiresAt + 1000));
    cookie = await h.login('acme');
    const r = await h.call('GET', '/api/v1/license', { cookie });
    assert.equal(r.status, 200);
    assert.equal(r.body.status, 'expired');
    assert.equal(r.body.days_remaining, 0);
    assert.match(r.body.reason, /expired/);
    assert.equal((await h.runtime.services.licenses.statusFor(orgActor('acme'))).status, 'expired');
    assert.equal((await h.runtime.services.licenses.grantsOf('acme')).includes('scim'), false);
  });

  it('a renewal makes it valid again', async () => {
    const issued = await h.admin('POST', '/api/v1/admin/organizations/acme/license', { validity_days: 90 });
    assert.equal(issued.status, 201);
    const r = await h.call('GET', '/api/v1/license', { cookie });
    assert.equal(r.body.status, 'valid');
    assert.equal(r.body.days_remaining, 90);
  });

  it('an organization created already expired gets an expired license, not an error', async () => {
    const created = await h.createOrg('lapsed', { expires_at: '2020-01-01' });
    assert.equal(created.status, 201);
    const r = await h.call('GET', '/api/v1/license', { cookie: await h.login('lapsed') });
    assert.equal(r.status, 200);
    assert.equal(r.body.status, 'expired');
    assert.equal(r.body.expires_at, '2020-01-01T00:00:00.000Z');
  });
});

describe('a license altered in the database', () => {
  let h: Harness;
  let cookie: string;
  let original: { id: string; licenseKey: string };
  let originalRow: LicensesTable;
  const otherKey = loadSigningKey(generateSigningKeyPem());

  async function expectInvalid(reason: RegExp): Promise<void> {
    const r = await h.call('GET', '/api/v1/license', { cookie });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.status, 'invalid');
    assert.equal(r.body.days_remaining, 0);
    assert.match(r.body.reason, reason);
    const gql = await h.graphql(`{ organization { license { status reason tier issuedAt expiresAt maxNodes } } }`, {}, { cookie });
    assert.equal(gql.errors, undefined, JSON.stringify(gql.errors));
    assert.equal(gql.data.organization.license.status, 'invalid');
    assert.equal((await h.runtime.services.licenses.statusFor(orgActor('acme'))).status, 'invalid');
    assert.equal((await h.runtime.services.licenses.grantsOf('acme')).includes('sso'), false);
  }

  async function restoreOriginal(): Promise<void> {
    await h.runtime.database.db.updateTable('licenses').set(originalRow).where('id', '=', original.id).execute();
  }

  before(async () => {
    h = await Harness.start();
    await h.createOrg('acme', { tier: 'ENTERPRISE' });
    await h.createOrg('other', { tier: 'PLUS' });
    cookie = await h.login('acme');
    original = await currentKey(h, 'acme');
    originalRow = await h.runtime.database.db.selectFrom('licenses').selectAll().where('id', '=', original.id).executeTakeFirstOrThrow();
  });
  after(() => h.close());

  it('one character of the payload flipped: invalid, with the reason', async () => {
    await setStoredKey(h, original.id, flipPayloadChar(original.licenseKey));
    await expectInvalid(/signature does not verify|malformed/);
  });

  it('a license signed by another key: invalid, signature does not verify', async () => {
    // Same terms as the stored row, but signed by a key that is not the server's.
    const row = await h.runtime.database.db.selectFrom('licenses').selectAll().where('id', '=', original.id).executeTakeFirstOrThrow();
    const forged: LicensePayload = {
      license_id: row.id,
      tier: 'PLUS',
      org_id: 'acme',
      permissions: JSON.parse(row.permissions),
      max_nodes: Number(row.max_nodes),
      issued_at: row.issued_at,
      expires_at: row.expires_at,
      aud: LICENSE_AUDIENCE,
    };
    await setStoredKey(h, original.id, signLicense(forged, otherKey));
    await expectInvalid(/signature does not verify/);
  });

  it("another organization's genuine key: invalid", async () => {
    await setStoredKey(h, original.id, (await currentKey(h, 'other')).licenseKey);
    await expectInvalid(/another organization/);
  });

  it('garbage in the key and the other columns: still 200 and invalid', async () => {
    await h.runtime.database.db
      .updateTable('licenses')
      .set({ license_key: 'not a license', tier: 'GOLD', permissions: '{', issued_at: 'yesterday', expires_at: '' })
      .where('id', '=', original.id)
      .execute();
    await expectInvalid(/malformed/);
    const r = await h.call('GET', '/api/v1/license', { cookie });
    assert.equal(r.body.tier, null);
    assert.equal(r.body.expires_at, null);
    assert.deepEqual(r.body.permissions, []);
  });

  it('a copied column that disagrees with the signed key: invalid', async () => {
    await restoreOriginal();
    assert.equal((await h.call('GET', '/api/v1/license', { cookie })).body.status, 'valid', 'restored row reads valid');
    await h.runtime.database.db.updateTable('licenses').set({ max_nodes: 100_000 }).where('id', '=', original.id).execute();
    await expectInvalid(/does not match its signed key \(max_nodes\)/);
  });

  it('a new issue replaces a tampered license', async () => {
    await setStoredKey(h, original.id, flipPayloadChar(original.licenseKey));
    const issued = await h.admin('POST', '/api/v1/admin/organizations/acme/license', {});
    assert.equal(issued.status, 201);
    const r = await h.call('GET', '/api/v1/license', { cookie });
    assert.equal(r.body.status, 'valid');
    assert.equal(r.body.license_id, issued.body.license_id);
  });
});

describe('offline verification with the published key', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start();
    await h.createOrg('acme', { tier: 'PLUS' });
  });
  after(() => h.close());

  it('the public key document verifies an issued key without the server', async () => {
    const doc = await h.call('GET', '/api/v1/license/public-key');
    const issued = await h.admin('POST', '/api/v1/admin/organizations/acme/license', { validity_days: 100, max_nodes: 3 });
    assert.equal(issued.status, 201);
    const now = h.clock.now();

    const fromDoc = verifyFromFiles(JSON.stringify(doc.body), issued.body.license_key, now);
    assert.equal(fromDoc.status, 'valid');
    assert.equal(fromDoc.daysRemaining, 100);
    assert.equal(fromDoc.payload?.org_id, 'acme');
    assert.equal(fromDoc.payload?.license_id, issued.body.license_id);
    assert.equal(fromDoc.payload?.max_nodes, 3);

    assert.equal(verifyFromFiles(doc.body.pem, issued.body.license_key, now).valid, true);
    const jwk = createPublicKey({ key: doc.body.jwk, format: 'jwk' });
    assert.equal(verifyLicense(issued.body.license_key, jwk).ok, true);

    const tampered = verifyFromFiles(doc.body.pem, flipPayloadChar(issued.body.license_key), now);
    assert.equal(tampered.status, 'invalid');
  });

  it('the key made at organization creation verifies too', async () => {
    await h.createOrg('beta');
    const doc = await h.call('GET', '/api/v1/license/public-key');
    const out = verifyFromFiles(doc.body.pem, (await currentKey(h, 'beta')).licenseKey, h.clock.now());
    assert.equal(out.status, 'valid');
    assert.equal(out.payload?.tier, 'DEVELOPER');
  });
});
