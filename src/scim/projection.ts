import { badRequest } from './errors.js';

type Json = Record<string, unknown>;

const ALWAYS = new Set(['schemas', 'id']);
const CORE_URN = /^urn:ietf:params:scim:schemas:core:2\.0:(user|group):/i;

/** One requested attribute path, split into lower-cased steps: [urn?, attribute, sub-attribute?]. */
function steps(path: string, extensions: readonly string[]): string[] {
  const lower = path.trim().toLowerCase();
  for (const urn of extensions) {
    const u = urn.toLowerCase();
    if (lower === u) return [urn];
    if (lower.startsWith(`${u}:`)) return [urn, ...lower.slice(u.length + 1).split('.')];
  }
  return lower.replace(CORE_URN, '').split('.');
}

function find(obj: Json, key: string): string | undefined {
  const lower = key.toLowerCase();
  return Object.keys(obj).find((k) => k.toLowerCase() === lower);
}

export function parseAttributeList(value: unknown, name: string): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value !== 'string' && !Array.isArray(value)) throw badRequest(`${name} must be a comma-separated string or a list of attribute names`);
  const list: unknown[] = Array.isArray(value) ? value : value.split(',');
  if (list.some((x) => typeof x !== 'string')) throw badRequest(`${name} must be a list of attribute names`);
  const out = (list as string[]).map((x) => x.trim()).filter((x) => x !== '');
  if (out.length > 100 || out.some((x) => x.length > 256)) throw badRequest(`${name} lists too many or too long attribute names`);
  return out;
}

/**
 * `attributes` and `excludedAttributes` (RFC 7644 §3.4.2.5) over a rendered resource: `id` and `schemas` are
 * always returned; names are case-insensitive and may be URN-qualified or name a sub-attribute.
 */
export function project(resource: Json, attributes: string[], excluded: string[], extensions: readonly string[]): Json {
  if (attributes.length > 0) {
    const out: Json = {};
    for (const key of Object.keys(resource)) if (ALWAYS.has(key)) out[key] = resource[key];
    for (const path of attributes) copy(resource, out, steps(path, extensions));
    return out;
  }
  if (excluded.length > 0) {
    const out: Json = structuredClone(resource);
    for (const path of excluded) remove(out, steps(path, extensions));
    return out;
  }
  return resource;
}

function copy(from: Json, to: Json, path: string[]): void {
  const key = find(from, path[0]);
  if (key === undefined) return;
  const value = from[key];
  if (path.length === 1) {
    to[key] = value;
    return;
  }
  if (Array.isArray(value)) {
    // A sub-attribute of a multi-valued attribute: that sub-attribute of every value.
    const existing = Array.isArray(to[key]) ? (to[key] as Json[]) : value.map(() => ({}));
    value.forEach((item, i) => item && typeof item === 'object' && copy(item as Json, existing[i], path.slice(1)));
    to[key] = existing;
    return;
  }
  if (value && typeof value === 'object') {
    const target = (to[key] && typeof to[key] === 'object' ? to[key] : {}) as Json;
    copy(value as Json, target, path.slice(1));
    to[key] = target;
  }
}

function remove(obj: Json, path: string[]): void {
  const key = find(obj, path[0]);
  if (key === undefined || (path.length === 1 && ALWAYS.has(key))) return;
  if (path.length === 1) {
    delete obj[key];
    return;
  }
  const value = obj[key];
  if (Array.isArray(value)) for (const item of value) item && typeof item === 'object' && remove(item as Json, path.slice(1));
  else if (value && typeof value === 'object') remove(value as Json, path.slice(1));
}

/** Whether a projection leaves `attribute` (top level) in the answer: members are not read otherwise. */
export function wants(attribute: string, attributes: string[], excluded: string[]): boolean {
  const a = attribute.toLowerCase();
  if (attributes.length > 0) return attributes.some((p) => steps(p, [])[0] === a);
  return !excluded.some((p) => {
    const path = steps(p, []);
    return path.length === 1 && path[0] === a;
  });
}
