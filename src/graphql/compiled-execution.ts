import { type DocumentNode, type ExecutionArgs, type ExecutionResult, GraphQLError, type Source, getOperationAST, getVariableValues } from 'graphql';
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
      // Variables that do not coerce are refused by graphql-js, in its words, with their locations.
      const operation = getOperationAST(args.document, args.operationName);
      const definitions = operation?.variableDefinitions ?? [];
      if (definitions.length > 0 && getVariableValues(args.schema, definitions, args.variableValues ?? {}).errors) return;
      const compiled = compiledFor(args);
      if (!compiled) return;
      setExecuteFn(async (a) => located((await compiled.query(a.rootValue, a.contextValue, a.variableValues)) as ExecutionResult, a.document.loc?.source));
    },
  };
}

/**
 * graphql-jit's errors hold their locations as line and column only, which every later rebuild of the
 * error (masking, yoga's serializer) drops: they are given the source and positions graphql-js keeps.
 */
function located(result: ExecutionResult, source: Source | undefined): ExecutionResult {
  if (!result.errors?.length || !source) return result;
  // Lines end as graphql-js counts them: at \r\n, \n or \r.
  const lineStarts = [0];
  for (const m of source.body.matchAll(/\r\n|[\n\r]/g)) lineStarts.push(m.index + m[0].length);
  const errors = result.errors.map((e) => {
    if (e.nodes || e.positions || !e.locations?.length) return e;
    const positions = e.locations.map((l) => lineStarts[l.line - 1] + l.column - 1);
    return new GraphQLError(e.message, { source, positions, path: e.path, originalError: e.originalError, extensions: e.extensions });
  });
  return { ...result, errors };
}
