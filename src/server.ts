import type { Logger } from 'pino';
import { createApp } from './app.js';
import { type Clock, systemClock } from './clock.js';
import type { Config } from './config.js';
import { type Database, type DatabaseOptions, createDatabase } from './db/database.js';
import { migrateToLatest } from './db/migrate.js';
import type { Lifecycle } from './http/lifecycle.js';
import { warmPasswordHasher } from './auth/passwords.js';
import { registerHitlExpiry } from './jobs/hitl-expiry.js';
import { registerPrune } from './jobs/prune.js';
import { JobRunner } from './jobs/runner.js';
import { type LiveUpdates, createLiveUpdates } from './live/index.js';
import { EXPORT_JOB, EXPORT_RETENTION_JOB, type ExportJob } from './services/compliance/exports.js';
import { DEADLINE_JOB, type UpgradeDeadline } from './services/deployments/upgrades.js';
import { type Services, createServices } from './services/index.js';

export interface Runtime {
  app: ReturnType<typeof createApp>;
  database: Database;
  services: Services;
  lifecycle: Lifecycle;
  live: LiveUpdates;
  /** The background job runner: main.ts starts its polling; tests drive it with runDue(). */
  jobs: JobRunner;
  close(): Promise<void>;
}

/** Everything but the socket: main.ts serves it, tests call app.request() on it. */
export async function createRuntime(
  config: Config,
  logger: Logger,
  clock: Clock = systemClock,
  dbOptions: DatabaseOptions = {},
): Promise<Runtime> {
  const database = createDatabase(config.database, {
    ...dbOptions,
    onConnectionError: (err) => logger.warn({ err: err.message }, 'a database connection failed; the pool replaces it'),
  });
  const lifecycle: Lifecycle = { migrated: false, draining: false };
  const applied = await migrateToLatest(database);
  lifecycle.migrated = true;
  if (applied.length > 0) logger.info({ applied }, 'migrations applied');
  await warmPasswordHasher();
  const live = createLiveUpdates(config.database, logger);
  const services = createServices(database, config, clock, live);
  for (const ids of await services.organizations.caseDuplicates()) {
    logger.warn({ org_ids: ids }, `organizations ${ids.join(', ')} differ only in case: they stay separate tenants; new org ids are unique whatever their case`);
  }
  const jobs = new JobRunner({ db: database.db, dialect: database.dialect, clock, logger, leaseMs: config.jobLeaseSeconds * 1000 });
  registerPrune(jobs, { db: database.db, clock, sessionIdleSeconds: config.sessionIdleSeconds });
  registerHitlExpiry(jobs, () => services.hitl.expireDue());
  jobs.register(DEADLINE_JOB, async (job) => {
    const later = await services.deployments.expire(job.payload as UpgradeDeadline);
    return later ? { rescheduleAt: later } : undefined;
  });
  jobs.register(EXPORT_JOB, (job) => services.exports.run(job.payload as ExportJob, job.attempts));
  jobs.every(EXPORT_RETENTION_JOB, 3600_000, async () => {
    await services.exports.pruneExpired();
  });
  const app = createApp({ config, database, services, clock, logger, lifecycle });
  const close = async () => {
    // The runner first: its current job finishes while the database is still open.
    await jobs.stop();
    await live.close();
    await database.close();
  };
  return { app, database, services, lifecycle, live, jobs, close };
}
