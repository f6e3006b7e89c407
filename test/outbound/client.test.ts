import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import type { FetchImplementation } from 'jose';
import type { CustomFetch } from 'openid-client';
import { OutboundClient, OutboundRefused } from '../../src/outbound/client.js';
import { makeCertificate } from '../helpers/saml-idp.js';

interface TestServer {
  port: number;
  /** TCP connections accepted: proves whether anything reached the server at all. */
  connections: number;
  requests: IncomingMessage[];
}

const servers: ReturnType<typeof createServer>[] = [];
after(() => {
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void = (_q, r) => r.end('ok')): Promise<TestServer> {
  const state: TestServer = { port: 0, connections: 0, requests: [] };
  const server = createServer((req, res) => {
    state.requests.push(req);
    handler(req, res);
  });
  server.on('connection', () => state.connections++);
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  state.port = (server.address() as AddressInfo).port;
  return state;
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise((done) => server.close(done));
  return port;
}

async function refusal(work: Promise<unknown>, message: RegExp): Promise<OutboundRefused> {
  const err = await work.then(
    () => assert.fail('expected an OutboundRefused'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof OutboundRefused, `expected OutboundRefused, got ${String(err)}`);
  assert.match(err.message, message);
  return err;
}

const noDns = () => {
  const asked: string[] = [];
  const resolve = async (host: string) => {
    asked.push(host);
    return [{ address: '93.184.216.34', family: 4 as const }];
  };
  return { asked, resolve };
};

describe('OutboundClient: refused before any connection', () => {
  it('refuses every spelling of loopback, private, link-local and metadata addresses', async () => {
    const server = await serve();
    const p = server.port;
    const dns = noDns();
    const client = new OutboundClient({ resolve: dns.resolve });
    const cases: [string, RegExp][] = [
      [`https://127.1:${p}/`, /^127\.0\.0\.1 is a loopback address$/],
      [`https://2130706433:${p}/`, /127\.0\.0\.1 is a loopback address/],
      [`https://0x7f000001:${p}/`, /127\.0\.0\.1 is a loopback address/],
      [`https://017700000001:${p}/`, /127\.0\.0\.1 is a loopback address/],
      [`https://127.0.0.1:${p}/`, /loopback/],
      [`https://[::ffff:127.0.0.1]:${p}/`, /loopback/],
      [`https://[::1]:${p}/`, /::1 is a loopback address/],
      [`https://localhost:${p}/`, /localhost is a loopback name/],
      [`https://LOCALHOST.:${p}/`, /loopback name/],
      [`https://idp.localhost:${p}/`, /loopback name/],
      ['https://169.254.169.254/latest/meta-data/', /169\.254\.169\.254 is a link-local \(cloud metadata\) address/],
      ['https://[fd00:ec2::254]/', /fd00:ec2::254 is a unique-local \(AWS cloud metadata\) address/],
      ['https://10.0.0.1/', /10\.0\.0\.1 is a private address/],
      ['https://0.0.0.0/', /0\.0\.0\.0 is an unspecified address/],
      ['https://100.100.100.200/', /metadata/],
      ['http://example.com/', /^https is required \(http:\/\/example\.com:80\)$/],
      ['ftp://example.com/', /only https/],
      ['https://u:p@example.com/', /credentials in the URL are not allowed/],
      ['not a url', /not a valid URL/],
    ];
    for (const [url, message] of cases) {
      const err = await refusal(client.fetch(url), message);
      assert.ok(!err.url.includes('u:p@'), 'the refusal must not repeat credentials');
      await refusal(client.getText(url), message);
    }
    assert.deepEqual(dns.asked, [], 'nothing was even resolved');
    assert.equal(server.connections, 0);
  });

  it('refuses https://localhost/ through the real resolver too', async () => {
    await refusal(new OutboundClient().getText('https://localhost/'), /loopback/);
  });
});

describe('OutboundClient: DNS answers', () => {
  it('checks every resolved address, not just the first', async () => {
    const server = await serve();
    const client = new OutboundClient({
      resolve: async () => [
        { address: '93.184.216.34', family: 4 },
        { address: '127.0.0.1', family: 4 },
      ],
    });
    await refusal(client.getText(`https://mixed.test:${server.port}/`), /^mixed\.test resolves to 127\.0\.0\.1, a loopback address$/);
    assert.equal(server.connections, 0);
  });

  it('names the private or metadata address a name resolves to', async () => {
    const to = (address: string) => new OutboundClient({ resolve: async () => [{ address, family: address.includes(':') ? 6 : 4 }] });
    await refusal(to('10.0.0.5').getText('https://idp.example.com/'), /^idp\.example\.com resolves to 10\.0\.0\.5, a private address$/);
    await refusal(to('169.254.169.254').getText('https://idp.example.com/'), /cloud metadata/);
    await refusal(to('::ffff:127.0.0.1').getText('https://idp.example.com/'), /loopback/);
  });

  it('reports a name that does not resolve', async () => {
    const client = new OutboundClient({
      resolve: async () => {
        throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
      },
    });
    await refusal(client.getText('https://nowhere.test/'), /^could not resolve nowhere\.test: ENOTFOUND$/);
  });

  it('refuses a name resolving to loopback unless that host:port is allow-listed, then connects to the checked address', async () => {
    const server = await serve((req, res) => res.end(req.headers.host));
    const answers = ['127.0.0.1', '10.9.9.9']; // a second lookup would be a rebinding chance
    let lookups = 0;
    const resolve = async () => [{ address: answers[lookups++] ?? '10.9.9.9', family: 4 as const }];

    await refusal(new OutboundClient({ resolve }).getText(`https://idp.test:${server.port}/`), /idp\.test resolves to 127\.0\.0\.1, a loopback address/);
    assert.equal(server.connections, 0);

    lookups = 0;
    const client = new OutboundClient({ resolve, allowHosts: [`idp.test:${server.port}`] });
    const got = await client.getText(`http://idp.test:${server.port}/`);
    assert.equal(got.status, 200);
    assert.equal(got.text, `idp.test:${server.port}`, 'the server is asked for the name, on the address that was checked');
    assert.equal(lookups, 1, 'the name is resolved once; the connection does not ask DNS again');
  });
});

describe('OutboundClient: https', () => {
  it('keeps the hostname for SNI and certificate checks while connecting to the pinned address', async () => {
    const cert = await makeCertificate({ commonName: 'idp.test' });
    const names: string[] = [];
    const server = createTlsServer({
      cert: cert.pem,
      key: cert.privateKeyPem,
      SNICallback: (name, done) => {
        names.push(name);
        done(null);
      },
    });
    servers.push(server);
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const { port } = server.address() as AddressInfo;
    const client = new OutboundClient({ allowHosts: [`idp.test:${port}`], resolve: async () => [{ address: '127.0.0.1', family: 4 }] });
    // A self-signed certificate is not trusted: the allow list relaxes the address rules, never TLS.
    await refusal(client.getText(`https://idp.test:${port}/`), /^could not connect: (DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)/);
    assert.deepEqual(names, ['idp.test']);
  });
});

describe('OutboundClient: the allow list', () => {
  it('is exact host:port', async () => {
    const server = await serve();
    const other = await serve();
    const client = new OutboundClient({ allowHosts: [`127.0.0.1:${server.port}`] });
    assert.equal((await client.getText(`http://127.0.0.1:${server.port}/`)).text, 'ok');
    assert.equal(client.allows(new URL(`http://127.0.0.1:${server.port}/x`)), true);
    assert.equal(client.allows(new URL(`http://127.0.0.1:${other.port}/`)), false);
    assert.equal(client.allows(new URL(`http://localhost:${server.port}/`)), false);

    await refusal(client.getText(`http://127.0.0.1:${other.port}/`), /https is required/);
    await refusal(client.getText(`https://127.0.0.1:${other.port}/`), /loopback/);
    await refusal(client.getText(`http://localhost:${server.port}/`), /https is required/);
    await refusal(client.getText(`https://localhost:${server.port}/`), /loopback name/);
    assert.equal(other.connections, 0);
    assert.equal(server.connections, 1);
  });

  it('in production only permits plain http: an allow-listed name resolving to an internal address is still refused', async () => {
    const server = await serve();
    const resolve = async () => [{ address: '127.0.0.1', family: 4 as const }];
    const production = new OutboundClient({ allowHosts: [`idp.corp.test:${server.port}`], allowListedPrivate: false, resolve });
    await refusal(production.getText(`http://idp.corp.test:${server.port}/`), /idp\.corp\.test resolves to 127\.0\.0\.1, a loopback address/);
    await refusal(production.getText(`http://idp.corp.test:${server.port + 1}/`), /https is required/);
    assert.equal(server.connections, 0);
  });

  it('defaults the port from the scheme when matching', () => {
    const client = new OutboundClient({ allowHosts: ['idp.example.com:443', '[::1]:8443'] });
    assert.equal(client.allows(new URL('https://IDP.example.com/')), true);
    assert.equal(client.allows(new URL('http://idp.example.com/')), false);
    assert.equal(client.allows(new URL('https://[0::1]:8443/')), true);
  });
});

describe('OutboundClient: the exchange', () => {
  it('never follows a redirect, even to an allow-listed host, whatever init.redirect says', async () => {
    const target = await serve();
    const first = await serve((_req, res) => res.writeHead(302, { location: `http://127.0.0.1:${target.port}/secret` }).end());
    const client = new OutboundClient({ allowHosts: [`127.0.0.1:${first.port}`, `127.0.0.1:${target.port}`] });
    const message = new RegExp(`^redirects are not followed \\(302 to http://127\\.0\\.0\\.1:${target.port}/secret from 127\\.0\\.0\\.1:${first.port}\\)$`);
    await refusal(client.fetch(`http://127.0.0.1:${first.port}/`, { redirect: 'follow' }), message);
    await refusal(client.getText(`http://127.0.0.1:${first.port}/`), message);
    assert.equal(first.requests.length, 2);
    assert.equal(target.connections, 0);
  });

  it('gives up on a server that sends no headers within the timeout', async () => {
    const server = await serve((_req, res) => {
      const t = setTimeout(() => res.end('late'), 2000);
      res.on('close', () => clearTimeout(t));
    });
    const client = new OutboundClient({ allowHosts: [`127.0.0.1:${server.port}`], timeoutMs: 300 });
    const started = Date.now();
    await refusal(client.getText(`http://127.0.0.1:${server.port}/`), /^no answer within 300 ms \(127\.0\.0\.1:\d+\)$/);
    assert.ok(Date.now() - started < 1500, 'it gave up well before the server answered');
  });

  it('gives up on a body that trickles in past the timeout', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const t = setInterval(() => res.write('x'), 50);
      res.on('close', () => clearInterval(t));
    });
    const client = new OutboundClient({ allowHosts: [`127.0.0.1:${server.port}`], timeoutMs: 300 });
    const started = Date.now();
    await refusal(client.fetch(`http://127.0.0.1:${server.port}/`), /no answer within 300 ms/);
    assert.ok(Date.now() - started < 1500);
  });

  it('cuts off a body larger than the cap, streamed or declared', async () => {
    const big = Buffer.alloc(5 * 1024 * 1024, 'a');
    const streamed = await serve((_req, res) => {
      res.writeHead(200); // chunked: no length to trust up front
      res.write(big.subarray(0, 1024 * 1024));
      res.end(big.subarray(1024 * 1024));
    });
    const declared = await serve((_req, res) => res.writeHead(200, { 'content-length': big.length }).end(big));
    const client = new OutboundClient({ allowHosts: [`127.0.0.1:${streamed.port}`, `127.0.0.1:${declared.port}`], maxBodyBytes: 64 * 1024 });
    await refusal(client.fetch(`http://127.0.0.1:${streamed.port}/`), /^the response is larger than 65536 bytes \(127\.0\.0\.1:\d+\)$/);
    await refusal(client.getText(`http://127.0.0.1:${declared.port}/`), /the response is larger than 65536 bytes/);
    await refusal(client.getText(`http://127.0.0.1:${declared.port}/`, { maxBodyBytes: 1000 }), /larger than 1000 bytes/);
    // A declared length over the cap is refused at once, not after waiting for bytes that may never come.
    const promising = await serve((_req, res) => res.writeHead(200, { 'content-length': big.length }).write('a'));
    const patient = new OutboundClient({ allowHosts: [`127.0.0.1:${promising.port}`], maxBodyBytes: 64 * 1024, timeoutMs: 3000 });
    await refusal(patient.getText(`http://127.0.0.1:${promising.port}/`), /the response is larger than 65536 bytes/);
    const roomy = new OutboundClient({ allowHosts: [`127.0.0.1:${declared.port}`], maxBodyBytes: 6 * 1024 * 1024 });
    assert.equal((await roomy.getText(`http://127.0.0.1:${declared.port}/`)).text.length, big.length);
  });

  it('returns a 404 from getText instead of throwing, with its type and text', async () => {
    const server = await serve((req, res) => res.writeHead(404, { 'content-type': 'text/plain' }).end(`no ${req.url} here; accept ${req.headers.accept}`));
    const client = new OutboundClient({ allowHosts: [`127.0.0.1:${server.port}`] });
    const got = await client.getText(`http://127.0.0.1:${server.port}/metadata?x=1`, { accept: 'application/samlmetadata+xml' });
    assert.deepEqual(got, { status: 404, contentType: 'text/plain', text: 'no /metadata?x=1 here; accept application/samlmetadata+xml' });
  });

  it('fetch() sends method, headers and a form body, and returns a WHATWG Response', async () => {
    const server = await serve((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => res.writeHead(201, { 'content-type': 'application/json', 'x-echo': 'yes' }).end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body })));
    });
    const client = new OutboundClient({ allowHosts: [`127.0.0.1:${server.port}`] });
    const res = await client.fetch(new URL(`http://127.0.0.1:${server.port}/token?a=b#frag`), {
      method: 'post',
      headers: new Headers({ 'X-Test': 'one', Authorization: 'Basic abc' }),
      body: new URLSearchParams({ grant_type: 'authorization_code', code: 'a b' }),
      redirect: 'manual',
    });
    assert.ok(res instanceof Response);
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('x-echo'), 'yes');
    const echo = (await res.json()) as { method: string; url: string; headers: Record<string, string>; body: string };
    assert.equal(echo.method, 'POST');
    assert.equal(echo.url, '/token?a=b');
    assert.equal(echo.body, 'grant_type=authorization_code&code=a+b');
    assert.equal(echo.headers['content-type'], 'application/x-www-form-urlencoded;charset=UTF-8');
    assert.equal(echo.headers['content-length'], String(echo.body.length));
    assert.equal(echo.headers['x-test'], 'one');
    assert.equal(echo.headers.authorization, 'Basic abc');
    assert.equal(echo.headers['user-agent'], 'axonflow-enterprise-api');
    assert.equal(echo.headers['accept-encoding'], 'identity');

    const custom = await client.fetch(`http://127.0.0.1:${server.port}/`, { headers: [['user-agent', 'mine'], ['accept-encoding', 'gzip']] });
    const h = ((await custom.json()) as { headers: Record<string, string> }).headers;
    assert.equal(h['user-agent'], 'mine');
    assert.equal(h['accept-encoding'], 'identity', 'nothing decompresses, so compression is never asked for');
  });

  it('is a plain function usable as openid-client and jose customFetch', async () => {
    const server = await serve((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys":[]}'));
    const { fetch } = new OutboundClient({ allowHosts: [`127.0.0.1:${server.port}`] });
    const forOpenid: CustomFetch = fetch;
    const forJose: FetchImplementation = fetch;
    const url = `http://127.0.0.1:${server.port}/jwks`;
    assert.deepEqual(await (await forJose(url, { headers: new Headers(), method: 'GET', redirect: 'manual', signal: AbortSignal.timeout(5000) })).json(), { keys: [] });
    assert.equal((await forOpenid(url, { headers: {}, method: 'GET', redirect: 'manual', body: undefined })).status, 200);
  });

  it("stops when the caller's signal aborts, with the caller's reason", async () => {
    const server = await serve(() => {});
    const client = new OutboundClient({ allowHosts: [`127.0.0.1:${server.port}`] });
    const started = Date.now();
    const err = await client.fetch(`http://127.0.0.1:${server.port}/`, { signal: AbortSignal.timeout(100) }).catch((e: unknown) => e);
    assert.equal((err as Error).name, 'TimeoutError');
    assert.ok(Date.now() - started < 1500);
    const gone = new AbortController();
    gone.abort(new Error('shutting down'));
    await assert.rejects(client.fetch(`http://127.0.0.1:${server.port}/`, { signal: gone.signal }), /shutting down/);
  });

  it('reports a refused connection', async () => {
    const port = await closedPort();
    const client = new OutboundClient({ allowHosts: [`127.0.0.1:${port}`] });
    await refusal(client.getText(`http://127.0.0.1:${port}/`), new RegExp(`^could not connect: ECONNREFUSED \\(127\\.0\\.0\\.1:${port}\\)$`));
  });

  it('reports a body cut short', async () => {
    const server = await serve((req, res) => {
      res.writeHead(200, { 'content-length': 100 });
      res.write('only part');
      setTimeout(() => req.socket.destroy(), 20);
    });
    const client = new OutboundClient({ allowHosts: [`127.0.0.1:${server.port}`] });
    await refusal(client.getText(`http://127.0.0.1:${server.port}/`), /closed before the response was complete/);
  });
});
