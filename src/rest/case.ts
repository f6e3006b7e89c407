import { InvalidInput } from '../domain/errors.js';

// REST speaks snake_case, GraphQL camelCase: the adapter converts keys at the edge, and only keys.

export function toCamel(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

export function toSnake(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

export const MAX_BODY_DEPTH = 32;

/**
 * Converts a parsed body's keys; refuses nesting no real request needs (it would only cost stack). Values under
 * an `opaque` key (free-form JSON the caller owns: provider settings, a policy's sample context) keep their keys.
 */
export function camelKeys(value: unknown, depth = 0, opaque?: ReadonlySet<string>): unknown {
  if (depth > MAX_BODY_DEPTH) throw new InvalidInput(`the body nests deeper than ${MAX_BODY_DEPTH} levels`);
  if (Array.isArray(value)) return value.map((v) => camelKeys(v, depth + 1, opaque));
  if (isPlainObject(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [toCamel(k), opaque?.has(k) ? verbatim(v, depth + 1) : camelKeys(v, depth + 1, opaque)]),
    );
  }
  return value;
}

function verbatim(value: unknown, depth: number): unknown {
  if (depth > MAX_BODY_DEPTH) throw new InvalidInput(`the body nests deeper than ${MAX_BODY_DEPTH} levels`);
  if (Array.isArray(value)) value.forEach((v) => verbatim(v, depth + 1));
  else if (isPlainObject(value)) for (const v of Object.values(value)) verbatim(v, depth + 1);
  return value;
}

// Every response converts the same few dozen field names: each is converted once. Bounded in number and
// length, since a key may also come from stored data.
const snakeNames = new Map<string, string>();
function snakeName(key: string): string {
  let name = snakeNames.get(key);
  if (name === undefined) {
    name = toSnake(key);
    if (snakeNames.size < 2000 && key.length <= 64) snakeNames.set(key, name);
  }
  return name;
}

/** Keys to snake_case; values under an `opaque` (snake_case) key are the caller's own JSON and stay as they are. */
export function snakeKeys(value: unknown, opaque?: ReadonlySet<string>): unknown {
  if (Array.isArray(value)) return value.map((v) => snakeKeys(v, opaque));
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const name = snakeName(key);
    const converted = opaque?.has(name) ? value[key] : snakeKeys(value[key], opaque);
    // A stored "__proto__" key stays a key, as Object.fromEntries would keep it.
    if (name === '__proto__') Object.defineProperty(out, name, { value: converted, enumerable: true, writable: true, configurable: true });
    else out[name] = converted;
  }
  return out;
}
