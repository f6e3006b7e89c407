import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../src/clock.js';
import { createDatabase } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { createLogger } from '../../src/logger.js';
import { createRuntime } from '../../src/server.js';
import { ADMIN_KEY, Harness, freshDatabase, testConfig } from '../helpers/harness.js';

describe('org ids are one tenant whatever their case', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start();
    await h.createOrg('acme');
  });
  after(() => h.close());

  it('answers a create of ACME as the update of acme, never a second tenant', async () => {
    const r = await h.admin('POST', '/api/v1/admin/organizations', { org_id: 'ACME', name: 'Acme Renamed' });
    assert.equal(r.status, 200);
    assert.equal(r.body.org_id, 'acme', 'the stored spelling');
    assert.equal(r.body.name, 'Acme Renamed');
    const rows = await h.runtime.database.db.selectFrom('organizations').select('org_id').execute();
    assert.deepEqual(rows.map((o) => o.org_id), ['acme']);
  });

  it('finds the tenant by any case on the admin routes and at login', async () => {
    assert.equal((await h.admin('GET', '/api/v1/admin/organizations/AcMe')).body.org_id, 'acme');
    const login = await h.call('POST', '/api/v1/auth/login', { body: { org_id: ' ACME ', password: 'acme-password-1' } });
    assert.equal(login.status, 200);
    assert.equal(login.body.org_id, 'acme');
    const license = await h.admin('GET', '/api/v1/admin/organizations/ACME/license');
    assert.equal(license.status, 200);
    assert.equal(license.body.org_id, 'acme');
  });

  it('refuses a second spelling at the database too, whatever the service does', async () => {
    const now = new Date().toISOString();
    const row = { name: 'x', tier: 'DEVELOPER', status: 'ACTIVE', max_nodes: 5, contact_email: null, contact_phone: null, expires_at: now, created_at: now, updated_at: now };
    await assert.rejects(h.runtime.database.db.insertInto('organizations').values({ ...row, org_id: 'Acme' }).execute());
  });
});

describe('org ids that already differ only in case', () => {
  it('are kept apart, reported at start, and not joined by new spellings', async () => {
    const fresh = await freshDatabase();
    const database = createDatabase(fresh.config);
    await fresh.exclusive(() => migrateToLatest(database, '006_idempotency'));
    const now = '2026-05-01T00:00:00.000Z';
    const row = { name: 'x', tier: 'DEVELOPER', status: 'ACTIVE', max_nodes: 5, contact_email: null, contact_phone: null, expires_at: '2027-05-01T00:00:00.000Z', created_at: now, updated_at: now };
    await database.db.insertInto('organizations').values([{ ...row, org_id: 'ACME' }, { ...row, org_id: 'acme' }, { ...row, org_id: 'globex' }]).execute();
    await database.close();

    const logs: Record<string, unknown>[] = [];
    const logger = createLogger('info', { write: (line: string) => void logs.push(JSON.parse(line)) });
    const runtime = await fresh.exclusive(() => createRuntime(testConfig(fresh.config), logger, new ManualClock('2026-06-01T00:00:00.000Z')));
    try {
      const warning = logs.find((l) => Array.isArray(l.org_ids));
      assert.ok(warning, 'the start-up log names them');
      assert.deepEqual(warning.org_ids, ['ACME', 'acme']);
      assert.match(String(warning.msg), /stay separate tenants/);
      const admin = (method: string, path: string, body?: unknown) =>
        runtime.app.request(path, {
          method,
          headers: { 'x-admin-api-key': ADMIN_KEY, 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      assert.equal((await (await admin('GET', '/api/v1/admin/organizations/ACME')).json()).org_id, 'ACME', 'each keeps its exact spelling');
      assert.equal((await (await admin('GET', '/api/v1/admin/organizations/acme')).json()).org_id, 'acme');
      assert.equal((await admin('POST', '/api/v1/admin/organizations', { org_id: 'GLOBEX', name: 'Globex' })).status, 200, 'the index covers the rest');
      const ids = (await runtime.database.db.selectFrom('organizations').select('org_id').orderBy('org_id').execute()).map((o) => o.org_id);
      assert.deepEqual(ids, ['ACME', 'acme', 'globex'], 'nothing merged, nothing added');
    } finally {
      await runtime.close();
      await fresh.drop();
    }
  });
});
