import type { Logger } from 'pino';
import type { DatabaseConfig } from '../db/database.js';
import { PostgresUpdates } from './postgres.js';
import { LocalUpdates, type LiveUpdates } from './updates.js';

export type { LiveUpdates, Watch } from './updates.js';

/** Several instances share PostgreSQL, so its notifications; the embedded database has one instance. */
export function createLiveUpdates(database: DatabaseConfig, logger: Logger): LiveUpdates {
  return database.kind === 'postgres' ? new PostgresUpdates(database.url, database.schema, logger) : new LocalUpdates();
}
