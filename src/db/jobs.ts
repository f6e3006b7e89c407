import type { ExpressionBuilder } from 'kysely';
import type { Executor } from './database.js';
import type { Tables } from './tables.js';
import { newId } from '../ids.js';

/** A job to run: at most one per (kind, key). payload is any JSON value; runAt an ISO-8601 UTC instant. */
export interface NewJob {
  kind: string;
  key: string;
  payload: unknown;
  runAt: string;
}

export type JobStatus = 'queued' | 'running' | 'done' | 'failed';
const FINISHED: JobStatus[] = ['done', 'failed'];

function newRow(job: NewJob, now: string) {
  return {
    id: newId('job'),
    kind: job.kind,
    key: job.key,
    payload: JSON.stringify(job.payload ?? null),
    status: 'queued',
    run_at: job.runAt,
    attempts: 0,
    lease_owner: null,
    lease_expires_at: null,
    last_error: null,
    created_at: now,
    updated_at: now,
  };
}

/**
 * Enqueues a job, inside the caller's transaction when given one: the job exists if and only if the change
 * that asked for it committed. A finished job (done, failed) of the same (kind, key) is replaced by the new
 * one; a queued or running one is kept, its payload and attempts too, and only its run_at moves to the new
 * one (a running job whose run_at moved runs again at it once it finishes: see finishJob). `now` stamps
 * created_at and updated_at only (bookkeeping; when the job runs is runAt, read against the runner's clock).
 */
export async function enqueueJob(db: Executor, job: NewJob, now = new Date().toISOString()): Promise<void> {
  await db
    .insertInto('jobs')
    .values(newRow(job, now))
    .onConflict((oc) =>
      oc.columns(['kind', 'key']).doUpdateSet((eb) => {
        const finished = <C extends 'payload' | 'status' | 'attempts' | 'lease_owner' | 'lease_expires_at' | 'last_error' | 'created_at'>(column: C) =>
          eb.case().when('jobs.status', 'in', FINISHED).then(eb.ref(`excluded.${column}`)).else(eb.ref(`jobs.${column}`)).end();
        return {
          payload: finished('payload'),
          status: finished('status'),
          attempts: finished('attempts'),
          lease_owner: finished('lease_owner'),
          lease_expires_at: finished('lease_expires_at'),
          last_error: finished('last_error'),
          created_at: finished('created_at'),
          run_at: eb.ref('excluded.run_at'),
          updated_at: eb.ref('excluded.updated_at'),
        };
      }),
    )
    .execute();
}

/**
 * Makes sure the job exists without moving it: a queued or running one is left exactly as it is (every
 * instance calls this for its periodic jobs at start, and a restart must not make them run early); a
 * finished one is queued again at runAt.
 */
export async function ensureJob(db: Executor, job: NewJob, now: string): Promise<void> {
  await db
    .insertInto('jobs')
    .values(newRow(job, now))
    .onConflict((oc) =>
      oc
        .columns(['kind', 'key'])
        .doUpdateSet((eb) => ({
          payload: eb.ref('excluded.payload'),
          status: eb.ref('excluded.status'),
          run_at: eb.ref('excluded.run_at'),
          attempts: eb.ref('excluded.attempts'),
          lease_owner: eb.ref('excluded.lease_owner'),
          lease_expires_at: eb.ref('excluded.lease_expires_at'),
          last_error: eb.ref('excluded.last_error'),
          created_at: eb.ref('excluded.created_at'),
          updated_at: eb.ref('excluded.updated_at'),
        }))
        .where('jobs.status', 'in', FINISHED),
    )
    .execute();
}

/** A job as a runner holds it after its claim. */
export interface ClaimedJob {
  id: string;
  kind: string;
  key: string;
  /** The stored JSON text. */
  payload: string;
  /** The claims so far, this one included: with the owner, the fence of every later write. */
  attempts: number;
  /** run_at when it was claimed: if an enqueue moves it meanwhile, the job runs again (finishJob). */
  runAt: string;
  lastError: string | null;
  /** Set when the claim took over a running job whose lease had lapsed: that runner's name. */
  tookOverFrom: string | null;
}

/** Which claim a write belongs to: it applies only while the row is still that claim's. */
export interface Fence {
  id: string;
  owner: string;
  attempts: number;
}

export interface ClaimRequest {
  owner: string;
  now: string;
  leaseExpiresAt: string;
  /**
   * The kinds the claiming runner handles: during a rolling deploy an older instance leaves a newer kind to the
   * instances that know it, instead of failing it.
   */
  kinds: readonly string[];
}

function due(eb: ExpressionBuilder<Tables, 'jobs'>, q: ClaimRequest) {
  return eb.and([
    eb('kind', 'in', q.kinds),
    eb.or([
      eb.and([eb('status', '=', 'queued'), eb('run_at', '<=', q.now)]),
      eb.and([eb('status', '=', 'running'), eb('lease_expires_at', '<=', q.now)]),
    ]),
  ]);
}

/**
 * Takes the first due job (queued with run_at reached, or running with its lease lapsed) with a lease, and
 * counts the attempt. On PostgreSQL one statement: the row is picked FOR UPDATE SKIP LOCKED, so instances
 * claiming at the same moment take different rows and never wait for each other. On SQLite (one writer) the
 * row is read, then taken by an update that applies only if it is still as read; a loser reads again.
 */
export async function claimJob(db: Executor, dialect: 'sqlite' | 'postgres', q: ClaimRequest): Promise<ClaimedJob | null> {
  if (q.kinds.length === 0) return null;
  const lease = { status: 'running', lease_owner: q.owner, lease_expires_at: q.leaseExpiresAt, updated_at: q.now };
  if (dialect === 'postgres') {
    const picked = db
      .selectFrom('jobs')
      .select(['id', 'status', 'lease_owner'])
      .where((eb) => due(eb, q))
      .orderBy('run_at')
      .orderBy('id')
      .limit(1)
      .forUpdate()
      .skipLocked()
      .as('prev');
    const row = await db
      .updateTable('jobs')
      .from(picked)
      .set((eb) => ({ ...lease, attempts: eb('jobs.attempts', '+', 1) }))
      .whereRef('jobs.id', '=', 'prev.id')
      .returning([
        'jobs.id',
        'jobs.kind',
        'jobs.key',
        'jobs.payload',
        'jobs.attempts',
        'jobs.run_at',
        'jobs.last_error',
        'prev.status as prev_status',
        'prev.lease_owner as prev_owner',
      ])
      .executeTakeFirst();
    if (!row) return null;
    return toClaimed(row, row.prev_status === 'running' ? (row.prev_owner ?? '') : null);
  }
  for (;;) {
    const seen = await db
      .selectFrom('jobs')
      .select(['id', 'status', 'attempts', 'lease_owner'])
      .where((eb) => due(eb, q))
      .orderBy('run_at')
      .orderBy('id')
      .limit(1)
      .executeTakeFirst();
    if (!seen) return null;
    const row = await db
      .updateTable('jobs')
      .set({ ...lease, attempts: Number(seen.attempts) + 1 })
      .where('id', '=', seen.id)
      .where('attempts', '=', seen.attempts)
      .where((eb) => due(eb, q))
      .returning(['id', 'kind', 'key', 'payload', 'attempts', 'run_at', 'last_error'])
      .executeTakeFirst();
    if (row) return toClaimed(row, seen.status === 'running' ? (seen.lease_owner ?? '') : null);
  }
}

function toClaimed(
  r: { id: string; kind: string; key: string; payload: string; attempts: number; run_at: string; last_error: string | null },
  tookOverFrom: string | null,
): ClaimedJob {
  return {
    id: r.id,
    kind: r.kind,
    key: r.key,
    payload: r.payload,
    attempts: Number(r.attempts),
    runAt: r.run_at,
    lastError: r.last_error,
    tookOverFrom,
  };
}

function fenced(db: Executor, f: Fence) {
  return db
    .updateTable('jobs')
    .where('id', '=', f.id)
    .where('status', '=', 'running')
    .where('lease_owner', '=', f.owner)
    .where('attempts', '=', f.attempts);
}

const released = { lease_owner: null, lease_expires_at: null } as const;

/** Moves the lease on; false when the claim is no longer this runner's (its lease lapsed and was taken over). */
export async function extendLease(db: Executor, f: Fence, leaseExpiresAt: string, now: string): Promise<boolean> {
  const r = await fenced(db, f).set({ lease_expires_at: leaseExpiresAt, updated_at: now }).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/**
 * The job succeeded: done. If an enqueue moved its run_at while it ran (the thing it works on changed after
 * it started), it is queued again at that time instead, as a fresh job. null when the claim is lost.
 */
export async function finishJob(db: Executor, f: Fence, claimedRunAt: string, now: string): Promise<'done' | 'queued' | null> {
  const row = await fenced(db, f)
    .set((eb) => {
      const moved = eb('run_at', '!=', claimedRunAt);
      return {
        ...released,
        status: eb.case().when(moved).then('queued').else('done').end(),
        attempts: eb.case().when(moved).then(0).else(eb.ref('attempts')).end(),
        last_error: null,
        updated_at: now,
      };
    })
    .returning('status')
    .executeTakeFirst();
  return row ? (row.status as 'done' | 'queued') : null;
}

/**
 * The job succeeded and asked to run again at runAt (periodic work, "check again later"): the same row goes
 * back to queued with its attempts reset. If an enqueue moved run_at while it ran, the earlier time wins.
 */
export async function rescheduleJob(db: Executor, f: Fence, claimedRunAt: string, runAt: string, now: string): Promise<boolean> {
  const r = await fenced(db, f)
    .set((eb) => ({
      ...released,
      status: 'queued',
      attempts: 0,
      run_at: eb
        .case()
        .when(eb.and([eb('run_at', '!=', claimedRunAt), eb('run_at', '<', runAt)]))
        .then(eb.ref('run_at'))
        .else(runAt)
        .end(),
      last_error: null,
      updated_at: now,
    }))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** The attempt failed and attempts remain: queued again at runAt (the backoff), with why. */
export async function retryJob(db: Executor, f: Fence, runAt: string, error: string, now: string): Promise<boolean> {
  const r = await fenced(db, f).set({ ...released, status: 'queued', run_at: runAt, last_error: error, updated_at: now }).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/**
 * The job is failed for good, with the reason. `attempts` records how many attempts it had when that is not
 * the claim's count (a claim that only found the job out of attempts does not count as one).
 */
export async function failJob(db: Executor, f: Fence, reason: string, now: string, attempts = f.attempts): Promise<boolean> {
  const r = await fenced(db, f).set({ ...released, status: 'failed', attempts, last_error: reason, updated_at: now }).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/**
 * A periodic job that ran out of attempts: it is queued again at runAt from a clean count, keeping why, so
 * the periodic work goes on (a failed row would stop it on every instance until one restarts).
 */
export async function restartJob(db: Executor, f: Fence, runAt: string, reason: string, now: string): Promise<boolean> {
  const r = await fenced(db, f).set({ ...released, status: 'queued', attempts: 0, run_at: runAt, last_error: reason, updated_at: now }).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export interface JobRecord {
  id: string;
  kind: string;
  key: string;
  payload: unknown;
  status: JobStatus;
  runAt: string;
  attempts: number;
  leaseOwner: string | null;
  leaseExpiresAt: string | null;
  lastError: string | null;
}

/** The job of (kind, key), for operators and tests. */
export async function findJob(db: Executor, kind: string, key: string): Promise<JobRecord | null> {
  const r = await db.selectFrom('jobs').selectAll().where('kind', '=', kind).where('key', '=', key).executeTakeFirst();
  if (!r) return null;
  return {
    id: r.id,
    kind: r.kind,
    key: r.key,
    payload: JSON.parse(r.payload),
    status: r.status as JobStatus,
    runAt: r.run_at,
    attempts: Number(r.attempts),
    leaseOwner: r.lease_owner,
    leaseExpiresAt: r.lease_expires_at,
    lastError: r.last_error,
  };
}
