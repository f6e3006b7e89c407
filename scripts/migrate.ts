import { ConfigError, loadConfig } from '../src/config.js';
import { createDatabase } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';

try {
  const { config } = loadConfig();
  const database = createDatabase(config.database);
  const applied = await migrateToLatest(database);
  process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'already up to date\n');
  await database.close();
} catch (err) {
  process.stderr.write(`${err instanceof ConfigError ? err.message : `migration failed: ${(err as Error).message}`}\n`);
  process.exit(1);
}
