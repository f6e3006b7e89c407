import { type DocumentNode, type ExecutionResult, type GraphQLSchema, type OperationDefinitionNode, parse } from 'graphql';
import { processRegularResult } from 'graphql-yoga';
import type { Context as HonoContext } from 'hono';
import type { Context } from '../context.js';
import { DomainError, InvalidInput } from '../domain/errors.js';
import type { Attempt, IdempotencyRule } from '../http/idempotency.js';
import type { AppEnv } from '../http/request-context.js';
import { secretPaths, withoutPaths } from './secret-fields.js';
import { type GraphQLHandler, toGraphQLError } from './yoga.js';

interface Params {
  query?: unknown;
  variables?: unknown;
  operationName?: unknown;
}

/** The request's operation when it is one mutation: the only GraphQL request a retry could repeat harmfully. */
function singleMutation(params: Params): { document: DocumentNode; operation: OperationDefinitionNode } | null {
  if (typeof params.query !== 'string') return null;
  let document: DocumentNode;
  try {
    document = parse(params.query);
  } catch {
    return null;
  }
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition');
  const chosen = typeof params.operationName === 'string' ? operations.filter((o) => o.name?.value === params.operationName) : operations;
  return chosen.length === 1 && chosen[0].operation === 'mutation' ? { document, operation: chosen[0] } : null;
}

function errorAnswer(c: HonoContext, err: DomainError): Response {
  const { message, extensions } = toGraphQLError(err);
  return c.json({ errors: [{ message, extensions }] }, err.status as 400);
}

/**
 * The media type yoga would answer a JSON POST with, when the Accept header leaves no doubt; undefined
 * sends the request through yoga's own negotiation.
 */
function plainAnswerType(accept: string | undefined): string | undefined {
  if (accept === undefined) return 'application/json';
  if (accept.includes(',')) return undefined;
  const type = accept.split(';')[0].trim().toLowerCase();
  if (type === '' || type === '*/*' || type === 'application/json') return 'application/json';
  return type === 'application/graphql-response+json' ? type : undefined;
}

/** The content types yoga's JSON request parser takes (anything else goes to yoga.fetch, which may refuse it). */
function isYogaJson(contentType: string | undefined): boolean {
  const type = contentType?.toLowerCase();
  return ['application/json', 'application/graphql+json'].some((t) => type === t || type?.startsWith(`${t};`));
}

/** What yoga's JSON result processor writes, kept as status, headers and text instead of a fetch Response. */
class Rendered {
  constructor(
    readonly body: string,
    readonly init: { status?: number; headers?: Record<string, string> },
  ) {}
}
const RENDER = { Response: Rendered } as unknown as Parameters<typeof processRegularResult>[1];

/**
 * /graphql over HTTP. The body is read as strict UTF-8 (as REST reads it), and a single mutation honours
 * Idempotency-Key like a REST POST. A JSON POST with a plain Accept header, nearly every call, is run
 * through yoga's own operation pipeline (its parameter checks, parse and validation cache, armor limits,
 * masking) and rendered by its JSON result processor, without the fetch Request, stream, AbortSignal and
 * Response its HTTP layer would build; a JSON POST needs no CSRF header, as it cannot be sent without a
 * preflight. GET, GraphiQL, other content types and malformed bodies go through yoga.fetch as they are.
 * On the lean path the resolvers see this request's context object itself; through yoga.fetch an object
 * made from it (its prototype, its properties: the same cookies, pending work and loaders).
 */
export function graphqlHttpHandler(graphql: GraphQLHandler, schema: GraphQLSchema, idempotency: IdempotencyRule, notAllowed: (c: HonoContext) => Response) {
  const { yoga, finish } = graphql;

  const lean = async (c: HonoContext, ctx: Context, params: Params, mediaType: string): Promise<Response | null> => {
    let result: ExecutionResult;
    try {
      result = (await yoga.getResultForParams({ params: params as { query: string }, request: c.req.raw }, ctx)) as ExecutionResult;
    } catch {
      // Refused by a parameter check (yoga's onParams hooks) before anything ran: yoga.fetch words that
      // refusal. Safe only while no hook that runs after execution can throw (yoga has no
      // onExecutionResult hook here): a mutation must never run twice.
      return null;
    }
    const out = processRegularResult(finish(result), RENDER, mediaType) as unknown as Rendered;
    return c.body(out.body, (out.init.status ?? 200) as 200, out.init.headers);
  };

  return async (c: HonoContext<AppEnv>): Promise<Response> => {
    // Hono hands HEAD to the GET handler; yoga has no HEAD answer, so it is the method table's 405.
    if (c.req.method === 'HEAD') return notAllowed(c);
    const ctx = c.get('ctx');
    if (c.req.method !== 'POST') return yoga.fetch(c.req.raw, ctx);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(await c.req.arrayBuffer());
    } catch {
      return errorAnswer(c, new InvalidInput('the body is not valid UTF-8'));
    }
    let params: Params | null = null;
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) params = parsed as Params;
    } catch {
      // Not JSON: yoga words that refusal.
    }
    let attempt: Attempt = { kind: 'none' };
    const key = c.req.header('idempotency-key');
    const mutation = key !== undefined && params ? singleMutation(params) : null;
    if (params && mutation) {
      const secrets = secretPaths(schema, mutation.document, mutation.operation);
      const strip = (answer: unknown) => ({ ...(answer as object), data: withoutPaths((answer as { data?: unknown }).data, secrets) });
      try {
        attempt = await idempotency.begin(key, ctx, 'POST /graphql', { query: params.query, variables: params.variables ?? null, operationName: params.operationName ?? null }, strip);
      } catch (err) {
        if (err instanceof DomainError) return errorAnswer(c, err);
        throw err;
      }
    }
    if (attempt.kind === 'replay') {
      c.header('Idempotency-Replayed', 'true');
      return c.json(attempt.body as object, attempt.status as 200);
    }
    let response: Response | null = null;
    try {
      const mediaType = params && isYogaJson(c.req.header('content-type')) ? plainAnswerType(c.req.header('accept')) : undefined;
      if (params && mediaType) response = await lean(c, ctx, params, mediaType);
      response ??= await yoga.fetch(new Request(c.req.url, { method: 'POST', headers: c.req.raw.headers, body: text }), ctx);
    } catch (err) {
      if (attempt.kind === 'first') await attempt.abandon();
      throw err;
    }
    if (attempt.kind === 'first') {
      const body = (await response.clone().json().catch(() => null)) as { errors?: unknown[] } | null;
      // Like REST, only a clean success is kept; a refusal may be corrected and retried with the same key.
      await (body && !body.errors ? attempt.finish(response.status, body) : attempt.abandon());
    }
    return response;
  };
}
