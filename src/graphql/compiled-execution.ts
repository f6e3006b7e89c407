import type { DocumentNode, ExecutionArgs, ExecutionResult } from 'graphql';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';
import type { Plugin } from 'graphql-yoga';

/** Executions of a document before it is compiled: a one-off document is not worth its compilation. */
const RUNS_BEFORE_COMPILING = 2;

interface Entry {
  runs: number;
  /** By operation name ('' for the only one): a document may hold several operations. */
  compiled: Map<string, CompiledQuery | null>;
}

/**
 * Executes a document that keeps coming back compiled to JavaScript by graphql-jit: the same Pothos
 * resolvers run (so scope-auth decides every field as before), without graphql-js interpreting the AST on
 * every call. Documents are the parse cache's, so entries go when it drops them; what jit cannot compile
 * stays on graphql-js.
 */
export function compiledExecution(): Plugin {
  const entries = new WeakMap<DocumentNode, Entry>();
  const compiledFor = (args: ExecutionArgs): CompiledQuery | null => {
    let entry = entries.get(args.document);
    if (!entry) entries.set(args.document, (entry = { runs: 0, compiled: new Map() }));
    if (++entry.runs < RUNS_BEFORE_COMPILING) return null;
    const name = args.operationName ?? '';
    if (!entry.compiled.has(name)) {
      const result = compileQuery(args.schema, args.document, args.operationName ?? undefined);
      entry.compiled.set(name, isCompiledQuery(result) ? result : null);
    }
    return entry.compiled.get(name) ?? null;
  };
  return {
    onExecute({ args, setExecuteFn }) {
      const compiled = compiledFor(args);
      if (compiled) setExecuteFn((a) => compiled.query(a.rootValue, a.contextValue, a.variableValues) as ExecutionResult | Promise<ExecutionResult>);
    },
  };
}
