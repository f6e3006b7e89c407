import type { IncomingMessage } from 'node:http';
import type { Context as HonoContext, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { UNSAFE_METHODS } from './boundary.js';

export const MAX_BODY_BYTES = 1024 * 1024;

const tooLarge = (c: HonoContext) => c.json({ error: { code: 'PAYLOAD_TOO_LARGE', message: `the body exceeds ${MAX_BODY_BYTES} bytes` } }, 413);

/**
 * 413 for a body over the limit, before any work. A declared Content-Length is judged from the header
 * (node's parser holds the body to it); only a chunked body is counted as it streams, by Hono's limit,
 * which wraps the request in a new one and so costs a Request and a stream per call.
 */
export function bodySizeLimit(): MiddlewareHandler {
  const streamed = bodyLimit({ maxSize: MAX_BODY_BYTES, onError: tooLarge });
  return (c, next) => {
    if (!UNSAFE_METHODS.has(c.req.method)) return next();
    const declared = c.req.header('content-length');
    if (declared === undefined) return streamed(c, next);
    return Number(declared) > MAX_BODY_BYTES ? Promise.resolve(tooLarge(c)) : next();
  };
}

function readStream(incoming: IncomingMessage): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.once('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    incoming.once('error', reject);
  });
}

/**
 * The request body's bytes. Served by node with a declared length, they are read from the socket's stream
 * itself: through the Request object every POST would build an undici Request, a web stream and an
 * AbortSignal. Elsewhere (a chunked body behind the streaming limit, app.request in tests) through it.
 */
export async function bodyBytes(c: HonoContext): Promise<Uint8Array> {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (incoming && !incoming.readableEnded && c.req.header('content-length') !== undefined) return readStream(incoming);
  return new Uint8Array(await c.req.arrayBuffer());
}
