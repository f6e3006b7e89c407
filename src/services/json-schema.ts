import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { InvalidInput } from '../domain/errors.js';

// One ajv for every published JSON Schema (connector configuration, policy action configs): schemas are
// compiled once, at start, and their complaints worded once, in this service's terms.
const ajv = new Ajv({ allErrors: false, useDefaults: true, strictTypes: false });

export function compileSchema(schema: Record<string, unknown>): ValidateFunction {
  return ajv.compile(schema);
}

/** `base.a[0].b` from ajv's `/a/0/b`. */
function pathOf(base: string, instancePath: string): string {
  return instancePath
    .split('/')
    .filter(Boolean)
    .reduce((path, step) => (/^\d+$/.test(step) ? `${path}[${step}]` : `${path}.${step.replace(/~1/g, '/').replace(/~0/g, '~')}`), base);
}

function wording(e: ErrorObject): string {
  switch (e.keyword) {
    case 'type':
      return `must be ${e.params.type === 'integer' ? 'a whole number' : e.params.type === 'object' ? 'an object' : e.params.type === 'array' ? 'a list' : `a ${String(e.params.type)}`}`;
    case 'minLength':
      return `must be at least ${String(e.params.limit)} characters`;
    case 'maxLength':
      return `must be at most ${String(e.params.limit)} characters`;
    case 'maxItems':
      return `must hold at most ${String(e.params.limit)} items`;
    case 'maxProperties':
      return `must hold at most ${String(e.params.limit)} fields`;
    case 'minimum':
    case 'maximum':
      return `must be ${e.keyword === 'minimum' ? 'at least' : 'at most'} ${String(e.params.limit)}`;
    case 'pattern':
      return 'is not in the expected format (see the published schema)';
    case 'enum':
      return `must be one of ${(e.params.allowedValues as unknown[]).join(', ')}`;
    default:
      return e.message ?? 'is not valid';
  }
}

/**
 * Checks a value against a compiled schema and returns a copy with the defaults filled in; the first problem
 * is a 400 naming the field under `base` and never repeating the value (it may be a credential).
 */
export function checkJson(validate: ValidateFunction, value: unknown, base: string, unknownField: string): Record<string, unknown> {
  const copy = structuredClone(value);
  if (validate(copy)) return copy as Record<string, unknown>;
  const e = validate.errors![0];
  const at = pathOf(base, e.instancePath);
  if (e.keyword === 'required') throw new InvalidInput('is required', `${at}.${String(e.params.missingProperty)}`);
  if (e.keyword === 'additionalProperties') throw new InvalidInput(unknownField, `${at}.${String(e.params.additionalProperty)}`);
  throw new InvalidInput(wording(e), at);
}
