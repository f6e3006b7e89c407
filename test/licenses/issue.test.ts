import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TIER_PERMISSIONS } from '../../src/services/licenses.js';
import { Harness } from '../helpers/harness.js';
import { DAY, currentKey, storedLicenses } from './helpers.js';

describe('license issuance', () => {
  let h: Harness;
  let cookie: string;
  const path = '/api/v1/admin/organizations/acme/license';

  before(async () => {
    h = await Harness.start();
    await h.createOrg('acme', { tier: 'ENTERPRISE' });
    cookie = await h.login('acme');
  });
  after(() => h.close());

  it('creating an organization issues a license in the same step', async () => {
    const org = await h.admin('GET', '/api/v1/admin/organizations/acme');
    const stored = await currentKey(h, 'acme');
    const r = await h.call('GET', '/api/v1/license', { cookie });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.status, 'valid');
    assert.equal(r.body.days_remaining, 365);
    assert.equal(r.body.tier, 'ENTERPRISE');
    assert.equal(r.body.org_id, 'acme');
    assert.equal(r.body.max_nodes, 100);
    assert.equal(r.body.license_id, stored.id);
    assert.deepEqual(r.body.permissions, [...TIER_PERMISSIONS.ENTERPRISE]);
    assert.equal(r.body.issued_at, h.clock.now().toISOString());
    assert.equal(r.body.expires_at, org.body.expires_at);
    assert.equal(r.body.key_prefix, stored.licenseKey.slice(0, 16));
    assert.equal('reason' in r.body, false);
    assert.equal('license_key' in r.body, false);
    const text = JSON.stringify(r.body);
    assert.equal(text.includes(stored.licenseKey), false);
    assert.equal(text.includes(stored.licenseKey.split('.')[1]), false, 'the signature must not appear');
  });

  it('the operator issues a license with every field given', async () => {
    const r = await h.admin('POST', path, { tier: 'PLUS', validity_days: 30, max_nodes: 7, permissions: ['rbi', 'sso', 'sso'] });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.match(r.body.license_key, /^AXON-[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    assert.match(r.body.license_id, /^lic_/);
    assert.equal(r.body.org_id, 'acme');
    assert.equal(r.body.tier, 'PLUS');
    assert.equal(r.body.max_nodes, 7);
    assert.deepEqual(r.body.permissions, ['sso', 'rbi'], 'catalogue order, each once');
    assert.equal(r.body.issued_at, h.clock.now().toISOString());
    assert.equal(r.body.expires_at, new Date(h.clock.now().getTime() + 30 * DAY).toISOString());
    assert.equal((await currentKey(h, 'acme')).licenseKey, r.body.license_key);

    const view = await h.call('GET', '/api/v1/license', { cookie });
    assert.equal(view.status, 200);
    assert.equal(view.body.license_id, r.body.license_id, 'the most recent license is the current one');
    assert.equal(view.body.tier, 'PLUS');
    assert.equal(view.body.max_nodes, 7);
    assert.equal(view.body.days_remaining, 30);
    assert.deepEqual(view.body.permissions, ['sso', 'rbi']);

    const org = await h.admin('GET', '/api/v1/admin/organizations/acme');
    assert.equal(org.body.tier, 'PLUS');
    assert.equal(org.body.max_nodes, 7);
    assert.equal(org.body.expires_at, r.body.expires_at);
  });

  it('fields left out come from the organization', async () => {
    const before = await h.admin('GET', '/api/v1/admin/organizations/acme');
    const r = await h.admin('POST', path, {});
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.tier, before.body.tier);
    assert.equal(r.body.max_nodes, before.body.max_nodes);
    assert.equal(r.body.expires_at, before.body.expires_at, 'a re-issue keeps the term still running');
    assert.deepEqual(r.body.permissions, [...TIER_PERMISSIONS.PLUS]);
  });

  it('each field can be given alone', async () => {
    const tier = await h.admin('POST', path, { tier: 'PROFESSIONAL' });
    assert.equal(tier.status, 201);
    assert.equal(tier.body.tier, 'PROFESSIONAL');
    assert.equal(tier.body.max_nodes, 25, "a new tier brings that tier's node limit");
    assert.deepEqual(tier.body.permissions, ['sso', 'deployments']);

    const days = await h.admin('POST', path, { validity_days: 3650 });
    assert.equal(days.status, 201);
    assert.equal(days.body.expires_at, new Date(h.clock.now().getTime() + 3650 * DAY).toISOString());
    assert.equal(days.body.tier, 'PROFESSIONAL');

    const nodes = await h.admin('POST', path, { max_nodes: 0 });
    assert.equal(nodes.status, 201);
    assert.equal(nodes.body.max_nodes, 0);
    assert.equal(nodes.body.expires_at, days.body.expires_at);

    const perms = await h.admin('POST', path, { permissions: [] });
    assert.equal(perms.status, 201);
    assert.deepEqual(perms.body.permissions, []);
    assert.equal(perms.body.max_nodes, 0);

    const view = await h.call('GET', '/api/v1/license', { cookie });
    assert.equal(view.body.license_id, perms.body.license_id);
    assert.equal(view.body.days_remaining, 3650);
  });

  const invalid: [string, Record<string, unknown>, string][] = [
    ['validity_days 0', { validity_days: 0 }, 'validity_days'],
    ['validity_days 4000', { validity_days: 4000 }, 'validity_days'],
    ['validity_days not a number', { validity_days: 'ten' }, 'validity_days'],
    ['max_nodes -1', { max_nodes: -1 }, 'max_nodes'],
    ['max_nodes 1.5', { max_nodes: 1.5 }, 'max_nodes'],
    ['max_nodes above the limit', { max_nodes: 1_000_001 }, 'max_nodes'],
    ['an unknown tier', { tier: 'GOLD' }, 'tier'],
    ['an unknown permission', { permissions: ['sso', 'teleport'] }, 'permissions'],
    ['an unknown body field', { tier: 'PLUS', colour: 'red' }, 'colour'],
  ];
  for (const [what, body, field] of invalid) {
    it(`refuses ${what} with 400 naming ${field}, and writes nothing`, async () => {
      const rowsBefore = await storedLicenses(h, 'acme');
      const orgBefore = await h.admin('GET', '/api/v1/admin/organizations/acme');
      const r = await h.admin('POST', path, body);
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.error.code, 'INVALID_INPUT');
      assert.equal(r.body.error.field, field);
      assert.match(r.body.error.message, new RegExp(field));
      assert.deepEqual(await storedLicenses(h, 'acme'), rowsBefore);
      const orgAfter = await h.admin('GET', '/api/v1/admin/organizations/acme');
      assert.deepEqual(orgAfter.body, orgBefore.body);
    });
  }

  it('an unknown organization is 404 and nothing is written', async () => {
    const r = await h.admin('POST', '/api/v1/admin/organizations/nope/license', { validity_days: 10 });
    assert.equal(r.status, 404);
    assert.equal(r.body.error.code, 'NOT_FOUND');
    assert.equal((await storedLicenses(h, 'nope')).length, 0);
  });

  it('every issuance is an audit event that never holds the key', async () => {
    const rows = await storedLicenses(h, 'acme');
    const r = await h.admin('GET', '/api/v1/admin/audit?org_id=acme&action=license.issued&limit=100');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.events.length, rows.length);
    const ids = new Set(rows.map((l) => l.id));
    for (const e of r.body.events) {
      assert.equal(e.actor_type, 'operator');
      assert.equal(e.target_type, 'license');
      assert.ok(ids.has(e.target_id));
      assert.equal(e.details.key_prefix, rows.find((l) => l.id === e.target_id)!.license_key.slice(0, 16));
      const details = JSON.stringify(e.details);
      for (const l of rows) {
        assert.equal(details.includes(l.license_key), false);
        assert.equal(details.includes(l.license_key.split('.')[1]), false);
      }
    }
  });
});

describe('the license follows the organization terms', () => {
  it('is reissued when PATCH changes tier, max_nodes or expiry, keeping chosen permissions while the tier stays', async () => {
    const h = await Harness.start();
    try {
      await h.createOrg('terms', { tier: 'PROFESSIONAL' });
      const cookie = await h.login('terms');
      await h.admin('POST', '/api/v1/admin/organizations/terms/license', { permissions: ['sso', 'hitl'] });
      await h.admin('PATCH', '/api/v1/admin/organizations/terms', { max_nodes: 42 });
      let license = (await h.call('GET', '/api/v1/license', { cookie })).body;
      assert.equal(license.max_nodes, 42);
      assert.equal(license.status, 'valid');
      assert.deepEqual(license.permissions, ['sso', 'hitl']);
      await h.admin('PATCH', '/api/v1/admin/organizations/terms', { tier: 'PLUS' });
      license = (await h.call('GET', '/api/v1/license', { cookie })).body;
      assert.equal(license.tier, 'PLUS');
      assert.ok(license.permissions.includes('sebi'), 'a new tier brings its own permissions');
      const before = license.license_id;
      await h.admin('PATCH', '/api/v1/admin/organizations/terms', { name: 'Renamed' });
      assert.equal((await h.call('GET', '/api/v1/license', { cookie })).body.license_id, before, 'a rename issues nothing');
    } finally {
      await h.close();
    }
  });
});
