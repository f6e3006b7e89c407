import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { Database } from './db/database.js';
import { getSchema } from './graphql/schema.js';
import { createGraphQLHandler } from './graphql/yoga.js';
import { requestId } from './http/client.js';
import type { Lifecycle } from './http/lifecycle.js';
import { mountProbes } from './http/probes.js';
import { type AppEnv, UNSAFE_METHODS, requestContext } from './http/request-context.js';
import { routes } from './rest/routes/index.js';
import { mountRoutes } from './rest/router.js';
import type { Services } from './services/index.js';

export const MAX_BODY_BYTES = 1024 * 1024;

export interface AppDeps {
  config: Config;
  database: Database;
  services: Services;
  clock: Clock;
  logger: Logger;
  lifecycle: Lifecycle;
}

export function createApp(deps: AppDeps): Hono<AppEnv> {
  const { config, logger } = deps;
  const app = new Hono<AppEnv>();
  const schema = getSchema();
  const yoga = createGraphQLHandler(schema, config, logger);

  app.use('*', async (c, next) => {
    const started = performance.now();
    const id = requestId(c.req.header('x-request-id'));
    c.set('requestId', id);
    c.header('X-Request-Id', id);
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Cache-Control', 'no-store');
    await next();
    logger.info(
      { req_id: id, method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(performance.now() - started), principal: c.get('ctx')?.principal.kind },
      'request',
    );
  });

  mountProbes(app, deps.database, deps.lifecycle, {
    mode: config.deploymentMode,
    environment: config.environment,
  });

  const limit = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: (c) => c.json({ error: { code: 'PAYLOAD_TOO_LARGE', message: `the body exceeds ${MAX_BODY_BYTES} bytes` } }, 413),
  });
  for (const prefix of ['/api/*', '/graphql']) {
    // Only where a body may come: the limit reads the raw request, which costs a full Request object.
    app.use(prefix, (c, next) => (UNSAFE_METHODS.has(c.req.method) ? limit(c, next) : next()));
    app.use(prefix, requestContext(deps));
  }

  app.on(['GET', 'POST', 'OPTIONS'], '/graphql', (c) => yoga.fetch(c.req.raw, { gqlContext: c.get('ctx') }));
  mountRoutes(app, schema, routes, (c) => c.get('ctx'), logger);

  app.notFound((c) => c.json({ error: { code: 'NOT_FOUND', message: `no route for ${c.req.method} ${c.req.path}` } }, 404));
  app.onError((err, c) => {
    logger.error({ err: err.message, path: c.req.path }, 'unhandled error');
    return c.json({ error: { code: 'INTERNAL', message: 'internal error; the request id is in X-Request-Id' } }, 500);
  });
  return app;
}
