import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

// <prefix>_<16 hex public id>_<43 base64url secret: 256 bits><6 base62 CRC-32>
// The public id finds the row without scanning; the checksum tells a mistyped or truncated token from a
// revoked one without touching the database (the idea GitHub's token format made common). API keys (axon_)
// and SCIM tokens (scim_) share the format and differ in prefix only.
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function checksum(body: string): string {
  let n = crc32(body);
  let out = '';
  for (let i = 0; i < 6; i++) {
    out = BASE62[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

export type ParsedToken = { ok: true; publicId: string } | { ok: false; reason: string };

export class TokenFormat {
  private readonly pattern: RegExp;

  constructor(
    private readonly prefix: string,
    /** The record id prefix: key_, sct_. */
    private readonly recordPrefix: string,
    /** How a message names the token: "key", "SCIM token". */
    private readonly noun: string,
    /** How a message names what is expected: "API key", "SCIM token". */
    private readonly kind: string,
  ) {
    this.pattern = new RegExp(`^${prefix}_([0-9a-f]{16})_([A-Za-z0-9_-]{43})([0-9A-Za-z]{6})$`);
  }

  newSecret(): { publicId: string; secret: string } {
    const publicId = randomBytes(8).toString('hex');
    const body = `${this.prefix}_${publicId}_${randomBytes(32).toString('base64url')}`;
    return { publicId, secret: body + checksum(body) };
  }

  parse(secret: string): ParsedToken {
    const m = this.pattern.exec(secret);
    if (!m) {
      return {
        ok: false,
        reason: secret.startsWith(`${this.prefix}_`)
          ? `the ${this.noun} is malformed or truncated (an AxonFlow ${this.noun} is ${this.prefix}_, 16 hex digits, _ and 49 more characters)`
          : `not an AxonFlow ${this.kind} (expected ${this.prefix}_...)`,
      };
    }
    if (checksum(secret.slice(0, -6)) !== m[3]) {
      return { ok: false, reason: `the ${this.noun} checksum does not match: it was mistyped or truncated` };
    }
    return { ok: true, publicId: m[1] };
  }

  recordId(publicId: string): string {
    return `${this.recordPrefix}_${publicId}`;
  }

  displayPrefix(publicId: string): string {
    return `${this.prefix}_${publicId}`;
  }
}

export const API_KEY_FORMAT = new TokenFormat('axon', 'key', 'key', 'API key');
export const SCIM_TOKEN_FORMAT = new TokenFormat('scim', 'sct', 'SCIM token', 'SCIM token');
