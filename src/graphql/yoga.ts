import { costLimitPlugin } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesPlugin } from '@escape.tech/graphql-armor-max-directives';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { GraphQLError, NoSchemaIntrospectionCustomRule, type GraphQLSchema } from 'graphql';
import { type Plugin, createYoga } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Context } from '../context.js';
import { compiledExecution } from './compiled-execution.js';
import { DomainError, Forbidden, InvalidInput, ModuleNotEnabled, RateLimited, SsoRequired, Unauthenticated } from '../domain/errors.js';

export const GRAPHQL_LIMITS = { depth: 10, aliases: 15, tokens: 2000, directives: 10, cost: 5000 } as const;
/** The header a GET or form request to /graphql must carry: a page on another origin cannot add it without a preflight. */
export const CSRF_HEADER = 'x-graphql-yoga-csrf';
const SIMPLE_CONTENT_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain'];

/** Parse, validation and request errors are the caller's to read: graphql-js or yoga made them, about the request. */
function isUnexpected(error: unknown): boolean {
  const original = error instanceof GraphQLError ? error.originalError : error;
  if (original instanceof DomainError) return false;
  if (error instanceof GraphQLError && isRequestError(error)) return false;
  return !(error instanceof GraphQLError && (!error.originalError || error.originalError instanceof GraphQLError));
}

/** Yoga's refusals of the HTTP request itself (bad JSON, wrong method) carry a 4xx http status. */
function isRequestError(error: GraphQLError): boolean {
  const status = (error.extensions?.http as { status?: number } | undefined)?.status;
  return status !== undefined && status >= 400 && status < 500;
}

const SUGGESTION = /\s*Did you mean [^?]*\?/;

/**
 * A new error in the same place as `from`: nodes, or source and positions (compiled execution's errors
 * locate themselves by those), and path. What it says and carries is the caller's to choose.
 */
function relocated(from: GraphQLError | null, message: string, extensions: GraphQLError['extensions']): GraphQLError {
  return new GraphQLError(message, { nodes: from?.nodes, source: from?.source, positions: from?.positions, path: from?.path, extensions });
}

// graphql-js words a variable that does not coerce with the value printed in it ("got invalid value { apiKey:
// "sk-..." }"): the value may be a secret. Only the variable, the path and graphql-js's own wording of the
// problem (when it is one of these, which name types and fields, never values) are kept.
const INVALID_VARIABLE = /^Variable "(\$[A-Za-z_]\w*)" got invalid value /;
const SAFE_REASONS: [RegExp, (m: RegExpExecArray) => string][] = [
  [/Field "[A-Za-z_]\w*" is not defined by type "[A-Za-z_]\w*"\./g, (m) => m[0]],
  [/Field "[A-Za-z_]\w*" of required type "[^"\s]+" was not provided\./g, (m) => m[0]],
  [/Expected non-nullable type "[^"\s]+" not to be null\./g, (m) => m[0]],
  [/Expected type "[A-Za-z_]\w*" to be an object\./g, (m) => m[0]],
  [/Expected type "[A-Za-z_]\w*"\./g, (m) => m[0]],
  // The enum's name, not the value sent.
  [/Value "(?:[^"\\]|\\.)*" does not exist in "([A-Za-z_]\w*)" enum\./g, (m) => `Value does not exist in "${m[1]}" enum.`],
];
// graphql-js's suggestions name the schema's fields and values, never the input's.
const SUGGESTED = /^ Did you mean (?:the enum value )?"[A-Za-z_]\w*"(?:(?:, | or |, or )(?:the enum value )?"[A-Za-z_]\w*")*\?/;

export function withoutVariableValue(message: string): string {
  const m = INVALID_VARIABLE.exec(message);
  if (!m) return message;
  const name = m[1].slice(1);
  const rest = message.slice(m[0].length);
  // The path and the reason come after the value; the last of each is graphql-js's (a value could only add earlier ones).
  const at = [...rest.matchAll(new RegExp(` at "(${name}(?:\\.[A-Za-z_]\\w*|\\[\\d+\\])*)"; `, 'g'))].at(-1);
  let reason: { index: number; end: number; text: string } | null = null;
  for (const [pattern, word] of SAFE_REASONS) {
    for (const r of rest.matchAll(pattern)) {
      if (!reason || r.index! > reason.index) reason = { index: r.index!, end: r.index! + r[0].length, text: word(r as RegExpExecArray) };
    }
  }
  const hint = reason ? (SUGGESTED.exec(rest.slice(reason.end))?.[0] ?? '') : '';
  return `Variable "${m[1]}" got an invalid value${at ? ` at "${at[1]}"` : ''}; ${reason ? reason.text + hint : 'it does not match the type the schema declares.'}`;
}

/** Domain errors keep their words and gain a code; everything unexpected becomes "Unexpected error.". */
export function toGraphQLError(error: unknown): GraphQLError {
  const original = error instanceof GraphQLError ? error.originalError : error;
  if (original instanceof DomainError) {
    const gql = error instanceof GraphQLError ? error : null;
    const extensions: Record<string, unknown> = { code: original.code, status: original.status };
    if ((original instanceof Unauthenticated || original instanceof Forbidden) && original.requiredAuth.length) {
      extensions.requiredAuth = original.requiredAuth;
    }
    if (original instanceof RateLimited) extensions.retryAfter = original.retryAfterSeconds;
    if (original instanceof SsoRequired) extensions.ssoLoginUrl = original.loginUrl;
    if (original instanceof ModuleNotEnabled) extensions.module = original.module;
    if (original instanceof InvalidInput) {
      if (original.field) extensions.field = original.field;
      if (original.details) {
        extensions.details = original.details.map((d) => ({ index: d.index, [d.idName ?? 'eventId']: d.id, field: d.field, message: `${d.field} ${d.problem}` }));
      }
    }
    return relocated(gql, original.message, extensions);
  }
  if (isUnexpected(error)) {
    return new GraphQLError('Unexpected error.', {
      path: error instanceof GraphQLError ? error.path : undefined,
      extensions: { code: 'INTERNAL' },
    });
  }
  const gql = error as GraphQLError;
  // Rebuilt without originalError: yoga's request errors would otherwise carry the parser's words (and a
  // piece of the body) to the caller.
  const { originalError: _parserWords, ...kept } = gql.extensions ?? {};
  const extensions: Record<string, unknown> = { ...kept, code: kept.code ?? (isRequestError(gql) ? 'BAD_REQUEST' : 'GRAPHQL_VALIDATION_FAILED') };
  // A malformed request is a 400 whatever the Accept header (yoga would answer 200 for application/json).
  const http = kept.http as { status?: number; spec?: boolean } | undefined;
  if (http?.spec) extensions.http = { status: http.status };
  return relocated(gql, withoutVariableValue(gql.message), extensions);
}

type Result = { errors?: readonly GraphQLError[] };

/**
 * In production the schema's spelling hints ("Did you mean ...?") leave no error: removed on the way out,
 * whichever rule wrote them (validation errors never pass the mask, variable errors do), on either path.
 */
function withoutSuggestions<R>(result: R): R {
  const r = result as Result;
  if (Array.isArray(result) || !r.errors?.some((e) => SUGGESTION.test(e.message))) return result;
  return {
    ...(result as object),
    errors: r.errors.map(
      (e) => relocated(e, e.message.replace(SUGGESTION, ''), e.extensions),
    ),
  } as R;
}

/**
 * Yoga's CSRF rule (a GET or a simple-content-type POST must carry a header no page can add without a
 * preflight), with a refusal that says what to send.
 */
function csrfPrevention(): Plugin {
  return {
    onRequestParse({ request }) {
      const type = request.headers.get('content-type')?.toLowerCase();
      const preflighted = type !== undefined && type !== '' && !SIMPLE_CONTENT_TYPES.some((t) => type.startsWith(t));
      if (preflighted || request.headers.has(CSRF_HEADER)) return;
      throw new GraphQLError(
        `this request could be sent by any web page: POST it with Content-Type: application/json, or send the header ${CSRF_HEADER} (any value)`,
        { extensions: { code: 'CSRF_HEADER_REQUIRED', http: { status: 403 } } },
      );
    },
  };
}

export function createGraphQLHandler(schema: GraphQLSchema, config: Config, logger: Logger) {
  const production = config.environment === 'production';
  const plugins: Plugin[] = [
    csrfPrevention(),
    maxDepthPlugin({ n: GRAPHQL_LIMITS.depth, flattenFragments: true }) as Plugin,
    maxAliasesPlugin({ n: GRAPHQL_LIMITS.aliases, allowList: [] }) as Plugin,
    maxTokensPlugin({ n: GRAPHQL_LIMITS.tokens }) as Plugin,
    maxDirectivesPlugin({ n: GRAPHQL_LIMITS.directives }) as Plugin,
    costLimitPlugin({ maxCost: GRAPHQL_LIMITS.cost }) as Plugin,
    compiledExecution(),
  ];
  // Unexpected errors are logged with the request id before masking hides them from the caller.
  plugins.push({
    onExecute: ({ args }) => ({
      onExecuteDone: ({ result }) => {
        if (!('errors' in result) || !result.errors) return;
        const ctx = args.contextValue as Partial<Context>;
        for (const e of result.errors) {
          if (!isUnexpected(e)) continue;
          const original = e.originalError ?? e;
          logger.error({ req_id: ctx.requestMeta?.id, path: e.path?.join('.'), err: original.message }, 'unexpected GraphQL error');
        }
      },
    }),
  });
  const finish = production ? withoutSuggestions : <R>(result: R) => result;
  plugins.push({ onResultProcess: ({ result, setResult }) => setResult(finish(result)) });
  if (production) {
    plugins.push({
      onValidate: ({ addValidationRule }) => addValidationRule(NoSchemaIntrospectionCustomRule),
    });
  }
  const yoga = createYoga<Context>({
    schema,
    graphqlEndpoint: '/graphql',
    // Served from the package, assets inlined: GraphiQL works without reaching any CDN.
    graphiql: !production,
    renderGraphiQL,
    landingPage: false,
    batching: false,
    // CORS is the HTTP layer's, in one place for every face (http/boundary.ts).
    cors: false,
    logging: false,
    maskedErrors: { maskError: (error) => toGraphQLError(error) },
    plugins,
  });
  return { yoga, finish };
}

export type GraphQLHandler = ReturnType<typeof createGraphQLHandler>;
