import { randomBytes } from 'node:crypto';

/** Service-made primary keys: a type prefix and 96 random bits, sortable by nothing (time is a column). */
export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('base64url')}`;
}
