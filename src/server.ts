import type { Logger } from 'pino';
import { createApp } from './app.js';
import { type Clock, systemClock } from './clock.js';
import type { Config } from './config.js';
import { type Database, type DatabaseOptions, createDatabase } from './db/database.js';
import { migrateToLatest } from './db/migrate.js';
import type { Lifecycle } from './http/lifecycle.js';
import { warmPasswordHasher } from './auth/passwords.js';
import { type Services, createServices } from './services/index.js';

export interface Runtime {
  app: ReturnType<typeof createApp>;
  database: Database;
  services: Services;
  lifecycle: Lifecycle;
  close(): Promise<void>;
}

/** Everything but the socket: main.ts serves it, tests call app.request() on it. */
export async function createRuntime(
  config: Config,
  logger: Logger,
  clock: Clock = systemClock,
  dbOptions: DatabaseOptions = {},
): Promise<Runtime> {
  const database = createDatabase(config.database, dbOptions);
  const lifecycle: Lifecycle = { migrated: false, draining: false };
  const applied = await migrateToLatest(database);
  lifecycle.migrated = true;
  if (applied.length > 0) logger.info({ applied }, 'migrations applied');
  await warmPasswordHasher();
  const services = createServices(database, config, clock);
  for (const ids of await services.organizations.caseDuplicates()) {
    logger.warn({ org_ids: ids }, `organizations ${ids.join(', ')} differ only in case: they stay separate tenants; new org ids are unique whatever their case`);
  }
  const app = createApp({ config, database, services, clock, logger, lifecycle });
  return { app, database, services, lifecycle, close: () => database.close() };
}
