import { hostRefusal } from '../outbound/address-policy.js';

/**
 * Why a URL an admin typed can never be reached by the outbound client (an address literal in a private,
 * loopback, link-local or metadata range, or a loopback name, that is not allow-listed), or null. The client
 * refuses it on every call anyway; saying so at save time spares a configuration that can never work.
 */
export function unreachableAddress(url: URL, allows: (url: URL) => boolean): string | null {
  if (allows(url)) return null;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const why = hostRefusal(host);
  return why ? `must not point at ${host}, ${why}` : null;
}
