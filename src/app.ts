import { Hono } from 'hono';
import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { Database } from './db/database.js';
import { graphqlHttpHandler } from './graphql/http-handler.js';
import { getSchema } from './graphql/schema.js';
import { createGraphQLHandler } from './graphql/yoga.js';
import { bodySizeLimit } from './http/body.js';
import { ambientCredentialGuard, boundaryOf, cors, hostCheck } from './http/boundary.js';
import { internalErrorBody } from './http/error-response.js';
import { IdempotencyRule } from './http/idempotency.js';
import type { Lifecycle } from './http/lifecycle.js';
import { MethodTable } from './http/methods.js';
import { mountProbes } from './http/probes.js';
import { type AppEnv, requestContext } from './http/request-context.js';
import { responseHeaders } from './http/response-headers.js';
import { routes } from './rest/routes/index.js';
import { scimError, scimTooLarge } from './scim/errors.js';
import { mountScim } from './scim/router.js';
import { mountSsoFlows } from './sso-flows/router.js';
import { mountRoutes } from './rest/router.js';
import type { Services } from './services/index.js';

export interface AppDeps {
  config: Config;
  database: Database;
  services: Services;
  clock: Clock;
  logger: Logger;
  lifecycle: Lifecycle;
}

/** The faces and probes on one Hono app, behind the HTTP layer's middleware, in the order a request meets them. */
export function createApp(deps: AppDeps): Hono<AppEnv> {
  const { config, logger } = deps;
  const app = new Hono<AppEnv>();
  const schema = getSchema();
  const yoga = createGraphQLHandler(schema, config, logger);
  const boundary = boundaryOf(config);
  const methods = new MethodTable();
  const idempotency = new IdempotencyRule(deps.services.idempotency, config.encryptionKey);

  app.use('*', responseHeaders(logger));
  // Probes answer whatever Host a load balancer or orchestrator uses (they carry no data and take no credential).
  mountProbes(app, deps.database, deps.lifecycle, { mode: config.deploymentMode, environment: config.environment }, methods);
  app.use('*', hostCheck(boundary));

  const limit = bodySizeLimit();
  for (const prefix of ['/api/*', '/graphql']) {
    app.use(prefix, cors(boundary));
    app.use(prefix, ambientCredentialGuard(boundary, config));
    app.use(prefix, limit);
    app.use(prefix, requestContext(deps));
  }

  // SCIM callers are identity providers, never browsers: no CORS, and a header credential on every request.
  app.use('/scim/*', bodySizeLimit(scimTooLarge));
  app.use('/scim/*', requestContext(deps, scimError));
  mountScim(app, { config, logger, methods });

  // SSO logins are browser navigations: the Host check, a body cap and the shared context, nothing /api-shaped.
  app.use('/auth/*', limit);
  app.use('/auth/*', requestContext(deps));
  mountSsoFlows(app, methods);

  for (const method of ['GET', 'POST']) methods.add(method, '/graphql', { head: false });
  app.on(['GET', 'POST'], '/graphql', graphqlHttpHandler(yoga, schema, idempotency, (c) => methods.notMatched(c)));
  mountRoutes(app, routes, { schema, contextOf: (c) => c.get('ctx'), idempotency, methods, logger });

  app.notFound((c) => methods.notMatched(c));
  app.onError((err, c) => {
    logger.error({ req_id: c.get('requestId'), err: err.message, path: c.req.path }, 'unhandled error');
    return c.json(internalErrorBody(), 500);
  });
  return app;
}
