import { timingSafeEqual } from 'node:crypto';
import type { ScimPrincipal } from '../auth/principal.js';
import { SCIM_TOKEN_FORMAT } from '../auth/token-format.js';
import { sha256Hex } from '../auth/tokens.js';
import { inTransaction } from '../db/database.js';
import {
  type ScimToken,
  type ScimTokenError,
  type StatusClass,
  type TrafficCounts,
  findScimToken,
  findScimTokenForAuth,
  insertScimToken,
  listScimTokens,
  recordScimTraffic,
  revokeScimToken,
  scimTrafficSince,
} from '../db/scim-tokens.js';
import { NotFound } from '../domain/errors.js';
import { type Actor, tenantOf } from './actor.js';
import type { ServiceDeps } from './deps.js';
import type { RateLimiter, Throttle } from './rate-limits.js';
import * as v from './validate.js';

const DAY_MS = 86_400_000;
// last_used_at is for people reading a list: a success writes it at most once a minute per token.
const TOUCH_EVERY_MS = 60_000;
const NO_TRAFFIC: TrafficCounts = { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 };

export interface NewScimToken {
  name: string;
  expiresInDays?: number | null;
}

/** A token with how its identity provider has fared over the last 24 hours. */
export interface ScimTokenHealth extends ScimToken {
  requests24h: TrafficCounts;
}

export interface ScimOutcome {
  status: number;
  scimType: string | null;
  detail: string | null;
  /** Method and path, without the query. */
  request: string;
}

/**
 * SCIM bearer tokens: made by portal admins, shown once, stored as digests; each opens /scim/v2 of its own
 * organization and nothing else. The service also keeps each token's traffic, so an admin can see whether
 * and how their identity provider is failing without asking support.
 */
export class ScimTokenService {
  private readonly touched = new Map<string, number>();

  private readonly throttle: Throttle;

  constructor(
    private readonly deps: ServiceDeps,
    private readonly limiter: RateLimiter,
  ) {
    const perSecond = deps.config.scimRequestsPerSecond;
    this.throttle = { name: 'scim-requests', limit: perSecond * 10, windowSeconds: 10, what: `more than ${perSecond} requests a second with this SCIM token` };
  }

  /** Counts a request of a token against its limit (configurable: SCIM_RATE_LIMIT a second); throws RateLimited past it. */
  async admit(token: ScimPrincipal, actor: Actor): Promise<void> {
    await this.limiter.take(this.throttle, token.tokenId, actor);
  }

  async list(actor: Actor, page: { offset: number; limit: number }): Promise<ScimTokenHealth[]> {
    return this.withHealth(await listScimTokens(this.deps.db, tenantOf(actor), page));
  }

  private async withHealth(tokens: ScimToken[]): Promise<ScimTokenHealth[]> {
    const since = new Date(this.deps.clock.now().getTime() - DAY_MS).toISOString();
    // Hour buckets: the one the window starts in counts whole, so the figure covers 24 to 25 hours.
    const traffic = await scimTrafficSince(this.deps.db, tokens.map((t) => t.id), `${since.slice(0, 13)}:00:00.000Z`);
    return tokens.map((t) => ({ ...t, requests24h: traffic.get(t.id) ?? NO_TRAFFIC }));
  }

  async create(actor: Actor, input: NewScimToken): Promise<{ scimToken: ScimTokenHealth; token: string }> {
    const orgId = tenantOf(actor);
    const name = v.text('name', input.name, { max: 200 });
    const now = this.deps.clock.now();
    let expiresAt: string | null = null;
    if (input.expiresInDays !== undefined && input.expiresInDays !== null) {
      const days = v.integer('expiresInDays', input.expiresInDays, 1, 3650);
      expiresAt = new Date(now.getTime() + days * DAY_MS).toISOString();
    }
    const { publicId, secret } = SCIM_TOKEN_FORMAT.newSecret();
    const scimToken: ScimTokenHealth = {
      id: SCIM_TOKEN_FORMAT.recordId(publicId),
      orgId,
      name,
      prefix: SCIM_TOKEN_FORMAT.displayPrefix(publicId),
      createdAt: now.toISOString(),
      createdBy: actor.id,
      expiresAt,
      revokedAt: null,
      lastUsedAt: null,
      lastError: null,
      requests24h: NO_TRAFFIC,
    };
    await inTransaction(this.deps.db, async (trx) => {
      await insertScimToken(trx, scimToken, sha256Hex(secret));
      await this.deps.audit.append(trx, actor, {
        action: 'scim_token.created',
        orgId,
        targetType: 'scim_token',
        targetId: scimToken.id,
        details: { name, expires_at: expiresAt },
      });
    });
    return { scimToken, token: secret };
  }

  async revoke(actor: Actor, id: string): Promise<ScimTokenHealth> {
    const orgId = tenantOf(actor);
    const revoked = await inTransaction(this.deps.db, async (trx) => {
      const token = await findScimToken(trx, orgId, id);
      if (!token) throw new NotFound(`SCIM token ${id.slice(0, 64)} not found`);
      if (token.revokedAt) return token;
      const at = this.deps.clock.now().toISOString();
      await revokeScimToken(trx, orgId, id, at);
      await this.deps.audit.append(trx, actor, { action: 'scim_token.revoked', orgId, targetType: 'scim_token', targetId: id });
      return { ...token, revokedAt: at };
    });
    // The answer shows what the provider did with the token up to now, as the list does.
    return (await this.withHealth([revoked]))[0];
  }

  /** Per request: revocation, expiry and suspension of the organization take effect on the next call. */
  async verify(secret: string): Promise<ScimPrincipal | { rejected: string; orgId?: string }> {
    const parsed = SCIM_TOKEN_FORMAT.parse(secret);
    if (!parsed.ok) return { rejected: parsed.reason };
    const row = await findScimTokenForAuth(this.deps.db, SCIM_TOKEN_FORMAT.recordId(parsed.publicId));
    const digest = Buffer.from(sha256Hex(secret), 'hex');
    if (!row || !timingSafeEqual(digest, Buffer.from(row.digest, 'hex'))) return { rejected: 'unknown SCIM token' };
    const refused = row.revokedAt
      ? 'the SCIM token was revoked'
      : row.expiresAt && new Date(row.expiresAt).getTime() <= this.deps.clock.now().getTime()
        ? 'the SCIM token has expired'
        : row.orgStatus !== 'ACTIVE'
          ? `the organization is ${row.orgStatus.toLowerCase()}`
          : null;
    if (refused) {
      // A provider still sending a dead token is the failure its admins most need to see in the token's health.
      await this.recordOutcome(row.orgId, row.id, { status: 401, scimType: null, detail: `${refused}; make a new token and give it to the identity provider`, request: 'authentication' }, false);
      return { rejected: refused, orgId: row.orgId };
    }
    if (row.lastUsedAt) this.touched.set(row.id, Math.max(this.touched.get(row.id) ?? 0, new Date(row.lastUsedAt).getTime()));
    return { kind: 'scim', orgId: row.orgId, tokenId: row.id };
  }

  /**
   * What a request of this token came to: counted by status class; a failure is kept as the last error. A
   * refused token (`accepted: false`) is counted and its error kept, but it was not used: last_used_at stays.
   */
  async recordOutcome(orgId: string, tokenId: string, outcome: ScimOutcome, accepted = true): Promise<void> {
    const now = this.deps.clock.now();
    const at = now.toISOString();
    const statusClass = `${Math.min(5, Math.max(2, Math.floor(outcome.status / 100)))}xx` as StatusClass;
    const failed = outcome.status >= 400;
    const error: ScimTokenError | null = failed
      ? { at, status: outcome.status, scimType: outcome.scimType, detail: (outcome.detail ?? '').slice(0, 500), request: outcome.request.slice(0, 300) }
      : null;
    const touch = accepted && (failed || now.getTime() - (this.touched.get(tokenId) ?? 0) >= TOUCH_EVERY_MS);
    if (touch) {
      this.touched.set(tokenId, now.getTime());
      if (this.touched.size > 10_000) this.touched.clear();
    }
    // Counters past the window health reads are deleted by the periodic prune job (jobs/prune.ts).
    await recordScimTraffic(this.deps.db, orgId, tokenId, at, statusClass, { lastUsedAt: touch ? at : null, error });
  }
}

