import { performance } from 'node:perf_hooks';
import type { ValidateFunction } from 'ajv';
import {
  ACTION_CONFIG_SCHEMAS,
  ACTION_TYPES,
  type ActionType,
  type Condition,
  CONTEXT_FIELDS,
  type ContextField,
  type DynamicType,
  OPERATORS,
  OPERATORS_BY_KIND,
  type Operator,
  type PolicyAction,
} from '../../domain/dynamic-policies.js';
import { InvalidInput } from '../../domain/errors.js';
import { checkJson, compileSchema } from '../json-schema.js';
import { EVALUATION_BUDGET_MS, type PatternCache, patternProblem } from './patterns.js';

const MAX_CONDITIONS = 50;
const MAX_ACTIONS = 10;
const MAX_LIST_VALUES = 100;
const MAX_TEXT_VALUE = 1000;
/** What a regex condition reads of a context value: as much as a static policy's /test takes. */
const MAX_MATCHED_TEXT = 256 * 1024;

const ACTION_VALIDATORS = Object.fromEntries(ACTION_TYPES.map((t) => [t, compileSchema(ACTION_CONFIG_SCHEMAS[t])])) as Record<ActionType, ValidateFunction>;
const FIELDS: Record<DynamicType, Map<string, ContextField>> = Object.fromEntries(
  Object.entries(CONTEXT_FIELDS).map(([type, fields]) => [type, new Map(fields.map((f) => [f.field, f]))]),
) as Record<DynamicType, Map<string, ContextField>>;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function scalarOk(kind: ContextField['kind'], v: unknown): boolean {
  if (kind === 'number') return typeof v === 'number' && Number.isFinite(v);
  if (kind === 'boolean') return typeof v === 'boolean';
  return typeof v === 'string' && v.length <= MAX_TEXT_VALUE;
}

const KIND_WORDS = { string: 'a string', number: 'a number', boolean: 'true or false', string_list: 'a string' } as const;

/** Checks conditions against the published schema of the policy's type; the checked list. */
export function checkConditions(type: DynamicType, value: unknown): Condition[] {
  if (!Array.isArray(value) || value.length === 0) throw new InvalidInput('must be a list of at least one {field, operator, value}', 'conditions');
  if (value.length > MAX_CONDITIONS) throw new InvalidInput(`must hold at most ${MAX_CONDITIONS} conditions`, 'conditions');
  return value.map((c, i) => {
    const at = `conditions[${i}]`;
    if (!isObject(c)) throw new InvalidInput('must be an object {field, operator, value}', at);
    for (const k of Object.keys(c)) if (!['field', 'operator', 'value'].includes(k)) throw new InvalidInput('is not a part of a condition (field, operator, value)', `${at}.${k}`);
    const field = FIELDS[type].get(String(c.field));
    if (typeof c.field !== 'string' || !field) {
      throw new InvalidInput(`must be a field of ${type} policies: ${[...FIELDS[type].keys()].join(', ')}`, `${at}.field`);
    }
    const operator = c.operator as Operator;
    if (!(OPERATORS as readonly string[]).includes(String(operator))) throw new InvalidInput(`must be one of ${OPERATORS.join(', ')}`, `${at}.operator`);
    if (!OPERATORS_BY_KIND[field.kind].includes(operator)) {
      throw new InvalidInput(`${operator} does not apply to ${field.field} (${field.kind}); use one of ${OPERATORS_BY_KIND[field.kind].join(', ')}`, `${at}.operator`);
    }
    const v = c.value;
    const valueAt = `${at}.value`;
    if (operator === 'in' || operator === 'not_in') {
      if (!Array.isArray(v) || v.length === 0 || v.length > MAX_LIST_VALUES) throw new InvalidInput(`must be a list of 1 to ${MAX_LIST_VALUES} values for ${operator}`, valueAt);
      v.forEach((x, j) => {
        if (!scalarOk(field.kind, x)) throw new InvalidInput(`must be ${KIND_WORDS[field.kind]}`, `${valueAt}[${j}]`);
      });
    } else if (operator === 'regex') {
      const problem = typeof v === 'string' ? patternProblem(v) : 'must be a regular expression (a string)';
      if (problem) throw new InvalidInput(problem, valueAt);
    } else if (operator === 'greater_than' || operator === 'less_than') {
      if (!scalarOk('number', v)) throw new InvalidInput(`must be a number for ${operator}`, valueAt);
    } else if (operator === 'contains' || operator === 'not_contains') {
      if (!scalarOk('string', v)) throw new InvalidInput(`must be a string of at most ${MAX_TEXT_VALUE} characters`, valueAt);
    } else if (!scalarOk(field.kind, v)) {
      throw new InvalidInput(`must be ${KIND_WORDS[field.kind]}`, valueAt);
    }
    return { field: field.field, operator, value: v };
  });
}

/** Checks actions and their configs (JSON Schemas of ACTION_CONFIG_SCHEMAS, defaults filled in). */
export function checkActions(value: unknown): PolicyAction[] {
  if (!Array.isArray(value) || value.length === 0) throw new InvalidInput('must be a list of at least one {type, config}', 'actions');
  if (value.length > MAX_ACTIONS) throw new InvalidInput(`must hold at most ${MAX_ACTIONS} actions`, 'actions');
  return value.map((a, i) => {
    const at = `actions[${i}]`;
    if (!isObject(a)) throw new InvalidInput('must be an object {type, config}', at);
    for (const k of Object.keys(a)) if (!['type', 'config'].includes(k)) throw new InvalidInput('is not a part of an action (type, config)', `${at}.${k}`);
    const type = a.type as ActionType;
    if (!(ACTION_TYPES as readonly string[]).includes(String(type))) throw new InvalidInput(`must be one of ${ACTION_TYPES.join(', ')}`, `${at}.type`);
    const config = a.config === undefined || a.config === null ? {} : a.config;
    if (!isObject(config)) throw new InvalidInput('must be an object', `${at}.config`);
    const checked = checkJson(ACTION_VALIDATORS[type], config, `${at}.config`, `is not a setting of ${type}`);
    return { type, config: checked };
  });
}

export interface ConditionResult extends Condition {
  actual: unknown;
  matched: boolean;
  explanation: string;
}

/** A value of the sample context by dotted path (user.role), or a flat key of that name. */
function lookup(context: Record<string, unknown>, path: string): { found: boolean; value: unknown } {
  if (Object.hasOwn(context, path)) return { found: true, value: context[path] };
  let at: unknown = context;
  for (const step of path.split('.')) {
    if (!isObject(at) || !Object.hasOwn(at, step)) return { found: false, value: undefined };
    at = at[step];
  }
  return { found: true, value: at };
}

const lower = (v: unknown) => (typeof v === 'string' ? v.toLowerCase() : v);

/** One condition against a context, with why it did or did not hold. */
function evaluate(c: Condition, kind: ContextField['kind'], context: Record<string, unknown>, patterns: PatternCache, deadline: number): ConditionResult {
  const { found, value: actual } = lookup(context, c.field);
  const result = (matched: boolean, explanation: string): ConditionResult => ({ ...c, actual: found ? actual : null, matched, explanation });
  if (!found || actual === null) return result(false, `the context has no ${c.field}`);
  const expected = kind === 'string_list' ? 'a list of strings' : KIND_WORDS[kind];
  const shapeOk = kind === 'string_list' ? Array.isArray(actual) && actual.every((x) => typeof x === 'string') : scalarOk(kind, actual) || (kind === 'string' && typeof actual === 'string');
  if (!shapeOk) return result(false, `${c.field} is ${Array.isArray(actual) ? 'a list' : typeof actual}, expected ${expected}`);
  const said = (held: boolean, text: string) => result(held, held ? `${c.field} ${text}` : `${c.field} is ${JSON.stringify(actual)}, so it fails: ${text}`);
  switch (c.operator) {
    case 'equals':
      return said(actual === c.value, `equals ${JSON.stringify(c.value)}`);
    case 'not_equals':
      return said(actual !== c.value, `differs from ${JSON.stringify(c.value)}`);
    case 'contains':
    case 'not_contains': {
      const needle = String(c.value).toLowerCase();
      const has = Array.isArray(actual) ? actual.some((x) => String(x).toLowerCase() === needle) : String(actual).toLowerCase().includes(needle);
      return c.operator === 'contains' ? said(has, `contains ${JSON.stringify(c.value)} (case-insensitive)`) : said(!has, `does not contain ${JSON.stringify(c.value)} (case-insensitive)`);
    }
    case 'greater_than':
      return said((actual as number) > (c.value as number), `is greater than ${String(c.value)}`);
    case 'less_than':
      return said((actual as number) < (c.value as number), `is less than ${String(c.value)}`);
    case 'in':
    case 'not_in': {
      const set = (c.value as unknown[]).map(lower);
      const any = Array.isArray(actual) ? actual.some((x) => set.includes(lower(x))) : set.includes(lower(actual));
      return c.operator === 'in' ? said(any, `is one of ${JSON.stringify(c.value)}`) : said(!any, `is none of ${JSON.stringify(c.value)}`);
    }
    case 'regex': {
      if (String(actual).length > MAX_MATCHED_TEXT) return result(false, `${c.field} is longer than the ${MAX_MATCHED_TEXT} characters a regex condition reads`);
      const m = patterns.matches(String(c.value), String(actual), deadline, 1);
      if (!m) return result(false, `${c.field}: the evaluation ran out of its ${EVALUATION_BUDGET_MS} ms budget`);
      return said(m.count > 0, `matches /${String(c.value)}/`);
    }
  }
}

/** Every condition of a policy against a sample context: all must hold for its actions to apply. */
export function evaluateConditions(type: DynamicType, conditions: Condition[], context: Record<string, unknown>, patterns: PatternCache): ConditionResult[] {
  const deadline = performance.now() + EVALUATION_BUDGET_MS;
  return conditions.map((c) =>
    performance.now() > deadline
      ? { ...c, actual: null, matched: false, explanation: `not evaluated: the evaluation ran out of its ${EVALUATION_BUDGET_MS} ms budget` }
      : evaluate(c, FIELDS[type].get(c.field)?.kind ?? 'string', context, patterns, deadline),
  );
}
