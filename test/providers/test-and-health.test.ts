import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Config } from '../../src/config.js';
import { SecretBox } from '../../src/crypto/secret-box.js';
import { createLogger } from '../../src/logger.js';
import { type Runtime, createRuntime } from '../../src/server.js';
import { PROVIDER_KEY_CONTEXT } from '../../src/services/providers/service.js';
import { rotateSecrets } from '../../src/services/secret-rotation.js';
import { Harness, databaseKind, freshDatabase, underSchemaLock } from '../helpers/harness.js';

const BASE = '/api/v1/llm-providers';
const T0 = '2026-06-01T12:00:00.000Z';

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

/**
 * A provider on loopback. The first path segment picks the answer: /ok 200, /unauth 401, /forbidden 403,
 * /limited 429, /broken 500, /missing 404, /moved 302 to `redirectTo`, /hang never answers.
 */
interface Mock {
  port: number;
  base: string;
  seen: Seen[];
  connections: number;
  redirectTo: string;
  close: () => void;
}

async function mockProvider(): Promise<Mock> {
  const hanging: ServerResponse[] = [];
  const state: Mock = { port: 0, base: '', seen: [], connections: 0, redirectTo: '', close: () => {} };
  const server = createServer((req, res) => {
    state.seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
    switch ((req.url ?? '').split('/')[1]) {
      case 'ok':
        return json(200, { object: 'list', data: [{ id: 'model-1' }] });
      case 'unauth':
        return json(401, { error: { message: 'Incorrect API key provided' } });
      case 'forbidden':
        return json(403, { error: 'forbidden' });
      case 'limited':
        return json(429, { error: 'slow down' }, { 'retry-after': '20' });
      case 'broken':
        return json(500, { error: 'internal' });
      case 'moved':
        return res.writeHead(302, { location: state.redirectTo }).end();
      case 'hang':
        hanging.push(res);
        return;
      default:
        return json(404, { error: 'no such path' });
    }
  });
  server.on('connection', () => state.connections++);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  state.port = (server.address() as AddressInfo).port;
  state.base = `http://127.0.0.1:${state.port}`;
  state.close = () => {
    for (const r of hanging) r.destroy();
    server.closeAllConnections();
    server.close();
  };
  return state;
}

const secret = (label: string) => `sk-${label}-${randomBytes(12).toString('hex')}`;

/**
 * A harness whose database a second runtime may open too: SQLite's default exclusive lock would keep it out.
 * Harness.start makes (and drops) a database of its own beside this one, unused.
 */
async function sharedHarness(overrides: Partial<Config>): Promise<{ h: Harness; close: () => Promise<void> }> {
  const fresh = await freshDatabase();
  const database = fresh.config.kind === 'sqlite' ? { ...fresh.config, locking: 'shared' as const } : fresh.config;
  const h = await Harness.start({ ...overrides, database });
  return {
    h,
    close: async () => {
      await h.close();
      await fresh.drop();
    },
  };
}

/** Another runtime on the same database, as after a restart with other settings. */
async function restarted(h: Harness, overrides: Partial<Config>): Promise<{ rt: Runtime; logs: Record<string, unknown>[]; call: (method: string, path: string, cookie: string) => Promise<{ status: number; body: any }> }> {
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger('info', { write: (line: string) => void logs.push(JSON.parse(line)) });
  const make = () => createRuntime({ ...h.config, ...overrides }, logger, h.clock);
  const rt = databaseKind() === 'postgres' ? await underSchemaLock(process.env.DATABASE_URL!, make) : await make();
  const call = async (method: string, path: string, cookie: string) => {
    const res = await rt.app.request(path, { method, headers: { cookie: `axonflow_session=${cookie}`, 'x-forwarded-for': '198.51.100.7' } });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  return { rt, logs, call };
}

describe('POST /{name}/test and /health', () => {
  let h: Harness;
  let owner: string;
  let mock: Mock;
  let target: Mock;
  let close: () => Promise<void>;

  before(async () => {
    mock = await mockProvider();
    target = await mockProvider();
    mock.redirectTo = `${target.base}/ok/landed`;
    // Both allow-listed: the redirect target is refused for being a redirect, not for its address.
    ({ h, close } = await sharedHarness({ outboundAllowHosts: [`127.0.0.1:${mock.port}`, `127.0.0.1:${target.port}`] }));
    await h.createOrg('acme');
    owner = await h.login('acme');
  });
  after(async () => {
    await close();
    mock.close();
    target.close();
  });

  const call = (method: string, path: string, body?: unknown, cookie = owner) => h.call(method, path, { cookie, body });
  const create = async (body: Record<string, unknown>, cookie = owner) => {
    const r = await call('POST', BASE, body, cookie);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body;
  };
  /** Runs /test and returns its answer and the requests the mock received meanwhile. */
  const probe = async (name: string, cookie = owner) => {
    const from = mock.seen.length;
    const r = await call('POST', `${BASE}/${name}/test`, undefined, cookie);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return { body: r.body, requests: mock.seen.slice(from) };
  };

  describe('each type sends its model-list request with its own auth header', () => {
    const cases: { type: string; extra?: Record<string, unknown>; path: string; auth: (key: string) => Record<string, string>; withKey?: boolean }[] = [
      { type: 'openai', path: '/ok/openai/models', auth: (k) => ({ authorization: `Bearer ${k}` }) },
      { type: 'anthropic', path: '/ok/anthropic/v1/models', auth: (k) => ({ 'x-api-key': k, 'anthropic-version': '2023-06-01' }) },
      { type: 'azure-openai', path: '/ok/azure-openai/openai/models?api-version=2024-10-21', auth: (k) => ({ 'api-key': k }) },
      {
        type: 'azure-openai',
        extra: { name: 'azure-pinned', settings: { api_version: '2024-06-01' } },
        path: '/ok/azure-pinned/openai/models?api-version=2024-06-01',
        auth: (k) => ({ 'api-key': k }),
      },
      { type: 'gemini', path: '/ok/gemini/v1beta/models', auth: (k) => ({ 'x-goog-api-key': k }) },
      { type: 'ollama', path: '/ok/ollama/api/tags', auth: () => ({}) },
      { type: 'custom', extra: { settings: { health_path: '/healthz' } }, path: '/ok/custom/healthz', auth: (k) => ({ authorization: `Bearer ${k}` }) },
      { type: 'custom', extra: { name: 'custom-bare' }, path: '/ok/custom-bare', auth: (k) => ({ authorization: `Bearer ${k}` }) },
    ];
    const AUTH_HEADERS = ['authorization', 'x-api-key', 'api-key', 'x-goog-api-key'];

    for (const c of cases) {
      const name = (c.extra?.name as string | undefined) ?? c.type;
      it(`${name}: GET ${c.path} with ${Object.keys(c.auth('k')).join(' + ') || 'no credential'} -> healthy`, async () => {
        const key = secret(name);
        await create({ type: c.type, name, endpoint: `${mock.base}/ok/${name}`, api_key: key, ...c.extra });
        const { body, requests } = await probe(name);
        assert.equal(requests.length, 1);
        const [req] = requests;
        assert.equal(req.method, 'GET');
        assert.equal(req.url, c.path);
        const expected = c.auth(key);
        for (const [header, value] of Object.entries(expected)) assert.equal(req.headers[header], value, header);
        for (const header of AUTH_HEADERS.filter((x) => !(x in expected))) assert.equal(req.headers[header], undefined, `${header} is not sent`);
        // The key goes in its header and nowhere else: not the URL, not another header.
        const elsewhere = { url: req.url, headers: Object.fromEntries(Object.entries(req.headers).filter(([k]) => !(k in expected))) };
        assert.ok(!JSON.stringify(elsewhere).includes(key), JSON.stringify(elsewhere));
        assert.equal(req.headers.accept, 'application/json');

        assert.equal(body.name, name);
        assert.equal(body.status, 'healthy');
        assert.equal(body.message, 'answered 200');
        assert.equal(body.http_status, 200);
        assert.equal(typeof body.latency_ms, 'number');
        assert.ok(Number.isInteger(body.latency_ms) && body.latency_ms >= 0);
        assert.equal(body.last_checked, T0);
        assert.ok(!JSON.stringify(body).includes(key));
      });
    }

    it('bedrock: only reachability (GET <endpoint>/ with no credential), said so in the message', async () => {
      await create({ name: 'bedrock', type: 'bedrock', region: 'us-east-1', endpoint: `${mock.base}/ok/bedrock`, api_key: secret('bedrock') });
      const { body, requests } = await probe('bedrock');
      assert.equal(requests.length, 1);
      assert.equal(requests[0].url, '/ok/bedrock/');
      for (const header of AUTH_HEADERS) assert.equal(requests[0].headers[header], undefined);
      assert.equal(body.status, 'healthy');
      assert.match(body.message, /SigV4/);
    });

    it('a key with no credential sends no auth header at all', async () => {
      await create({ name: 'keyless', type: 'openai', endpoint: `${mock.base}/ok/keyless` });
      const { body, requests } = await probe('keyless');
      assert.equal(requests[0].url, '/ok/keyless/models');
      for (const header of AUTH_HEADERS) assert.equal(requests[0].headers[header], undefined);
      assert.equal(body.status, 'healthy');
    });

    it(
      'a key that cannot go in an HTTP header is refused when saved, or /test reports it (never a 500)',
      async () => {
        const created = await call('POST', BASE, { name: 'euro', type: 'openai', endpoint: `${mock.base}/ok/v1`, api_key: 'sk-€-not-a-bytestring' });
        if (created.status === 400) {
          assert.equal(created.body.error.field, 'api_key');
          return;
        }
        const r = await call('POST', `${BASE}/euro/test`);
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.equal(r.body.status, 'unhealthy');
      },
    );

    it('/test takes no body fields', async () => {
      const r = await call('POST', `${BASE}/openai/test`, { timeout_seconds: 1 });
      assert.equal(r.status, 400);
      assert.equal(r.body.error.field, 'timeout_seconds');
    });

    it('/test of a name that does not exist -> 404, nothing sent', async () => {
      const before = mock.connections;
      const r = await call('POST', `${BASE}/nobody/test`);
      assert.equal(r.status, 404);
      assert.equal(mock.connections, before);
    });
  });

  describe('outcomes, each kept as the health /health then answers', () => {
    const outcomes: { name: string; segment: string; withKey: boolean; status: string; http: number; message: RegExp }[] = [
      { name: 'bad-key', segment: 'unauth', withKey: true, status: 'unhealthy', http: 401, message: /^the provider refused the credentials \(401\)$/ },
      { name: 'no-key', segment: 'unauth', withKey: false, status: 'unhealthy', http: 401, message: /refused the credentials \(401\): no api_key is set/ },
      { name: 'forbidden', segment: 'forbidden', withKey: true, status: 'unhealthy', http: 403, message: /refused the credentials \(403\)/ },
      { name: 'limited', segment: 'limited', withKey: true, status: 'degraded', http: 429, message: /429: rate limited/ },
      { name: 'broken', segment: 'broken', withKey: true, status: 'unhealthy', http: 500, message: /answered 500/ },
      { name: 'wrong-path', segment: 'missing', withKey: true, status: 'unhealthy', http: 404, message: /404: check the endpoint/ },
    ];

    for (const o of outcomes) {
      it(`HTTP ${o.http}${o.withKey ? '' : ' without a key'} -> ${o.status}, stored as the health`, async () => {
        await create({ name: o.name, type: 'openai', endpoint: `${mock.base}/${o.segment}/v1`, ...(o.withKey ? { api_key: secret(o.name) } : {}) });
        const { body, requests } = await probe(o.name);
        assert.equal(requests.length, 1);
        assert.equal(requests[0].url, `/${o.segment}/v1/models`);
        assert.equal(body.status, o.status);
        assert.match(body.message, o.message);
        assert.equal(body.http_status, o.http);
        assert.equal(typeof body.latency_ms, 'number');

        const { http_status: _h, ...stored } = body;
        const health = await call('GET', `${BASE}/${o.name}/health`);
        assert.equal(health.status, 200);
        assert.deepEqual(health.body, stored);
        const provider = await call('GET', `${BASE}/${o.name}`);
        assert.deepEqual(provider.body.health, { status: o.status, message: body.message, latency_ms: body.latency_ms, last_checked: T0 });

        const [event] = await h.runtime.database.db.selectFrom('audit_events').selectAll().where('action', '=', 'llm_provider.tested').where('target_id', '=', o.name).execute();
        assert.equal(event.outcome, 'failure');
        assert.equal(JSON.parse(event.details).http_status, o.http);
        assert.equal(JSON.parse(event.details).status, o.status);
      });
    }

    it('a redirect is not followed: unhealthy, saying so, and the target is never asked', async () => {
      await create({ name: 'moved', type: 'openai', endpoint: `${mock.base}/moved/v1`, api_key: secret('moved') });
      const { body, requests } = await probe('moved');
      assert.equal(requests.length, 1, 'the provider itself was asked once');
      assert.equal(body.status, 'unhealthy');
      assert.match(body.message, /redirects are not followed/);
      assert.ok(body.message.includes(mock.redirectTo), body.message);
      assert.equal(body.http_status, null);
      assert.equal(body.latency_ms, null);
      assert.equal(target.seen.length, 0);
      assert.equal(target.connections, 0);
      assert.equal((await call('GET', `${BASE}/moved/health`)).body.status, 'unhealthy');
    });

    it('a provider that never answers, with timeout_seconds 1 -> unhealthy "no answer within"', async () => {
      await create({ name: 'silent', type: 'anthropic', endpoint: `${mock.base}/hang`, timeout_seconds: 1, api_key: secret('silent') });
      const { body, requests } = await probe('silent');
      assert.equal(requests.length, 1, 'the request did reach it');
      assert.equal(body.status, 'unhealthy');
      assert.match(body.message, /no answer within 1000 ms/);
      assert.equal(body.http_status, null);
      const health = await call('GET', `${BASE}/silent/health`);
      assert.equal(health.body.status, 'unhealthy');
      assert.match(health.body.message, /no answer within/);
    });

    it('an endpoint on a loopback name that is not allow-listed (https://localhost:<port>) is refused when saved', async () => {
      const before = mock.connections;
      const r = await call('POST', BASE, { name: 'by-name', type: 'openai', endpoint: `https://localhost:${mock.port}/ok/v1`, api_key: secret('by-name') });
      assert.equal(r.status, 400);
      assert.equal(r.body.error.field, 'endpoint');
      assert.match(r.body.error.message, /localhost, a loopback name/);
      assert.equal(mock.connections, before);
    });

    it('https://127.0.0.2:<port> is refused when saved, and refused when tested after its allow-list entry is gone', async () => {
      const r = await call('POST', BASE, { name: 'other-loopback', type: 'openai', endpoint: `https://127.0.0.2:${mock.port}/v1` });
      assert.equal(r.status, 400);
      assert.equal(r.body.error.field, 'endpoint');
      assert.match(r.body.error.message, /127\.0\.0\.2, a loopback address/);

      // Saved while 127.0.0.1:<port> was allow-listed; the service restarts without that entry.
      await create({ name: 'was-allowed', type: 'openai', endpoint: `${mock.base}/ok/v1`, api_key: secret('was-allowed') });
      const second = await restarted(h, { outboundAllowHosts: [] });
      try {
        const before = mock.connections;
        const t = await second.call('POST', `${BASE}/was-allowed/test`, owner);
        assert.equal(t.status, 200, JSON.stringify(t.body));
        assert.equal(t.body.status, 'unhealthy');
        assert.match(t.body.message, /https is required/);
        assert.equal(mock.connections, before, 'the mock was never reached');
        assert.equal((await call('GET', `${BASE}/was-allowed/health`)).body.status, 'unhealthy');
      } finally {
        await second.rt.close();
      }
    });

    it('a healthy test is audited as a success; a later test replaces the stored health', async () => {
      await create({ name: 'flappy', type: 'openai', endpoint: `${mock.base}/ok/v1` });
      assert.equal((await probe('flappy')).body.status, 'healthy');
      const [ok] = await h.runtime.database.db.selectFrom('audit_events').selectAll().where('action', '=', 'llm_provider.tested').where('target_id', '=', 'flappy').execute();
      assert.equal(ok.outcome, 'success');
      assert.equal(ok.actor_type, 'user');

      h.clock.advance(5 * 60_000);
      assert.equal((await call('PUT', `${BASE}/flappy`, { endpoint: `${mock.base}/broken/v1` })).status, 200);
      const { body } = await probe('flappy');
      assert.equal(body.status, 'unhealthy');
      const health = await call('GET', `${BASE}/flappy/health`);
      assert.deepEqual(health.body, { name: 'flappy', status: 'unhealthy', message: 'the provider answered 500', latency_ms: body.latency_ms, last_checked: '2026-06-01T12:05:00.000Z' });
    });
  });

  describe('/health before any test, and /status', () => {
    let stat: string;
    before(async () => {
      await h.createOrg('stat');
      stat = await h.login('stat');
      h.clock.set(T0);
    });

    it('a provider never tested has unknown health', async () => {
      await create({ name: 'fresh', type: 'openai', endpoint: `${mock.base}/ok/v1` }, stat);
      const r = await call('GET', `${BASE}/fresh/health`, undefined, stat);
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, { name: 'fresh', status: 'unknown', message: null, latency_ms: null, last_checked: null });
    });

    it('/status counts providers, enabled ones, and the healthy enabled ones', async () => {
      await create({ name: 'up-one', type: 'openai', endpoint: `${mock.base}/ok/v1`, weight: 2 }, stat);
      await create({ name: 'up-two', type: 'ollama', endpoint: `${mock.base}/ok/ollama` }, stat);
      await create({ name: 'down', type: 'openai', endpoint: `${mock.base}/broken/v1` }, stat);
      await create({ name: 'paused', type: 'openai', endpoint: `${mock.base}/ok/v1` }, stat);
      for (const name of ['up-one', 'up-two', 'down', 'paused']) await probe(name, stat);
      assert.equal((await call('PUT', `${BASE}/paused`, { enabled: false }, stat)).status, 200);

      const r = await call('GET', `${BASE}/status`, undefined, stat);
      assert.equal(r.status, 200);
      assert.equal(r.body.total, 5);
      assert.equal(r.body.enabled, 4);
      assert.equal(r.body.healthy, 2, 'up-one and up-two; paused is healthy but disabled');
      const byName = Object.fromEntries(r.body.providers.map((p: any) => [p.name, p]));
      assert.deepEqual(Object.keys(byName).sort(), ['down', 'fresh', 'paused', 'up-one', 'up-two']);
      assert.equal(byName['up-one'].health.status, 'healthy');
      assert.equal(typeof byName['up-one'].health.latency_ms, 'number');
      assert.equal(byName.down.health.status, 'unhealthy');
      assert.equal(byName.paused.health.status, 'healthy');
      assert.equal(byName.paused.enabled, false);
      assert.equal(byName.fresh.health.status, 'unknown');
      assert.deepEqual(r.body.routing, { weights: { fresh: 1, 'up-one': 2, 'up-two': 1, down: 1 }, ready: true });

      const gql = await h.graphql('{ llmProviderStatus { total enabled healthy } }', {}, { cookie: stat });
      assert.deepEqual(gql.data.llmProviderStatus, { total: 5, enabled: 4, healthy: 2 });

      // A healthy provider turning unhealthy lowers the count.
      assert.equal((await call('PUT', `${BASE}/up-two`, { endpoint: `${mock.base}/limited/ollama` }, stat)).status, 200);
      assert.equal((await probe('up-two', stat)).body.status, 'degraded');
      assert.equal((await call('GET', `${BASE}/status`, undefined, stat)).body.healthy, 1);
    });
  });
});

describe('the API key is write-only', () => {
  let h: Harness;
  let owner: string;
  let mock: Mock;
  const keys: Record<string, string> = {};
  const answers: string[] = [];

  before(async () => {
    mock = await mockProvider();
    h = await Harness.start({ outboundAllowHosts: [`127.0.0.1:${mock.port}`] });
    await h.createOrg('acme');
    owner = await h.login('acme');
  });
  after(async () => {
    await h.close();
    mock.close();
  });

  const call = async (method: string, path: string, body?: unknown, headers?: Record<string, string>) => {
    const r = await h.call(method, path, { cookie: owner, body, headers });
    answers.push(JSON.stringify(r.body), JSON.stringify([...r.headers.entries()]));
    return r;
  };
  const graphql = async (query: string, variables: Record<string, unknown> = {}) => {
    const r = await h.graphql(query, variables, { cookie: owner });
    answers.push(JSON.stringify(r));
    return r;
  };
  const everyKey = () => Object.values(keys);
  const leaked = (text: string) => everyKey().filter((k) => text.includes(k));

  it('goes in on every face and comes back only as has_api_key', async () => {
    keys.rest = secret('rest');
    keys.restRotated = secret('rest-rotated');
    keys.gql = secret('gql');
    keys.gqlRotated = secret('gql-rotated');
    keys.bad = secret('bad');

    const created = await call('POST', BASE, { name: 'rest', type: 'openai', endpoint: `${mock.base}/ok/v1`, api_key: keys.rest }, { 'idempotency-key': 'create-rest-1' });
    assert.equal(created.status, 201);
    assert.equal(created.body.has_api_key, true);
    const replay = await call('POST', BASE, { name: 'rest', type: 'openai', endpoint: `${mock.base}/ok/v1`, api_key: keys.rest }, { 'idempotency-key': 'create-rest-1' });
    assert.equal(replay.status, 201);
    assert.equal(replay.headers.get('idempotency-replayed'), 'true');

    const made = await graphql('mutation($i: LlmProviderInput!) { createLlmProvider(input: $i) { name hasApiKey settings } }', {
      i: { name: 'gql', type: 'anthropic', endpoint: `${mock.base}/unauth`, apiKey: keys.gql },
    });
    assert.equal(made.data.createLlmProvider.hasApiKey, true);

    // A refused create does not echo it either.
    assert.equal((await call('POST', BASE, { name: 'Bad', type: 'openai', api_key: keys.bad })).status, 400);

    assert.equal((await call('GET', `${BASE}/rest`)).body.has_api_key, true);
    assert.equal((await call('GET', BASE)).body.providers.length, 2);
    await call('GET', `${BASE}/status`);
    await call('GET', `${BASE}/routing`);
    const tested = await call('POST', `${BASE}/rest/test`);
    assert.equal(tested.body.status, 'healthy');
    const refused = await call('POST', `${BASE}/gql/test`);
    assert.equal(refused.body.status, 'unhealthy');
    await call('GET', `${BASE}/gql/health`);

    assert.equal((await call('PUT', `${BASE}/rest`, { api_key: keys.restRotated, model: 'gpt-4o' })).body.has_api_key, true);
    const updated = await graphql('mutation($i: LlmProviderInput!) { updateLlmProvider(name: "gql", input: $i) { hasApiKey } }', { i: { apiKey: keys.gqlRotated } });
    assert.equal(updated.data.updateLlmProvider.hasApiKey, true);
    await call('POST', `${BASE}/rest/test`);
    await call('POST', `${BASE}/gql/test`);

    await graphql(`{
      llmProviders { totalCount edges { node { name type endpoint hasApiKey settings health { status message latencyMs lastChecked } } } }
      llmProvider(name: "rest") { name hasApiKey }
      llmProviderStatus { total providers { name hasApiKey } }
      llmRouting { weights }
    }`);
    await graphql('mutation { testLlmProvider(name: "rest") { status message httpStatus } }');
    // No field of the schema answers the key.
    const asked = await graphql('{ llmProvider(name: "rest") { apiKey } }');
    assert.ok(asked.errors?.length, 'apiKey is not a field');

    // The provider did receive the keys: the absences below are not for want of use.
    const sent = JSON.stringify(mock.seen.map((s) => s.headers));
    for (const k of [keys.rest, keys.restRotated, keys.gql, keys.gqlRotated]) assert.ok(sent.includes(k), 'the provider got the key');
  });

  it('no response body or header carried a key', () => {
    assert.ok(answers.length > 20);
    for (const text of answers) assert.deepEqual(leaked(text), [], text.slice(0, 300));
  });

  it('no log line carries a key', () => {
    assert.ok(h.logs.length > 0);
    assert.deepEqual(leaked(JSON.stringify(h.logs)), []);
  });

  it('no audit row carries a key, in any column', async () => {
    const rows = await h.runtime.database.db.selectFrom('audit_events').selectAll().execute();
    assert.ok(rows.some((r) => r.action === 'llm_provider.created'));
    assert.ok(rows.some((r) => r.action === 'llm_provider.updated'));
    assert.ok(rows.some((r) => r.action === 'llm_provider.tested'));
    assert.deepEqual(leaked(JSON.stringify(rows)), []);
  });

  it('the stored column is sealed (not the plaintext) and opens only under its context; no table holds a plaintext key', async () => {
    const db = h.runtime.database.db;
    const rows = await db.selectFrom('llm_providers').select(['name', 'api_key']).orderBy('name').execute();
    const box = new SecretBox(h.config.encryptionKey);
    const expected: Record<string, string> = { rest: keys.restRotated, gql: keys.gqlRotated };
    for (const r of rows) {
      assert.ok(r.api_key && r.api_key.startsWith('v1.'), `${r.name}: ${r.api_key}`);
      assert.deepEqual(leaked(r.api_key), []);
      assert.equal(box.open(r.api_key, PROVIDER_KEY_CONTEXT), expected[r.name]);
      assert.throws(() => box.open(r.api_key!, 'sso_configs.oidc_client_secret'));
    }

    const schema = h.config.database.kind === 'postgres' ? h.config.database.schema : undefined;
    const tables = (await db.introspection.getTables({ withInternalKyselyTables: true })).filter((t) => schema === undefined || t.schema === schema);
    assert.ok(tables.some((t) => t.name === 'llm_providers'));
    for (const t of tables) {
      const all = await db.selectFrom(t.name as 'llm_providers').selectAll().execute();
      assert.deepEqual(leaked(JSON.stringify(all)), [], `table ${t.name}`);
    }
  });
});

describe('rotate-secrets re-seals provider keys', () => {
  let h: Harness;
  let owner: string;
  let mock: Mock;
  const keyA = secret('rotate-a');
  const keyB = secret('rotate-b');
  let close: () => Promise<void>;

  before(async () => {
    mock = await mockProvider();
    ({ h, close } = await sharedHarness({ outboundAllowHosts: [`127.0.0.1:${mock.port}`] }));
    await h.createOrg('acme');
    await h.createOrg('beta');
    owner = await h.login('acme');
    const beta = await h.login('beta');
    for (const [cookie, body] of [
      [owner, { name: 'main', type: 'openai', endpoint: `${mock.base}/ok/v1`, api_key: keyA }],
      [beta, { name: 'main', type: 'gemini', endpoint: `${mock.base}/ok/gem`, api_key: keyB }],
      [owner, { name: 'keyless', type: 'openai', endpoint: `${mock.base}/ok/v1` }],
    ] as const) {
      assert.equal((await h.call('POST', BASE, { cookie, body })).status, 201);
    }
  });
  after(async () => {
    await close();
    mock.close();
  });

  const sealed = async () =>
    Object.fromEntries(
      (await h.runtime.database.db.selectFrom('llm_providers').select(['org_id', 'api_key']).where('api_key', 'is not', null).execute()).map((r) => [r.org_id, r.api_key!]),
    );

  it('every sealed key moves to the new key; a service on the new key alone still sends the same key to the provider', async () => {
    const oldKey = h.config.encryptionKey;
    const newKey = randomBytes(32);
    const before = await sealed();
    assert.deepEqual(Object.keys(before).sort(), ['acme', 'beta']);

    const rotating = new SecretBox(newKey, [oldKey]);
    assert.deepEqual(await rotateSecrets(h.runtime.database.db, rotating), { resealed: 2, current: 0, keyId: rotating.currentKeyId });
    const after = await sealed();
    const fresh = new SecretBox(newKey);
    for (const [org, plain] of [['acme', keyA], ['beta', keyB]] as const) {
      assert.notEqual(after[org], before[org]);
      assert.ok(!after[org].includes(plain));
      assert.equal(fresh.open(after[org], PROVIDER_KEY_CONTEXT), plain);
      assert.throws(() => new SecretBox(oldKey).open(after[org], PROVIDER_KEY_CONTEXT), /neither ENCRYPTION_KEY nor listed/);
    }
    assert.deepEqual(await rotateSecrets(h.runtime.database.db, rotating), { resealed: 0, current: 2, keyId: rotating.currentKeyId });

    const second = await restarted(h, { encryptionKey: newKey, encryptionKeysPrevious: [] });
    try {
      const from = mock.seen.length;
      const r = await second.call('POST', `${BASE}/main/test`, owner);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.status, 'healthy');
      assert.equal(mock.seen.length, from + 1);
      assert.equal(mock.seen[from].headers.authorization, `Bearer ${keyA}`);
      assert.ok(!JSON.stringify(second.logs).includes(keyA));
    } finally {
      await second.rt.close();
    }
  });
});
