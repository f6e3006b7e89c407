import { timingSafeEqual } from 'node:crypto';
import { API_KEY_FORMAT } from '../auth/token-format.js';
import { GRANTABLE_SCOPES, isGrantableScope } from '../auth/scopes.js';
import type { ApiKeyPrincipal } from '../auth/principal.js';
import { sha256Hex } from '../auth/tokens.js';
import { inTransaction } from '../db/database.js';
import { type ApiKey, findApiKey, findKeyForAuth, insertApiKey, listApiKeys, revokeApiKey, touchApiKey } from '../db/api-keys.js';
import { type Actor, tenantOf } from './actor.js';
import type { ServiceDeps } from './deps.js';
import { InvalidInput, NotFound } from '../domain/errors.js';
import * as v from './validate.js';

// last_used_at is for people reading a list, not for accounting: one write a minute per key is plenty.
const TOUCH_EVERY_MS = 60_000;

export interface NewApiKey {
  name: string;
  scopes: string[];
  expiresAt?: string | null;
}

export class ApiKeyService {
  private readonly touched = new Map<string, number>();

  constructor(private readonly deps: ServiceDeps) {}

  list(actor: Actor, page: { offset: number; limit: number }): Promise<ApiKey[]> {
    return listApiKeys(this.deps.db, tenantOf(actor), page);
  }

  async get(actor: Actor, id: string): Promise<ApiKey> {
    const key = await findApiKey(this.deps.db, tenantOf(actor), id);
    if (!key) throw new NotFound(`API key ${id} not found`);
    return key;
  }

  /** Makes a key; the secret is in the result once and nowhere else, ever. */
  async create(actor: Actor, input: NewApiKey): Promise<{ apiKey: ApiKey; key: string }> {
    const orgId = tenantOf(actor);
    const name = v.text('name', input.name, { max: 200 });
    if (input.scopes.length === 0) throw new InvalidInput('must name at least one scope', 'scopes');
    for (const s of input.scopes) {
      if (!isGrantableScope(s)) {
        throw new InvalidInput(`holds "${s.slice(0, 64)}", which is not a scope; use ${GRANTABLE_SCOPES.join(', ')}`, 'scopes');
      }
    }
    const now = this.deps.clock.now();
    let expiresAt: string | null = null;
    if (input.expiresAt) {
      expiresAt = v.dateOrTimestamp('expiresAt', input.expiresAt);
      if (new Date(expiresAt).getTime() <= now.getTime()) throw new InvalidInput('must be in the future', 'expiresAt');
    }
    const { publicId, secret: key } = API_KEY_FORMAT.newSecret();
    const apiKey: ApiKey = {
      id: API_KEY_FORMAT.recordId(publicId),
      orgId,
      name,
      prefix: API_KEY_FORMAT.displayPrefix(publicId),
      scopes: [...new Set(input.scopes)].sort(),
      createdAt: now.toISOString(),
      createdBy: actor.id,
      expiresAt,
      revokedAt: null,
      lastUsedAt: null,
    };
    await inTransaction(this.deps.db, async (trx) => {
      await insertApiKey(trx, apiKey, sha256Hex(key));
      await this.deps.audit.append(trx, actor, {
        action: 'api_key.created',
        orgId,
        targetType: 'api_key',
        targetId: apiKey.id,
        details: { name, scopes: apiKey.scopes, expires_at: expiresAt },
      });
    });
    return { apiKey, key };
  }

  async revoke(actor: Actor, id: string): Promise<ApiKey> {
    const orgId = tenantOf(actor);
    return inTransaction(this.deps.db, async (trx) => {
      const key = await findApiKey(trx, orgId, id);
      if (!key) throw new NotFound(`API key ${id} not found`);
      if (key.revokedAt) return key;
      const at = this.deps.clock.now().toISOString();
      await revokeApiKey(trx, orgId, id, at);
      await this.deps.audit.append(trx, actor, { action: 'api_key.revoked', orgId, targetType: 'api_key', targetId: id });
      return { ...key, revokedAt: at };
    });
  }

  /** Per request: revocation, expiry and org suspension take effect on the very next call. */
  async verify(secret: string): Promise<ApiKeyPrincipal | { rejected: string; orgId?: string }> {
    const parsed = API_KEY_FORMAT.parse(secret);
    if (!parsed.ok) return { rejected: parsed.reason };
    const row = await findKeyForAuth(this.deps.db, API_KEY_FORMAT.recordId(parsed.publicId));
    const digest = Buffer.from(sha256Hex(secret), 'hex');
    if (!row || !timingSafeEqual(digest, Buffer.from(row.digest, 'hex'))) return { rejected: 'unknown API key' };
    const now = this.deps.clock.now();
    if (row.revokedAt) return { rejected: 'the API key was revoked', orgId: row.orgId };
    if (row.expiresAt && new Date(row.expiresAt).getTime() <= now.getTime()) {
      return { rejected: 'the API key has expired', orgId: row.orgId };
    }
    if (row.orgStatus !== 'ACTIVE') return { rejected: `the organization is ${row.orgStatus.toLowerCase()}`, orgId: row.orgId };
    await this.touch(row.id, row.lastUsedAt, now);
    return { kind: 'api_key', orgId: row.orgId, keyId: row.id, scopes: new Set(row.scopes) };
  }

  private async touch(id: string, lastUsedAt: string | null, now: Date): Promise<void> {
    const last = Math.max(this.touched.get(id) ?? 0, lastUsedAt ? new Date(lastUsedAt).getTime() : 0);
    if (now.getTime() - last < TOUCH_EVERY_MS) return;
    this.touched.set(id, now.getTime());
    if (this.touched.size > 10_000) this.touched.clear();
    await touchApiKey(this.deps.db, id, now.toISOString());
  }
}
