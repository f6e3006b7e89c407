import type { Actor } from './actor.js';
import type { AuditService } from './audit.js';
import type { RateLimiter } from './rate-limits.js';

// Every credential path gets the controls the login has: refused credentials are counted per client address
// (atomically, so parallel guesses cannot slip past) and audited. Past the limit an address gets 429, and for
// the admin key, which a person chose, even the right key is refused until the window passes, so a guess that
// lands during the lockout teaches nothing. A good key costs a read at most, never a write.
const ADMIN_FAILURES = 10;
const KEY_FAILURES = 30;
const WINDOW_SECONDS = 60;
const ADMIN_LIMITED = 'too many refused admin API keys from this address; wait a minute';

export class CredentialGuard {
  constructor(
    private readonly limiter: RateLimiter,
    private readonly audit: AuditService,
  ) {}

  adminAccepted(ip: string | null): Promise<void> {
    return this.limiter.assertOpen(`cred:admin:${ip ?? 'unknown'}`, ADMIN_FAILURES, WINDOW_SECONDS, ADMIN_LIMITED);
  }

  async adminRefused(actor: Actor): Promise<void> {
    await this.limiter.reserve([`cred:admin:${actor.ip ?? 'unknown'}`], ADMIN_FAILURES, WINDOW_SECONDS, ADMIN_LIMITED);
    await this.audit.record(actor, { action: 'auth.admin_key_rejected', orgId: null, outcome: 'failure' });
  }

  /** After a runtime key failed: counts it (throws RateLimited past the limit) and audits it. */
  async apiKeyRefused(actor: Actor, reason: string, orgId: string | null): Promise<void> {
    await this.limiter.reserve(
      [`cred:api_key:${actor.ip ?? 'unknown'}`],
      KEY_FAILURES,
      WINDOW_SECONDS,
      'too many refused API keys from this address; wait a minute',
    );
    await this.audit.record(actor, { action: 'auth.api_key_rejected', orgId, outcome: 'failure', details: { reason } });
  }
}
