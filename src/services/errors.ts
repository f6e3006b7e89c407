/**
 * Domain errors: services throw these, and each face (GraphQL, REST, SCIM) maps them once.
 * Messages are written for the caller: they say what was wrong and, where it helps, what to do.
 */
export type AuthModel = 'portal_session' | 'admin_api_key' | 'scim_token' | 'api_key';

export abstract class DomainError extends Error {
  abstract readonly code: string;
  abstract readonly status: number;
}

export class InvalidInput extends DomainError {
  readonly code = 'INVALID_INPUT';
  readonly status = 400;
  /** Per-item problems of a batch, e.g. [{index, field, message}]. */
  constructor(
    message: string,
    readonly field?: string,
    readonly details?: Record<string, unknown>[],
  ) {
    super(message);
  }
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
  constructor(message: string, readonly requiredAuth: AuthModel[] = []) {
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

export class RateLimited extends DomainError {
  readonly code = 'RATE_LIMITED';
  readonly status = 429;
  constructor(message: string, readonly retryAfterSeconds: number) {
    super(message);
  }
}

export class ModuleNotEnabled extends Forbidden {
  override readonly code = 'MODULE_NOT_ENABLED';
  constructor(readonly module: string) {
    super(`the ${module} module is not enabled for this organization`);
  }
}

/** A documented capability this deployment cannot offer as configured (e.g. mail without a transport). */
export class NotImplemented extends DomainError {
  readonly code = 'NOT_IMPLEMENTED';
  readonly status = 501;
}

export class Unavailable extends DomainError {
  readonly code = 'UNAVAILABLE';
  readonly status = 503;
}
