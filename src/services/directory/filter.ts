import { type Filter, parse } from 'scim2-parse-filter';
import {
  type Comparison,
  type DirectoryFilter,
  type DirectorySort,
  type FilterValue,
  type FilterableAttribute,
  type FilterableResource,
  FILTER_CONTROL,
  INDEXED_USER_VALUES,
  type MultiValued,
} from '../../domain/directory.js';
import { InvalidInput } from '../../domain/errors.js';

// Bounds on what one filter may ask of the database: long enough for any filter an identity provider sends
// (Okta and Entra send one or two comparisons), short of a query planner's bad day.
const MAX_LENGTH = 2048;
const MAX_DEPTH = 8;
const MAX_COMPARISONS = 50;

const CORE_URN = /^urn:ietf:params:scim:schemas:core:2\.0:(user|group):/i;
const ENTERPRISE_URN = /^urn:ietf:params:scim:schemas:extension:enterprise:2\.0:user:/i;

const bad = (detail: string) => new InvalidInput(detail, undefined, undefined, 'filter');

function lookup<T>(map: Record<string, T>, name: string): [string, T] | undefined {
  const lower = name.toLowerCase();
  for (const key of Object.keys(map)) if (key.toLowerCase() === lower) return [key, map[key]];
  return undefined;
}

/** The canonical name of an attribute path of the resource: URN prefixes off, names in their own case. */
function canonicalPath(path: string): string {
  return path.replace(CORE_URN, '').replace(ENTERPRISE_URN, '');
}

function value(attr: FilterableAttribute, op: Comparison, raw: FilterValue, name: string): FilterValue {
  if (raw === null) {
    if (op !== 'eq' && op !== 'ne') throw bad(`${name} ${op} null: null can only be compared with eq or ne`);
    return null;
  }
  if (attr.type === 'boolean') {
    if (op !== 'eq' && op !== 'ne') throw bad(`${name} is a boolean: compare it with eq or ne`);
    if (typeof raw === 'boolean') return raw;
    if (typeof raw === 'string' && /^(true|false)$/i.test(raw)) return raw.toLowerCase() === 'true';
    throw bad(`${name} is a boolean: compare it with true or false`);
  }
  if (typeof raw === 'boolean') throw bad(`${name} is a ${attr.type}: ${raw} is not one`);
  const s = String(raw);
  if (attr.type === 'dateTime') {
    if (op === 'co' || op === 'sw' || op === 'ew') throw bad(`${name} is a dateTime: compare it with eq, ne, gt, ge, lt or le`);
    const t = typeof raw === 'string' && /^\d{4}-\d{2}-\d{2}/.test(raw) ? Date.parse(raw) : Number.NaN;
    if (Number.isNaN(t)) throw bad(`${name} is a dateTime: ${JSON.stringify(s.slice(0, 64))} is not an ISO 8601 date-time`);
    return new Date(t).toISOString();
  }
  return attr.caseExact ? s : s.toLowerCase();
}

class Compiler {
  private comparisons = 0;

  constructor(private readonly resource: FilterableResource) {}

  node(f: Filter, depth: number, within: { name: string; attrs: MultiValued } | null): DirectoryFilter {
    if (depth > MAX_DEPTH) throw bad(`the filter nests deeper than ${MAX_DEPTH} levels`);
    switch (f.op) {
      case 'and':
      case 'or':
        return { kind: f.op, filters: (f as { filters: Filter[] }).filters.map((x) => this.node(x, depth + 1, within)) };
      case 'not':
        return { kind: 'not', filter: this.node((f as { filter: Filter }).filter, depth + 1, within) };
      case '[]': {
        const vp = f as { attrPath: string; valFilter: Filter };
        if (within) throw bad(`a value filter cannot nest inside ${within.name}[...]`);
        const found = lookup(this.resource.multi, canonicalPath(vp.attrPath));
        if (!found) throw bad(`${vp.attrPath.slice(0, 64)} is not a multi-valued attribute that can be filtered; use one of ${Object.keys(this.resource.multi).join(', ')}`);
        const [name, attrs] = found;
        return { kind: 'any', attribute: name, filter: this.node(vp.valFilter, depth + 1, { name, attrs }) };
      }
      default: {
        if (++this.comparisons > MAX_COMPARISONS) throw bad(`the filter has more than ${MAX_COMPARISONS} comparisons`);
        const cmp = f as { op: Comparison | 'pr'; attrPath: string; compValue?: FilterValue };
        return this.comparison(cmp.op, cmp.attrPath, cmp.compValue ?? null, within);
      }
    }
  }

  private comparison(op: Comparison | 'pr', path: string, raw: FilterValue, within: { name: string; attrs: MultiValued } | null): DirectoryFilter {
    const make = (attribute: string, attr: FilterableAttribute): DirectoryFilter =>
      op === 'pr' ? { kind: 'present', attribute } : { kind: 'compare', attribute, op, value: value(attr, op, raw, attribute) };
    if (within) {
      const found = lookup(within.attrs, path);
      if (!found) throw bad(`${within.name}.${path.slice(0, 64)} cannot be filtered; use ${Object.keys(within.attrs).join(', ')}`);
      return make(found[0], found[1]);
    }
    const canonical = canonicalPath(path);
    const single = lookup(this.resource.single, canonical);
    if (single) return make(single[0], single[1]);
    // A multi-valued attribute compared directly means its value; `emails.type` means some email's type.
    const dot = canonical.indexOf('.');
    const multiName = dot < 0 ? canonical : canonical.slice(0, dot);
    const sub = dot < 0 ? 'value' : canonical.slice(dot + 1);
    const multi = lookup(this.resource.multi, multiName);
    const subAttr = multi && lookup(multi[1], sub);
    if (multi && subAttr) {
      return { kind: 'any', attribute: multi[0], filter: make(subAttr[0], subAttr[1]) };
    }
    throw bad(`${path.slice(0, 64)} is not an attribute that can be filtered`);
  }
}

/** Parses a SCIM filter into the directory's tree; any fault is InvalidInput('filter'), never a server error. */
export function parseFilter(resource: FilterableResource, text: string): DirectoryFilter {
  if (text.length > MAX_LENGTH) throw bad(`the filter is longer than ${MAX_LENGTH} characters`);
  if (FILTER_CONTROL.test(text)) throw bad('the filter holds a control character (a line break, a tab, NUL): write it on one line');
  let ast: Filter;
  try {
    ast = parse(text);
  } catch (err) {
    // The parser's own words name the token it stopped at; the example says what a filter looks like.
    throw bad(`the filter does not parse (${(err as Error).message.slice(0, 120)}); a filter looks like userName eq "bjensen" and active eq true`);
  }
  return new Compiler(resource).node(ast, 1, null);
}

/** The sort key: a single-valued attribute, or a multi-valued one kept as rows by its value (primary first). */
export function parseSort(resource: FilterableResource, sortBy: string | undefined, sortOrder: string | undefined): DirectorySort | null {
  if (sortOrder !== undefined && !/^(ascending|descending)$/i.test(sortOrder)) {
    throw new InvalidInput(`sortOrder must be ascending or descending, not ${JSON.stringify(sortOrder.slice(0, 32))}`, undefined, undefined, 'value');
  }
  if (!sortBy) return null;
  const descending = /^descending$/i.test(sortOrder ?? '');
  const canonical = canonicalPath(sortBy);
  const found = lookup(resource.single, canonical) ?? lookup(resource.single, `${canonical}.value`);
  if (found) return { attribute: found[0], descending };
  const [name, sub = 'value', ...more] = canonical.split('.');
  const multi = lookup(resource.multi, name);
  if (multi && more.length === 0 && sub.toLowerCase() === 'value' && (INDEXED_USER_VALUES as readonly string[]).includes(multi[0])) {
    return { attribute: `${multi[0]}.value`, descending };
  }
  throw new InvalidInput(
    `sortBy ${JSON.stringify(sortBy.slice(0, 64))} is not an attribute the list can be sorted by; sort by a single-valued attribute such as ${Object.keys(resource.single).slice(0, 4).join(', ')}`,
    undefined,
    undefined,
    'value',
  );
}
