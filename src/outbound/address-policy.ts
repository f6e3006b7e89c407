import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

// Well-known instance-metadata endpoints, named so an admin sees why the address matters.
const METADATA: Record<string, string> = {
  '169.254.169.254': 'link-local (cloud metadata)',
  '169.254.170.2': 'link-local (container metadata)',
  '100.100.100.200': 'carrier-grade NAT (Alibaba cloud metadata)',
  'fd00:ec2::254': 'unique-local (AWS cloud metadata)',
};

const RANGE_NAMES: Record<string, string> = {
  linkLocal: 'link-local',
  uniqueLocal: 'unique-local (private)',
  carrierGradeNat: 'carrier-grade NAT (shared)',
  rfc6052: 'NAT64 (rfc6052)',
  rfc6145: 'IPv4-translated (rfc6145)',
  deprecatedSiteLocal: 'site-local (deprecated)',
};

/** null when the address is a public unicast one; else a short reason, e.g. "loopback", "private", "link-local (cloud metadata)". */
export function forbiddenAddressReason(ip: string): string | null {
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    addr = ipaddr.parse(ip.replace(/^\[(.*)\]$/, '$1'));
  } catch {
    return 'not an IP address';
  }
  // An IPv6 address that carries an IPv4 one reaches that IPv4 host, so judge the host.
  if (addr.kind() === 'ipv6') addr = embeddedIPv4(addr as ipaddr.IPv6) ?? addr;
  const named = METADATA[addr.toNormalizedString()] ?? METADATA[addr.toString()];
  if (named) return named;
  const range = addr.range();
  if (range !== 'unicast') return RANGE_NAMES[range] ?? range;
  // ::a.b.c.d (IPv4-compatible, deprecated) falls through ipaddr.js as unicast, yet some stacks route it to a.b.c.d.
  if (addr.kind() === 'ipv6' && addr.toByteArray().slice(0, 12).every((b) => b === 0)) return 'IPv4-compatible (deprecated)';
  return null;
}

function embeddedIPv4(addr: ipaddr.IPv6): ipaddr.IPv4 | null {
  if (addr.isIPv4MappedAddress()) return addr.toIPv4Address();
  const p = addr.parts;
  const nat64 = p[0] === 0x64 && p[1] === 0xff9b && p.slice(2, 6).every((x) => x === 0);
  if (!nat64) return null;
  const bytes = addr.toByteArray().slice(12);
  return new ipaddr.IPv4(bytes);
}

/** "a loopback address", "an unspecified address": the reason as it reads in a sentence. */
export function addressPhrase(reason: string): string {
  return `${/^(?!uni)[aeiou]/i.test(reason) ? 'an' : 'a'} ${reason} address`;
}

/**
 * Why a host is refused by itself, before any lookup (an address literal in a refused range, or a loopback
 * name), as it reads in a sentence; null when only its resolved addresses can tell.
 */
export function hostRefusal(host: string): string | null {
  const bare = host.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
  if (bare === 'localhost' || bare.endsWith('.localhost')) return 'a loopback name';
  if (!isIP(bare)) return null;
  const why = forbiddenAddressReason(bare);
  return why ? addressPhrase(why) : null;
}
