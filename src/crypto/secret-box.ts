import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Secrets kept at rest (an OIDC client secret, later provider keys): AES-256-GCM under ENCRYPTION_KEY.
 * A sealed value is `v1.<key id>.<iv>.<ciphertext+tag>` (base64url): the key id says which key sealed it, so
 * keys listed in ENCRYPTION_KEYS_PREVIOUS still open what they sealed until `npm run rotate-secrets` has
 * re-sealed it under the current key. `context` (table and column) is bound as associated data: a sealed
 * value copied into another column does not open there.
 */
const VERSION = 'v1';

export class SecretBoxError extends Error {}

interface Key {
  id: string;
  key: Buffer;
}

/** A key's public name: the first 8 bytes of SHA-256 over a label and the key, hex. Reveals nothing usable. */
export function keyId(key: Buffer): string {
  return createHash('sha256').update('axonflow secret-box key id\0').update(key).digest('hex').slice(0, 16);
}

export class SecretBox {
  private readonly current: Key;
  private readonly byId: Map<string, Key>;

  constructor(currentKey: Buffer, previousKeys: Buffer[] = []) {
    for (const k of [currentKey, ...previousKeys]) {
      if (k.length !== 32) throw new SecretBoxError('encryption keys are 32 bytes');
    }
    this.current = { id: keyId(currentKey), key: currentKey };
    this.byId = new Map([this.current, ...previousKeys.map((key) => ({ id: keyId(key), key }))].map((k) => [k.id, k]));
  }

  get currentKeyId(): string {
    return this.current.id;
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    cipher.setAAD(Buffer.from(context));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return [VERSION, this.current.id, iv.toString('base64url'), body.toString('base64url')].join('.');
  }

  open(sealed: string, context: string): string {
    const [version, id, ivText, bodyText, ...rest] = sealed.split('.');
    if (version !== VERSION || !id || !ivText || !bodyText || rest.length > 0) throw new SecretBoxError('not a sealed secret');
    const key = this.byId.get(id);
    if (!key) {
      throw new SecretBoxError(`sealed under key ${id}, which is neither ENCRYPTION_KEY nor listed in ENCRYPTION_KEYS_PREVIOUS`);
    }
    const body = Buffer.from(bodyText, 'base64url');
    const iv = Buffer.from(ivText, 'base64url');
    if (body.length < 16 || iv.length !== 12) throw new SecretBoxError('not a sealed secret');
    const decipher = createDecipheriv('aes-256-gcm', key.key, iv);
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(body.subarray(body.length - 16));
    try {
      return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretBoxError('the sealed secret does not open: altered, or sealed for another place');
    }
  }

  /** Whether a sealed value was sealed under an older key (what rotate-secrets re-seals). */
  isStale(sealed: string): boolean {
    return sealed.split('.')[1] !== this.current.id;
  }
}
