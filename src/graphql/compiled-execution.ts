import {
  type DocumentNode,
  type ExecutionResult,
  GraphQLError,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type Source,
  getOperationAST,
  getVariableValues,
  isLeafType,
} from 'graphql';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';
import type { Plugin } from 'graphql-yoga';

/**
 * Executions of a document before it is compiled: compiling costs more than a run, so only documents that
 * keep coming back (the clients' own) earn it, and a caller cannot make the server compile at will.
 */
export const RUNS_BEFORE_COMPILING = 10;

/** The message graphql-jit is handed for a leaf value that failed to serialize for a reason not the caller's. */
const UNSERIALIZABLE = '\u0000unserializable leaf value';

/**
 * graphql-jit answers a leaf that does not serialize with the serializer's message, or with one that prints
 * the value; graphql-js treats anything but a GraphQLError there as an internal error, masked and logged.
 * Each leaf serializer is wrapped so that compiled execution does the same (see located()).
 */
function leafSerializers(schema: GraphQLSchema): Record<string, (v: unknown) => unknown> {
  const serializers: Record<string, (v: unknown) => unknown> = {};
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isLeafType(type)) continue;
    serializers[type.name] = (value) => {
      let out: unknown;
      try {
        out = type.serialize(value);
      } catch (err) {
        if (err instanceof GraphQLError) throw err;
        throw new Error(UNSERIALIZABLE);
      }
      if (out === undefined || out === null || Number.isNaN(out)) throw new Error(UNSERIALIZABLE);
      return out;
    };
  }
  return serializers;
}

/** A document compiled for one of its operations; null when graphql-jit cannot compile it. */
export function compileOperation(schema: GraphQLSchema, document: DocumentNode, operationName?: string): CompiledQuery | null {
  const result = compileQuery(schema, document, operationName, { customSerializers: leafSerializers(schema) });
  return isCompiledQuery(result) ? result : null;
}

/**
 * graphql-jit's errors hold their locations as line and column only, which every later rebuild of the
 * error (masking, yoga's serializer) drops: they are given the source and positions graphql-js keeps. A
 * leaf that failed to serialize becomes the internal error it is under graphql-js.
 */
export function located(result: ExecutionResult, source: Source | undefined): ExecutionResult {
  if (!result.errors?.length) return result;
  // Lines end as graphql-js counts them: at \r\n, \n or \r.
  const lineStarts = [0];
  for (const m of source?.body.matchAll(/\r\n|[\n\r]/g) ?? []) lineStarts.push(m.index + m[0].length);
  const errors = result.errors.map((e) => {
    const internal = e.message === UNSERIALIZABLE;
    if (!internal && (e.nodes || e.positions || !e.locations?.length || !source)) return e;
    const positions = source && e.locations ? e.locations.map((l) => lineStarts[l.line - 1] + l.column - 1) : undefined;
    return new GraphQLError(internal ? 'a leaf value did not serialize' : e.message, {
      source: positions ? source : undefined,
      positions,
      path: e.path,
      originalError: internal ? new Error(`a leaf value did not serialize at ${e.path?.join('.')}`) : e.originalError,
      extensions: e.extensions,
    });
  });
  return { ...result, errors };
}

interface Entry {
  runs: number;
  /** By the operation node itself, never by a caller's string: a document holds a bounded set of them. */
  compiled: WeakMap<OperationDefinitionNode, CompiledQuery | null>;
}

/**
 * Executes a document that keeps coming back compiled to JavaScript by graphql-jit: the same Pothos
 * resolvers run (so scope-auth decides every field as before), without graphql-js interpreting the AST on
 * every call. Documents are the parse cache's, so entries go when it drops them; what jit cannot compile
 * stays on graphql-js.
 */
export function compiledExecution(): Plugin {
  const entries = new WeakMap<DocumentNode, Entry>();
  return {
    onExecute({ args, setExecuteFn }) {
      const operation = getOperationAST(args.document, args.operationName);
      // No such operation: graphql-js refuses it, in its words.
      if (!operation) return;
      // Variables that do not coerce are refused by graphql-js too, with their locations.
      const definitions = operation.variableDefinitions ?? [];
      if (definitions.length > 0 && getVariableValues(args.schema, definitions, args.variableValues ?? {}).errors) return;
      let entry = entries.get(args.document);
      if (!entry) entries.set(args.document, (entry = { runs: 0, compiled: new WeakMap() }));
      if (++entry.runs < RUNS_BEFORE_COMPILING) return;
      if (!entry.compiled.has(operation)) entry.compiled.set(operation, compileOperation(args.schema, args.document, operation.name?.value));
      const compiled = entry.compiled.get(operation);
      if (!compiled) return;
      setExecuteFn(async (a) => located((await compiled.query(a.rootValue, a.contextValue, a.variableValues)) as ExecutionResult, a.document.loc?.source));
    },
  };
}
