// License key wire format: `AXON-{base64url(JSON payload)}.{base64url(Ed25519 signature)}`.
// Pure module: no I/O, only node:crypto, so the same code runs in the API and the offline CLI.
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';

export type LicenseTier = 'DEVELOPER' | 'PROFESSIONAL' | 'ENTERPRISE' | 'PLUS';

// snake_case on purpose: this is the signed JSON as it travels, not a domain object.
export interface LicensePayload {
  license_id: string;
  tier: LicenseTier;
  org_id: string;
  permissions: string[];
  max_nodes: number;
  issued_at: string;
  expires_at: string;
  aud: string;
}

export type VerifyResult = { ok: true; payload: LicensePayload } | { ok: false; reason: string };

export const LICENSE_AUDIENCE = 'axonflow-enterprise';
export const LICENSE_PREFIX = 'AXON-';
export const MAX_LICENSE_KEY_LENGTH = 8 * 1024;

const TIERS: readonly LicenseTier[] = ['DEVELOPER', 'PROFESSIONAL', 'ENTERPRISE', 'PLUS'];
const DAY_MS = 86_400_000;
const EXPIRING_WINDOW_MS = 30 * DAY_MS;
const ED25519_SIGNATURE_BYTES = 64;
const BASE64URL_RE = /^[A-Za-z0-9_-]*$/;
const ISO_UTC_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

// Node's base64url decoder silently skips junk and ignores trailing bits; accepting that would
// let several distinct key strings map to one license, so only the canonical spelling passes.
function decodeBase64UrlStrict(text: string): Buffer | null {
  if (text.length === 0 || !BASE64URL_RE.test(text)) return null;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : null;
}

function isIsoUtc(value: unknown): value is string {
  return typeof value === 'string' && ISO_UTC_RE.test(value) && !Number.isNaN(Date.parse(value))
    && new Date(value).toISOString() === value; // rejects 2026-02-31 style rollovers
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

// Returns the first problem found, or null. Shared by sign and verify so the issuer can never
// mint a key that its own verifier would reject.
function payloadProblem(p: Record<string, unknown>): string | null {
  if (!isNonEmptyString(p.license_id)) return 'payload field license_id is not a non-empty string';
  if (typeof p.tier !== 'string' || !TIERS.includes(p.tier as LicenseTier)) {
    return `payload field tier is not one of ${TIERS.join(', ')}`;
  }
  if (!isNonEmptyString(p.org_id)) return 'payload field org_id is not a non-empty string';
  if (!Array.isArray(p.permissions) || !p.permissions.every((x) => typeof x === 'string')) {
    return 'payload field permissions is not an array of strings';
  }
  if (typeof p.max_nodes !== 'number' || !Number.isSafeInteger(p.max_nodes) || p.max_nodes < 0) {
    return 'payload field max_nodes is not a non-negative integer';
  }
  if (!isIsoUtc(p.issued_at)) return 'payload field issued_at is not an ISO-8601 UTC timestamp';
  if (!isIsoUtc(p.expires_at)) return 'payload field expires_at is not an ISO-8601 UTC timestamp';
  if (Date.parse(p.expires_at) <= Date.parse(p.issued_at)) {
    return 'payload field expires_at is not after issued_at';
  }
  if (!isNonEmptyString(p.aud)) return 'payload field aud is not a non-empty string';
  return null;
}

// Fixed field order and no unknown fields, so re-signing the same payload is byte-identical.
function canonicalPayload(p: LicensePayload): LicensePayload {
  return {
    license_id: p.license_id,
    tier: p.tier,
    org_id: p.org_id,
    permissions: [...p.permissions],
    max_nodes: p.max_nodes,
    issued_at: p.issued_at,
    expires_at: p.expires_at,
    aud: p.aud,
  };
}

function assertEd25519(key: KeyObject, what: string): void {
  if (key?.asymmetricKeyType !== 'ed25519') {
    throw new TypeError(`${what} must be an Ed25519 key (got ${key?.asymmetricKeyType ?? typeof key})`);
  }
}

export function signLicense(payload: LicensePayload, privateKey: KeyObject): string {
  assertEd25519(privateKey, 'license signing key');
  if (privateKey.type !== 'private') throw new TypeError('license signing key must be a private key');
  const problem = payloadProblem(payload as unknown as Record<string, unknown>);
  if (problem) throw new Error(`cannot sign license: ${problem}`);
  const body = Buffer.from(JSON.stringify(canonicalPayload(payload)), 'utf8').toString('base64url');
  const signature = sign(null, Buffer.from(body, 'ascii'), privateKey).toString('base64url');
  return `${LICENSE_PREFIX}${body}.${signature}`;
}

/**
 * Never throws for any license string; a misconfigured verification key is a deployment bug
 * and throws, so it cannot masquerade as "every customer's license is invalid".
 */
export function verifyLicense(
  licenseKey: string,
  publicKey: KeyObject,
  opts: { audience?: string } = {},
): VerifyResult {
  assertEd25519(publicKey, 'license verification key');
  const fail = (reason: string): VerifyResult => ({ ok: false, reason });

  if (typeof licenseKey !== 'string') return fail('malformed: license key is not a string');
  if (licenseKey.length > MAX_LICENSE_KEY_LENGTH) return fail('malformed: license key exceeds 8 KiB');
  if (!licenseKey.startsWith(LICENSE_PREFIX)) return fail('malformed: missing AXON- prefix');
  const parts = licenseKey.slice(LICENSE_PREFIX.length).split('.');
  if (parts.length !== 2) return fail('malformed: expected exactly one "." separator');
  const [body, sigText] = parts;
  const bodyBytes = decodeBase64UrlStrict(body);
  if (!bodyBytes) return fail('malformed: payload is not canonical base64url');
  const sigBytes = decodeBase64UrlStrict(sigText);
  if (!sigBytes || sigBytes.length !== ED25519_SIGNATURE_BYTES) {
    return fail('malformed: signature is not a 64-byte canonical base64url value');
  }

  // Authenticate before parsing so untrusted bytes never reach JSON.parse.
  let authentic = false;
  try {
    authentic = verify(null, Buffer.from(body, 'ascii'), publicKey, sigBytes);
  } catch {
    authentic = false;
  }
  if (!authentic) return fail('signature does not verify');

  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bodyBytes));
  } catch {
    return fail('payload is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return fail('payload is not a JSON object');
  }
  const problem = payloadProblem(parsed as Record<string, unknown>);
  if (problem) return fail(problem);
  const payload = canonicalPayload(parsed as LicensePayload);
  if (payload.aud !== (opts.audience ?? LICENSE_AUDIENCE)) return fail('audience mismatch');
  return { ok: true, payload };
}

export function licenseStatus(
  payload: LicensePayload,
  now: Date,
): { status: 'valid' | 'expiring' | 'expired'; daysRemaining: number } {
  const remaining = Date.parse(payload.expires_at) - now.getTime();
  if (Number.isNaN(remaining)) throw new RangeError('licenseStatus needs a valid date and expires_at');
  if (remaining <= 0) return { status: 'expired', daysRemaining: 0 };
  return {
    status: remaining < EXPIRING_WINDOW_MS ? 'expiring' : 'valid',
    daysRemaining: Math.ceil(remaining / DAY_MS),
  };
}

// Enough to tell keys apart in a UI or log line without exposing the whole bearer credential.
export function keyPrefix(licenseKey: string): string {
  return licenseKey.slice(0, 16);
}

export function publicKeyDocument(publicKey: KeyObject): { pem: string; jwk: JsonWebKey } {
  assertEd25519(publicKey, 'license public key');
  // Accepting the private key too avoids callers deriving it themselves; only public parts leave.
  const pub = publicKey.type === 'private' ? createPublicKey(publicKey) : publicKey;
  const pem = pub.export({ type: 'spki', format: 'pem' }) as string;
  const { kty, crv, x } = pub.export({ format: 'jwk' });
  const raw = Buffer.from(x as string, 'base64url');
  const kid = createHash('sha256').update(raw).digest().subarray(0, 16).toString('base64url');
  return { pem, jwk: { kty, crv, x, use: 'sig', alg: 'EdDSA', kid } };
}

/** Accepts a PKCS#8 PEM, or that PEM base64-encoded on one line (env vars cannot hold newlines well). */
export function loadSigningKey(pemOrBase64: string): KeyObject {
  const text = String(pemOrBase64 ?? '').trim();
  if (text.length === 0) throw new Error('license signing key is empty');
  const pem = text.includes('-----BEGIN')
    ? text
    : Buffer.from(text.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (!pem.includes('-----BEGIN')) {
    throw new Error('license signing key is neither a PEM nor a base64-encoded PEM');
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch (err) {
    throw new Error(`license signing key is not a readable PEM private key: ${(err as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new Error(`license signing key must be an Ed25519 private key, got ${key.asymmetricKeyType}`);
  }
  return key;
}

export function generateSigningKeyPem(): string {
  const { privateKey } = generateKeyPairSync('ed25519');
  return privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
}
