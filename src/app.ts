import { Hono, type Context as HonoContext } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { getCookie, setCookie } from 'hono/cookie';
import type { Logger } from 'pino';
import { SESSION_COOKIE } from './auth/credentials.js';
import { resolveAuth } from './auth/resolve.js';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { Database } from './db/database.js';
import { type Context, createContext } from './graphql/context.js';
import { getSchema } from './graphql/schema.js';
import { createGraphQLHandler } from './graphql/yoga.js';
import { clientIp, isSecure, remoteAddress, requestId } from './http/client.js';
import type { Lifecycle } from './http/lifecycle.js';
import { mountProbes } from './http/probes.js';
import { routes } from './rest/routes/index.js';
import { errorResponse, mountRoutes } from './rest/router.js';
import { Forbidden } from './services/errors.js';
import type { Services } from './services/index.js';

export const MAX_BODY_BYTES = 1024 * 1024;
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface AppDeps {
  config: Config;
  database: Database;
  services: Services;
  clock: Clock;
  logger: Logger;
  lifecycle: Lifecycle;
}

type Env = { Variables: { ctx: Context } };

export function createApp(deps: AppDeps): Hono<Env> {
  const { config, logger } = deps;
  const app = new Hono<Env>();
  const schema = getSchema();
  const yoga = createGraphQLHandler(schema, config, logger);

  app.use('*', async (c, next) => {
    const started = performance.now();
    const id = requestId(c.req.header('x-request-id'));
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
    app.use(prefix, (c, next) => (UNSAFE.has(c.req.method) ? limit(c, next) : next()));
    app.use(prefix, async (c, next) => {
      const cookie = getCookie(c, SESSION_COOKIE);
      const secure = isSecure(c, config.trustProxyHops, config.publicUrl);
      // A cookie-authenticated change must come from our own origin (SameSite=Lax is the first line).
      if (cookie && UNSAFE.has(c.req.method) && !sameOrigin(c, config.publicUrl)) {
        return errorResponse(c, new Forbidden('cross-origin request refused: the Origin header does not match this service'));
      }
      const auth = await resolveAuth(deps.services, config, (name) => c.req.header(name), cookie);
      const ctx = createContext({
        auth,
        services: deps.services,
        config,
        clock: deps.clock,
        database: deps.database,
        request: {
          id: c.res.headers.get('X-Request-Id') ?? requestId(undefined),
          ip: clientIp(remoteAddress(c), c.req.header('x-forwarded-for'), config.trustProxyHops),
          userAgent: c.req.header('user-agent') ?? null,
          secure,
        },
      });
      c.set('ctx', ctx);
      await next();
      await Promise.all(ctx.pending);
      for (const ck of ctx.cookies) {
        setCookie(c, ck.name, ck.value, {
          httpOnly: true,
          sameSite: 'Lax',
          path: '/',
          secure,
          maxAge: ck.maxAgeSeconds,
          ...(ck.maxAgeSeconds === 0 ? { expires: new Date(0) } : {}),
        });
      }
      // A refused or ended session should not linger in the browser.
      if (cookie && ctx.auth.presented === 'portal_session' && ctx.auth.rejection && ctx.cookies.length === 0) {
        setCookie(c, SESSION_COOKIE, '', { httpOnly: true, sameSite: 'Lax', path: '/', secure, maxAge: 0 });
      }
    });
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

function sameOrigin(c: HonoContext, publicUrl: string | null): boolean {
  const origin = c.req.header('origin');
  if (!origin) return true;
  if (publicUrl && origin === publicUrl) return true;
  const host = c.req.header('host');
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}
