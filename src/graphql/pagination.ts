import { type DefaultConnectionArguments, cursorToOffset, resolveOffsetConnection } from '@pothos/plugin-relay';
import { InvalidInput } from '../domain/errors.js';

// Offsets past this are no page anyone reads; they would only cost the database a long skip.
const MAX_OFFSET = 1_000_000;

/**
 * resolveOffsetConnection with the cursors checked first: a cursor the caller mangled is a 400 naming it,
 * not an internal error, and never a negative or absurd OFFSET (PostgreSQL refuses the one, both pay for the other).
 */
export function offsetConnection<T>(
  args: DefaultConnectionArguments,
  sizes: { defaultSize: number; maxSize: number },
  load: (page: { offset: number; limit: number }) => Promise<readonly T[]> | readonly T[],
) {
  for (const name of ['after', 'before'] as const) {
    const cursor = args[name];
    if (cursor === null || cursor === undefined) continue;
    let offset: number;
    try {
      offset = cursorToOffset(cursor);
    } catch {
      offset = Number.NaN;
    }
    if (!Number.isInteger(offset) || offset < 0 || offset > MAX_OFFSET) {
      throw new InvalidInput('is not a cursor this list gave out', name);
    }
  }
  return resolveOffsetConnection({ args, ...sizes }, load);
}

/** An offset connection whose loader also counts: the page and its totalCount from one service call. */
export async function countedConnection<T>(
  args: DefaultConnectionArguments,
  sizes: { defaultSize: number; maxSize: number },
  load: (page: { offset: number; limit: number }) => Promise<{ items: readonly T[]; total: number }>,
) {
  let total = 0;
  const connection = await offsetConnection(args, sizes, async (page) => {
    const r = await load(page);
    total = r.total;
    return r.items;
  });
  return { ...connection, totalCount: total };
}
