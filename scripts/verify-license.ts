// Offline license check for customers and support: needs only the published public key.
// Usage: node dist/scripts/verify-license.js --public-key FILE LICENSE_KEY|-
// Exit codes: 0 valid or expiring, 1 expired or invalid, 2 usage/configuration error.
import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { readFileSync, realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { licenseStatus, verifyLicense, type LicensePayload } from '../src/licenses/license-format.js';

export interface VerifyOutput {
  valid: boolean;
  status: 'valid' | 'expiring' | 'expired' | 'invalid';
  daysRemaining?: number;
  reason?: string;
  payload?: LicensePayload;
}

const USAGE = 'usage: verify-license --public-key FILE.pem|FILE.json LICENSE_KEY   (use - to read the key from stdin)';

/** Accepts a SPKI PEM, the server's `{pem, jwk}` document, `{jwk}`, or a bare JWK. Throws on anything else. */
export function parsePublicKey(text: string): KeyObject {
  const trimmed = text.trim();
  let key: KeyObject;
  if (trimmed.startsWith('{')) {
    const doc = JSON.parse(trimmed) as { pem?: unknown; jwk?: unknown; kty?: unknown };
    if (typeof doc.pem === 'string') key = createPublicKey(doc.pem);
    else if (doc.jwk && typeof doc.jwk === 'object') key = createPublicKey({ key: doc.jwk as JsonWebKey, format: 'jwk' });
    else if (typeof doc.kty === 'string') key = createPublicKey({ key: doc as JsonWebKey, format: 'jwk' });
    else throw new Error('public key JSON has neither a "pem" nor a "jwk" field');
  } else {
    key = createPublicKey(trimmed);
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new Error(`public key must be Ed25519, got ${key.asymmetricKeyType}`);
  }
  return key;
}

/** Throws only when the public key is unusable; license problems are reported in the result. */
export function verifyFromFiles(publicKeyText: string, license: string, now: Date): VerifyOutput {
  const result = verifyLicense(license.trim(), parsePublicKey(publicKeyText));
  if (!result.ok) return { valid: false, status: 'invalid', reason: result.reason };
  const { status, daysRemaining } = licenseStatus(result.payload, now);
  return {
    valid: status !== 'expired',
    status,
    daysRemaining,
    ...(status === 'expired' ? { reason: `license expired at ${result.payload.expires_at}` } : {}),
    payload: result.payload,
  };
}

function parseArgs(argv: string[]): { publicKeyFile: string; license: string } | string {
  let publicKeyFile: string | undefined;
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--public-key') publicKeyFile = argv[++i];
    else if (arg.startsWith('--public-key=')) publicKeyFile = arg.slice('--public-key='.length);
    else if (arg === '-' || !arg.startsWith('-')) positional.push(arg);
    else return `unknown option ${arg}`;
  }
  if (!publicKeyFile) return 'missing --public-key FILE';
  if (positional.length !== 1) return 'expected exactly one LICENSE_KEY argument (or -)';
  return { publicKeyFile, license: positional[0] };
}

export function main(argv: string[] = process.argv.slice(2)): number {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    console.error(`${args}\n${USAGE}`);
    return 2;
  }
  let output: VerifyOutput;
  try {
    const license = args.license === '-' ? readFileSync(0, 'utf8') : args.license;
    output = verifyFromFiles(readFileSync(args.publicKeyFile, 'utf8'), license, new Date());
  } catch (err) {
    console.error(`cannot verify: ${(err as Error).message}`);
    return 2;
  }
  console.log(JSON.stringify(output, null, 2));
  if (!output.valid) console.error(output.reason);
  return output.valid ? 0 : 1;
}

function invokedDirectly(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(entry)).href;
  } catch {
    return false;
  }
}

if (invokedDirectly()) process.exitCode = main();
