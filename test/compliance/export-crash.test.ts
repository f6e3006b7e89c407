// An export cut off by a real crash: the service runs as a child process (what `npm start` runs), is killed
// with SIGKILL in the middle of writing an export's file, and is started again on the same data. The job's
// lease lapses (JOB_LEASE_SECONDS=2 here, instead of 30), the restarted service takes the job over, writes the
// file again from its first row, and completes it: every row exactly once, the hash and the signed manifest
// right, no partial file left. Then, in process: an export whose workers died too often fails with the reason.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { type Database, createDatabase } from '../../src/db/database.js';
import { claimJob, findJob } from '../../src/db/jobs.js';
import { EXPORT_JOB } from '../../src/services/compliance/exports.js';
import { type ChildServer, adminKeyOf, removeServerData, serverDataDir, serverDatabase, startServer } from '../helpers/child-server.js';
import { Harness, databaseKind } from '../helpers/harness.js';
import { seedAuditEvents } from './audit-seed.js';
import { manifestVerifies, sha256 } from './manifest.js';

const BASE = '/api/v1/euaiact/export';
/** Enough rows that writing the file takes a second or more (pages of 5,000): the kill lands mid-file. */
const SEEDED = 60_000;
const LEASE_SECONDS = 2;

// SQLite: shared locking, so this test can write the seed rows into the file the service has open.
const SHARED = databaseKind() === 'sqlite' ? ({ SQLITE_LOCKING: 'shared' } as Record<string, string>) : {};
const start = (dir: string) => startServer(dir, { ...SHARED, JOB_LEASE_SECONDS: String(LEASE_SECONDS) });
after(removeServerData);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls the export over HTTP until done(export) holds; fails on a state it can no longer reach, or after ms. */
async function pollExport(s: ChildServer, cookie: string, id: string, done: (e: any) => boolean, ms: number): Promise<any> {
  const deadline = Date.now() + ms;
  let last: any = null;
  while (Date.now() < deadline) {
    const r = await fetch(`${s.url}${BASE}/${id}`, { headers: { cookie } });
    assert.equal(r.status, 200);
    last = await r.json();
    if (done(last)) return last;
    if (last.status === 'failed' || last.status === 'expired') break;
    await sleep(20);
  }
  assert.fail(`export ${id} did not get there within ${ms} ms: ${JSON.stringify(last)}\n${s.output().slice(-3000)}`);
}

describe('an export across a real crash', () => {
  it('SIGKILL mid-file: the restarted service takes the job over once its lease lapsed and writes the whole file again', async (t) => {
    const dir = serverDataDir('axon-export-crash-');
    let s = await start(dir);
    let database: Database | null = null;
    try {
      const adminKey = adminKeyOf(dir);
      const created = await fetch(`${s.url}/api/v1/admin/organizations`, {
        method: 'POST',
        headers: { 'x-admin-api-key': adminKey, 'content-type': 'application/json' },
        body: JSON.stringify({ org_id: 'acme', name: 'Acme', password: 'acme-password-1', tier: 'ENTERPRISE' }),
      });
      assert.equal(created.status, 201, await created.text());
      const login = await fetch(`${s.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ org_id: 'acme', password: 'acme-password-1' }),
      });
      assert.equal(login.status, 200);
      const cookie = login.headers.getSetCookie().find((c) => c.startsWith('axonflow_session='))!.split(';')[0];

      // Written straight into the service's database, continuing the organization's chain (nothing else
      // appends to it meanwhile: no request is in flight).
      database = createDatabase(serverDatabase(dir, 'shared'));
      const db = database.db;
      await seedAuditEvents(db, 'acme', SEEDED, (i) => ({ i, note: `change ${i}` }));

      const post = await fetch(`${s.url}${BASE}`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/json' },
        body: JSON.stringify({ export_type: 'full_audit', format: 'csv' }),
      });
      assert.equal(post.status, 202, await post.clone().text());
      const id = ((await post.json()) as { id: string }).id;

      const running = await pollExport(s, cookie, id, (e) => e.status === 'running' && e.rows > 0, 20_000);
      assert.ok(running.rows < running.total_rows, `the kill must land mid-file: ${running.rows} of ${running.total_rows} rows (seed more)`);
      s.proc.kill('SIGKILL');
      await s.exited;

      // What the crash left: the export running, the job running under the dead process's lease, a partial file.
      const left = await db.selectFrom('compliance_exports').select(['status', 'rows', 'started_at']).where('id', '=', id).executeTakeFirstOrThrow();
      assert.equal(left.status, 'running');
      assert.ok(Number(left.rows) > 0 && Number(left.rows) < SEEDED, `rows ${left.rows}`);
      const killedJob = await findJob(db, EXPORT_JOB, id);
      assert.equal(killedJob?.status, 'running');
      assert.equal(killedJob?.attempts, 1);
      const folder = join(dir, 'exports', 'acme');
      const partial = readdirSync(folder);
      assert.equal(partial.length, 1, partial.join(' '));
      assert.ok(partial[0].startsWith(id) && partial[0].endsWith('.part'), `a partial file, and no file under the name a download serves: ${partial[0]}`);

      const killedAt = Date.now();
      s = await start(dir);
      const done = await pollExport(s, cookie, id, (e) => e.status === 'completed', 30_000);
      t.diagnostic(
        `killed at ${running.rows} of ${running.total_rows} rows; completed ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill, ` +
          `the second attempt writing ${done.rows} rows in ${((Date.parse(done.completed_at) - Date.parse(done.started_at)) / 1000).toFixed(1)} s`,
      );
      assert.match(s.output(), /its lease lapsed \(the worker stopped or hung\); taken over/);
      const job = await findJob(db, EXPORT_JOB, id);
      assert.equal(job?.status, 'done');
      assert.equal(job?.attempts, 2, 'the second attempt finished it');
      assert.notEqual(done.started_at, left.started_at, 'a fresh attempt, started after the restart');

      // Every row of the organization's chain up to the attempt's start, once: its events end with the export's
      // own completion, which comes after the file.
      const completion = await db.selectFrom('audit_events').select('seq').where('chain', '=', 'acme').where('action', '=', 'compliance.export_completed').where('target_id', '=', id).executeTakeFirstOrThrow();
      assert.equal(done.rows, Number(completion.seq) - 1);
      assert.ok(done.rows > SEEDED);
      assert.equal(done.total_rows, done.rows);
      assert.equal(done.progress, 100);
      const kept = readdirSync(folder);
      assert.equal(kept.length, 1, `one file, no partial one left: ${kept.join(' ')}`);
      assert.ok(kept[0].startsWith(id) && kept[0].endsWith('.csv'), kept[0]);

      const file = await fetch(`${s.url}${done.download_url}`, { headers: { cookie } });
      assert.equal(file.status, 200);
      const bytes = Buffer.from(await file.arrayBuffer());
      assert.equal(bytes.length, done.bytes);
      assert.equal(sha256(bytes), done.sha256);
      assert.equal(done.manifest.sha256, done.sha256);
      assert.equal(done.manifest.rows, done.rows);
      const lines = bytes.toString('utf8').trimEnd().split('\n');
      assert.equal(lines.length, done.rows + 1, 'a header and one line per row');
      assert.match(lines[0], /^seq,id,created_at,/);
      // The chain in order, each event once: nothing of the killed attempt's partial file is in it.
      for (let i = 1; i < lines.length; i++) {
        const seq = Number(lines[i].slice(0, lines[i].indexOf(',')));
        if (seq !== i) assert.fail(`line ${i + 1} has seq ${seq}`);
      }

      const pem = ((await (await fetch(`${s.url}/api/v1/license/public-key`)).json()) as { pem: string }).pem;
      assert.equal(manifestVerifies(pem, done), true, 'the manifest signature verifies');
    } finally {
      s.proc.kill('SIGKILL');
      await s.exited;
      await database?.close();
    }
  });
});

describe('an export whose workers keep dying', () => {
  /**
   * A worker that claimed the job, set the export running, wrote part of its file (named as an attempt names
   * it: the export id, the attempt's token, the format, .part) and died: the claim stays until its lease
   * lapses, and the next claim takes it over.
   */
  async function dies(h: Harness, id: string): Promise<void> {
    const db = h.runtime.database.db;
    const now = h.clock.now();
    const claimed = await claimJob(db, h.runtime.database.dialect, {
      owner: `dead-worker-${randomBytes(3).toString('hex')}`,
      now: now.toISOString(),
      leaseExpiresAt: new Date(now.getTime() + 30_000).toISOString(),
      kinds: [EXPORT_JOB],
    });
    assert.equal(claimed?.key, id);
    await db.updateTable('compliance_exports').set({ status: 'running', started_at: now.toISOString(), rows: 0, total_rows: 3 }).where('id', '=', id).execute();
    const folder = join(h.config.exportDir, 'acme');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, `${id}.${randomBytes(9).toString('base64url')}.csv.part`), 'seq,id\n1,evt_');
    h.clock.advance(31_000);
  }

  it('is failed, naming the interruptions, when a fourth attempt finds it interrupted three times; one interrupted twice still completes', async () => {
    const h = await Harness.start();
    try {
      await h.createOrg('acme', { tier: 'ENTERPRISE' });
      const cookie = await h.login('acme');
      const create = async () => {
        const r = await h.call('POST', BASE, { cookie, body: { export_type: 'full_audit', format: 'csv' } });
        assert.equal(r.status, 202, JSON.stringify(r.body));
        return r.body.id as string;
      };

      const twice = await create();
      await dies(h, twice);
      await dies(h, twice);
      await h.runtime.jobs.runDue();
      const survived = (await h.call('GET', `${BASE}/${twice}`, { cookie })).body;
      assert.equal(survived.status, 'completed', JSON.stringify(survived));
      assert.equal((await findJob(h.runtime.database.db, EXPORT_JOB, twice))?.attempts, 3);
      const files = () => readdirSync(join(h.config.exportDir, 'acme'));
      const left = files().filter((f) => f.startsWith(twice));
      assert.equal(left.length, 1, `its file, and none of the dead attempts' partial ones: ${left.join(' ')}`);
      assert.ok(left[0].endsWith('.csv'), left[0]);

      const thrice = await create();
      for (let i = 0; i < 3; i++) await dies(h, thrice);
      await h.runtime.jobs.runDue();
      const failed = (await h.call('GET', `${BASE}/${thrice}`, { cookie })).body;
      assert.equal(failed.status, 'failed');
      assert.match(failed.error, /interrupted 3 times/);
      assert.match(failed.error, /its worker stopped before it finished/);
      assert.equal(failed.download_url, null);
      assert.deepEqual(files().filter((f) => f.startsWith(thrice)), [], 'no file of it: the partial files of the dead attempts are removed');
      const job = await findJob(h.runtime.database.db, EXPORT_JOB, thrice);
      assert.equal(job?.status, 'done', 'the job is over: the export, not the job, carries the failure');
      assert.equal(job?.attempts, 4);
      const tookOver = h.logs.filter((l) => l.msg === 'background job: its lease lapsed (the worker stopped or hung); taken over' && l.job_id === job?.id);
      assert.equal(tookOver.length, 1);
      const audit = await h.runtime.database.db
        .selectFrom('audit_events')
        .select(['action', 'outcome', 'details'])
        .where('chain', '=', 'acme')
        .where('target_id', '=', thrice)
        .orderBy('seq')
        .execute();
      assert.deepEqual(audit.map((e) => e.action), ['compliance.export_requested', 'compliance.export_failed']);
      assert.equal(audit[1].outcome, 'failure');
      assert.match(JSON.parse(audit[1].details).reason, /interrupted 3 times/);
      const download = await h.call('GET', `${BASE}/${thrice}/download`, { cookie });
      assert.equal(download.status, 409);
    } finally {
      await h.close();
    }
  });
});
