import type { AdminPrincipal, ApiKeyPrincipal, ScimPrincipal, SessionPrincipal } from '../auth/principal.js';
import { createHmac } from 'node:crypto';
import { secretsEqual } from '../auth/tokens.js';
import type { CredentialVerifiers, Origin } from '../auth/resolve.js';
import type { Actor } from './actor.js';
import type { ApiKeyService } from './api-keys.js';
import type { AuditService } from './audit.js';
import { type RateLimiter, type Throttle, addressSubject } from './rate-limits.js';
import type { ScimTokenService } from './scim-tokens.js';
import type { SessionService } from './sessions.js';

// Every credential path gets the controls the login has: refused credentials are counted per client address
// (atomically, so parallel guesses cannot slip past) and audited. For the admin key, which a person chose, an
// address past its limit is refused even the right key until the window passes, so a guess that lands then
// teaches nothing; another address is not affected. Runtime keys carry 256 random bits: their refusals are
// counted, but a good key is never turned away, so one noisy host behind a NAT cannot stop its neighbours.
const ADMIN_BY_ADDRESS: Throttle = {
  name: 'admin-key',
  limit: 10,
  windowSeconds: 60,
  what: 'too many refused admin API keys from this address',
};
const API_KEY_BY_ADDRESS: Throttle = {
  name: 'api-key',
  limit: 30,
  windowSeconds: 60,
  what: 'too many refused API keys from this address',
};

const SCIM_TOKEN_BY_ADDRESS: Throttle = {
  name: 'scim-token',
  limit: 30,
  windowSeconds: 60,
  what: 'too many refused SCIM tokens from this address',
};

const anonymousAt = (where: Origin): Actor => ({ type: 'anonymous', id: null, orgId: null, ...where });

export class CredentialGuard implements CredentialVerifiers {
  /** Which admin key acted, as the audit trail names it; computed once at start. */
  private readonly operatorId: string | null;

  constructor(
    private readonly limiter: RateLimiter,
    private readonly audit: AuditService,
    private readonly sessions: SessionService,
    private readonly apiKeys: ApiKeyService,
    private readonly scimTokens: ScimTokenService,
    private readonly adminApiKey: string | null,
    /** Keys the operator id: the audit trail names the admin key without giving a way to test guesses of it. */
    operatorIdKey: Buffer,
  ) {
    this.operatorId = adminApiKey ? `op_${createHmac('sha256', operatorIdKey).update(adminApiKey).digest('hex').slice(0, 8)}` : null;
  }

  session(token: string): Promise<SessionPrincipal | { rejected: string }> {
    return this.sessions.resolve(token);
  }

  /**
   * A refused key is counted (atomically) and audited; an address past its limit is refused even the right
   * key. The right key costs a read, so an operator's parallel calls never throttle themselves.
   */
  async adminKey(secret: string, where: Origin): Promise<AdminPrincipal | { rejected: string }> {
    const subject = addressSubject(where.ip);
    // Compared in constant time; with no key configured, any key sent is wrong.
    if (this.adminApiKey && secretsEqual(secret, this.adminApiKey)) {
      await this.limiter.assertOpen(ADMIN_BY_ADDRESS, subject);
      return { kind: 'admin', keyId: this.operatorId };
    }
    await this.limiter.take(ADMIN_BY_ADDRESS, subject, anonymousAt(where));
    await this.audit.record(anonymousAt(where), { action: 'auth.admin_key_rejected', orgId: null, outcome: 'failure' });
    return { rejected: this.adminApiKey ? 'the admin API key is not valid' : 'no admin API key is configured on this deployment' };
  }

  apiKey(secret: string, where: Origin): Promise<ApiKeyPrincipal | { rejected: string }> {
    return this.bearer(this.apiKeys.verify(secret), API_KEY_BY_ADDRESS, 'auth.api_key_rejected', where);
  }

  scimToken(secret: string, where: Origin): Promise<ScimPrincipal | { rejected: string }> {
    return this.bearer(this.scimTokens.verify(secret), SCIM_TOKEN_BY_ADDRESS, 'auth.scim_token_rejected', where);
  }

  /** A bearer token of 256 random bits: a good one always passes; a refused one is counted and audited. */
  private async bearer<P>(verified: Promise<P | { rejected: string; orgId?: string }>, throttle: Throttle, action: string, where: Origin): Promise<P | { rejected: string }> {
    const result = await verified;
    if (!(result && typeof result === 'object' && 'rejected' in result)) return result;
    await this.limiter.take(throttle, addressSubject(where.ip), anonymousAt(where));
    await this.audit.record(anonymousAt(where), { action, orgId: result.orgId ?? null, outcome: 'failure', details: { reason: result.rejected } });
    return result;
  }
}
