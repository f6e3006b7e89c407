import type { Context as HonoContext, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { UNSAFE_METHODS } from './boundary.js';

export const MAX_BODY_BYTES = 1024 * 1024;

const TOO_LARGE = `the body exceeds ${MAX_BODY_BYTES} bytes`;
const restTooLarge = (c: HonoContext) => c.json({ error: { code: 'PAYLOAD_TOO_LARGE', message: TOO_LARGE } }, 413);

/**
 * 413 for a body over the limit, before any work. A declared Content-Length is judged from the header
 * (node's parser holds the body to it); only a chunked body is counted as it streams, by Hono's limit,
 * which wraps the request in a new one and so costs a Request and a stream per call.
 */
export function bodySizeLimit(
  /** How the face words the 413 (SCIM answers in its own error format); given the message. */
  tooLarge: (c: HonoContext, message: string) => Response = restTooLarge,
): MiddlewareHandler {
  const onError = (c: HonoContext) => tooLarge(c, TOO_LARGE);
  const streamed = bodyLimit({ maxSize: MAX_BODY_BYTES, onError });
  return (c, next) => {
    if (!UNSAFE_METHODS.has(c.req.method)) return next();
    const declared = c.req.header('content-length');
    if (declared === undefined) return streamed(c, next);
    return Number(declared) > MAX_BODY_BYTES ? Promise.resolve(onError(c)) : next();
  };
}
