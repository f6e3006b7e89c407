import { type Permission, permissionsOf } from '../auth/permissions.js';
import type { SessionPrincipal } from '../auth/principal.js';
import { hashPassword, checkPasswordPolicy, verifyPassword } from '../auth/passwords.js';
import { randomToken, sha256Hex } from '../auth/tokens.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { type DB, inTransaction } from '../db/database.js';
import { findOrganization } from '../db/organizations.js';
import {
  deleteSession,
  deleteUserSessions,
  findSession,
  renewSession,
  insertSession,
  touchSession,
} from '../db/sessions.js';
import { type User, findLoginAccount, findPasswordHash, setPasswordHash, updateUserFields } from '../db/users.js';
import type { Organization } from '../domain/organization.js';
import type { Actor } from './actor.js';
import type { AuditService } from './audit.js';
import { Forbidden, InvalidInput, SsoRequired, Unauthenticated } from '../domain/errors.js';
import { findSsoConfig } from '../db/sso.js';
import { loginUrl } from './sso/sp.js';
import { type AccountBackoff, type RateLimiter, type Throttle, addressSubject } from './rate-limits.js';

/** The documented limit: 5 attempts a minute per client address, whatever account they name. */
export const LOGIN_BY_ADDRESS: Throttle = {
  name: 'login',
  limit: 5,
  windowSeconds: 60,
  what: 'too many login attempts from this address',
};
/**
 * One account (org and email, as typed) from every address in 15 minutes: past 10 attempts, addresses that
 * failed on it are paced (1 s, 2 s, 4 s ... up to 30 s apart); past 50, every address is. Its owner logs in
 * from an address that has not failed; a guesser spread over many addresses is slowed to a trickle.
 */
export const LOGIN_BACKOFF: AccountBackoff = {
  name: 'login-account',
  windowSeconds: 900,
  ceiling: 10,
  everyoneCeiling: 50,
  maxSpacingSeconds: 30,
  what: 'too many recent login attempts for this organization and email; attempts are spaced out',
};
/** A stolen session must not become a way to guess the password behind it. */
const PASSWORD_CHANGE_BY_ACCOUNT: Throttle = {
  name: 'password-change',
  limit: 5,
  windowSeconds: 60,
  what: 'too many wrong current passwords',
};
// Touching last_seen_at on every request would make every read a write; a minute of slack is invisible
// against idle timeouts measured in tens of minutes.
const TOUCH_EVERY_MS = 60_000;
const GENERIC_LOGIN_FAILURE = 'invalid organization, email or password';

export interface LoginInput {
  orgId: string;
  email?: string | null;
  password: string;
}

export interface LoginResult {
  /** The cookie value. It leaves the service only towards Set-Cookie. */
  token: string;
  principal: SessionPrincipal;
}

export class SessionService {
  constructor(
    private readonly db: DB,
    private readonly config: Config,
    private readonly clock: Clock,
    private readonly audit: AuditService,
    private readonly limiter: RateLimiter,
  ) {}

  /** `replacing` is the session the request came with, if any: a new login ends it (no stale token lives on). */
  /** `origin` is where this service is reached: an organization that enforces SSO is told its login URL there. */
  async login(actor: Actor, input: LoginInput, origin: string, replacing: string | null = null): Promise<LoginResult> {
    const orgId = input.orgId.trim();
    const email = input.email?.trim() || null;
    if (!orgId) throw new InvalidInput('must not be empty', 'orgId');
    if (input.password.length === 0) throw new InvalidInput('must not be empty', 'password');
    if (input.password.length > 1024 || orgId.length > 128 || (email?.length ?? 0) > 254) {
      throw new Unauthenticated(GENERIC_LOGIN_FAILURE);
    }
    const address = addressSubject(actor.ip);
    const reservation = await this.limiter.take(LOGIN_BY_ADDRESS, address, actor);
    const org = await findOrganization(this.db, orgId);
    // Whether an org enforces SSO is public (the availability route says so): refusing before the password
    // check tells nothing about the account, and a guessed password is never tried. The refusal counts
    // against the address (it is an attempt) but not against the account, whose owner needs its password
    // the moment enforcement is lifted.
    const sso = org ? await findSsoConfig(this.db, org.orgId) : null;
    if (org && sso?.enabled && sso.enforceSso) {
      await this.audit.record(actor, {
        action: 'auth.login_failed',
        orgId: org.orgId,
        outcome: 'denied',
        details: { reason: 'the organization enforces single sign-on', email: email?.slice(0, 254) ?? null },
      });
      throw new SsoRequired(org.orgId, loginUrl(origin, org.orgId, sso.protocol));
    }
    // The account is named as typed, known or not, so a throttled answer says nothing about existence.
    const accountName = `${orgId.toLowerCase()}\n${email?.toLowerCase() ?? ''}`;
    let attempt;
    try {
      attempt = await this.limiter.accountAttempt(LOGIN_BACKOFF, this.limiter.accountSubject(accountName), address, actor);
    } catch (err) {
      await this.limiter.refund(reservation); // waiting for a slot is not an attempt of this address
      throw err;
    }
    // Every path verifies one argon2 hash (a dummy one when the account is unknown): same work, same time.
    const account = org ? await findLoginAccount(this.db, org.orgId, email) : null;
    const passwordOk = await verifyPassword(account?.passwordHash ?? null, input.password);
    const usable = account !== null && account.user.status === 'active' && passwordOk;
    if (!usable || !org || !account) {
      await attempt.failed();
      await this.audit.record(actor, {
        action: 'auth.login_failed',
        orgId: org?.orgId ?? null,
        targetType: 'user',
        targetId: account?.user.id,
        outcome: 'failure',
        details: { org_id: orgId.slice(0, 128), email: email?.slice(0, 254) ?? null },
      });
      throw new Unauthenticated(GENERIC_LOGIN_FAILURE, ['portal_session']);
    }
    // Past the password check, saying the org is suspended tells nothing to someone who could not log in.
    if (org.status !== 'ACTIVE') {
      await this.audit.record(actor, {
        action: 'auth.login_failed',
        orgId: org.orgId,
        targetType: 'user',
        targetId: account.user.id,
        outcome: 'failure',
        details: { reason: `organization ${org.status.toLowerCase()}` },
      });
      throw new Forbidden(`organization ${org.orgId} is ${org.status.toLowerCase()}; contact your administrator`);
    }
    await this.limiter.refund(reservation);
    await attempt.succeeded();

    return this.issue(actor, org, account.user, { action: 'auth.login', details: { method: email ? 'password' : 'organization_password' } }, replacing);
  }

  /**
   * A new session for a user whose identity is already proven (password above, or an SSO assertion): the
   * one way sessions are made, so every login ends with the same cookie, audit and replacement rule.
   */
  async issue(
    actor: Actor,
    org: Organization,
    user: User,
    event: { action: string; details: Record<string, unknown> },
    replacing: string | null,
  ): Promise<LoginResult> {
    const token = randomToken();
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + this.config.sessionAbsoluteSeconds * 1000).toISOString();
    const sessionId = sha256Hex(token);
    await inTransaction(this.db, async (trx) => {
      if (replacing) await deleteSession(trx, replacing);
      await insertSession(trx, {
        id: sessionId,
        orgId: org.orgId,
        userId: user.id,
        createdAt: now.toISOString(),
        expiresAt,
        ip: actor.ip,
        userAgent: actor.userAgent?.slice(0, 256) ?? null,
      });
      await updateUserFields(trx, user.id, { lastLoginAt: now.toISOString() }, user.updatedAt);
      await this.audit.append(trx, { ...actor, type: 'user', id: user.id, orgId: org.orgId }, {
        action: event.action,
        orgId: org.orgId,
        targetType: 'user',
        targetId: user.id,
        details: event.details,
      });
    });
    return {
      token,
      principal: {
        kind: 'session',
        sessionId,
        orgId: org.orgId,
        userId: user.id,
        userKind: user.kind,
        email: user.email || null,
        name: user.name,
        role: user.role,
        permissions: permissionsOf(user.role),
        expiresAt,
        organization: org,
      },
    };
  }

  /** The principal behind a cookie, or a reason it is not one. Idle and absolute limits are checked here. */
  async resolve(token: string): Promise<SessionPrincipal | { rejected: string }> {
    if (token.length < 20 || token.length > 128) return { rejected: 'malformed session cookie' };
    const id = sha256Hex(token);
    const s = await findSession(this.db, id);
    if (!s) return { rejected: 'the session has ended or never existed; log in again' };
    const now = this.clock.now();
    const idleEnds = new Date(s.lastSeenAt).getTime() + this.config.sessionIdleSeconds * 1000;
    if (now.getTime() >= new Date(s.expiresAt).getTime() || now.getTime() >= idleEnds) {
      await deleteSession(this.db, id);
      return { rejected: 'the session has expired; log in again' };
    }
    if (s.user.status !== 'active' || s.organization.status !== 'ACTIVE') {
      await deleteSession(this.db, id);
      return { rejected: 'the account or organization is no longer active' };
    }
    if (now.getTime() - new Date(s.lastSeenAt).getTime() >= TOUCH_EVERY_MS) {
      await touchSession(this.db, id, now.toISOString());
    }
    return {
      kind: 'session',
      sessionId: id,
      orgId: s.orgId,
      userId: s.userId,
      userKind: s.user.kind,
      email: s.user.email || null,
      name: s.user.name,
      role: s.user.role,
      permissions: permissionsOf(s.user.role),
      expiresAt: s.expiresAt,
      organization: s.organization,
    };
  }

  /**
   * Whether a session a long-lived stream was opened with still stands and still grants the permission: ended,
   * expired, deactivated or demoted, the stream stops (revocation applies at once, not at the stream's end).
   */
  async stillAllows(sessionId: string, permission: Permission): Promise<boolean> {
    const s = await findSession(this.db, sessionId);
    if (!s || this.clock.now().getTime() >= new Date(s.expiresAt).getTime()) return false;
    if (s.user.status !== 'active' || s.organization.status !== 'ACTIVE') return false;
    return permissionsOf(s.user.role).has(permission);
  }

  async logout(actor: Actor, principal: SessionPrincipal): Promise<void> {
    await inTransaction(this.db, async (trx) => {
      await deleteSession(trx, principal.sessionId);
      await this.audit.append(trx, actor, {
        action: 'auth.logout',
        orgId: principal.orgId,
        targetType: 'user',
        targetId: principal.userId,
      });
    });
  }

  /**
   * Changes the caller's own password. Every session of theirs ends, this one included; the caller carries on
   * in a new session whose token is returned (for the cookie), so a token seen before the change is dead.
   */
  async changePassword(actor: Actor, principal: SessionPrincipal, current: string, next: string): Promise<{ token: string }> {
    checkPasswordPolicy(next, 'newPassword');
    const attempt = await this.limiter.take(PASSWORD_CHANGE_BY_ACCOUNT, principal.userId, actor);
    const stored = await findPasswordHash(this.db, principal.userId);
    if (!(await verifyPassword(stored, current))) {
      await this.audit.record(actor, {
        action: 'auth.password_change_failed',
        orgId: principal.orgId,
        targetType: 'user',
        targetId: principal.userId,
        outcome: 'failure',
      });
      throw new InvalidInput('is not correct', 'currentPassword');
    }
    await this.limiter.refund(attempt);
    if (current === next) throw new InvalidInput('must differ from the current password', 'newPassword');
    const hash = await hashPassword(next);
    const token = randomToken();
    const now = this.clock.now();
    await inTransaction(this.db, async (trx) => {
      await setPasswordHash(trx, principal.userId, hash, now.toISOString());
      const ended = await deleteUserSessions(trx, principal.userId, principal.sessionId);
      // The session keeps its absolute end: a password change is not a way to stay logged in for ever.
      await renewSession(trx, principal.sessionId, sha256Hex(token), now.toISOString());
      await this.audit.append(trx, actor, {
        action: 'auth.password_changed',
        orgId: principal.orgId,
        targetType: 'user',
        targetId: principal.userId,
        details: { other_sessions_ended: ended },
      });
    });
    return { token };
  }
}
