import type { MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import { requestId } from './client.js';
import type { AppEnv } from './request-context.js';

/**
 * The first and last word on every response of every face: the request id (which finds the log line),
 * no caching unless a route chose otherwise, no MIME sniffing; and the request's log line. Set on the
 * finished response, because a face may hand back a Response of its own making (yoga does).
 */
export function responseHeaders(logger: Logger): MiddlewareHandler<AppEnv> {
  // The access line holds only the fields set below, none of them a secret's key: redaction (which works
  // on key names) has nothing to find in it, and costs on every request.
  const access = logger.child({}, { redact: [] });
  return async (c, next) => {
    const started = performance.now();
    const id = requestId(c.req.header('x-request-id'));
    c.set('requestId', id);
    await next();
    const headers = c.res.headers;
    headers.set('X-Request-Id', id);
    headers.set('X-Content-Type-Options', 'nosniff');
    if (!headers.has('Cache-Control')) headers.set('Cache-Control', 'no-store');
    access.info(
      {
        req_id: id,
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: Math.round(performance.now() - started),
        principal: c.get('ctx')?.principal.kind,
      },
      'request',
    );
  };
}
