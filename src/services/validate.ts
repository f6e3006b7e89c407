import { InvalidInput } from '../domain/errors.js';
import { parseInstant } from './instant.js';

// Rules that GraphQL types cannot say (lengths, formats, ranges). Each failure names the field in the
// domain's camelCase; the REST face spells it snake_case when it answers.

export function text(field: string, value: string, opts: { min?: number; max: number }): string {
  const v = value.trim();
  const min = opts.min ?? 1;
  if (v.length < min) throw new InvalidInput(min === 1 ? 'must not be empty' : `must be at least ${min} characters`, field);
  if (v.length > opts.max) throw new InvalidInput(`must be at most ${opts.max} characters`, field);
  if (/[\u0000-\u001f\u007f]/.test(v)) throw new InvalidInput('must not contain control characters', field);
  return v;
}

export function optionalText(field: string, value: string | null | undefined, max: number): string | null {
  if (value === null || value === undefined || value.trim() === '') return null;
  return text(field, value, { max });
}

/** Text people write at length (a reason, comments, a description): like text(), but line breaks and tabs are kept. */
export function prose(field: string, value: string, opts: { min?: number; max: number }): string {
  const v = value.trim();
  const min = opts.min ?? 1;
  if (v.length < min) throw new InvalidInput(min === 1 ? 'must not be empty' : `must be at least ${min} characters`, field);
  if (v.length > opts.max) throw new InvalidInput(`must be at most ${opts.max} characters`, field);
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(v)) throw new InvalidInput('must not contain control characters other than line breaks and tabs', field);
  return v;
}

export function optionalProse(field: string, value: string | null | undefined, max: number): string | null {
  if (value === null || value === undefined || value.trim() === '') return null;
  return prose(field, value, { max });
}

/**
 * A period [from, to) from optional YYYY-MM-DD or ISO-8601 bounds: a date-only `to` includes its day (a person
 * asking "to 2026-06-30" means the 30th too). `to` must be after `from`.
 */
export function period(rawFrom: string | null | undefined, rawTo: string | null | undefined): { from: string | null; to: string | null } {
  const from = rawFrom ? dateOrTimestamp('from', rawFrom) : null;
  let to = rawTo ? dateOrTimestamp('to', rawTo) : null;
  if (to && /^\d{4}-\d{2}-\d{2}$/.test(rawTo!)) to = new Date(Date.parse(to) + 86_400_000).toISOString();
  if (from && to && to <= from) throw new InvalidInput('must be after from', 'to');
  return { from, to };
}

// Deliberately simple: one @, a dot in the domain, no spaces. Deliverability is the mail server's call.
const EMAIL = /^[^\s@]{1,64}@[^\s@]+\.[^\s@]{2,}$/;

export function email(field: string, value: string): string {
  const v = text(field, value, { max: 254 });
  if (!EMAIL.test(v)) throw new InvalidInput('is not an email address', field);
  return v;
}

/** How providers and connectors are named: what a path segment and a config file hold unquoted. */
export function slug(field: string, value: string): string {
  if (!/^[a-z0-9][a-z0-9_-]{0,62}$/.test(value)) throw new InvalidInput('must be 1 to 63 lower-case letters, digits, "_" or "-", starting with a letter or digit', field);
  return value;
}

export function integer(field: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidInput(`must be a whole number from ${min} to ${max}`, field);
  }
  return value;
}

/** YYYY-MM-DD (midnight UTC) or an ISO-8601 timestamp with its zone, from year 2000 to 9998, as ISO text. */
export function dateOrTimestamp(field: string, value: string): string {
  const t = parseInstant(value);
  if (t === null) {
    throw new InvalidInput('must be a date (YYYY-MM-DD) or an ISO-8601 timestamp with a zone, from year 2000 to 9998', field);
  }
  return new Date(t).toISOString();
}
