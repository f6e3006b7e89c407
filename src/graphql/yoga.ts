import { blockFieldSuggestionsPlugin } from '@escape.tech/graphql-armor-block-field-suggestions';
import { costLimitPlugin } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesPlugin } from '@escape.tech/graphql-armor-max-directives';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { GraphQLError, NoSchemaIntrospectionCustomRule, type GraphQLSchema } from 'graphql';
import { type Plugin, createYoga } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { DomainError, Forbidden, InvalidInput, RateLimited, Unauthenticated } from '../services/errors.js';
import type { Context } from './context.js';

export const GRAPHQL_LIMITS = { depth: 10, aliases: 15, tokens: 2000, directives: 10, cost: 5000 } as const;

/** Domain errors keep their words and gain a code; everything else becomes "Unexpected error.". */
/** Parse, validation and variable errors are the caller's to read: graphql-js made them, about the request. */
function isUnexpected(error: unknown): boolean {
  const original = error instanceof GraphQLError ? error.originalError : error;
  if (original instanceof DomainError) return false;
  return !(error instanceof GraphQLError && (!error.originalError || error.originalError instanceof GraphQLError));
}

export function toGraphQLError(error: unknown): Error {
  const original = error instanceof GraphQLError ? error.originalError : error;
  if (original instanceof DomainError) {
    const gql = error instanceof GraphQLError ? error : null;
    const extensions: Record<string, unknown> = { code: original.code, status: original.status };
    if ((original instanceof Unauthenticated || original instanceof Forbidden) && original.requiredAuth.length) {
      extensions.requiredAuth = original.requiredAuth;
    }
    if (original instanceof RateLimited) extensions.retryAfter = original.retryAfterSeconds;
    if (original instanceof InvalidInput) {
      if (original.field) extensions.field = original.field;
      if (original.details) extensions.details = original.details;
    }
    return new GraphQLError(original.message, { nodes: gql?.nodes, path: gql?.path, extensions });
  }
  if (!isUnexpected(error)) return error as GraphQLError;
  return new GraphQLError('Unexpected error.', {
    path: error instanceof GraphQLError ? error.path : undefined,
    extensions: { code: 'INTERNAL' },
  });
}

export function createGraphQLHandler(schema: GraphQLSchema, config: Config, logger: Logger) {
  const production = config.environment === 'production';
  const plugins: Plugin[] = [
    useCSRFPrevention({ requestHeaders: ['x-graphql-yoga-csrf'] }) as Plugin,
    maxDepthPlugin({ n: GRAPHQL_LIMITS.depth, flattenFragments: true }) as Plugin,
    maxAliasesPlugin({ n: GRAPHQL_LIMITS.aliases, allowList: [] }) as Plugin,
    maxTokensPlugin({ n: GRAPHQL_LIMITS.tokens }) as Plugin,
    maxDirectivesPlugin({ n: GRAPHQL_LIMITS.directives }) as Plugin,
    costLimitPlugin({ maxCost: GRAPHQL_LIMITS.cost }) as Plugin,
  ];
  // Unexpected errors are logged with the request id before masking hides them from the caller.
  plugins.push({
    onExecute: ({ args }) => ({
      onExecuteDone: ({ result }) => {
        if (!('errors' in result) || !result.errors) return;
        const ctx = args.contextValue as unknown as Partial<Context>;
        for (const e of result.errors) {
          if (!isUnexpected(e)) continue;
          const original = e.originalError ?? e;
          logger.error({ req_id: ctx.request?.id, path: e.path?.join('.'), err: original.message }, 'unexpected GraphQL error');
        }
      },
    }),
  });
  if (production) {
    plugins.push(blockFieldSuggestionsPlugin() as Plugin);
    plugins.push({
      onValidate: ({ addValidationRule }) => addValidationRule(NoSchemaIntrospectionCustomRule),
    });
  }
  return createYoga<{ gqlContext: Context }>({
    schema,
    graphqlEndpoint: '/graphql',
    context: ({ gqlContext }) => gqlContext,
    graphiql: !production,
    landingPage: false,
    batching: false,
    logging: false,
    maskedErrors: { maskError: (error) => toGraphQLError(error) },
    plugins,
  });
}
