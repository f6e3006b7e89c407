/**
 * Turns what an identity provider sends (POST/PUT bodies, and PATCH results) into the one canonical document we
 * store: canonical attribute names, typed values, nothing read-only, `schemas` computed. Everything is driven by
 * the definitions in schemas.ts, so an attribute added there is accepted here without further code.
 */
import { type InputFault, InvalidInput } from '../domain/errors.js';
import { type AttributeDef, COMMON, findAttribute, GROUP_TYPE, type ResourceTypeDef, type SchemaDef } from './schemas.js';

export type ScimDocument = Record<string, unknown>;

const MAX_VALUES = 100;
const MAX_STRING = 2048;
const MAX_DOCUMENT_BYTES = 64 * 1024;
export const MAX_MEMBERS = 10_000;

export function fail(message: string, fault: InputFault): never {
  throw new InvalidInput(message, undefined, undefined, fault);
}

/** The caller's input, short enough for a message. */
export function quote(value: unknown): string {
  if (typeof value === 'string') return value.length > 60 ? `${JSON.stringify(value.slice(0, 60))}…` : JSON.stringify(value);
  if (Array.isArray(value)) return 'a list';
  if (value !== null && typeof value === 'object') return 'an object';
  return String(value);
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `null` and `""` mean "no value" in SCIM: the attribute is cleared. */
export function isClearing(value: unknown): boolean {
  return value === null || value === '' || value === undefined;
}

/** The entry of `obj` whose key equals `name` case-insensitively. */
export function entry(obj: Record<string, unknown>, name: string): [string, unknown] | undefined {
  const lower = name.toLowerCase();
  return Object.entries(obj).find(([k]) => k.toLowerCase() === lower);
}

/** The attributes a resource's core part may hold: its schema's plus id/externalId/meta. */
export function coreAttributes(type: ResourceTypeDef): AttributeDef[] {
  return [...type.schema.attributes, ...COMMON];
}

/** Splits a URN-qualified key into the known schema it names and the attribute after it ('' for the schema itself). */
export function splitUrn(type: ResourceTypeDef, key: string): { schema: SchemaDef; rest: string } | undefined {
  const lower = key.toLowerCase();
  for (const schema of [type.schema, ...type.extensions]) {
    const id = schema.id.toLowerCase();
    if (lower === id) return { schema, rest: '' };
    if (lower.startsWith(`${id}:`)) return { schema, rest: key.slice(id.length + 1) };
  }
  return undefined;
}

/** At most one value keeps `primary: true`: `preferred` when it has it, else the first that does. */
export function exclusivePrimary(items: Record<string, unknown>[], preferred?: Record<string, unknown>): void {
  const winner = preferred?.primary === true ? preferred : items.find((i) => i.primary === true);
  if (!winner) return;
  for (const item of items) if (item !== winner && item.primary === true) item.primary = false;
}

/** One value of `def`, typed; `undefined` when it clears. Ignores `multiValued`: callers pass one item at a time. */
export function coerceOne(def: AttributeDef, value: unknown, where: string): unknown {
  if (isClearing(value)) return undefined;
  switch (def.type) {
    case 'complex':
      return coerceComplex(def, value, where);
    case 'boolean':
      if (typeof value === 'boolean') return value;
      // Entra sends booleans as "True"/"False".
      if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
      return fail(`${where} must be true or false, got ${quote(value)}`, 'value');
    case 'integer':
    case 'decimal':
      if (typeof value === 'number' && Number.isFinite(value) && (def.type === 'decimal' || Number.isInteger(value))) return value;
      return fail(`${where} must be a${def.type === 'integer' ? 'n integer' : ' number'}, got ${quote(value)}`, 'value');
    default: {
      // IdPs map numeric source fields (employeeNumber) straight through.
      const text = def.type === 'string' && typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
      if (typeof text !== 'string') return fail(`${where} must be a string, got ${quote(value)}`, 'value');
      // PostgreSQL text cannot hold NUL (a server error there, stored on SQLite): refused on both.
      if (text.includes('\u0000')) fail(`${where} must not contain a NUL character`, 'value');
      if (text.length > MAX_STRING) fail(`${where} is ${text.length} characters long; at most ${MAX_STRING} are kept`, 'value');
      if (def.type === 'dateTime' && Number.isNaN(Date.parse(text))) {
        fail(`${where} must be a date and time such as "2024-05-01T12:00:00Z", got ${quote(value)}`, 'value');
      }
      return text;
    }
  }
}

function coerceComplex(def: AttributeDef, value: unknown, where: string): Record<string, unknown> | undefined {
  const subs = def.subAttributes ?? [];
  let raw = value;
  // Entra sends the enterprise manager as the bare id.
  if (!def.multiValued && typeof raw === 'string' && findAttribute(subs, 'value')) raw = { value: raw };
  if (!isObject(raw)) return fail(`${where} must be an object of sub-attributes, got ${quote(value)}`, 'value');
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(raw)) {
    const sub = findAttribute(subs, key);
    if (!sub || sub.mutability === 'readOnly') continue;
    const typed = coerceOne(sub, v, `${where}.${sub.name}`);
    if (typed !== undefined) out[sub.name] = typed;
  }
  return Object.keys(out).length ? out : undefined;
}

/** A whole attribute's value, typed; `undefined` when it clears (null, "", [] or only empty items). */
export function coerceAttribute(def: AttributeDef, value: unknown, where: string): unknown {
  if (isClearing(value)) return undefined;
  if (!def.multiValued) return coerceOne(def, value, where);
  if (!Array.isArray(value) && !isObject(value)) {
    fail(`${where} must be a list of objects such as [{"value": "…"}], got ${quote(value)}`, 'value');
  }
  const list: unknown[] = Array.isArray(value) ? value : [value];
  if (list.length > MAX_VALUES) fail(`${where} has ${list.length} values; at most ${MAX_VALUES} are kept`, 'tooMany');
  const items: Record<string, unknown>[] = [];
  list.forEach((v, i) => {
    const typed = coerceOne(def, v, `${where}[${i}]`);
    if (typed !== undefined) items.push(typed as Record<string, unknown>);
  });
  exclusivePrimary(items);
  return items.length ? items : undefined;
}

export function normalizeResource(type: ResourceTypeDef, body: unknown): ScimDocument {
  if (!isObject(body)) fail(`The request body must be a JSON object holding the ${type.name}'s attributes`, 'syntax');
  const defs = coreAttributes(type);
  const core: ScimDocument = {};
  const extensions = new Map<SchemaDef, ScimDocument>();
  const custom: ScimDocument = {};

  const put = (target: ScimDocument, def: AttributeDef | undefined, value: unknown, where: string) => {
    if (!def || def.mutability === 'readOnly') return;
    // Members live in their own table; membersOf reads them.
    if (type === GROUP_TYPE && def.name === 'members') return;
    const typed = coerceAttribute(def, value, where);
    if (typed === undefined) delete target[def.name];
    else target[def.name] = typed;
  };
  const extension = (schema: SchemaDef) => {
    let doc = extensions.get(schema);
    if (!doc) extensions.set(schema, (doc = {}));
    return doc;
  };

  for (const [key, value] of Object.entries(body)) {
    if (!/^urn:/i.test(key)) {
      put(core, findAttribute(defs, key), value, key);
      continue;
    }
    const split = splitUrn(type, key);
    if (!split) {
      // An extension we do not know: given back as it came.
      if (!isClearing(value)) custom[key] = value;
      continue;
    }
    const isCore = split.schema === type.schema;
    const attrs = isCore ? defs : split.schema.attributes;
    const target = isCore ? core : extension(split.schema);
    if (split.rest) {
      put(target, findAttribute(attrs, split.rest), value, key);
    } else if (isObject(value)) {
      for (const [k, v] of Object.entries(value)) put(target, findAttribute(attrs, k), v, `${split.schema.id}:${k}`);
    } else if (isClearing(value)) {
      if (!isCore) extensions.delete(split.schema);
    } else {
      fail(`${split.schema.id} must be an object of that schema's attributes, got ${quote(value)}`, 'value');
    }
  }

  const required = type === GROUP_TYPE ? 'displayName' : 'userName';
  const main = core[required];
  if (typeof main !== 'string' || !main.trim()) {
    fail(`${required} is required: a ${type.name} must have a non-empty ${required}`, 'value');
  }

  const schemas = [type.schema.id];
  const doc: ScimDocument = { schemas, ...core };
  for (const schema of type.extensions) {
    const ext = extensions.get(schema);
    if (ext && Object.keys(ext).length) {
      schemas.push(schema.id);
      doc[schema.id] = ext;
    }
  }
  for (const [key, value] of Object.entries(custom)) {
    if (isObject(value)) schemas.push(key);
    doc[key] = value;
  }

  let size: number;
  try {
    size = Buffer.byteLength(JSON.stringify(doc));
  } catch {
    return fail(`The ${type.name} is nested too deeply to store`, 'value');
  }
  if (size > MAX_DOCUMENT_BYTES) {
    fail(`The ${type.name} takes ${size} bytes; at most ${MAX_DOCUMENT_BYTES} are stored: send fewer or shorter attributes`, 'value');
  }
  return doc;
}

/** Member ids of a list of member values ([{value}], as Okta and Entra send them, `$ref`/`type`/`display` ignored). */
export function memberIds(value: unknown, where: string): string[] {
  if (isClearing(value)) return [];
  const list: unknown[] = Array.isArray(value) ? value : [value];
  if (list.length > MAX_MEMBERS) fail(`${where} has ${list.length} values; at most ${MAX_MEMBERS} are taken at once`, 'tooMany');
  const ids = list.map((member, i) => {
    const id = isObject(member) ? entry(member, 'value')?.[1] : undefined;
    if (typeof id !== 'string' || !id.trim() || id.length > MAX_STRING || id.includes('\u0000')) {
      fail(`${where}[${i}] must be an object with the member's id as a string "value", such as {"value": "2819c223"}, got ${quote(member)}`, 'value');
    }
    return id;
  });
  return [...new Set(ids)];
}

/** The member ids of a Group body; `undefined` when it says nothing about members, [] when it empties them. */
export function membersOf(body: unknown): string[] | undefined {
  if (!isObject(body)) fail(`The request body must be a JSON object holding the Group's attributes`, 'syntax');
  const found = entry(body, 'members');
  return found ? memberIds(found[1], 'members') : undefined;
}
