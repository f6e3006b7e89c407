/**
 * SCIM PATCH (RFC 7644 §3.5.2) as Okta and Entra ID actually send it, applied in memory to a canonical document.
 * Group members are not part of the document: their changes come back as set operations for the caller's
 * membership table, so a group of any size costs the same to change.
 */
import { InvalidInput } from '../domain/errors.js';
import { type Filter, parse } from 'scim2-parse-filter';
import {
  coerceAttribute,
  coerceOne,
  coreAttributes,
  entry,
  exclusivePrimary,
  fail,
  isClearing,
  isObject,
  MAX_MEMBERS,
  memberIds,
  normalizeResource,
  quote,
  type ScimDocument,
  splitUrn,
} from './normalize.js';
import { FILTER_CONTROL } from '../domain/directory.js';
import type { MemberChange } from '../services/directory/index.js';
import { type AttributeDef, findAttribute, GROUP_TYPE, type ResourceTypeDef, type SchemaDef } from './schemas.js';


type Op = 'add' | 'remove' | 'replace';
type Item = Record<string, unknown>;

type Target =
  | { kind: 'attribute'; schema: SchemaDef; attr: AttributeDef; sub?: AttributeDef; filter?: Filter; text: string }
  | { kind: 'schema'; schema: SchemaDef }
  | { kind: 'members'; ids?: string[] }
  | { kind: 'custom'; key: string }
  | { kind: 'readOnly'; name: string }
  | { kind: 'ignored' };

const MAX_OPERATIONS = 1000;
const MAX_PATH = 1000;
const ATTR_PATH = /^([A-Za-z$][\w$-]*)(?:\[(.*)\])?(?:\.([A-Za-z$][\w$-]*))?$/s;

interface Context {
  type: ResourceTypeDef;
  doc: ScimDocument;
  self: { id: string };
  members: MemberChange[];
  memberValues: number;
}

export function applyPatch(
  type: ResourceTypeDef,
  current: ScimDocument,
  body: unknown,
  self: { id: string },
): { document: ScimDocument; members: MemberChange[] } {
  const operations = isObject(body) ? entry(body, 'Operations')?.[1] : undefined;
  if (!Array.isArray(operations) || operations.length === 0) {
    fail('A PATCH body must be an object with a non-empty "Operations" list of {"op", "path", "value"}', 'syntax');
  }
  if (operations.length > MAX_OPERATIONS) {
    fail(`The PATCH has ${operations.length} operations; at most ${MAX_OPERATIONS} are applied at once`, 'tooMany');
  }
  const doc = structuredClone(current);
  delete doc.schemas;
  const ctx: Context = { type, doc, self, members: [], memberValues: 0 };
  operations.forEach((operation, i) => {
    try {
      applyOperation(ctx, operation);
    } catch (e) {
      if (e instanceof InvalidInput) throw new InvalidInput(`Operations[${i}]: ${e.problem}`, undefined, undefined, e.fault);
      throw e;
    }
  });
  return { document: normalizeResource(type, doc), members: ctx.members };
}

function applyOperation(ctx: Context, operation: unknown): void {
  if (!isObject(operation)) fail(`each operation must be an object such as {"op": "replace", "path": "active", "value": false}`, 'syntax');
  const rawOp = entry(operation, 'op')?.[1];
  const op = typeof rawOp === 'string' ? rawOp.toLowerCase() : '';
  if (op !== 'add' && op !== 'remove' && op !== 'replace') {
    fail(`op must be "add", "remove" or "replace", got ${quote(rawOp)}`, 'syntax');
  }
  const path = entry(operation, 'path')?.[1];
  const valueEntry = entry(operation, 'value');
  if (op !== 'remove' && !valueEntry) fail(`${op} needs a "value"`, 'value');
  const value = valueEntry?.[1];
  if (path !== undefined && path !== null && typeof path !== 'string') fail(`path must be a string, got ${quote(path)}`, 'path');
  if (!path?.trim()) {
    if (op === 'remove') fail('remove needs a "path" naming what to remove, such as "emails[type eq \\"work\\"]"', 'noTarget');
    if (!isObject(value)) fail(`${op} without a path needs an object of attributes as its value, such as {"active": false}, got ${quote(value)}`, 'value');
    for (const [key, v] of Object.entries(value)) applyTarget(ctx, op, resolve(ctx.type, key, true), v, key, true);
    return;
  }
  if (path.length > MAX_PATH) fail(`path is ${path.length} characters long; at most ${MAX_PATH} are accepted`, 'path');
  applyTarget(ctx, op, resolve(ctx.type, path, false), value, path, false);
}

/**
 * What a path (or a key of a path-less value) names. With `lenient`, a name we do not know is ignored, as in a
 * POST body; in a real path it is an error.
 */
function resolve(type: ResourceTypeDef, text: string, lenient: boolean): Target {
  const unknown = (why: string): Target =>
    lenient ? { kind: 'ignored' } : fail(`path ${quote(text)} ${why}`, 'path');
  let schema = type.schema;
  let rest = text.trim();
  if (/^urn:/i.test(rest)) {
    const split = splitUrn(type, rest);
    if (!split) {
      if (rest.includes('[')) return unknown('filters a schema this service does not know; filters work on known attributes only');
      return { kind: 'custom', key: rest };
    }
    if (!split.rest) return { kind: 'schema', schema: split.schema };
    ({ schema, rest } = split);
  }
  const m = ATTR_PATH.exec(rest);
  if (!m) return unknown('is not an attribute path; use attr, attr.sub or attr[filter].sub, such as emails[type eq "work"].value');
  const [, name, filterText, subName] = m;
  const isCore = schema === type.schema;
  if (isCore && /^(schemas|password)$/i.test(name) && !filterText && !subName) {
    // The service writes schemas itself; passwords are never stored.
    return name.toLowerCase() === 'schemas' ? { kind: 'readOnly', name: 'schemas' } : { kind: 'ignored' };
  }
  const attr = findAttribute(isCore ? coreAttributes(type) : schema.attributes, name);
  if (!attr) {
    const home = isCore ? type.extensions.find((ext) => findAttribute(ext.attributes, name)) : undefined;
    return unknown(`names no attribute of ${isCore ? type.name : schema.name}${home ? `; write ${home.id}:${name}` : ''}`);
  }
  if (attr.mutability === 'readOnly') return { kind: 'readOnly', name: attr.name };
  let sub: AttributeDef | undefined;
  if (subName !== undefined) {
    sub = findAttribute(attr.subAttributes ?? [], subName);
    if (!sub) return unknown(`names no sub-attribute "${subName}" of ${attr.name}`);
    if (sub.mutability === 'readOnly') return { kind: 'readOnly', name: `${attr.name}.${sub.name}` };
  }
  if (filterText !== undefined && !attr.multiValued) return unknown(`filters ${attr.name}, which has a single value; drop the [filter]`);
  if (attr.multiValued && sub && filterText === undefined) {
    return unknown(`names a sub-attribute of every ${attr.name} value; pick values with a filter such as ${attr.name}[type eq "work"].${sub.name}`);
  }
  const filter = filterText === undefined ? undefined : parseFilter(filterText, text);
  if (type === GROUP_TYPE && attr.name === 'members') {
    if (sub) return unknown('names a sub-attribute of members; members are changed as whole values');
    return { kind: 'members', ids: filter && memberFilterIds(filter) };
  }
  if (filter) checkFilter(filter, attr);
  return { kind: 'attribute', schema, attr, sub, filter, text };
}

function parseFilter(filterText: string, path: string): Filter {
  if (FILTER_CONTROL.test(filterText)) fail(`path ${quote(path)} has a filter with a control character (a line break, a tab, NUL)`, 'filter');
  try {
    return parse(filterText);
  } catch {
    return fail(`path ${quote(path)} has a filter that does not parse; write it like type eq "work"`, 'filter');
  }
}

function checkFilter(filter: Filter, attr: AttributeDef): void {
  switch (filter.op) {
    case 'and':
    case 'or':
      return filter.filters.forEach((f) => checkFilter(f, attr));
    case 'not':
      return checkFilter(filter.filter, attr);
    case '[]':
      return fail(`filters inside a ${attr.name}[...] filter cannot hold another [...]`, 'filter');
    default:
      if (!subOf(attr, filter.attrPath)) {
        const known = (attr.subAttributes ?? []).map((s) => s.name).join(', ');
        fail(`the filter on ${attr.name} names ${quote(filter.attrPath)}, which is not one of its sub-attributes (${known})`, 'filter');
      }
  }
}

function subOf(attr: AttributeDef, attrPath: string): AttributeDef | undefined {
  return findAttribute(attr.subAttributes ?? [], attrPath);
}

function memberFilterIds(filter: Filter): string[] {
  if (filter.op === 'or') return filter.filters.flatMap(memberFilterIds);
  if (filter.op === 'eq' && filter.attrPath.toLowerCase() === 'value' && typeof filter.compValue === 'string') return [filter.compValue];
  return fail('only value eq filters are supported on members, such as members[value eq "2819c223"], several joined with or', 'filter');
}

function applyTarget(ctx: Context, op: Op, target: Target, value: unknown, text: string, pathless: boolean): void {
  switch (target.kind) {
    case 'ignored':
      return;
    case 'readOnly':
      if (!pathless) fail(`${target.name} is read-only and cannot be changed`, 'mutability');
      // Okta sends the resource's own id along with a rename.
      if (target.name === 'id' && value !== ctx.self.id) fail(`id is read-only: it cannot change to ${quote(value)}`, 'mutability');
      return;
    case 'custom':
      return applyCustom(ctx.doc, op, target.key, value);
    case 'members':
      return applyMembers(ctx, op, target.ids, value, text);
    case 'schema':
      return applySchema(ctx, op, target.schema, value, pathless);
    case 'attribute':
      return applyAttribute(ctx, op, target, value);
  }
}

function applySchema(ctx: Context, op: Op, schema: SchemaDef, value: unknown, pathless: boolean): void {
  const isCore = schema === ctx.type.schema;
  if (op === 'remove' || isClearing(value)) {
    if (isCore) fail(`${schema.id} is the resource itself; remove its attributes one by one`, 'path');
    delete ctx.doc[schema.id];
    return;
  }
  if (!isObject(value)) fail(`${schema.id} must be given an object of its attributes, got ${quote(value)}`, 'value');
  for (const [key, v] of Object.entries(value)) {
    const qualified = isCore ? key : `${schema.id}:${key}`;
    applyTarget(ctx, op, resolve(ctx.type, qualified, true), v, qualified, pathless);
  }
}

function applyMembers(ctx: Context, op: Op, filtered: string[] | undefined, value: unknown, text: string): void {
  let change: MemberChange;
  if (op === 'remove') {
    // Entra and OneLogin remove by a value list: that list, never everyone. Without one, the RFC says all go.
    if (filtered) change = { op, ids: [...new Set(filtered)] };
    else if (isClearing(value)) change = { op: 'replace', ids: [] };
    else change = { op, ids: memberIds(value, text) };
  } else {
    if (filtered) fail(`${op} on members takes no filter; send the members as a list of {"value": id}`, 'path');
    change = { op, ids: memberIds(value, text) };
  }
  ctx.memberValues += change.ids.length;
  if (ctx.memberValues > MAX_MEMBERS) fail(`the PATCH changes more than ${MAX_MEMBERS} members; split it`, 'tooMany');
  if (change.ids.length || change.op === 'replace') ctx.members.push(change);
}

/** Extensions we do not know are kept verbatim; a path into one reaches its stored keys case-insensitively. */
function applyCustom(doc: ScimDocument, op: Op, key: string, value: unknown): void {
  const lower = key.toLowerCase();
  const exact = Object.keys(doc).find((k) => k.toLowerCase() === lower);
  const parent = Object.keys(doc)
    .filter((k) => lower.startsWith(`${k.toLowerCase()}:`) && isObject(doc[k]))
    .sort((a, b) => b.length - a.length)[0];
  let holder = doc;
  let name = exact ?? key;
  if (!exact && parent) {
    holder = doc[parent] as Item;
    const inner = key.slice(parent.length + 1);
    name = Object.keys(holder).find((k) => k.toLowerCase() === inner.toLowerCase()) ?? inner;
  }
  if (op === 'remove' || isClearing(value)) {
    delete holder[name];
    if (holder !== doc && Object.keys(holder).length === 0) delete doc[parent];
  } else if (isObject(holder[name]) && isObject(value)) Object.assign(holder[name] as Item, value);
  else holder[name] = value;
}

function applyAttribute(ctx: Context, op: Op, t: Extract<Target, { kind: 'attribute' }>, value: unknown): void {
  const { attr, sub, filter, text } = t;
  const isCore = t.schema === ctx.type.schema;
  let holder = (isCore ? ctx.doc : ctx.doc[t.schema.id]) as Item | undefined;
  if (!isObject(holder)) {
    if (op === 'remove' || isClearing(value)) return;
    holder = ctx.doc[t.schema.id] = {};
  }
  const clearing = op === 'remove' || isClearing(value);

  if (filter) {
    const list = items(holder, attr);
    const matched = list.filter((item) => matches(filter, item, attr));
    if (clearing) {
      holder[attr.name] = sub ? list.filter((item) => !matched.includes(item) || clearSub(item, attr, sub)) : list.filter((item) => !matched.includes(item));
      return;
    }
    if (!sub && !isObject(value)) fail(`${text} must be given an object of sub-attributes, got ${quote(value)}`, 'value');
    if (matched.length === 0) {
      // Entra relies on a filtered replace creating the value it names (RFC 7644 would say noTarget).
      const seed = seedOf(filter, attr);
      if (!seed) fail(`${text} matches no value, and a new one can only be made from a filter of eq comparisons such as type eq "work"`, 'noTarget');
      const created = coerceOne(attr, sub ? { ...seed, [sub.name]: value } : { ...seed, ...(value as Item) }, text) as Item;
      list.push(created);
      matched.push(created);
    } else {
      for (const item of matched) {
        if (sub) setSub(item, sub, value, text);
        else merge(item, attr, value as Item, text);
      }
    }
    exclusivePrimary(list, matched.find((item) => item.primary === true));
    holder[attr.name] = list;
    return;
  }

  if (sub) {
    const obj = isObject(holder[attr.name]) ? (holder[attr.name] as Item) : {};
    setSub(obj, sub, op === 'remove' ? null : value, text);
    set(holder, attr.name, Object.keys(obj).length ? obj : undefined);
    return;
  }
  if (op === 'remove' && attr.multiValued && !isClearing(value)) {
    // Remove by value list, as Entra and OneLogin send it: only the values that match go.
    const gone = (coerceAttribute(attr, value, text) ?? []) as Item[];
    set(holder, attr.name, items(holder, attr).filter((item) => !gone.some((g) => sameValue(attr, item, g))));
    return;
  }
  if (clearing) {
    delete holder[attr.name];
    return;
  }
  if (attr.multiValued) {
    const incoming = (coerceAttribute(attr, value, text) ?? []) as Item[];
    if (op === 'replace') return set(holder, attr.name, incoming);
    const list = items(holder, attr);
    const added = incoming.filter((item) => !list.some((old) => sameItem(old, item)));
    list.push(...added);
    exclusivePrimary(list, added.find((item) => item.primary === true));
    set(holder, attr.name, list);
    return;
  }
  if (attr.type === 'complex' && isObject(value)) {
    // RFC 7644: add and replace of a complex value change the sub-attributes given and keep the others.
    const obj = isObject(holder[attr.name]) ? (holder[attr.name] as Item) : {};
    merge(obj, attr, value, text);
    set(holder, attr.name, Object.keys(obj).length ? obj : undefined);
    return;
  }
  set(holder, attr.name, coerceOne(attr, value, text));
}

function set(holder: Item, name: string, value: unknown): void {
  if (value === undefined || (Array.isArray(value) && value.length === 0)) delete holder[name];
  else holder[name] = value;
}

function items(holder: Item, attr: AttributeDef): Item[] {
  const list = holder[attr.name];
  return Array.isArray(list) ? list.filter(isObject) : [];
}

function setSub(item: Item, sub: AttributeDef, value: unknown, where: string): void {
  set(item, sub.name, coerceOne(sub, value, where));
}

/** Clears `sub` on an item; true when the item is still worth keeping (a value without its `value` is not). */
function clearSub(item: Item, attr: AttributeDef, sub: AttributeDef): boolean {
  delete item[sub.name];
  const hasValue = findAttribute(attr.subAttributes ?? [], 'value') !== undefined;
  return hasValue ? item.value !== undefined : Object.keys(item).length > 0;
}

function merge(target: Item, attr: AttributeDef, value: Item, where: string): void {
  for (const [key, v] of Object.entries(value)) {
    const sub = subOf(attr, key);
    if (sub && sub.mutability !== 'readOnly') setSub(target, sub, v, `${where}.${sub.name}`);
  }
}

/** The values a filter fixes with eq (type eq "work" and primary eq true), to build the item it asks for. */
function seedOf(filter: Filter, attr: AttributeDef): Item | undefined {
  if (filter.op === 'eq' && filter.compValue !== null) return { [subOf(attr, filter.attrPath)!.name]: filter.compValue };
  if (filter.op !== 'and') return undefined;
  const parts = filter.filters.map((f) => seedOf(f, attr));
  return parts.every((p) => p !== undefined) ? Object.assign({}, ...parts) : undefined;
}

function matches(filter: Filter, item: Item, attr: AttributeDef): boolean {
  switch (filter.op) {
    case 'and':
      return filter.filters.every((f) => matches(f, item, attr));
    case 'or':
      return filter.filters.some((f) => matches(f, item, attr));
    case 'not':
      return !matches(filter.filter, item, attr);
    case '[]':
      return false;
    case 'pr':
      return !isClearing(item[subOf(attr, filter.attrPath)!.name]);
    default:
      return compare(filter.op, subOf(attr, filter.attrPath)!, item, filter.compValue);
  }
}

function compare(op: string, sub: AttributeDef, item: Item, expected: unknown): boolean {
  const actual = item[sub.name];
  if (sub.type === 'boolean') {
    // An item without `primary` is not primary.
    const want = typeof expected === 'string' ? expected.toLowerCase() === 'true' : expected === true;
    if (op === 'eq') return (actual === true) === want;
    if (op === 'ne') return (actual === true) !== want;
    return false;
  }
  if (expected === null || actual === undefined) {
    if (op === 'eq') return expected === null && actual === undefined;
    if (op === 'ne') return (expected === null) !== (actual === undefined);
    return false;
  }
  let a = String(actual);
  let e = String(expected);
  if (!sub.caseExact) {
    a = a.toLowerCase();
    e = e.toLowerCase();
  }
  switch (op) {
    case 'eq': return a === e;
    case 'ne': return a !== e;
    case 'co': return a.includes(e);
    case 'sw': return a.startsWith(e);
    case 'ew': return a.endsWith(e);
    case 'gt': return a > e;
    case 'ge': return a >= e;
    case 'lt': return a < e;
    case 'le': return a <= e;
    default: return false;
  }
}

function sameItem(a: Item, b: Item): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

/** A stored value matches a value to remove when every sub-attribute the remover gave is equal. */
function sameValue(attr: AttributeDef, item: Item, given: Item): boolean {
  return Object.entries(given).every(([k, v]) => {
    const sub = subOf(attr, k);
    const mine = item[k];
    if (typeof v === 'string' && typeof mine === 'string' && sub && !sub.caseExact) return v.toLowerCase() === mine.toLowerCase();
    return v === mine;
  });
}
