import type { Compilable, CompiledQuery } from 'kysely';
import { type Executor, directReader } from './database.js';

const SLOT = '\u0000slot:';

interface Compiled {
  query: CompiledQuery;
  /** For each compiled parameter: the index of the call argument it takes, or -1 for a constant. */
  slots: number[];
}

/**
 * A hot read, built and compiled by Kysely once per database handle; each call only binds its arguments.
 * Kysely builds and compiles a query on every execution (half the cost of the session lookup); the hot
 * paths' statements never change shape, so that work is done once. The query is built with placeholder
 * arguments, and the compiled parameters that are placeholders are replaced at each call. On SQLite a
 * read runs on the connection directly when it may (see directReader).
 */
export function prepared<A extends unknown[], R>(build: (db: Executor, ...args: A) => Compilable<R>) {
  const cache = new WeakMap<Executor, Compiled>();
  const compile = (db: Executor, arity: number): Compiled => {
    const placeholders = Array.from({ length: arity }, (_, i) => `${SLOT}${i}`) as unknown as A;
    const query = build(db, ...placeholders).compile();
    if (query.query.kind !== 'SelectQueryNode') throw new Error(`prepared queries are reads: ${query.sql}`);
    const index = new Map((placeholders as unknown as string[]).map((p, i) => [p, i]));
    const slots = query.parameters.map((p) => {
      if (typeof p !== 'string' || !p.startsWith(SLOT)) return -1;
      const slot = index.get(p);
      // A parameter made from an argument (a LIKE pattern, say) cannot be bound by position.
      if (slot === undefined) throw new Error(`prepared query: a parameter is derived from an argument: ${query.sql}`);
      return slot;
    });
    for (let i = 0; i < arity; i++) {
      if (!slots.includes(i)) throw new Error(`prepared query: argument ${i} is not a parameter of ${query.sql}`);
    }
    return { query, slots };
  };
  return async (db: Executor, ...args: A): Promise<R[]> => {
    let compiled = cache.get(db);
    if (!compiled) cache.set(db, (compiled = compile(db, args.length)));
    const { query, slots } = compiled;
    const parameters = slots.map((slot, i) => (slot < 0 ? query.parameters[i] : args[slot]));
    const rows = directReader(db)?.(query.sql, parameters);
    if (rows) return rows as R[];
    return (await db.executeQuery<R>({ ...query, parameters } as CompiledQuery<R>)).rows;
  };
}
