import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Harness } from '../helpers/harness.js';
import { seedAuditEvents } from './audit-seed.js';
import { manifestVerifies, sha256 } from './manifest.js';

const BASE = '/api/v1/euaiact/export';

async function download(h: Harness, path: string, headers: Record<string, string>): Promise<{ status: number; bytes: Buffer; headers: Headers }> {
  const res = await h.runtime.app.request(path, { headers: { 'x-forwarded-for': '198.51.100.7', ...headers } });
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()), headers: res.headers };
}

async function verifies(h: Harness, exp: { manifest: unknown; manifest_signature: string }): Promise<boolean> {
  return manifestVerifies((await h.call('GET', '/api/v1/license/public-key')).body.pem, exp);
}

describe('EU AI Act exports', () => {
  let h: Harness;
  let cookie: string;
  before(async () => {
    h = await Harness.start();
    await h.createOrg('acme', { tier: 'ENTERPRISE' });
    await h.createOrg('other', { tier: 'ENTERPRISE' });
    cookie = await h.login('acme');
  });
  after(() => h.close());

  it('an export of 100,000 audit rows: the downloaded file matches its SHA-256 and the signed manifest', async () => {
    await seedAuditEvents(h.runtime.database.db, 'acme', 100_000, (i) => ({ i, note: `change ${i}` }));
    const created = await h.call('POST', BASE, { cookie, body: { export_type: 'full_audit', format: 'csv' } });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    assert.equal(created.body.status, 'queued');
    assert.equal(created.headers.get('location'), `${BASE}/${created.body.id}`);
    assert.equal(created.body.download_url, null);

    const queued = await download(h, `${BASE}/${created.body.id}/download`, { cookie: `axonflow_session=${cookie}` });
    assert.equal(queued.status, 409, 'nothing to download before it completes');

    await h.runtime.jobs.runDue();
    const done = await h.call('GET', `${BASE}/${created.body.id}`, { cookie });
    assert.equal(done.status, 200);
    assert.equal(done.body.status, 'completed', JSON.stringify(done.body));
    assert.equal(done.body.progress, 100);
    assert.ok(done.body.rows >= 100_000, `rows ${done.body.rows}`);
    assert.match(done.body.sha256, /^[0-9a-f]{64}$/);
    assert.equal(done.body.manifest.sha256, done.body.sha256);
    assert.equal(done.body.manifest.rows, done.body.rows);
    assert.equal(done.body.manifest.org_id, 'acme');
    assert.equal(await verifies(h, done.body), true, 'the manifest signature verifies with the published key');
    assert.equal(await verifies(h, { ...done.body, manifest: { ...done.body.manifest, rows: done.body.rows - 1 } }), false, 'a changed manifest does not');

    const file = await download(h, done.body.download_url, { cookie: `axonflow_session=${cookie}` });
    assert.equal(file.status, 200);
    assert.equal(sha256(file.bytes), done.body.sha256);
    assert.equal(file.bytes.length, done.body.bytes);
    assert.equal(file.headers.get('content-length'), String(done.body.bytes));
    assert.match(file.headers.get('content-disposition')!, /^attachment; filename="eu_ai_act-full_audit-exp_[A-Za-z0-9_-]+\.csv"$/);
    assert.match(file.headers.get('content-type')!, /^text\/csv/);
    const lines = file.bytes.toString('utf8').trimEnd().split('\n');
    assert.equal(lines.length, done.body.rows + 1, 'a header and one line per row');
    assert.equal(lines[0], 'seq,id,created_at,action,actor_type,actor_id,target_type,target_id,outcome,ip,user_agent,details,prev_hash,hash');

    // A resumed download: the bytes from 1000 on are the file's.
    const part = await download(h, done.body.download_url, { cookie: `axonflow_session=${cookie}`, range: 'bytes=1000-', 'if-range': `"${done.body.sha256}"` });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 1000-${file.bytes.length - 1}/${file.bytes.length}`);
    assert.deepEqual(part.bytes, file.bytes.subarray(1000));
    const tail = await download(h, done.body.download_url, { cookie: `axonflow_session=${cookie}`, range: 'bytes=-10' });
    assert.deepEqual(tail.bytes, file.bytes.subarray(file.bytes.length - 10));
    const stale = await download(h, done.body.download_url, { cookie: `axonflow_session=${cookie}`, range: 'bytes=0-9', 'if-range': '"something-else"' });
    assert.equal(stale.status, 200, 'an If-Range of another file gets the whole file');
    const beyond = await download(h, done.body.download_url, { cookie: `axonflow_session=${cookie}`, range: `bytes=${file.bytes.length + 5}-` });
    assert.equal(beyond.status, 416);
    assert.equal(beyond.headers.get('content-range'), `bytes */${file.bytes.length}`);
  });

  it('JSON exports are one JSON array; redaction replaces emails, phones and IPs and keeps the rest', async () => {
    await h.runtime.services.audit.record(
      { type: 'user', id: 'usr_x', orgId: 'acme', ip: '203.0.113.9', userAgent: 'ua' },
      { action: 'note.added', orgId: 'acme', details: { text: 'reach jane.doe@example.com or +1 415 555 2671 from 192.0.2.44', kept: 'plain words' } },
    );
    const plain = await h.call('POST', BASE, { cookie, body: { export_type: 'full_audit', format: 'json', from: '2026-06-01' } });
    const redacted = await h.call('POST', BASE, { cookie, body: { export_type: 'full_audit', format: 'json', from: '2026-06-01', redact_pii: true } });
    assert.equal(redacted.body.redact_pii, true);
    await h.runtime.jobs.runDue();
    const read = async (id: string) => {
      const e = await h.call('GET', `${BASE}/${id}`, { cookie });
      const f = await download(h, e.body.download_url, { cookie: `axonflow_session=${cookie}` });
      assert.equal(sha256(f.bytes), e.body.sha256);
      return { e: e.body, rows: JSON.parse(f.bytes.toString('utf8')) as Record<string, any>[] };
    };
    const a = await read(plain.body.id);
    const b = await read(redacted.body.id);
    assert.ok(Array.isArray(a.rows) && a.rows.length > 0);
    assert.ok(a.rows.every((r) => r.created_at >= '2026-06-01'), 'the period holds');
    const noteA = a.rows.find((r) => r.action === 'note.added')!;
    assert.match(noteA.details.text, /jane\.doe@example\.com/);
    assert.equal(noteA.ip, '203.0.113.9');
    const noteB = b.rows.find((r) => r.action === 'note.added')!;
    assert.equal(noteB.details.text, 'reach [redacted-email] or [redacted-phone] from [redacted-ip]');
    assert.equal(noteB.details.kept, 'plain words');
    assert.equal(noteB.ip, '[redacted-ip]');
    assert.equal(b.e.manifest.redacted_pii, true);
    assert.doesNotMatch(JSON.stringify(b.rows), /@example\.com|203\.0\.113\.9/);
  });

  it('never carries a secret: a key made just before is in the audit log but its secret is not in the file', async () => {
    const key = await h.apiKey('acme', ['compliance:read'], cookie);
    const created = await h.call('POST', BASE, { cookie, body: { export_type: 'full_audit', format: 'json', from: '2026-06-01' } });
    await h.runtime.jobs.runDue();
    const e = await h.call('GET', `${BASE}/${created.body.id}`, { cookie });
    const f = await download(h, e.body.download_url, { cookie: `axonflow_session=${cookie}` });
    const text = f.bytes.toString('utf8');
    assert.match(text, new RegExp(key.id), 'the key is in the log');
    assert.equal(text.includes(key.key), false, 'its secret is not');
    assert.equal(text.includes(key.key.slice(-20)), false);
  });

  it('lists newest first, filters by status, and is another organization\'s 404', async () => {
    const list = await h.call('GET', `${BASE}?status=completed&limit=2`, { cookie });
    assert.equal(list.status, 200);
    assert.equal(list.body.exports.length, 2);
    assert.ok(list.body.total >= 3);
    assert.ok(list.body.exports.every((e: any) => e.status === 'completed'));
    const id = list.body.exports[0].id;
    const otherCookie = await h.login('other');
    assert.equal((await h.call('GET', `${BASE}/${id}`, { cookie: otherCookie })).status, 404);
    assert.equal((await download(h, `${BASE}/${id}/download`, { cookie: `axonflow_session=${otherCookie}` })).status, 404);
    assert.equal((await h.call('GET', BASE, { cookie: otherCookie })).body.exports.length, 0);
    assert.equal((await h.call('GET', `${BASE}?status=sideways`, { cookie })).status, 400);
  });

  it('bad input is a 400 naming the field, and nothing is queued', async () => {
    const before = (await h.call('GET', BASE, { cookie })).body.total;
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ export_type: 'everything', format: 'csv' }, /export_type/],
      [{ export_type: 'full_audit', format: 'xlsx' }, /format/],
      [{ export_type: 'full_audit', format: 'csv', from: 'last tuesday' }, /from/],
      [{ export_type: 'full_audit', format: 'csv', from: '2026-06-02', to: '2026-06-01' }, /to must be after from/],
      [{ export_type: 'full_audit', format: 'csv', colour: 'red' }, /colour/],
      [{ format: 'csv' }, /export_type/],
      [{ export_type: 'full_audit', format: 'csv', redact_pii: 'yes' }, /redact_pii/],
    ];
    for (const [body, message] of cases) {
      const r = await h.call('POST', BASE, { cookie, body });
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.match(r.body.error.message, message, JSON.stringify(r.body));
    }
    assert.equal((await h.call('GET', BASE, { cookie })).body.total, before);
  });

  it('every export type completes from its own records', async () => {
    const ids: string[] = [];
    for (const type of ['conformity_evidence', 'hitl_summary', 'decision_chain', 'policy_violations', 'accuracy_metrics']) {
      const r = await h.call('POST', BASE, { cookie, body: { export_type: type, format: 'csv' } });
      assert.equal(r.status, 202, type);
      ids.push(r.body.id);
    }
    await h.runtime.jobs.runDue();
    for (const id of ids) {
      const e = (await h.call('GET', `${BASE}/${id}`, { cookie })).body;
      assert.equal(e.status, 'completed', `${e.export_type}: ${e.error}`);
      const f = await download(h, e.download_url, { cookie: `axonflow_session=${cookie}` });
      assert.equal(sha256(f.bytes), e.sha256, e.export_type);
      assert.equal(f.bytes.toString('utf8').split('\n')[0], e.manifest.columns.join(','), 'the header is the manifest columns');
    }
  });

  it('files are deleted when their retention ends, and the export says expired', async () => {
    const list = await h.call('GET', `${BASE}?status=completed&limit=1`, { cookie });
    const e = list.body.exports[0];
    const dir = join(h.config.exportDir, 'acme');
    assert.ok(readdirSync(dir).some((f) => f.startsWith(e.id)));
    h.clock.set(new Date(Date.parse(e.expires_at) + 3600_000));
    await h.runtime.jobs.runDue();
    cookie = await h.login('acme');
    const after = await h.call('GET', `${BASE}/${e.id}`, { cookie });
    assert.equal(after.body.status, 'expired');
    assert.equal(after.body.download_url, null);
    const gone = await download(h, `${BASE}/${e.id}/download`, { cookie: `axonflow_session=${cookie}` });
    assert.equal(gone.status, 409);
    assert.match(JSON.parse(gone.bytes.toString()).error.message, /expired/);
    assert.equal(existsSync(join(dir, `${e.id}.${e.format}`)), false);
  });
});
