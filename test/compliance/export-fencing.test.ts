import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { failExport, reportProgress } from '../../src/db/exports.js';
import { Harness } from '../helpers/harness.js';

const BASE = '/api/v1/euaiact/export';

describe('an export attempt that was taken over changes nothing of the one that replaced it', () => {
  let h: Harness;
  let cookie: string;
  before(async () => {
    h = await Harness.start();
    await h.createOrg('acme', { tier: 'ENTERPRISE' });
    cookie = await h.login('acme');
  });
  after(() => h.close());

  it('the replacing attempt completes under its own token and file; the old one can neither report nor fail it', async () => {
    const db = h.runtime.database.db;
    const created = await h.call('POST', BASE, { cookie, body: { export_type: 'hitl_summary', format: 'csv' } });
    const id = created.body.id;
    // A first attempt that started and hung: its row says running under its token, its partial file is on disk.
    await db.updateTable('compliance_exports').set({ status: 'running', run_token: 'stale', started_at: h.clock.now().toISOString() }).where('id', '=', id).execute();
    const dir = join(h.config.exportDir, 'acme');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${id}.stale.csv.part`), 'half a file');

    await h.runtime.jobs.runDue();
    const done = await h.call('GET', `${BASE}/${id}`, { cookie });
    assert.equal(done.body.status, 'completed');
    const token = (await db.selectFrom('compliance_exports').select('run_token').where('id', '=', id).executeTakeFirstOrThrow()).run_token;
    assert.notEqual(token, 'stale');
    assert.ok(existsSync(join(dir, `${id}.${token}.csv`)));
    assert.equal(existsSync(join(dir, `${id}.stale.csv.part`)), false, "the stale attempt's half file is cleaned up");

    // The stale attempt wakes: its progress and its failure are refused by the token.
    assert.equal(await reportProgress(db, id, 'stale', 1, 50), false);
    assert.equal(await failExport(db, id, 'stale', 'late failure', h.clock.now().toISOString()), false);
    const after = await h.call('GET', `${BASE}/${id}`, { cookie });
    assert.equal(after.body.status, 'completed');
    assert.equal(after.body.sha256, done.body.sha256);
    const file = await h.runtime.app.request(`${BASE}/${id}/download`, { headers: { cookie: `axonflow_session=${cookie}`, 'x-forwarded-for': '198.51.100.7' } });
    assert.equal(file.status, 200);
    assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith(id)), [`${id}.${token}.csv`]);
  });

  it('a policy-violations export keeps every row when ids hold the cursor separator and share a timestamp', async () => {
    const key = await h.apiKey('acme', ['usage:write'], cookie);
    const at = '2026-05-31T10:00:00.000Z';
    for (let batch = 0; batch < 6; batch++) {
      const violations = Array.from({ length: 1000 }, (_, i) => ({
        violation_id: `node-7|req-${String(batch * 1000 + i).padStart(5, '0')}`,
        policy_name: 'pii',
        policy_type: 'static',
        severity: 'high',
        action: 'redact',
        occurred_at: at,
      }));
      const r = await h.call('POST', '/api/v1/policy-violations', { headers: { authorization: `Bearer ${key.key}` }, body: { violations } });
      assert.equal(r.status < 300, true, JSON.stringify(r.body).slice(0, 300));
    }
    const created = await h.call('POST', BASE, { cookie, body: { export_type: 'policy_violations', format: 'csv' } });
    await h.runtime.jobs.runDue();
    const done = await h.call('GET', `${BASE}/${created.body.id}`, { cookie });
    assert.equal(done.body.status, 'completed');
    assert.equal(done.body.rows, 6000);
  });
});
