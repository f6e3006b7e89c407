import { createHash, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/** 256 random bits, base64url: session tokens and other bearer secrets. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** Constant-time equality of two secrets of any length (compares their digests). */
export function secretsEqual(a: string, b: string): boolean {
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db);
}


/**
 * A key for one purpose, derived from ENCRYPTION_KEY (HKDF-SHA256): fingerprints and ids keyed this way cannot
 * be recomputed by anyone who reads them, and one purpose's key says nothing of another's.
 */
export function deriveKey(root: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', root, '', `axonflow/${purpose}/v1`, 32));
}
