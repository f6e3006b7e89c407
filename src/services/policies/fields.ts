import { InvalidInput } from '../../domain/errors.js';
import * as v from '../validate.js';

// Field rules both policy kinds share: one wording of each problem.

export function policyName(value: unknown, field = 'name'): string {
  if (typeof value !== 'string' || value.trim() === '') throw new InvalidInput('is required', field);
  return v.text(field, value, { max: 100 });
}

export function category(value: string, field = 'category'): string {
  const c = value.trim().toLowerCase();
  if (!/^[a-z0-9][a-z0-9_-]{0,49}$/.test(c)) throw new InvalidInput('must be 1 to 50 letters, digits, "_" or "-"', field);
  return c;
}

export function description(value: string | null): string | null {
  return v.optionalText('description', value, 1000);
}

export function priority(value: number, field = 'priority'): number {
  return v.integer(field, value, 0, 1000);
}

export function tags(values: string[]): string[] {
  if (values.length > 20) throw new InvalidInput('must hold at most 20 tags', 'tags');
  const out = new Set<string>();
  values.forEach((t, i) => {
    const tag = t.trim().toLowerCase();
    if (!/^[a-z0-9][a-z0-9:_.-]{0,49}$/.test(tag)) throw new InvalidInput('must be 1 to 50 letters, digits, ":", "_", "." or "-"', `tags[${i}]`);
    out.add(tag);
  });
  return [...out];
}

/** Where a PUT carries null for a field that must have a value. */
export function present<T>(value: T | null | undefined, field: string): T | undefined {
  if (value === null) throw new InvalidInput('cannot be null (omit it to keep the current value)', field);
  return value;
}
