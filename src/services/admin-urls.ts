import { isIP } from 'node:net';
import { addressPhrase, forbiddenAddressReason } from '../outbound/address-policy.js';

/**
 * Why a URL an admin typed can never be reached by the outbound client (an address literal in a private,
 * loopback, link-local or metadata range that is not allow-listed), or null. The client refuses it on every
 * call anyway; saying so at save time spares a configuration that can never work.
 */
export function unreachableAddress(url: URL, allows: (url: URL) => boolean): string | null {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const bare = host.replace(/\.$/, '');
  if ((bare === 'localhost' || bare.endsWith('.localhost')) && !allows(url)) return `must not point at ${host}, a loopback name`;
  const why = isIP(host) && !allows(url) ? forbiddenAddressReason(host) : null;
  return why ? `must not point at ${host}, ${addressPhrase(why)}` : null;
}
