import type { Context as HonoContext } from 'hono';
import { isIP } from 'node:net';
import type { Config } from '../config.js';

/**
 * The client address: the socket peer, or with N trusted proxy hops the address N entries back from the
 * end of X-Forwarded-For (the entries before those were written by the client and prove nothing).
 */
export function clientIp(remote: string | null, forwardedFor: string | undefined, trustedHops: number): string | null {
  if (trustedHops === 0 || !forwardedFor) return remote;
  const chain = [...forwardedFor.split(',').map((s) => s.trim()).filter(Boolean), remote ?? ''];
  const index = chain.length - 1 - trustedHops;
  const chosen = chain[Math.max(index, 0)];
  // Only an address is an address: anything else in the header would become a rate-limit key of its own.
  return chosen && isIP(chosen) ? chosen : remote;
}

export function remoteAddress(c: HonoContext): string | null {
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
  return incoming?.socket?.remoteAddress ?? null;
}

/**
 * Whether the browser reached us over https: always in production (TLS ends at a proxy there if not here),
 * when PUBLIC_URL is https, or when a trusted proxy says so.
 */
export function isSecure(c: HonoContext, config: Pick<Config, 'environment' | 'publicUrl' | 'trustProxyHops'>): boolean {
  if (config.environment === 'production') return true;
  if (config.publicUrl?.startsWith('https:')) return true;
  if (c.req.url.startsWith('https:')) return true;
  if (config.trustProxyHops > 0) return c.req.header('x-forwarded-proto')?.split(',')[0]?.trim() === 'https';
  return false;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

/** A caller's X-Request-Id is kept when it is tame (it lands in logs); otherwise a new one is made. */
export function requestId(given: string | undefined): string {
  return given && REQUEST_ID.test(given) ? given : crypto.randomUUID();
}
