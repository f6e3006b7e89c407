import type { Context as HonoContext } from 'hono';

/**
 * The client address: the socket peer, or with N trusted proxy hops the address N entries back from the
 * end of X-Forwarded-For (the entries before those were written by the client and prove nothing).
 */
export function clientIp(remote: string | null, forwardedFor: string | undefined, trustedHops: number): string | null {
  if (trustedHops === 0 || !forwardedFor) return remote;
  const chain = [...forwardedFor.split(',').map((s) => s.trim()).filter(Boolean), remote ?? ''];
  const index = chain.length - 1 - trustedHops;
  return chain[Math.max(index, 0)] || remote;
}

export function remoteAddress(c: HonoContext): string | null {
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
  return incoming?.socket?.remoteAddress ?? null;
}

export function isSecure(c: HonoContext, trustedHops: number, publicUrl: string | null): boolean {
  if (publicUrl?.startsWith('https:')) return true;
  if (c.req.url.startsWith('https:')) return true;
  if (trustedHops > 0) return c.req.header('x-forwarded-proto')?.split(',')[0]?.trim() === 'https';
  return false;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

/** A caller's X-Request-Id is kept when it is tame (it lands in logs); otherwise a new one is made. */
export function requestId(given: string | undefined): string {
  return given && REQUEST_ID.test(given) ? given : crypto.randomUUID();
}
