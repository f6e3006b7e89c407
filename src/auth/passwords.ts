import { hash, verify, Algorithm } from '@node-rs/argon2';
import { dictionary } from '@zxcvbn-ts/language-common';
import { InvalidInput } from '../domain/errors.js';

// OWASP's argon2id baseline (19 MiB, 2 passes); the PHC string records them, so raising them later
// still verifies old hashes.
const PARAMS = { algorithm: Algorithm.Argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;

const COMMON = new Set(
  (dictionary['passwords-common'] as string[]).filter((p) => p.length >= PASSWORD_MIN).map((p) => p.toLowerCase()),
);

/** Throws InvalidInput naming the field when the password breaks a rule. */
export function checkPasswordPolicy(password: string, field = 'password'): void {
  const length = [...password].length;
  if (length < PASSWORD_MIN) throw new InvalidInput(`must be at least ${PASSWORD_MIN} characters`, field);
  if (length > PASSWORD_MAX) throw new InvalidInput(`must be at most ${PASSWORD_MAX} characters`, field);
  if (COMMON.has(password.toLowerCase())) {
    throw new InvalidInput('is one of the most common passwords; choose another', field);
  }
}

export function hashPassword(password: string): Promise<string> {
  return hash(password.normalize('NFC'), PARAMS);
}

// A real hash of a random password: verifying against it costs what a real check costs, so an unknown
// org or user answers in the same time as a wrong password.
let dummy: Promise<string> | null = null;
function dummyHash(): Promise<string> {
  dummy ??= hash(crypto.randomUUID(), PARAMS);
  return dummy;
}

export async function verifyPassword(stored: string | null, password: string): Promise<boolean> {
  const target = stored ?? (await dummyHash());
  try {
    const ok = await verify(target, password.normalize('NFC'));
    return ok && stored !== null;
  } catch {
    return false;
  }
}

export function warmPasswordHasher(): Promise<unknown> {
  return dummyHash();
}
