import { ConfigError, loadConfig } from '../src/config.js';
import { SecretBox } from '../src/crypto/secret-box.js';
import { createDatabase } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { rotateSecrets } from '../src/services/secret-rotation.js';

// `npm run rotate-secrets`: after ENCRYPTION_KEY changed (the old one moved to ENCRYPTION_KEYS_PREVIOUS),
// re-seals every stored secret under the current key. Safe to run again, and beside running instances.
try {
  const { config } = loadConfig();
  const database = createDatabase(config.database);
  await migrateToLatest(database);
  const result = await rotateSecrets(database.db, new SecretBox(config.encryptionKey, config.encryptionKeysPrevious));
  process.stdout.write(`re-sealed ${result.resealed} secret(s) under key ${result.keyId}; ${result.current} already current\n`);
  await database.close();
} catch (err) {
  process.stderr.write(`${err instanceof ConfigError ? err.message : `rotation failed: ${(err as Error).message}`}\n`);
  process.exit(1);
}
