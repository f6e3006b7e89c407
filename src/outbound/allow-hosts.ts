import { hostRefusal } from './address-policy.js';

const VAR = 'OUTBOUND_ALLOW_HOSTS';
// host is a name/IPv4 or a bracketed IPv6; anything that could smuggle a path, userinfo or scheme is not a host.
const ENTRY = /^(\[[0-9a-f:.%]+\]|[^\s:/?#@\\[\]]+):(\d{1,5})$/i;

/** Parses OUTBOUND_ALLOW_HOSTS; entries are lower-cased exact "host:port" (IPv6 as "[::1]:8443"). */
export function parseAllowHosts(raw: string | undefined, production: boolean): { hosts: string[]; problems: string[] } {
  const hosts: string[] = [];
  const problems: string[] = [];
  for (const entry of (raw ?? '').split(',').map((e) => e.trim()).filter(Boolean)) {
    const m = ENTRY.exec(entry);
    const port = m ? Number(m[2]) : 0;
    // The WHATWG parser is what the client uses, so "127.1" here means what it will mean there.
    const host = m && port >= 1 && port <= 65535 ? hostOf(m[1]) : null;
    if (!host) {
      problems.push(`${VAR}: "${entry}" is not host:port with a port from 1 to 65535 (e.g. idp.example.com:8443 or [::1]:8443)`);
      continue;
    }
    const reason = production ? productionRefusal(host) : null;
    if (reason) {
      problems.push(`${VAR}: "${entry}" is ${reason}; production may not reach it`);
      continue;
    }
    hosts.push(`${host}:${port}`);
  }
  return { hosts, problems };
}

function hostOf(raw: string): string | null {
  try {
    return new URL(`https://${raw}/`).hostname.toLowerCase() || null;
  } catch {
    return null;
  }
}

const productionRefusal = hostRefusal;
