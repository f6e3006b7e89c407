import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../src/clock.js';
import { type Database, createDatabase, inTransaction } from '../../src/db/database.js';
import { claimJob, enqueueJob, findJob } from '../../src/db/jobs.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { type Job, type JobHandler, JobRunner, type JobRunnerOptions } from '../../src/jobs/runner.js';
import { createLogger } from '../../src/logger.js';
import { type FreshDatabase, Harness, freshDatabase } from '../helpers/harness.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;

const gates: (() => void)[] = [];
/** A promise the test resolves; a test that fails midway has its gates opened by after(), so no runner hangs. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  gates.push(resolve);
  return { promise, resolve };
}

/** Waits for something that happens on a real timer (a lease heartbeat), checking between turns of the loop. */
async function eventually(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`never happened: ${what}`);
}

describe('background jobs', () => {
  let fresh: FreshDatabase;
  let database: Database;
  /** A second connection to the same database where the engine allows one (PostgreSQL: another pool, as another instance has). */
  let other: Database;
  let clock: ManualClock;
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger('info', { write: (line: string) => void logs.push(JSON.parse(line)) });
  const runners: JobRunner[] = [];

  before(async () => {
    fresh = await freshDatabase();
    database = createDatabase(fresh.config);
    await fresh.exclusive(() => migrateToLatest(database));
    other = database.dialect === 'postgres' ? createDatabase(fresh.config) : database;
  });
  after(async () => {
    for (const open of gates) open();
    for (const r of runners) await r.stop();
    if (other !== database) await other.close();
    await database.close();
    await fresh.drop();
  });

  let n = 0;
  /** Every test works on kinds of its own, so leftovers of one never run in another. */
  const kindOf = (name: string) => `${name}.${++n}`;
  const runner = (opts: Partial<JobRunnerOptions> = {}, on: Database = database) => {
    const r = new JobRunner({ db: on.db, dialect: on.dialect, clock, logger, ...opts });
    runners.push(r);
    return r;
  };
  const enqueue = (kind: string, key: string, payload: unknown = {}, runAt = clock.now()) =>
    enqueueJob(database.db, { kind, key, payload, runAt: runAt.toISOString() });
  const job = async (kind: string, key: string) => (await findJob(database.db, kind, key))!;

  // Every test starts with no jobs and a clock of its own.
  const freshClock = async () => {
    await database.db.deleteFrom('jobs').execute();
    clock = new ManualClock('2026-01-01T12:00:00.000Z');
  };

  it('runs a due job exactly once and marks it done', async () => {
    await freshClock();
    const kind = kindOf('mail');
    const seen: Job[] = [];
    const r = runner();
    r.register(kind, async (j) => void seen.push(j));
    await enqueue(kind, 'welcome-1', { to: 'ada@example.com' });
    assert.equal(await r.runDue(), 1);
    assert.equal(await r.runDue(), 0, 'a done job is not run again');
    clock.advance(24 * 3600 * SECOND);
    assert.equal(await r.runDue(), 0);
    assert.equal(seen.length, 1);
    assert.deepEqual({ ...seen[0], id: undefined }, { id: undefined, kind, key: 'welcome-1', payload: { to: 'ada@example.com' }, attempts: 1 });
    const row = await job(kind, 'welcome-1');
    assert.equal(row.status, 'done');
    assert.equal(row.leaseOwner, null);
    assert.equal(row.lastError, null);
  });

  it('does not run a job before its time, and runs it when the clock gets there', async () => {
    await freshClock();
    const kind = kindOf('reminder');
    let ran = 0;
    const r = runner();
    r.register(kind, async () => void ran++);
    await enqueue(kind, 'r1', null, new Date(clock.now().getTime() + MINUTE));
    assert.equal(await r.runDue(), 0);
    clock.advance(MINUTE - 1);
    assert.equal(await r.runDue(), 0, 'a millisecond early');
    assert.equal((await job(kind, 'r1')).status, 'queued');
    clock.advance(1);
    assert.equal(await r.runDue(), 1);
    assert.equal(ran, 1);
  });

  it('leaves no job behind when the transaction that enqueued it rolls back', async () => {
    await freshClock();
    const kind = kindOf('audit-export');
    let ran = 0;
    const r = runner();
    r.register(kind, async () => void ran++);
    await assert.rejects(
      inTransaction(database.db, async (trx) => {
        await enqueueJob(trx, { kind, key: 'rolled-back', payload: {}, runAt: clock.now().toISOString() });
        throw new Error('the change failed');
      }),
      /the change failed/,
    );
    await inTransaction(database.db, (trx) => enqueueJob(trx, { kind, key: 'committed', payload: {}, runAt: clock.now().toISOString() }));
    assert.equal(await findJob(database.db, kind, 'rolled-back'), null);
    assert.equal(await r.runDue(), 1, 'only the committed one');
    assert.equal(ran, 1);
    assert.equal((await job(kind, 'committed')).status, 'done');
  });

  it('retries a failing job after a growing backoff, then fails it with the reason, never logging its payload', async () => {
    await freshClock();
    const kind = kindOf('webhook');
    const attempts: number[] = [];
    const r = runner({ maxAttempts: 3 });
    r.register(kind, async (j) => {
      attempts.push(j.attempts);
      throw new Error('connection refused by hooks.example.com');
    });
    await enqueue(kind, 'w1', { secret: 'payload-marker-7f3a' });
    assert.equal(await r.runDue(), 1);
    let row = await job(kind, 'w1');
    assert.equal(row.status, 'queued');
    assert.equal(row.lastError, 'connection refused by hooks.example.com');
    assert.equal(row.runAt, new Date(clock.now().getTime() + 2 * SECOND).toISOString(), 'first retry 2 s later');

    clock.advance(2 * SECOND - 1);
    assert.equal(await r.runDue(), 0, 'not before the backoff');
    clock.advance(1);
    assert.equal(await r.runDue(), 1);
    row = await job(kind, 'w1');
    assert.equal(row.runAt, new Date(clock.now().getTime() + 4 * SECOND).toISOString(), 'second retry 4 s later');

    clock.advance(4 * SECOND);
    assert.equal(await r.runDue(), 1);
    row = await job(kind, 'w1');
    assert.equal(row.status, 'failed');
    assert.equal(row.lastError, 'failed 3 times: connection refused by hooks.example.com');
    assert.equal(row.attempts, 3);
    clock.advance(3600 * SECOND);
    assert.equal(await r.runDue(), 0, 'a failed job stays failed');
    assert.deepEqual(attempts, [1, 2, 3]);
    const failure = logs.find((l) => l.job_id === row.id && l.msg === 'background job failed');
    assert.ok(failure, 'the failure is logged');
    assert.equal(failure.reason, 'failed 3 times: connection refused by hooks.example.com');
    assert.ok(!JSON.stringify(logs).includes('payload-marker-7f3a'), 'no payload in any log line');
  });

  it('runs a rescheduled job again at the time it asked for, on the same row', async () => {
    await freshClock();
    const kind = kindOf('poll');
    let runs = 0;
    const r = runner();
    r.register(kind, async () => {
      runs++;
      if (runs === 1) return { rescheduleAt: new Date(clock.now().getTime() + 5 * MINUTE) };
    });
    await enqueue(kind, 'p1');
    const id = (await job(kind, 'p1')).id;
    assert.equal(await r.runDue(), 1);
    let row = await job(kind, 'p1');
    assert.equal(row.status, 'queued');
    assert.equal(row.id, id);
    clock.advance(5 * MINUTE - 1);
    assert.equal(await r.runDue(), 0);
    clock.advance(1);
    assert.equal(await r.runDue(), 1);
    row = await job(kind, 'p1');
    assert.equal(row.status, 'done');
    assert.equal(row.attempts, 1, 'a reschedule is a success: attempts start again');
    assert.equal(runs, 2);
  });

  it('keeps one job per kind and key: a queued one only moves, a finished one is replaced', async () => {
    await freshClock();
    const kind = kindOf('deadline');
    const payloads: unknown[] = [];
    const r = runner();
    r.register(kind, async (j) => void payloads.push(j.payload));
    const t0 = clock.now().getTime();
    await enqueue(kind, 'd1', { v: 1 }, new Date(t0 + 10 * MINUTE));
    await enqueue(kind, 'd1', { v: 2 }, new Date(t0 + 5 * MINUTE));
    let row = await job(kind, 'd1');
    assert.equal(row.runAt, new Date(t0 + 5 * MINUTE).toISOString(), 'moved to the new time');
    assert.deepEqual(row.payload, { v: 1 }, 'a queued job keeps its payload');
    clock.advance(5 * MINUTE);
    assert.equal(await r.runDue(), 1);
    await enqueue(kind, 'd1', { v: 3 });
    row = await job(kind, 'd1');
    assert.equal(row.status, 'queued');
    assert.deepEqual(row.payload, { v: 3 }, 'a done job is replaced');
    assert.equal(await r.runDue(), 1);
    assert.deepEqual(payloads, [{ v: 1 }, { v: 3 }]);
    const rows = await database.db.selectFrom('jobs').select('id').where('kind', '=', kind).execute();
    assert.equal(rows.length, 1);
  });

  it('runs a job again when it was re-enqueued while running, so the change it was enqueued for is not missed', async () => {
    await freshClock();
    const kind = kindOf('recount');
    let runs = 0;
    const r = runner();
    r.register(kind, async () => {
      runs++;
      // Another request changes what this job works on, and enqueues it again, while it runs.
      if (runs === 1) await enqueue(kind, 'org-1', {}, new Date(clock.now().getTime() + MINUTE));
    });
    await enqueue(kind, 'org-1');
    assert.equal(await r.runDue(), 1);
    assert.equal((await job(kind, 'org-1')).status, 'queued');
    clock.advance(MINUTE);
    assert.equal(await r.runDue(), 1);
    assert.equal((await job(kind, 'org-1')).status, 'done');
    assert.equal(runs, 2);
  });

  it('extends the lease while a handler runs, so nobody takes a slow job over', async () => {
    await freshClock();
    const kind = kindOf('slow');
    const started = deferred();
    const gate = deferred();
    const a = runner({ owner: 'runner-a', leaseMs: 300 });
    const b = runner({ owner: 'runner-b', leaseMs: 300 });
    let bRan = 0;
    a.register(kind, async () => {
      started.resolve();
      await gate.promise;
    });
    b.register(kind, async () => void bRan++);
    await enqueue(kind, 's1');
    const passA = a.runDue();
    await started.promise;
    const claimed = (await job(kind, 's1')).leaseExpiresAt!;
    clock.advance(200);
    await eventually('the lease is extended', async () => (await job(kind, 's1')).leaseExpiresAt! > claimed);
    clock.advance(150); // past the first lease, within the extended one
    assert.equal(await b.runDue(), 0);
    assert.equal(bRan, 0);
    const row = await job(kind, 's1');
    assert.equal(row.status, 'running');
    assert.equal(row.leaseOwner, 'runner-a');
    gate.resolve();
    assert.equal(await passA, 1);
    assert.equal((await job(kind, 's1')).status, 'done');
  });

  it('lets another runner take over a job whose lease lapsed, and the first one’s late result changes nothing', async () => {
    await freshClock();
    const kind = kindOf('report');
    const aStarted = deferred();
    const aGate = deferred();
    const bStarted = deferred();
    const bGate = deferred();
    const a = runner({ owner: 'runner-a', leaseMs: 30 * SECOND });
    const b = runner({ owner: 'runner-b', leaseMs: 30 * SECOND }, other);
    const runsOf: string[] = [];
    a.register(kind, async () => {
      runsOf.push('a');
      aStarted.resolve();
      await aGate.promise; // hangs until the test lets it go, long after its lease
      return { rescheduleAt: new Date(clock.now().getTime() + 3600 * SECOND) };
    });
    b.register(kind, async (j) => {
      runsOf.push('b');
      assert.equal(j.attempts, 2, 'the lapsed claim counted as an attempt');
      bStarted.resolve();
      await bGate.promise;
    });
    await enqueue(kind, 'q1');
    const passA = a.runDue();
    await aStarted.promise;
    clock.advance(30 * SECOND - 1);
    assert.equal(await b.runDue(), 0, 'the lease still holds');
    clock.advance(1);
    const passB = b.runDue();
    await bStarted.promise;
    // A finishes late, while B holds the job: its reschedule must not land.
    aGate.resolve();
    assert.equal(await passA, 1);
    let row = await job(kind, 'q1');
    assert.equal(row.status, 'running', 'still B’s');
    assert.equal(row.leaseOwner, 'runner-b');
    assert.equal(row.attempts, 2);
    bGate.resolve();
    assert.equal(await passB, 1, 'taken over once the lease lapsed');
    row = await job(kind, 'q1');
    assert.equal(row.status, 'done', "B's result stands");
    assert.equal(row.leaseOwner, null);
    assert.deepEqual(runsOf, ['a', 'b']);
    const takeover = logs.find((l) => l.job_id === row.id && l.previous_owner === 'runner-a');
    assert.ok(takeover, 'the takeover is logged');
    assert.equal(takeover.owner, 'runner-b');
    assert.ok(logs.some((l) => l.job_id === row.id && l.owner === 'runner-a' && /discarded/.test(String(l.msg))), "A's discarded result is logged");
  });

  it('fails a job whose lease lapsed with no attempts left, with the lease as the reason, instead of running it again', async () => {
    await freshClock();
    const kind = kindOf('export');
    let ran = 0;
    const r = runner({ maxAttempts: 2, leaseMs: 30 * SECOND });
    r.register(kind, async () => void ran++);
    await enqueue(kind, 'e1');
    // Two workers took it and died holding it.
    for (const owner of ['dead-1', 'dead-2']) {
      const now = clock.now();
      const c = await claimJob(database.db, database.dialect, { owner, now: now.toISOString(), leaseExpiresAt: new Date(now.getTime() + 30 * SECOND).toISOString(), kinds: [kind] });
      assert.equal(c?.kind, kind);
      clock.advance(30 * SECOND);
    }
    assert.equal(await r.runDue(), 0, 'not run a third time');
    const row = await job(kind, 'e1');
    assert.equal(row.status, 'failed');
    assert.equal(row.lastError, 'lease lapsed 2 times (the worker stopped or hung)');
    assert.equal(row.attempts, 2);
    assert.equal(ran, 0);
    clock.advance(3600 * SECOND);
    assert.equal(await r.runDue(), 0);
  });

  it('runs each of 50 jobs exactly once with two runners draining them at the same time', async () => {
    await freshClock();
    const kind = kindOf('bulk');
    const runs = new Map<string, string[]>();
    const handler =
      (name: string): JobHandler =>
      async (j) => {
        runs.set(j.key, [...(runs.get(j.key) ?? []), name]);
        await new Promise((r) => setImmediate(r)); // let the other runner in
      };
    const a = runner({ owner: 'bulk-a' });
    const b = runner({ owner: 'bulk-b' }, other);
    a.register(kind, handler('a'));
    b.register(kind, handler('b'));
    for (let i = 0; i < 50; i++) await enqueue(kind, `k${i}`, { i });
    const [ranA, ranB] = await Promise.all([a.runDue(), b.runDue()]);
    assert.equal(ranA + ranB, 50);
    assert.ok(ranA > 0 && ranB > 0, `both runners worked: ${ranA} and ${ranB}`);
    assert.equal(runs.size, 50);
    for (const [key, by] of runs) assert.equal(by.length, 1, `${key} ran ${by.length} times`);
    const statuses = await database.db.selectFrom('jobs').select(['status', 'attempts']).where('kind', '=', kind).execute();
    assert.deepEqual([...new Set(statuses.map((s) => `${s.status}/${s.attempts}`))], ['done/1']);
  });

  it('runs a periodic job once per interval however many runners there are', async () => {
    await freshClock();
    const kind = kindOf('tick');
    let runs = 0;
    const a = runner({ owner: 'tick-a' });
    const b = runner({ owner: 'tick-b' }, other);
    a.every(kind, 10 * MINUTE, async () => void runs++);
    b.every(kind, 10 * MINUTE, async () => void runs++);
    const both = async () => (await Promise.all([a.runDue(), b.runDue()])).reduce((x, y) => x + y);
    assert.equal(await both(), 1, 'the first pass runs it once');
    assert.equal(await both(), 0);
    for (let i = 0; i < 3; i++) {
      clock.advance(10 * MINUTE - 1);
      assert.equal(await both(), 0, 'not before the interval');
      clock.advance(1);
      assert.equal(await both(), 1, 'once in each interval');
    }
    assert.equal(runs, 4);
    const rows = await database.db.selectFrom('jobs').select(['key', 'status']).where('kind', '=', kind).execute();
    assert.deepEqual(rows, [{ key: 'periodic', status: 'queued' }]);
    // A restart (a new runner) does not run it early.
    const c = runner({ owner: 'tick-c' });
    c.every(kind, 10 * MINUTE, async () => void runs++);
    assert.equal(await c.runDue(), 0);
    assert.equal(runs, 4);
  });

  it('keeps a periodic job going when it runs out of attempts, with the reason kept', async () => {
    await freshClock();
    const kind = kindOf('flaky-tick');
    let runs = 0;
    const r = runner({ maxAttempts: 2 });
    r.every(kind, 10 * MINUTE, async () => {
      runs++;
      if (runs <= 2) throw new Error('database busy');
    });
    assert.equal(await r.runDue(), 1);
    clock.advance(2 * SECOND);
    assert.equal(await r.runDue(), 1);
    let row = await job(kind, 'periodic');
    assert.equal(row.status, 'queued', 'not failed: periodic work goes on');
    assert.equal(row.lastError, 'failed 2 times: database busy');
    assert.equal(row.runAt, new Date(clock.now().getTime() + 10 * MINUTE).toISOString());
    clock.advance(10 * MINUTE);
    assert.equal(await r.runDue(), 1);
    row = await job(kind, 'periodic');
    assert.equal(row.lastError, null);
    assert.equal(runs, 3);
  });

  it('leaves a job of a kind it has no handler for to a runner that has one (a rolling deploy)', async () => {
    await freshClock();
    const kind = kindOf('newer.kind');
    const older = runner();
    older.register(kindOf('something-else'), async () => undefined);
    await enqueue(kind, 'u1');
    assert.equal(await older.runDue(), 0, 'no handler ran');
    let row = await job(kind, 'u1');
    assert.equal(row.status, 'queued', 'not failed by an instance that does not know the kind');
    assert.equal(row.attempts, 0);
    let ran = 0;
    const newer = runner();
    newer.register(kind, async () => void ran++);
    assert.equal(await newer.runDue(), 1);
    row = await job(kind, 'u1');
    assert.equal(row.status, 'done');
    assert.equal(ran, 1);
  });


  it('polls on its own once started, and stop() waits for the job in hand', async () => {
    await freshClock();
    const kind = kindOf('polled');
    const started = deferred();
    const gate = deferred();
    const r = runner({ pollMs: 5 });
    r.register(kind, async () => {
      started.resolve();
      await gate.promise;
    });
    await enqueue(kind, 'x1');
    r.start();
    await started.promise;
    let stopped = false;
    const stopping = r.stop().then(() => (stopped = true));
    await new Promise((res) => setImmediate(res));
    assert.equal(stopped, false, 'still running its job');
    gate.resolve();
    await stopping;
    assert.equal((await job(kind, 'x1')).status, 'done');
  });
});

/** Runs what is due (other periodic jobs too) and says whether the prune job was among it: its next run moved. */
async function pruneRan(h: Harness): Promise<boolean> {
  const next = () => h.runtime.database.db.selectFrom('jobs').select('run_at').where('kind', '=', 'prune').executeTakeFirst().then((r) => r?.run_at ?? null);
  const before = await next();
  await h.runtime.jobs.runDue();
  return (await next()) !== before;
}

describe('the prune job', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start();
    await h.createOrg('acme');
  });
  after(() => h.close());

  it('deletes expired sessions, idempotency records, rate-limit windows, SCIM counters and SSO state, and keeps live ones', async () => {
    const db = h.runtime.database.db;
    const iso = (ms: number) => new Date(ms).toISOString();
    const t0 = h.clock.now().getTime();
    const { id: tokenId } = await h.scimToken('acme');
    const stale = await h.login('acme');
    await db
      .insertInto('idempotency_keys')
      .values(
        ['expired', 'live'].map((key, i) => ({
          scope: 'prune-test',
          key,
          route: 'POST /api/v1/keys',
          request_hash: 'x',
          state: 'done',
          status: 201,
          body: '{}',
          headers: null,
          created_at: iso(t0),
          expires_at: iso(t0 + (i === 0 ? 3600 : 48 * 3600) * SECOND),
        })),
      )
      .execute();
    h.clock.advance(50 * MINUTE);
    const live = await h.login('acme');
    h.clock.advance(20 * MINUTE); // the first session has been idle 70 minutes, the second 20 (idle limit 30)
    const now = h.clock.now().getTime();
    const nowSec = Math.floor(now / 1000);
    await db.insertInto('rate_limits').values([
      { key: 'prune-test:old', window_start: nowSec - 7200, count: 1 },
      { key: 'prune-test:live', window_start: nowSec - 60, count: 1 },
    ]).execute();
    await db.insertInto('scim_token_traffic').values([
      { org_id: 'acme', token_id: tokenId, hour: `${iso(now - 3 * 86_400_000).slice(0, 13)}:00:00.000Z`, status_class: '2xx', count: 3 },
      { org_id: 'acme', token_id: tokenId, hour: `${iso(now).slice(0, 13)}:00:00.000Z`, status_class: '2xx', count: 4 },
    ]).execute();
    await db.insertInto('sso_assertion_ids').values([
      { org_id: 'acme', assertion_id: '_expired', expires_at: iso(now - MINUTE) },
      { org_id: 'acme', assertion_id: '_live', expires_at: iso(now + MINUTE) },
    ]).execute();
    const sessionsBefore = (await db.selectFrom('sessions').select('id').where('org_id', '=', 'acme').execute()).length;
    assert.equal(sessionsBefore, 2 + 1, 'two logins, plus the one scimToken() made');

    assert.equal(await pruneRan(h), true, 'the prune job ran');

    assert.equal((await db.selectFrom('sessions').select('id').where('org_id', '=', 'acme').execute()).length, 1, 'only the live session is left');
    assert.equal((await h.call('GET', '/api/v1/auth/session', { cookie: live })).status, 200, 'the live session still works');
    assert.equal((await h.call('GET', '/api/v1/auth/session', { cookie: stale })).status, 401);
    const keys = await db.selectFrom('idempotency_keys').select('key').where('scope', '=', 'prune-test').execute();
    assert.deepEqual(keys.map((k) => k.key), ['live']);
    const windows = await db.selectFrom('rate_limits').select('key').where('key', 'like', 'prune-test:%').execute();
    assert.deepEqual(windows.map((w) => w.key), ['prune-test:live']);
    const oldest = await db.selectFrom('rate_limits').select((eb) => eb.fn.min('window_start').as('w')).executeTakeFirstOrThrow();
    assert.ok(Number(oldest.w) >= nowSec - 3600, 'no rate-limit window older than an hour is left');
    const traffic = await db.selectFrom('scim_token_traffic').select('count').where('token_id', '=', tokenId).execute();
    assert.deepEqual(traffic.map((t) => Number(t.count)), [4]);
    const assertions = await db.selectFrom('sso_assertion_ids').select('assertion_id').where('org_id', '=', 'acme').execute();
    assert.deepEqual(assertions.map((a) => a.assertion_id), ['_live']);

    // Once per 10 minutes, not on every pass.
    assert.equal(await pruneRan(h), false);
    h.clock.advance(10 * MINUTE);
    assert.equal(await pruneRan(h), true);
  });

  it('is no longer done on the request path: expired rows stay until the job runs, and are ignored meanwhile', async () => {
    const db = h.runtime.database.db;
    const cookie = await h.login('acme');
    h.clock.advance(31 * MINUTE);
    assert.equal((await h.call('GET', '/api/v1/auth/session', { cookie })).status, 401, 'an idle session is refused before any prune');
    const t = h.clock.now().getTime();
    await db.insertInto('rate_limits').values({ key: 'prune-test:request-path', window_start: Math.floor(t / 1000) - 7200, count: 1 }).execute();
    for (let i = 0; i < 3; i++) await h.login('acme'); // requests that used to prune on their way
    assert.equal((await db.selectFrom('rate_limits').select('key').where('key', '=', 'prune-test:request-path').execute()).length, 1);
    h.clock.advance(10 * MINUTE);
    assert.equal(await pruneRan(h), true);
    assert.equal((await db.selectFrom('rate_limits').select('key').where('key', '=', 'prune-test:request-path').execute()).length, 0);
  });
});
