import type { SecretBox } from '../crypto/secret-box.js';
import type { DB } from '../db/database.js';
import { listSealedCredentials, resealCredentials } from '../db/connectors.js';
import { listSealedProviderKeys, resealProviderKey } from '../db/llm-providers.js';
import { listSealedClientSecrets, resealClientSecret } from '../db/sso.js';
import { CREDENTIALS_CONTEXT } from './connectors/service.js';
import { PROVIDER_KEY_CONTEXT } from './providers/service.js';
import { CLIENT_SECRET_CONTEXT } from './sso/sealed.js';

/**
 * Every sealed column, with how to list and re-seal it: an area that seals a new kind of secret adds its
 * row here, and rotate-secrets covers it.
 */
const SEALED: { context: string; list: (db: DB) => Promise<{ id: string; sealed: string }[]>; reseal: (db: DB, id: string, from: string, to: string) => Promise<boolean> }[] = [
  {
    context: CLIENT_SECRET_CONTEXT,
    list: async (db) => (await listSealedClientSecrets(db)).map((r) => ({ id: r.orgId, sealed: r.sealed })),
    reseal: resealClientSecret,
  },
  { context: PROVIDER_KEY_CONTEXT, list: listSealedProviderKeys, reseal: resealProviderKey },
  { context: CREDENTIALS_CONTEXT, list: listSealedCredentials, reseal: resealCredentials },
];

export async function rotateSecrets(db: DB, box: SecretBox): Promise<{ resealed: number; current: number; keyId: string }> {
  let resealed = 0;
  let current = 0;
  for (const column of SEALED) {
    for (const row of await column.list(db)) {
      if (!box.isStale(row.sealed)) {
        current++;
        continue;
      }
      const plain = box.open(row.sealed, column.context);
      // Compare-and-set: a value changed meanwhile (a new secret saved) is already current.
      if (await column.reseal(db, row.id, row.sealed, box.seal(plain, column.context))) resealed++;
    }
  }
  return { resealed, current, keyId: box.currentKeyId };
}
