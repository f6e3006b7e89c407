// The one door for server-side requests to addresses an admin typed in (IdP metadata, discovery, JWKS,
// token endpoints). An admin-supplied URL is attacker-reachable input: without these checks it is a
// way to read cloud metadata or internal services from inside the deployment (SSRF).
import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import net, { isIP, type LookupFunction } from 'node:net';
import { performance } from 'node:perf_hooks';
import { addressPhrase, forbiddenAddressReason, hostRefusal } from './address-policy.js';

const USER_AGENT = 'axonflow-enterprise-api';

export class OutboundRefused extends Error {
  override readonly name = 'OutboundRefused';
  constructor(
    message: string,
    readonly url: string,
  ) {
    super(message);
  }
}

type Address = { address: string; family: 4 | 6 };
type Resolver = (host: string) => Promise<{ address: string; family: 4 | 6 }[]>;

export interface OutboundOptions {
  allowHosts?: string[];
  /**
   * Whether an allow-listed host may also be on a loopback or private address (development and tests: a
   * mock IdP on 127.0.0.1). False in production, where an entry only permits plain http: a name that
   * starts resolving to an internal address is still refused.
   */
  allowListedPrivate?: boolean;
  timeoutMs?: number;
  maxBodyBytes?: number;
  /** For tests: replaces DNS. Default: dns.promises.lookup(host, { all: true, verbatim: true }). */
  resolve?: Resolver;
}

// ArrayBuffer and ReadableStream are accepted so the function type-checks as openid-client's customFetch.
type FetchInit = {
  method?: string;
  headers?: Record<string, string> | Headers | [string, string][];
  body?: string | Uint8Array | ArrayBuffer | URLSearchParams | ReadableStream | null;
  redirect?: string;
  signal?: AbortSignal | null;
  /** This call's deadline, when it is not the client's. */
  timeoutMs?: number;
};

interface Target {
  url: URL;
  /** The URL without userinfo: what errors may repeat. */
  shown: string;
  /** Hostname without IPv6 brackets. */
  host: string;
  port: number;
  allowed: boolean;
  /** Allow-listed where allow-listing also lifts the address rules. */
  anyAddress: boolean;
}

interface Outgoing {
  method: string;
  headers: Record<string, string>;
  body: Buffer | null;
}

interface Answer {
  status: number;
  statusText: string;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer<ArrayBuffer>;
}

const defaultResolve: Resolver = async (host) =>
  (await dnsLookup(host, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));

export class OutboundClient {
  private readonly allowHosts: Set<string>;
  private readonly allowListedPrivate: boolean;
  private readonly timeoutMs: number;
  private readonly maxBodyBytes: number;
  private readonly resolve: Resolver;

  constructor(options: OutboundOptions = {}) {
    this.allowHosts = new Set((options.allowHosts ?? []).map((h) => h.toLowerCase()));
    this.allowListedPrivate = options.allowListedPrivate ?? true;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
    this.resolve = options.resolve ?? defaultResolve;
  }

  /** fetch-compatible, usable as openid-client / jose `customFetch`. Any 3xx throws OutboundRefused, whatever init.redirect says. */
  readonly fetch = async (url: string | URL, init: FetchInit = {}): Promise<Response> => {
    const headers = withDefaults(init.headers);
    const body = await encodeBody(init.body, headers);
    const answer = await this.exchange(url, { method: (init.method ?? 'GET').toUpperCase(), headers, body }, this.maxBodyBytes, init.signal, init.timeoutMs);
    return toResponse(answer);
  };

  /** GET returning the text; non-2xx is returned (not thrown) so callers can report it. */
  async getText(url: string, options: { accept?: string; maxBodyBytes?: number } = {}): Promise<{ status: number; contentType: string | null; text: string }> {
    const headers = withDefaults({ accept: options.accept ?? '*/*' });
    const answer = await this.exchange(url, { method: 'GET', headers, body: null }, options.maxBodyBytes ?? this.maxBodyBytes, null);
    return { status: answer.status, contentType: answer.headers['content-type'] ?? null, text: new TextDecoder().decode(answer.body) };
  }

  /**
   * Opens a TCP connection to host:port and closes it: the reachability check of services that do not speak
   * HTTP (databases). The same address rules as an HTTP request; the milliseconds the connect took.
   */
  async reach(host: string, port: number, timeoutMs = this.timeoutMs): Promise<number> {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new OutboundRefused(`${port} is not a TCP port`, `${host}:${port}`);
    let url: URL;
    try {
      url = new URL(`https://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}/`);
    } catch {
      throw new OutboundRefused('not a valid host name', host);
    }
    // Judged as https://host:port: the allow list and the address rules read the same entries.
    const t = this.target(url);
    const shown = `${url.hostname}:${port}`;
    const started = performance.now();
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new OutboundRefused(`no connection within ${timeoutMs} ms (${shown})`, shown)), timeoutMs);
    try {
      const addresses = isIP(t.host) ? [{ address: t.host, family: (isIP(t.host) === 6 ? 6 : 4) as 4 | 6 }] : await untilAborted(this.checkedAddresses(t), deadline.signal);
      await connectOnce(addresses[0].address, port, shown, deadline.signal);
      return Math.round(performance.now() - started);
    } finally {
      clearTimeout(timer);
    }
  }

  /** True when host:port is in the allow list (callers like openid-client need to know whether to permit http). */
  allows(url: URL): boolean {
    const port = url.port || (url.protocol === 'https:' ? '443' : url.protocol === 'http:' ? '80' : '');
    return this.allowHosts.has(`${url.hostname.toLowerCase()}:${port}`);
  }

  private async exchange(
    input: string | URL,
    request: Outgoing,
    maxBodyBytes: number,
    callerSignal: AbortSignal | null | undefined,
    timeoutMs = this.timeoutMs,
  ): Promise<Answer> {
    const t = this.target(input);
    // One deadline for DNS, connect, TLS, headers and body: a server trickling bytes must not hold us forever.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new OutboundRefused(`no answer within ${timeoutMs} ms (${t.url.host})`, t.shown)), timeoutMs);
    // The caller's own abort keeps its reason, as fetch does (jose tells its timeout apart by the reason's name).
    const forward = () => deadline.abort(callerSignal?.reason);
    if (callerSignal?.aborted) forward();
    else callerSignal?.addEventListener('abort', forward, { once: true });
    try {
      const pinned = isIP(t.host) ? null : await untilAborted(this.checkedAddresses(t), deadline.signal);
      return await send(t, pinned, request, maxBodyBytes, deadline.signal);
    } finally {
      clearTimeout(timer);
      callerSignal?.removeEventListener('abort', forward);
    }
  }

  /** Everything that can be judged from the URL alone, before any packet leaves. */
  private target(input: string | URL): Target {
    let url: URL;
    try {
      url = new URL(String(input));
    } catch {
      throw new OutboundRefused('not a valid URL', String(input));
    }
    const clean = new URL(url.href);
    clean.username = '';
    clean.password = '';
    const shown = clean.href;
    const refuse = (message: string) => new OutboundRefused(message, shown);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw refuse(`only https URLs are allowed (${url.protocol}//${url.host})`);
    if (url.username || url.password) throw refuse(`credentials in the URL are not allowed (${url.host})`);
    const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
    const allowed = this.allows(url);
    if (url.protocol === 'http:' && !allowed) throw refuse(`https is required (http://${url.hostname}:${port})`);
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const anyAddress = allowed && this.allowListedPrivate;
    if (!anyAddress) {
      // Node does not consult lookup for IP literals, so they are judged here; WHATWG parsing already turned 127.1, 0x7f000001 … into 127.0.0.1.
      const why = hostRefusal(host);
      if (why) throw refuse(`${host} is ${why}`);
    }
    return { url, shown, host, port, allowed, anyAddress };
  }

  private async checkedAddresses(t: Target): Promise<Address[]> {
    const refuse = (message: string) => new OutboundRefused(message, t.shown);
    let found: { address: string }[];
    try {
      found = await this.resolve(t.host);
    } catch (err) {
      throw refuse(`could not resolve ${t.host}: ${codeOf(err)}`);
    }
    if (found.length === 0) throw refuse(`${t.host} does not resolve to any address`);
    // Every answer is checked, not just the first: the OS may connect to any of them.
    for (const { address } of found) {
      if (!isIP(address)) throw refuse(`${t.host} resolves to "${address}", which is not an IP address`);
      const why = t.anyAddress ? null : forbiddenAddressReason(address);
      if (why) throw refuse(`${t.host} resolves to ${address}, ${addressPhrase(why)}`);
    }
    return found.map(({ address }) => ({ address, family: isIP(address) === 6 ? 6 : 4 }));
  }
}

function connectOnce(address: string, port: number, shown: string, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const socket = net.connect({ host: address, port });
    const done = (err?: unknown) => {
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      if (err) reject(err);
      else resolve();
    };
    const onAbort = () => done(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => done());
    socket.once('error', (err) => done(new OutboundRefused(`could not connect: ${codeOf(err)} (${shown})`, shown)));
  });
}

function send(t: Target, pinned: Address[] | null, request: Outgoing, maxBodyBytes: number, signal: AbortSignal): Promise<Answer> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const refuse = (message: string) => new OutboundRefused(`${message} (${t.url.host})`, t.shown);
    const tooLarge = () => refuse(`the response is larger than ${maxBodyBytes} bytes`);
    const headers = request.body ? { ...request.headers, 'content-length': String(request.body.length) } : request.headers;
    const req = (t.url.protocol === 'https:' ? https : http).request({
      hostname: t.host, // still the name, so TLS SNI and the certificate check use it
      port: t.port,
      method: request.method,
      path: t.url.pathname + t.url.search,
      headers,
      agent: false, // no pooled socket from another client (with another allow list) is ever reused
      ...(pinned && { lookup: pinnedLookup(pinned) }),
    });
    let settled = false;
    let responded = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      fn();
    };
    const fail = (err: unknown) =>
      settle(() => {
        req.destroy();
        reject(err);
      });
    const onAbort = () => fail(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });

    req.on('error', (err) => {
      const code = codeOf(err);
      if (responded) fail(refuse('the connection closed before the response was complete'));
      else if (code.startsWith('HPE_')) fail(refuse(`the answer is not valid HTTP: ${code}`));
      else fail(refuse(`could not connect: ${code}`));
    });
    req.on('response', (res) => {
      responded = true;
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400) {
        const to = res.headers.location ? ` to ${absolute(res.headers.location, t.url)}` : '';
        return fail(new OutboundRefused(`redirects are not followed (${status}${to} from ${t.url.host})`, t.shown));
      }
      if (status < 200 || status > 599) return fail(refuse(`the answer has status ${status}, which is not a final HTTP status`));
      if (Number(res.headers['content-length']) > maxBodyBytes) return fail(tooLarge());
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBodyBytes) fail(tooLarge());
        else chunks.push(chunk);
      });
      res.on('end', () =>
        settle(() => resolve({ status, statusText: res.statusMessage ?? '', headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks) })),
      );
      res.on('error', () => fail(refuse('the connection closed before the response was complete')));
      res.on('close', () => {
        if (!res.complete) fail(refuse('the connection closed before the response was complete'));
      });
    });
    req.end(request.body ?? undefined);
  });
}

/** Answers Node's connect-time lookup with the addresses already checked, so there is no second DNS answer to rebind to. */
function pinnedLookup(addresses: Address[]): LookupFunction {
  return (_hostname, options, callback) =>
    // Node 20's happy-eyeballs connect asks with { all: true } and wants the whole list.
    process.nextTick(() => {
      if (options.all) callback(null, addresses.map((a) => ({ address: a.address, family: a.family })));
      else callback(null, addresses[0].address, addresses[0].family);
    });
}

function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const stop = () => reject(signal.reason);
    if (signal.aborted) return stop();
    signal.addEventListener('abort', stop, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', stop));
  });
}

function withDefaults(given: FetchInit['headers']): Record<string, string> {
  const headers: Record<string, string> = {};
  new Headers(given ?? undefined).forEach((value, name) => {
    headers[name] = value;
  });
  headers['user-agent'] ??= USER_AGENT;
  // Nothing here decompresses, so a small gzip body can never expand past the size cap.
  headers['accept-encoding'] = 'identity';
  return headers;
}

async function encodeBody(body: FetchInit['body'], headers: Record<string, string>): Promise<Buffer | null> {
  if (body == null) return null;
  if (typeof body === 'string') {
    headers['content-type'] ??= 'text/plain;charset=UTF-8';
    return Buffer.from(body);
  }
  if (body instanceof URLSearchParams) {
    headers['content-type'] ??= 'application/x-www-form-urlencoded;charset=UTF-8';
    return Buffer.from(body.toString());
  }
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  return Buffer.from(await new Response(body).arrayBuffer());
}

function toResponse(answer: Answer): Response {
  const headers = new Headers();
  for (let i = 0; i + 1 < answer.rawHeaders.length; i += 2) headers.append(answer.rawHeaders[i], answer.rawHeaders[i + 1]);
  const noBody = answer.status === 204 || answer.status === 205;
  // Response rejects a reason phrase with control characters; the phrase carries no meaning, so drop it then.
  const statusText = /^[\t\x20-\x7e\x80-\xff]*$/.test(answer.statusText) ? answer.statusText : '';
  return new Response(noBody ? null : answer.body, { status: answer.status, statusText, headers });
}

function absolute(location: string, base: URL): string {
  try {
    return new URL(location, base).href;
  } catch {
    return JSON.stringify(location);
  }
}

function codeOf(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown } | null;
  return typeof e?.code === 'string' ? e.code : String(e?.message ?? err);
}
