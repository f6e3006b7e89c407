/**
 * Domain errors: services throw these, and each face (GraphQL, REST, SCIM) maps them once.
 * Messages are written for the caller: they say what was wrong and, where it helps, what to do.
 * A leaf module: it imports nothing, and every layer may import it.
 */
export type AuthModel = 'portal_session' | 'admin_api_key' | 'scim_token' | 'api_key';

export abstract class DomainError extends Error {
  abstract readonly code: string;
  abstract readonly status: number;
}

/**
 * One problem of one item of a batch. `field` is a path in the domain's own names (events[3].promptTokens);
 * each face spells it its own way (REST: events[3].prompt_tokens), followed by `problem`.
 */
export interface ItemProblem {
  index: number;
  /** The item's own id where it has a readable one (a usage event's eventId). */
  id: string | null;
  /** What the item's id is called in the domain (default eventId): faces name `id` so (violationId -> violation_id). */
  idName?: string;
  field: string;
  problem: string;
}

/**
 * What kind of wrong an input is, where a protocol distinguishes them (SCIM's scimType says the same in its
 * own words): a bad value, a body that does not parse, a bad filter or path, a path that matches nothing,
 * an attempt to change what may not change, or a request for more than is served at once.
 */
export type InputFault = 'value' | 'syntax' | 'filter' | 'path' | 'noTarget' | 'mutability' | 'tooMany';

/**
 * Bad input. With a field, the message is "<field> <problem>" and names the field in the domain's camelCase;
 * faces that speak another case render `field` their way and keep `problem` (services never name wire fields).
 */
export class InvalidInput extends DomainError {
  readonly code = 'INVALID_INPUT';
  readonly status = 400;
  constructor(
    readonly problem: string,
    readonly field?: string,
    readonly details?: ItemProblem[],
    readonly fault: InputFault = 'value',
  ) {
    super(field ? `${field} ${problem}` : problem);
  }
}

/** A conditional request whose condition does not hold (If-Match names a version the resource no longer has). */
export class PreconditionFailed extends DomainError {
  readonly code = 'PRECONDITION_FAILED';
  readonly status = 412;
}

export class NotFound extends DomainError {
  readonly code = 'NOT_FOUND';
  readonly status = 404;
}

export class Conflict extends DomainError {
  readonly code = 'CONFLICT';
  readonly status = 409;
}

/** The request is well-formed but contradicts an earlier one (an idempotency key reused with another body). */
export class Unprocessable extends DomainError {
  readonly code: string = 'UNPROCESSABLE';
  readonly status = 422;
  constructor(message: string, code?: string) {
    super(message);
    if (code) this.code = code;
  }
}

export class Unauthenticated extends DomainError {
  readonly code = 'UNAUTHENTICATED';
  readonly status = 401;
  constructor(
    message: string,
    readonly requiredAuth: AuthModel[] = [],
    /** A credential of a required model was presented and refused (RFC 6750 error="invalid_token"). */
    readonly credentialRefused = false,
  ) {
    super(message);
  }
}

export class Forbidden extends DomainError {
  readonly code: string = 'FORBIDDEN';
  readonly status = 403;
  constructor(message: string, readonly requiredAuth: AuthModel[] = []) {
    super(message);
  }
}

/** Password login for an organization that requires its identity provider: where to sign in instead. */
export class SsoRequired extends Forbidden {
  override readonly code = 'SSO_REQUIRED';
  constructor(
    orgId: string,
    readonly loginUrl: string,
  ) {
    super(`organization ${orgId} signs in through its identity provider; password login is turned off. Sign in at ${loginUrl}`);
  }
}

/** Too many attempts. The message ends with the wait, in the same seconds Retry-After carries. */
export class RateLimited extends DomainError {
  readonly code = 'RATE_LIMITED';
  readonly status = 429;
  readonly retryAfterSeconds: number;
  constructor(what: string, retryAfterSeconds: number) {
    const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
    super(`${what}; retry in ${seconds} second${seconds === 1 ? '' : 's'}`);
    this.retryAfterSeconds = seconds;
  }
}

/** A service this one depends on (an identity provider) did not answer as it must; the message says how. */
export class UpstreamFailed extends DomainError {
  readonly code = 'UPSTREAM_FAILED';
  readonly status = 502;
}

/** A documented capability this deployment cannot offer as configured (e.g. mail without a transport). */
export class NotImplemented extends DomainError {
  readonly code = 'NOT_IMPLEMENTED';
  readonly status = 501;
}

/**
 * A route of a compliance module the organization does not have. Answered before any other work; the message
 * says how the module is enabled.
 */
export class ModuleNotEnabled extends Forbidden {
  override readonly code = 'MODULE_NOT_ENABLED';
  constructor(
    readonly module: string,
    orgId: string,
  ) {
    super(
      `the ${module} module is not enabled for organization ${orgId}: it comes with a license that includes it, ` +
        `or the operator enables it (PATCH /api/v1/admin/organizations/${orgId} with {"modules": [..., "${module}"]})`,
    );
  }
}
