import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { CONNECTOR_CATALOGUE, type CatalogueEntry } from '../../domain/connectors.js';
import { InvalidInput } from '../../domain/errors.js';

interface Validators {
  options: ValidateFunction;
  credentials: ValidateFunction;
}

// Compiled once, at start: ajv turns each schema into a function.
const ajv = new Ajv({ allErrors: false, useDefaults: true, strictTypes: false });
const VALIDATORS = new Map<string, Validators>(
  CONNECTOR_CATALOGUE.map((e) => [e.id, { options: ajv.compile(e.options), credentials: ajv.compile(e.credentials) }]),
);

/** ajv's first complaint in this service's words: the field path and the problem, never the value. */
function problem(base: 'options' | 'credentials', entry: CatalogueEntry, error: ErrorObject): InvalidInput {
  const path = [base, ...error.instancePath.split('/').filter(Boolean)].join('.');
  switch (error.keyword) {
    case 'required':
      return new InvalidInput('is required', `${path}.${String(error.params.missingProperty)}`);
    case 'additionalProperties':
      return new InvalidInput(`is not ${base === 'options' ? 'an option' : 'a credential'} of ${entry.displayName} connectors`, `${path}.${String(error.params.additionalProperty)}`);
    case 'enum':
      return new InvalidInput(`must be one of ${(error.params.allowedValues as unknown[]).join(', ')}`, path);
    case 'pattern':
      return new InvalidInput('is not in the expected format (see config_schema)', path);
    default:
      return new InvalidInput(error.message ?? 'is not valid', path);
  }
}

/** Checks (and fills the defaults of) options or credentials against the entry's schema. */
export function checkAgainstSchema(entry: CatalogueEntry, part: 'options' | 'credentials', value: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(value);
  const validate = VALIDATORS.get(entry.id)![part];
  if (!validate(copy)) throw problem(part, entry, validate.errors![0]);
  return copy;
}
