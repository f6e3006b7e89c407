import type { ValidateFunction } from 'ajv';
import { CONNECTOR_CATALOGUE, type CatalogueEntry } from '../../domain/connectors.js';
import { checkJson, compileSchema } from '../json-schema.js';

const VALIDATORS = new Map<string, { options: ValidateFunction; credentials: ValidateFunction }>(
  CONNECTOR_CATALOGUE.map((e) => [e.id, { options: compileSchema(e.options), credentials: compileSchema(e.credentials) }]),
);

/** Checks (and fills the defaults of) options or credentials against the entry's schema. */
export function checkAgainstSchema(entry: CatalogueEntry, part: 'options' | 'credentials', value: Record<string, unknown>): Record<string, unknown> {
  const unknown = `is not ${part === 'options' ? 'an option' : 'a credential'} of ${entry.displayName} connectors`;
  return checkJson(VALIDATORS.get(entry.id)![part], value, part, unknown);
}
