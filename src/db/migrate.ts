import { type Migration, type MigrationProvider, Migrator } from 'kysely';
import type { Database } from './database.js';
import * as m001 from './migrations/001_foundation.js';
import * as m002 from './migrations/002_api_keys.js';
import * as m003 from './migrations/003_licenses.js';
import * as m004 from './migrations/004_nodes.js';
import * as m005 from './migrations/005_usage.js';
import * as m006 from './migrations/006_idempotency.js';
import * as m007 from './migrations/007_case_insensitive_org_ids.js';
import * as m008 from './migrations/008_key_page_index.js';
import * as m009 from './migrations/009_scim.js';
import * as m010 from './migrations/010_sso.js';
import * as m011 from './migrations/011_runtime.js';
import * as m012 from './migrations/012_idempotency_headers.js';
import * as m013 from './migrations/013_jobs.js';
import * as m014 from './migrations/014_deployments.js';
import * as m015 from './migrations/015_compliance.js';

// Numbered, in code, never edited once landed: add a file and a line here.
const migrations: Record<string, Migration> = {
  '001_foundation': m001,
  '002_api_keys': m002,
  '003_licenses': m003,
  '004_nodes': m004,
  '005_usage': m005,
  '006_idempotency': m006,
  '007_case_insensitive_org_ids': m007,
  '008_key_page_index': m008,
  '009_scim': m009,
  '010_sso': m010,
  '011_runtime': m011,
  '012_idempotency_headers': m012,
  '013_jobs': m013,
  '014_deployments': m014,
  '015_compliance': m015,
};

class InCodeProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return migrations;
  }
}

function migrator(database: Database): Migrator {
  // Kysely looks for its bookkeeping tables by schema; name it when runs share a database.
  return new Migrator({
    db: database.db,
    provider: new InCodeProvider(),
    ...(database.schema ? { migrationTableSchema: database.schema } : {}),
  });
}

/** Applies every migration not applied yet; `upTo` stops after the named one (tests of a migration use it). */
export async function migrateToLatest(database: Database, upTo?: string): Promise<string[]> {
  const m = migrator(database);
  const { error, results } = upTo ? await m.migrateTo(upTo) : await m.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

