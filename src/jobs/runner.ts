import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { DB } from '../db/database.js';
import {
  type ClaimedJob,
  type Fence,
  claimJob,
  ensureJob,
  extendLease,
  failJob,
  finishJob,
  rescheduleJob,
  restartJob,
  retryJob,
} from '../db/jobs.js';

export interface Job {
  id: string;
  kind: string;
  key: string;
  payload: unknown;
  /** This attempt's number: 1 the first time, more after failures or lapsed leases. */
  attempts: number;
}

/** Nothing: the job is done. rescheduleAt: the same row goes back to queued at that time (periodic work, "check again later"). */
export type JobResult = void | { rescheduleAt: Date };
export type JobHandler = (job: Job) => Promise<JobResult>;

export interface JobRunnerOptions {
  db: DB;
  dialect: 'sqlite' | 'postgres';
  clock: Clock;
  logger: Logger;
  /** Who holds a lease, in the jobs table: host, process and a random part, unless given. Unique per runner. */
  owner?: string;
  /** How long a claim lasts without a heartbeat; the runner extends it every leaseMs/3 while the handler runs. */
  leaseMs?: number;
  pollMs?: number;
  /** Attempts (failures and lapsed leases together) before a job is failed for good. */
  maxAttempts?: number;
}

const PERIODIC_KEY = 'periodic';
const MAX_BACKOFF_MS = 10 * 60_000;
const MAX_ERROR_CHARS = 1000;

interface Pass {
  cancelled: boolean;
}

/**
 * The one background job runner. Jobs are rows (db/jobs.ts); a runner claims a due one with a lease, runs its
 * kind's handler while extending the lease, and writes the outcome only while the claim is still its own
 * (lease owner and attempt unchanged), so a runner whose lease lapsed and was taken over changes nothing.
 * A failed attempt is retried with exponential backoff up to maxAttempts, a lapsed lease counting as one.
 * Several instances over one database share the rows: each job runs once at a time, on one of them.
 */
export class JobRunner {
  private readonly db: DB;
  private readonly dialect: 'sqlite' | 'postgres';
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly owner: string;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly maxAttempts: number;
  private readonly handlers = new Map<string, JobHandler>();
  /** Periodic kinds and their intervals. */
  private readonly periodic = new Map<string, number>();
  private readonly ensured = new Set<string>();
  private readonly passes = new Set<Pass>();
  /** The last pass started: passes of one runner go one after another. */
  private tail: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;

  constructor(opts: JobRunnerOptions) {
    this.db = opts.db;
    this.dialect = opts.dialect;
    this.clock = opts.clock;
    this.logger = opts.logger;
    this.owner = opts.owner ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
    this.leaseMs = opts.leaseMs ?? 30_000;
    this.pollMs = opts.pollMs ?? 1000;
    this.maxAttempts = opts.maxAttempts ?? 5;
  }

  register(kind: string, handler: JobHandler): void {
    if (this.handlers.has(kind)) throw new Error(`a handler for job kind ${kind} is registered already`);
    this.handlers.set(kind, handler);
  }

  /**
   * A periodic job: one row (kind, key 'periodic') across all instances, run every intervalMs (from the end
   * of one run to the next) by whichever instance claims it. Its row is made on start() or the first
   * runDue(); an existing queued one keeps its time, so restarts do not make it run early. A periodic job
   * that runs out of attempts is not failed: it is tried again an interval later, its last_error kept.
   */
  every(kind: string, intervalMs: number, handler: () => Promise<void>): void {
    this.register(kind, async () => {
      await handler();
      return { rescheduleAt: new Date(this.clock.now().getTime() + intervalMs) };
    });
    this.periodic.set(kind, intervalMs);
  }

  /**
   * Runs every job due now (by the clock), one after another, until none is due; resolves to how many
   * handlers ran. A job that is due again within the same pass (it rescheduled itself for now) ends the
   * pass after its second run, so a pass always ends.
   */
  runDue(): Promise<number> {
    const pass: Pass = { cancelled: false };
    this.passes.add(pass);
    const run = this.tail
      .catch(() => undefined)
      .then(() => this.drain(pass))
      .finally(() => this.passes.delete(pass));
    this.tail = run;
    return run;
  }

  /** Polls every pollMs with an unref'd timer (a pass only when none is running), the first one now. */
  start(): void {
    if (this.timer) return;
    const tick = () => {
      if (this.passes.size > 0) return;
      this.runDue().catch((err) => this.logger.error({ err: describe(err) }, 'background jobs: a pass failed'));
    };
    this.timer = setInterval(tick, this.pollMs);
    this.timer.unref();
    tick();
  }

  /** Stops polling; a running pass ends after its current job, and this waits for it. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const pass of this.passes) pass.cancelled = true;
    await this.tail.catch(() => undefined);
  }

  private async drain(pass: Pass): Promise<number> {
    await this.ensurePeriodic();
    const seen = new Set<string>();
    let ran = 0;
    while (!pass.cancelled) {
      const now = this.clock.now();
      const claimed = await claimJob(this.db, this.dialect, {
        owner: this.owner,
        now: now.toISOString(),
        leaseExpiresAt: new Date(now.getTime() + this.leaseMs).toISOString(),
        kinds: [...this.handlers.keys()],
      });
      if (!claimed) break;
      if (await this.handle(claimed)) ran++;
      if (seen.has(claimed.id)) break;
      seen.add(claimed.id);
    }
    return ran;
  }

  private async ensurePeriodic(): Promise<void> {
    for (const kind of this.periodic.keys()) {
      if (this.ensured.has(kind)) continue;
      const now = this.clock.now().toISOString();
      await ensureJob(this.db, { kind, key: PERIODIC_KEY, payload: null, runAt: now }, now);
      this.ensured.add(kind);
    }
  }

  /** True when the handler ran. */
  private async handle(claimed: ClaimedJob): Promise<boolean> {
    const fence: Fence = { id: claimed.id, owner: this.owner, attempts: claimed.attempts };
    const about = { job_id: claimed.id, kind: claimed.kind, attempt: claimed.attempts, owner: this.owner };
    if (claimed.tookOverFrom !== null) {
      this.logger.warn({ ...about, previous_owner: claimed.tookOverFrom }, 'background job: its lease lapsed (the worker stopped or hung); taken over');
      if (claimed.attempts > this.maxAttempts) {
        // The claim that found it out of attempts is not one: the record keeps the count it had.
        const had = claimed.attempts - 1;
        const reason =
          claimed.lastError === null
            ? `lease lapsed ${had} times (the worker stopped or hung)`
            : `lease lapsed on the last of ${had} attempts (the worker stopped or hung); an earlier attempt failed: ${claimed.lastError}`;
        await this.giveUp(claimed, fence, reason, had);
        return false;
      }
    }
    const handler = this.handlers.get(claimed.kind);
    if (!handler) {
      await this.giveUp(claimed, fence, `no handler is registered for job kind "${claimed.kind.slice(0, 100)}"`);
      return false;
    }
    let payload: unknown;
    try {
      payload = JSON.parse(claimed.payload);
    } catch {
      await this.giveUp(claimed, fence, 'the payload is not JSON');
      return false;
    }

    let finished = false;
    const beat = setInterval(() => {
      const now = this.clock.now();
      extendLease(this.db, fence, new Date(now.getTime() + this.leaseMs).toISOString(), now.toISOString()).then(
        (kept) => {
          if (!kept && !finished) this.logger.warn(about, 'background job: lost its lease while running (taken over); its result will be discarded');
        },
        (err) => this.logger.error({ ...about, err: describe(err) }, 'background job: could not extend its lease'),
      );
    }, Math.max(1, Math.floor(this.leaseMs / 3)));
    beat.unref();
    let outcome: { ok: true; result: JobResult } | { ok: false; error: string };
    try {
      outcome = { ok: true, result: await handler({ id: claimed.id, kind: claimed.kind, key: claimed.key, payload, attempts: claimed.attempts }) };
    } catch (err) {
      outcome = { ok: false, error: describe(err) };
    } finally {
      finished = true;
      clearInterval(beat);
    }

    const now = this.clock.now();
    const at = now.toISOString();
    let kept: boolean;
    if (!outcome.ok) {
      if (claimed.attempts >= this.maxAttempts) {
        kept = await this.giveUp(claimed, fence, `failed ${claimed.attempts} times: ${outcome.error}`);
      } else {
        const retryAt = new Date(now.getTime() + Math.min(2 ** claimed.attempts * 1000, MAX_BACKOFF_MS));
        kept = await retryJob(this.db, fence, retryAt.toISOString(), outcome.error, at);
        if (kept) this.logger.warn({ ...about, error: outcome.error, retry_at: retryAt.toISOString() }, 'background job: attempt failed; retrying');
      }
    } else if (outcome.result && outcome.result.rescheduleAt) {
      kept = await rescheduleJob(this.db, fence, claimed.runAt, outcome.result.rescheduleAt.toISOString(), at);
    } else {
      kept = (await finishJob(this.db, fence, claimed.runAt, at)) !== null;
    }
    if (!kept) this.logger.warn(about, 'background job: its lease lapsed and another runner took it over; this result is discarded');
    return true;
  }

  /** Fails the job for good, or, for a periodic one, tries it again an interval later. False when the claim was lost. */
  private async giveUp(claimed: ClaimedJob, fence: Fence, reason: string, attempts = claimed.attempts): Promise<boolean> {
    const now = this.clock.now();
    const about = { job_id: claimed.id, kind: claimed.kind, attempt: claimed.attempts, owner: this.owner, reason };
    const interval = this.periodic.get(claimed.kind);
    if (interval !== undefined) {
      const next = new Date(now.getTime() + interval).toISOString();
      const kept = await restartJob(this.db, fence, next, reason.slice(0, MAX_ERROR_CHARS), now.toISOString());
      if (kept) this.logger.error({ ...about, next_run_at: next }, 'periodic background job failed; it runs again at its next interval');
      return kept;
    }
    const kept = await failJob(this.db, fence, reason.slice(0, MAX_ERROR_CHARS), now.toISOString(), attempts);
    if (kept) this.logger.error(about, 'background job failed');
    return kept;
  }
}

function describe(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.slice(0, MAX_ERROR_CHARS);
}
