import type { Context as HonoContext, Hono } from 'hono';
import {
  type ExecutionResult,
  type GraphQLSchema,
  type OperationDefinitionNode,
  GraphQLError,
  Kind,
  parse,
  validate,
  valueFromAST,
} from 'graphql';
import type { CompiledQuery } from 'graphql-jit';
import type { Logger } from 'pino';
import type { Context } from '../context.js';
import { DomainError, InvalidInput } from '../domain/errors.js';
import { type DeclaredScopes, authorizeScopes } from '../graphql/builder.js';
import { compileOperation, located } from '../graphql/compiled-execution.js';
import { withoutVariableValue } from '../graphql/yoga.js';
import { isJsonContentType } from '../http/boundary.js';
import { errorResponse, internalErrorBody } from '../http/error-response.js';
import { type FileBody, fileResponse } from '../http/file-response.js';
import { type IdempotencyRule, withoutRestSecrets } from '../http/idempotency.js';
import type { MethodTable } from '../http/methods.js';
import { camelKeys } from './case.js';
import { checkVariables } from './variables.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RestRequest {
  params: Record<string, string>;
  query: URLSearchParams;
  /** The JSON body with keys in camelCase; {} when the route takes none. */
  body: Record<string, unknown>;
}

export interface RestResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** A file to send instead of a JSON body (a download), with range support. */
  file?: FileBody;
}

export interface RouteSpec {
  operation: string;
  /** Path, query and body -> GraphQL variables. Throw InvalidInput for what GraphQL types cannot say. */
  variables?: (req: RestRequest) => Record<string, unknown>;
  respond: (data: any, req: RestRequest, ctx: Context) => RestResponse | Promise<RestResponse>;
  /** Body fields (snake_case) whose values are free-form JSON: their keys reach the operation as sent. */
  opaque?: ReadonlySet<string>;
}

export interface Route extends RouteSpec {
  method: Method;
  path: string;
}

/** A row of the route table. */
export function route(method: Method, path: string, spec: RouteSpec): Route {
  return { method, path, ...spec };
}

interface CompiledRoute extends Route {
  definition: OperationDefinitionNode;
  /** The root fields' declared scopes (with the arguments the document spells out), checked before the body is judged. */
  scopes: { declared: DeclaredScopes; args: Record<string, unknown> }[];
  /** The document compiled to JavaScript: the same resolvers (and scope checks), without interpreting the AST per call. */
  compiled: CompiledQuery;
}

/** Parses and validates every route's document once, at start: a broken row stops the server booting. */
export function compileRoutes(schema: GraphQLSchema, routes: Route[]): CompiledRoute[] {
  return routes.map((r) => {
    const document = parse(r.operation);
    const errors = validate(schema, document);
    if (errors.length > 0) {
      throw new Error(`route ${r.method} ${r.path}: ${errors.map((e) => e.message).join('; ')}`);
    }
    const definition = document.definitions.find((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition');
    if (!definition) throw new Error(`route ${r.method} ${r.path}: no operation`);
    const root = definition.operation === 'mutation' ? schema.getMutationType() : schema.getQueryType();
    const scopes = definition.selectionSet.selections.flatMap((sel) => {
      if (sel.kind !== 'Field') return [];
      const field = root?.getFields()[sel.name.value];
      // Arguments the document spells out (a module's name): a scope function of the arguments can judge them.
      const args: Record<string, unknown> = {};
      for (const arg of sel.arguments ?? []) {
        const def = field?.args.find((a) => a.name === arg.name.value);
        if (def && arg.value.kind !== Kind.VARIABLE) args[arg.name.value] = valueFromAST(arg.value, def.type);
      }
      return [{ declared: (field?.extensions?.pothosOptions as { authScopes?: unknown } | undefined)?.authScopes as DeclaredScopes, args }];
    });
    const compiled = compileOperation(schema, document);
    if (!compiled) throw new Error(`route ${r.method} ${r.path}: graphql-jit cannot compile its document`);
    return { ...r, definition, scopes, compiled };
  });
}

/** The domain error behind a GraphQL result, preferring one a caller can act on. */
function firstDomainError(result: ExecutionResult): DomainError | GraphQLError | null {
  const errors = result.errors ?? [];
  for (const e of errors) if (e.originalError instanceof DomainError) return e.originalError;
  return errors[0] ?? null;
}

const BODY_METHODS = new Set<Method>(['POST', 'PUT', 'PATCH']);

async function readJsonBody(c: HonoContext, opaque?: ReadonlySet<string>): Promise<Record<string, unknown>> {
  // node-server reads the body straight from the socket (no Request object or web stream is made).
  const raw = new Uint8Array(await c.req.arrayBuffer());
  if (raw.length === 0) return {};
  const type = c.req.header('content-type') ?? '';
  if (!isJsonContentType(type)) {
    throw new InvalidInput('the body must be JSON, sent with Content-Type: application/json');
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    throw new InvalidInput('the body is not valid UTF-8');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new InvalidInput('the body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidInput('the body must be a JSON object');
  }
  return camelKeys(parsed, 0, opaque) as Record<string, unknown>;
}

export interface RouterDeps {
  schema: GraphQLSchema;
  contextOf: (c: HonoContext) => Context;
  idempotency: IdempotencyRule;
  methods: MethodTable;
  logger: Logger;
}

export function mountRoutes(app: Hono<any>, routes: Route[], deps: RouterDeps): void {
  const { schema, contextOf, idempotency, logger } = deps;
  /** Executes a route's operation: its answer; a domain error is thrown for the caller to map. */
  const run = async (r: CompiledRoute, ctx: Context, variables: Record<string, unknown>, req: RestRequest): Promise<RestResponse> => {
    const result = located((await r.compiled.query(undefined, ctx, variables)) as ExecutionResult, undefined);
    const failure = firstDomainError(result);
    if (failure instanceof DomainError) throw failure;
    if (failure) {
      logger.error({ req_id: ctx.requestMeta.id, err: withoutVariableValue(failure.message), route: `${r.method} ${r.path}` }, 'route failed');
      return { status: 500, body: internalErrorBody() };
    }
    return await r.respond(result.data, req, ctx);
  };

  for (const r of compileRoutes(schema, routes)) {
    deps.methods.add(r.method, r.path);
    app.on(r.method, r.path, async (c) => {
      const ctx = contextOf(c);
      try {
        let variables: Record<string, unknown>;
        let req: RestRequest;
        try {
          const body = BODY_METHODS.has(r.method) ? await readJsonBody(c, r.opaque) : {};
          const search = c.req.url.indexOf('?');
          req = { params: c.req.param() as Record<string, string>, query: new URLSearchParams(search < 0 ? '' : c.req.url.slice(search + 1)), body };
          variables = r.variables ? r.variables(req) : {};
          checkVariables(schema, r.definition, variables);
        } catch (err) {
          // Who may call the route is decided before what they sent is judged.
          if (err instanceof InvalidInput) for (const s of r.scopes) await authorizeScopes(ctx, s.declared, s.args);
          throw err;
        }
        // Retried POSTs: the first answer is replayed instead of doing the work twice.
        const attempt =
          r.method === 'POST'
            ? await idempotency.begin(c.req.header('idempotency-key'), ctx, `${r.method} ${c.req.path}`, req.body, withoutRestSecrets)
            : ({ kind: 'none' } as const);
        if (attempt.kind === 'replay') {
          c.header('Idempotency-Replayed', 'true');
          for (const [k, v] of Object.entries(attempt.headers)) c.header(k, v);
          return c.json(attempt.body as object, attempt.status as 200);
        }
        let out: RestResponse;
        try {
          out = await run(r, ctx, variables, req);
        } catch (err) {
          if (attempt.kind === 'first') await attempt.abandon();
          throw err;
        }
        if (attempt.kind === 'first') await attempt.finish(out.status, out.body, out.headers);
        if (out.file) return fileResponse(c, out.file);
        for (const [k, v] of Object.entries(out.headers ?? {})) c.header(k, v);
        if (out.body === undefined) return c.body(null, out.status as 204);
        return c.json(out.body as object, out.status as 200);
      } catch (err) {
        if (err instanceof DomainError) return errorResponse(c, err, r.opaque);
        throw err;
      }
    });
  }
}
