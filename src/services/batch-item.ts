import type { ItemProblem } from '../domain/errors.js';
import { parseInstant } from './instant.js';

const CONTROL = /[\u0000-\u001f\u007f]/;

export interface ItemShape {
  /** The batch's field in the domain's names: events, violations. */
  list: string;
  /** The item's own id field (eventId, violationId): problems carry its value so a caller can find the item. */
  idField: string;
  /** Every field an item may have, in the domain's names. */
  fields: ReadonlySet<string>;
  /** What an item is, for the message about a field it does not have: "a usage event". */
  noun: string;
}

/**
 * Reads one item of a batch the runtime sends (usage events, policy violations), collecting every problem
 * rather than stopping at the first, each named by its path (events[3].promptTokens). Absent, null and ''
 * optional values are all "not given".
 */
export class ItemReader {
  readonly problems: ItemProblem[] = [];
  private readonly raw: Record<string, unknown>;
  private readonly id: string | null;

  /** null when the item is not an object: its one problem is in `notAnObject`. */
  static of(value: unknown, index: number, shape: ItemShape): ItemReader | { notAnObject: ItemProblem } {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return { notAnObject: { index, id: null, idName: shape.idField, field: `${shape.list}[${index}]`, problem: 'must be an object' } };
    }
    return new ItemReader(value as Record<string, unknown>, index, shape);
  }

  private constructor(
    raw: Record<string, unknown>,
    private readonly index: number,
    private readonly shape: ItemShape,
  ) {
    this.raw = raw;
    const rawId = raw[shape.idField];
    this.id = typeof rawId === 'string' && rawId.length >= 1 && rawId.length <= 128 ? rawId : null;
    for (const key of Object.keys(raw)) {
      if (shape.fields.has(key)) continue;
      // A GraphQL caller writing REST's snake_case gets pointed at the camelCase name.
      const camel = key.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
      this.problem(key, camel !== key && shape.fields.has(camel) ? `is written ${camel} in GraphQL` : `is not a field of ${shape.noun}`);
    }
  }

  problem(key: string, text: string): void {
    this.problems.push({ index: this.index, id: this.id, idName: this.shape.idField, field: `${this.shape.list}[${this.index}].${key}`, problem: text });
  }

  value(key: string): unknown {
    return this.raw[key];
  }

  str(key: string, max: number, required: boolean): string | null {
    const v = this.raw[key];
    if (v === undefined || v === null || v === '') {
      if (required) this.problem(key, 'is required');
      return null;
    }
    if (typeof v !== 'string') this.problem(key, 'must be a string');
    else if (v.length > max) this.problem(key, `must be at most ${max} characters`);
    else if (CONTROL.test(v)) this.problem(key, 'must not contain control characters');
    else return v;
    return null;
  }

  num(key: string, min: number, max: number, whole: boolean): number | null {
    const v = this.raw[key];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (whole && !Number.isInteger(v))) {
      this.problem(key, `must be ${whole ? 'a whole number' : 'a finite number'} from ${min} to ${max}`);
      return null;
    }
    return v;
  }

  oneOf<T extends string>(key: string, values: readonly T[]): T | null {
    const v = this.str(key, 32, true);
    if (v !== null && !(values as readonly string[]).includes(v)) {
      this.problem(key, `must be one of ${values.join(', ')}`);
      return null;
    }
    return v as T | null;
  }

  /** A required ISO-8601 instant with a zone, no later than latestMs, as ISO text. */
  instant(key: string, latestMs: number): string | null {
    const text = this.str(key, 64, true);
    if (text === null) return null;
    const t = parseInstant(text);
    if (t === null) this.problem(key, 'must be an ISO-8601 timestamp with a zone (e.g. 2026-06-01T12:00:00Z) from year 2000 to 9998');
    else if (t > latestMs) this.problem(key, 'must be at most 24 hours in the future');
    else return new Date(t).toISOString();
    return null;
  }
}
