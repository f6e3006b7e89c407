import { createHmac } from 'node:crypto';
import { deriveKey } from '../auth/tokens.js';
import type { Context } from '../context.js';
import { InvalidInput } from '../domain/errors.js';
import { canonicalJson } from '../services/audit.js';
import type { IdempotencyService } from '../services/idempotency.js';

// Idempotency-Key is a rule of HTTP retries, shared by REST and GraphQL: which callers it holds for, what a
// request's fingerprint is, and what of the first answer may be kept and replayed.

const KEY = /^[\x21-\x7e]{1,255}$/;
/**
 * Fields of REST answers that reveal a secret once: a replay answers the same resource without them. REST keys
 * are the route table's own; GraphQL answers, whose keys the caller chooses, are stripped by the schema instead.
 */
const REST_SECRET_FIELDS = new Set(['key', 'license_key', 'initial_password', 'token', 'password']);

export type Attempt =
  | { kind: 'none' }
  | { kind: 'replay'; status: number; body: unknown; headers: Record<string, string> }
  | { kind: 'first'; finish: (status: number, body: unknown, headers?: Record<string, string>) => Promise<void>; abandon: () => Promise<void> };

/** Headers of a first answer a replay repeats: where the created resource is. Nothing that could carry a secret. */
const REPLAYED_HEADERS = ['location'];

function replayedHeaders(headers: Record<string, string> | undefined): string | null {
  const kept = Object.entries(headers ?? {}).filter(([k]) => REPLAYED_HEADERS.includes(k.toLowerCase()));
  return kept.length ? JSON.stringify(Object.fromEntries(kept)) : null;
}

/**
 * Whose retries these are. A caller without a credential has no identity to keep records under, except the
 * keyless operator where the deployment has one.
 */
function scopeOf(ctx: Context): string | null {
  const p = ctx.principal;
  switch (p.kind) {
    case 'session':
      return `user:${p.orgId}:${p.userId}`;
    case 'api_key':
      return `api_key:${p.orgId}:${p.keyId}`;
    case 'scim':
      return `scim:${p.orgId}:${p.tokenId}`;
    case 'admin':
      return `operator:${p.keyId ?? 'keyless'}`;
    case 'anonymous':
      return ctx.auth.operatorWithoutKey ? 'operator:keyless' : null;
  }
}

/**
 * The answer without the secrets it revealed. Only top-level fields: every REST answer that reveals one puts it
 * there, and deeper down a field named token or password is the caller's own data (a connector's option, a JSON
 * Schema), which a replay must give back as it was.
 */
export function withoutRestSecrets(value: unknown): unknown {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).filter(([k]) => !REST_SECRET_FIELDS.has(k)));
}

export class IdempotencyRule {
  private readonly fingerprintKey: Buffer;

  /** The fingerprint key is derived from ENCRYPTION_KEY: bodies may hold passwords, so no bare digest of them is kept. */
  constructor(
    private readonly store: IdempotencyService,
    encryptionKey: Buffer,
  ) {
    this.fingerprintKey = deriveKey(encryptionKey, 'idempotency-fingerprint');
  }

  fingerprint(route: string, request: unknown): string {
    return createHmac('sha256', this.fingerprintKey).update(`${route}\n${canonicalJson(request)}`).digest('hex');
  }

  /** `strip` removes from an answer every secret it revealed; only what it leaves is kept. */
  async begin(header: string | undefined, ctx: Context, route: string, request: unknown, strip: (answer: unknown) => unknown): Promise<Attempt> {
    if (header === undefined) return { kind: 'none' };
    if (!KEY.test(header)) throw new InvalidInput('must be 1 to 255 visible ASCII characters', 'Idempotency-Key');
    const scope = scopeOf(ctx);
    if (scope === null) return { kind: 'none' };
    const claim = await this.store.claim(scope, header, route, this.fingerprint(route, request));
    if (claim.kind === 'replay') {
      return { kind: 'replay', status: claim.status, body: JSON.parse(claim.body), headers: claim.headers ? (JSON.parse(claim.headers) as Record<string, string>) : {} };
    }
    return {
      kind: 'first',
      // Only a success is kept, and never one that set a cookie: a replay could not give the cookie back.
      finish: (status, body, headers) =>
        status < 300 && ctx.cookies.length === 0
          ? claim.complete(status, JSON.stringify(strip(JSON.parse(JSON.stringify(body ?? null)))), replayedHeaders(headers))
          : claim.release(),
      abandon: claim.release,
    };
  }
}
