import { type DocumentNode, type GraphQLSchema, type OperationDefinitionNode, parse } from 'graphql';
import type { Context as HonoContext } from 'hono';
import { DomainError, InvalidInput } from '../domain/errors.js';
import type { Attempt, IdempotencyRule } from '../http/idempotency.js';
import type { AppEnv } from '../http/request-context.js';
import { secretPaths, withoutPaths } from './secret-fields.js';
import { toGraphQLError } from './yoga.js';

interface Yoga {
  fetch(request: Request, serverContext: { gqlContext: AppEnv['Variables']['ctx'] }): Response | Promise<Response>;
}

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
 * /graphql over HTTP: the body is read as strict UTF-8 (as REST reads it), a single mutation honours
 * Idempotency-Key like a REST POST, and yoga does the rest.
 */
export function graphqlHttpHandler(yoga: Yoga, schema: GraphQLSchema, idempotency: IdempotencyRule, notAllowed: (c: HonoContext) => Response) {
  return async (c: HonoContext<AppEnv>): Promise<Response> => {
    // Hono hands HEAD to the GET handler; yoga has no HEAD answer, so it is the method table's 405.
    if (c.req.method === 'HEAD') return notAllowed(c);
    const ctx = c.get('ctx');
    if (c.req.method !== 'POST') return yoga.fetch(c.req.raw, { gqlContext: ctx });
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(await c.req.arrayBuffer());
    } catch {
      return errorAnswer(c, new InvalidInput('the body is not valid UTF-8'));
    }
    const request = new Request(c.req.url, { method: 'POST', headers: c.req.raw.headers, body: text });
    let attempt: Attempt = { kind: 'none' };
    const key = c.req.header('idempotency-key');
    if (key !== undefined) {
      let params: Params | null = null;
      try {
        params = JSON.parse(text) as Params;
      } catch {
        // Not JSON: yoga words that refusal.
      }
      const mutation = params && typeof params === 'object' ? singleMutation(params) : null;
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
    }
    if (attempt.kind === 'replay') {
      c.header('Idempotency-Replayed', 'true');
      return c.json(attempt.body as object, attempt.status as 200);
    }
    let response: Response;
    try {
      response = await yoga.fetch(request, { gqlContext: ctx });
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
