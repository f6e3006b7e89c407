import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

// axon_<16 hex public id>_<43 base64url secret: 256 bits><6 base62 CRC-32>
// The public id finds the row without scanning; the checksum tells a mistyped or truncated key from a
// revoked one without touching the database (the idea GitHub's token format made common).
const FORMAT = /^axon_([0-9a-f]{16})_([A-Za-z0-9_-]{43})([0-9A-Za-z]{6})$/;
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

export function newApiKeySecret(): { publicId: string; key: string } {
  const publicId = randomBytes(8).toString('hex');
  const body = `axon_${publicId}_${randomBytes(32).toString('base64url')}`;
  return { publicId, key: body + checksum(body) };
}

export type ParsedKey = { ok: true; publicId: string } | { ok: false; reason: string };

export function parseApiKey(key: string): ParsedKey {
  const m = FORMAT.exec(key);
  if (!m) {
    return { ok: false, reason: key.startsWith('axon_') ? 'the key is malformed or truncated (an AxonFlow key is axon_, 16 hex digits, _ and 49 more characters)' : 'not an AxonFlow API key (expected axon_...)' };
  }
  const body = key.slice(0, -6);
  if (checksum(body) !== m[3]) return { ok: false, reason: 'the key checksum does not match: it was mistyped or truncated' };
  return { ok: true, publicId: m[1] };
}

export function keyRecordId(publicId: string): string {
  return `key_${publicId}`;
}

export function keyDisplayPrefix(publicId: string): string {
  return `axon_${publicId}`;
}
