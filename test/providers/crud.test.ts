import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Harness } from '../helpers/harness.js';

const BASE = '/api/v1/llm-providers';

/** A provider on loopback that answers every request 200 and remembers what it was sent. */
interface Mock {
  port: number;
  seen: { method: string; url: string; headers: IncomingHttpHeaders }[];
  close: () => void;
}

async function mockProvider(): Promise<Mock> {
  const seen: Mock['seen'] = [];
  const server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":[]}');
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

async function counts(h: Harness): Promise<{ providers: number; audit: number }> {
  const db = h.runtime.database.db;
  const providers = await db.selectFrom('llm_providers').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
  const audit = await db.selectFrom('audit_events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
  return { providers: Number(providers.n), audit: Number(audit.n) };
}

async function storedRow(h: Harness, orgId: string, name: string) {
  return h.runtime.database.db.selectFrom('llm_providers').selectAll().where('org_id', '=', orgId).where('name', '=', name).executeTakeFirst();
}

async function auditOf(h: Harness, action: string, targetId: string) {
  return h.runtime.database.db.selectFrom('audit_events').selectAll().where('action', '=', action).where('target_id', '=', targetId).orderBy('seq').execute();
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('LLM providers: create, read, list, update, delete', () => {
  let h: Harness;
  let owner: string;
  let mock: Mock;
  let ep: string;

  before(async () => {
    mock = await mockProvider();
    ep = `http://127.0.0.1:${mock.port}`;
    h = await Harness.start({ outboundAllowHosts: [`127.0.0.1:${mock.port}`] });
    await h.createOrg('acme');
    owner = await h.login('acme');
  });
  after(async () => {
    await h.close();
    mock.close();
  });

  const call = (method: string, path: string, body?: unknown, cookie = owner) => h.call(method, path, { cookie, body });
  const create = (body: Record<string, unknown>, cookie = owner) => call('POST', BASE, body, cookie);

  const SETTINGS = {
    maxTokens: 512,
    topP: 0.9,
    snake_case_key: true,
    'Mixed-Case Key': 'kept',
    nested: { innerKey: { deep_key: 1, deepKey: 2 }, list: [{ itemKey: 'a', item_key: 'b' }] },
    empty: {},
  };

  describe('create and read', () => {
    it('POST creates: 201, Location, the fields given, the defaults, has_api_key and never the key', async () => {
      const before = await counts(h);
      const r = await create({ name: 'main', type: 'openai', endpoint: `${ep}/v1/`, model: 'gpt-4o', api_key: 'sk-crud-main-0001', settings: SETTINGS });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.equal(r.headers.get('location'), `${BASE}/main`);
      const { created_at, updated_at, ...rest } = r.body;
      assert.deepEqual(rest, {
        name: 'main',
        type: 'openai',
        endpoint: `${ep}/v1`, // the trailing slash is dropped
        model: 'gpt-4o',
        region: null,
        enabled: true,
        priority: 100,
        weight: 1,
        rate_limit: null,
        timeout_seconds: 30,
        has_api_key: true,
        settings: SETTINGS,
        health: { status: 'unknown', message: null, latency_ms: null, last_checked: null },
      });
      assert.equal(created_at, '2026-06-01T12:00:00.000Z');
      assert.equal(updated_at, created_at);
      assert.ok(!('api_key' in r.body) && !JSON.stringify(r.body).includes('sk-crud-main-0001'));

      const after = await counts(h);
      assert.deepEqual(after, { providers: before.providers + 1, audit: before.audit + 1 });
      const [event] = await auditOf(h, 'llm_provider.created', 'main');
      assert.equal(event.org_id, 'acme');
      assert.equal(event.actor_type, 'user');
      assert.equal(event.target_type, 'llm_provider');
      assert.equal(JSON.parse(event.details).has_api_key, true);
    });

    it('GET /{name} answers the same provider', async () => {
      const created = await call('GET', `${BASE}/main`);
      assert.equal(created.status, 200);
      assert.equal(created.body.name, 'main');
      assert.equal(created.body.has_api_key, true);
      assert.equal(created.body.endpoint, `${ep}/v1`);
      assert.deepEqual(created.body.settings, SETTINGS);
      assert.ok(!('api_key' in created.body));
    });

    it('settings keys come back exactly as sent: REST create, get, list, GraphQL, and the stored column', async () => {
      const list = await call('GET', BASE);
      assert.deepEqual(list.body.providers.find((p: any) => p.name === 'main').settings, SETTINGS);
      const gql = await h.graphql('query($n: String!) { llmProvider(name: $n) { settings hasApiKey } }', { n: 'main' }, { cookie: owner });
      assert.equal(gql.errors, undefined, JSON.stringify(gql.errors));
      assert.deepEqual(gql.data.llmProvider.settings, SETTINGS);
      assert.deepEqual(JSON.parse((await storedRow(h, 'acme', 'main'))!.settings), SETTINGS);

      // Created through GraphQL, read through REST: the same keys.
      const made = await h.graphql(
        'mutation($i: LlmProviderInput!) { createLlmProvider(input: $i) { name settings } }',
        { i: { name: 'via-graphql', type: 'anthropic', settings: { camelKey: 1, snake_key: 2 } } },
        { cookie: owner },
      );
      assert.equal(made.errors, undefined, JSON.stringify(made.errors));
      assert.deepEqual(made.data.createLlmProvider.settings, { camelKey: 1, snake_key: 2 });
      assert.deepEqual((await call('GET', `${BASE}/via-graphql`)).body.settings, { camelKey: 1, snake_key: 2 });
      assert.equal((await call('DELETE', `${BASE}/via-graphql`)).status, 204);
    });

    it('a duplicate name -> 409, the first provider untouched, nothing written', async () => {
      const rowBefore = await storedRow(h, 'acme', 'main');
      const before = await counts(h);
      const r = await create({ name: 'main', type: 'anthropic', api_key: 'sk-other' });
      assert.equal(r.status, 409, JSON.stringify(r.body));
      assert.equal(r.body.error.code, 'CONFLICT');
      assert.match(r.body.error.message, /"main" already exists/);
      assert.deepEqual(await counts(h), before);
      assert.deepEqual(await storedRow(h, 'acme', 'main'), rowBefore);
    });

    it('GET of a name that does not exist -> 404 naming it', async () => {
      const r = await call('GET', `${BASE}/nobody`);
      assert.equal(r.status, 404);
      assert.equal(r.body.error.code, 'NOT_FOUND');
      assert.match(r.body.error.message, /"nobody"/);
    });

    it('every type with what it needs: bedrock from its region, the rest from their endpoint or default', async () => {
      const made: [Record<string, unknown>, Record<string, unknown>][] = [
        [{ name: 't-anthropic', type: 'anthropic' }, { endpoint: null, region: null }],
        [{ name: 't-gemini', type: 'gemini' }, { endpoint: null }],
        [{ name: 't-bedrock', type: 'bedrock', region: 'us-east-1' }, { endpoint: null, region: 'us-east-1' }],
        [{ name: 't-azure', type: 'azure-openai', endpoint: 'https://acme.openai.azure.com' }, { endpoint: 'https://acme.openai.azure.com' }],
        [{ name: 't-ollama', type: 'ollama', endpoint: ep }, { endpoint: ep }],
        [{ name: 't-custom', type: 'custom', endpoint: 'https://llm.example.com/api', rate_limit: 600, timeout_seconds: 300, priority: 0, weight: 1000 }, { rate_limit: 600, timeout_seconds: 300, priority: 0, weight: 1000 }],
      ];
      for (const [body, expected] of made) {
        const r = await create(body);
        assert.equal(r.status, 201, `${body.name}: ${JSON.stringify(r.body)}`);
        for (const [k, v] of Object.entries(expected)) assert.deepEqual(r.body[k], v, `${body.name}.${k}`);
        assert.equal(r.body.has_api_key, false);
      }
      for (const [body] of made) assert.equal((await call('DELETE', `${BASE}/${body.name}`)).status, 204);
    });
  });

  describe('list: pagination and filters', () => {
    let lister: string;
    before(async () => {
      await h.createOrg('lists');
      lister = await h.login('lists');
      const providers = [
        { name: 'alpha', type: 'openai', priority: 10 },
        { name: 'bravo', type: 'openai', priority: 500 },
        { name: 'charlie', type: 'openai', priority: 100, enabled: false },
        { name: 'delta', type: 'anthropic', priority: 100 },
        { name: 'echo', type: 'gemini', priority: 100 },
      ];
      for (const p of providers) assert.equal((await create(p, lister)).status, 201);
    });

    const names = (r: { body: any }) => r.body.providers.map((p: any) => p.name);

    it('lists in routing order (priority high first, then name) with the total', async () => {
      const r = await call('GET', BASE, undefined, lister);
      assert.equal(r.status, 200);
      assert.deepEqual(names(r), ['bravo', 'charlie', 'delta', 'echo', 'alpha']);
      assert.equal(r.body.total, 5);
      assert.equal(r.body.next_cursor, null);
      assert.ok(r.body.providers.every((p: any) => !('api_key' in p) && p.has_api_key === false));
    });

    it('limit and cursor walk the list page by page, each provider once', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      const pages: string[][] = [];
      do {
        const q = cursor ? `?limit=2&cursor=${encodeURIComponent(cursor)}` : '?limit=2';
        const r = await call('GET', `${BASE}${q}`, undefined, lister);
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.equal(r.body.total, 5);
        pages.push(names(r));
        seen.push(...names(r));
        cursor = r.body.next_cursor;
      } while (cursor && pages.length < 10);
      assert.deepEqual(pages, [['bravo', 'charlie'], ['delta', 'echo'], ['alpha']]);
      assert.deepEqual(seen, ['bravo', 'charlie', 'delta', 'echo', 'alpha']);
    });

    it('type and enabled filter the list and its total', async () => {
      const cases: [string, string[]][] = [
        ['type=openai', ['bravo', 'charlie', 'alpha']],
        ['type=anthropic', ['delta']],
        ['type=ollama', []],
        ['enabled=false', ['charlie']],
        ['enabled=true', ['bravo', 'delta', 'echo', 'alpha']],
        ['type=openai&enabled=true', ['bravo', 'alpha']],
        ['type=openai&enabled=true&limit=1', ['bravo']],
      ];
      for (const [q, expected] of cases) {
        const r = await call('GET', `${BASE}?${q}`, undefined, lister);
        assert.equal(r.status, 200, `${q}: ${JSON.stringify(r.body)}`);
        assert.deepEqual(names(r), expected, q);
        assert.equal(r.body.total, q.includes('limit=1') ? 2 : expected.length, q);
      }
    });

    it('?type= with a type that does not exist -> 400 naming type', async () => {
      const r = await call('GET', `${BASE}?type=gpt`, undefined, lister);
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.error.field, 'type');
    });

    it('another organization sees none of them', async () => {
      const r = await call('GET', BASE);
      assert.ok(names(r).every((n: string) => !['alpha', 'bravo', 'charlie', 'delta', 'echo'].includes(n)));
    });

    for (const [q, field] of [
      ['limit=0', 'limit'],
      ['limit=201', 'limit'],
      ['limit=two', 'limit'],
      ['limit=1.5', 'limit'],
      ['cursor=not-a-cursor', 'cursor'],
      ['enabled=yes', 'enabled'],
    ] as const) {
      it(`?${q} -> 400 naming ${field}`, async () => {
        const r = await call('GET', `${BASE}?${q}`, undefined, lister);
        assert.equal(r.status, 400, JSON.stringify(r.body));
        assert.equal(r.body.error.code, 'INVALID_INPUT');
        assert.equal(r.body.error.field, field);
      });
    }
  });

  describe('PUT /{name}: a partial update', () => {
    const KEY1 = 'sk-crud-update-key-one';
    const KEY2 = 'sk-crud-update-key-two';
    const testAndSeen = async () => {
      const before = mock.seen.length;
      const r = await call('POST', `${BASE}/upd/test`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.status, 'healthy', JSON.stringify(r.body));
      assert.equal(mock.seen.length, before + 1, 'one request reached the provider');
      return mock.seen[mock.seen.length - 1];
    };

    before(async () => {
      const r = await create({
        name: 'upd',
        type: 'openai',
        endpoint: `${ep}/upd/v1`,
        model: 'gpt-4o',
        priority: 7,
        weight: 3,
        rate_limit: 60,
        timeout_seconds: 12,
        api_key: KEY1,
        settings: { keepMe: { nested_key: 1 } },
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    });

    it('changes only the field given and keeps the rest, the stored key included', async () => {
      const before = (await call('GET', `${BASE}/upd`)).body;
      const sealedBefore = (await storedRow(h, 'acme', 'upd'))!.api_key;
      h.clock.advance(60_000);
      const r = await call('PUT', `${BASE}/upd`, { model: 'gpt-4.1' });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual({ ...r.body, model: before.model, updated_at: before.updated_at }, before);
      assert.equal(r.body.model, 'gpt-4.1');
      assert.equal(r.body.has_api_key, true);
      assert.equal(r.body.updated_at, '2026-06-01T12:01:00.000Z');
      assert.equal(r.body.created_at, before.created_at);
      assert.deepEqual((await call('GET', `${BASE}/upd`)).body, r.body);
      assert.equal((await storedRow(h, 'acme', 'upd'))!.api_key, sealedBefore, 'the sealed key is the same value');
      const events = await auditOf(h, 'llm_provider.updated', 'upd');
      assert.equal(JSON.parse(events[events.length - 1].details).api_key, 'kept');
    });

    it('a later /test still sends the original key', async () => {
      const req = await testAndSeen();
      assert.equal(req.method, 'GET');
      assert.equal(req.url, '/upd/v1/models');
      assert.equal(req.headers.authorization, `Bearer ${KEY1}`);
    });

    it('several fields at once; the others (and the key) stay', async () => {
      const before = (await call('GET', `${BASE}/upd`)).body;
      const r = await call('PUT', `${BASE}/upd`, { priority: 9, timeout_seconds: 5, enabled: false, settings: { replaced: true, camelCase: 'yes' } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.priority, 9);
      assert.equal(r.body.timeout_seconds, 5);
      assert.equal(r.body.enabled, false);
      assert.deepEqual(r.body.settings, { replaced: true, camelCase: 'yes' }, 'settings given are the new settings, whole');
      for (const k of ['type', 'endpoint', 'model', 'region', 'weight', 'rate_limit', 'has_api_key', 'created_at']) {
        assert.deepEqual(r.body[k], before[k], k);
      }
      // New settings may change the request a test sends (health_path, api_version): the old verdict is gone.
      assert.equal(r.body.health.status, 'unknown');
      const back = await call('PUT', `${BASE}/upd`, { enabled: true, rate_limit: null });
      assert.equal(back.body.enabled, true);
      assert.equal(back.body.rate_limit, null, 'rate_limit null clears the limit');
      assert.equal(back.body.priority, 9);
      assert.equal(back.body.has_api_key, true);
      assert.equal((await testAndSeen()).headers.authorization, `Bearer ${KEY1}`);
    });

    it('the name it already has may be repeated; another name -> 400 name, nothing changed', async () => {
      assert.equal((await call('PUT', `${BASE}/upd`, { name: 'upd', weight: 4 })).body.weight, 4);
      const rowBefore = await storedRow(h, 'acme', 'upd');
      const before = await counts(h);
      const r = await call('PUT', `${BASE}/upd`, { name: 'renamed' });
      assert.equal(r.status, 400);
      assert.equal(r.body.error.field, 'name');
      assert.deepEqual(await counts(h), before);
      assert.deepEqual(await storedRow(h, 'acme', 'upd'), rowBefore);
      assert.equal((await call('GET', `${BASE}/renamed`)).status, 404);
    });

    it('a bad value in an update -> 400 naming it, the provider unchanged', async () => {
      const rowBefore = await storedRow(h, 'acme', 'upd');
      const cases: [Record<string, unknown>, string][] = [
        [{ priority: 5000 }, 'priority'],
        [{ weight: -1 }, 'weight'],
        [{ timeout_seconds: 0 }, 'timeout_seconds'],
        [{ endpoint: 'https://169.254.169.254/' }, 'endpoint'],
        [{ endpoint: 'http://example.com/v1' }, 'endpoint'],
        [{ api_key: '' }, 'api_key'],
        [{ type: 'ollama', endpoint: null }, 'endpoint'],
        [{ type: 'bedrock' }, 'region'],
        [{ type: 'llama' }, 'type'],
        [{ model: 'a'.repeat(201) }, 'model'],
        [{ has_api_key: false }, 'has_api_key'],
        [{ enabled: 'no' }, 'enabled'],
      ];
      for (const [body, field] of cases) {
        const before = await counts(h);
        const r = await call('PUT', `${BASE}/upd`, body);
        assert.equal(r.status, 400, `${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error.field, field, JSON.stringify(body));
        assert.deepEqual(await counts(h), before, JSON.stringify(body));
      }
      assert.deepEqual(await storedRow(h, 'acme', 'upd'), rowBefore);
    });

    it('a new api_key replaces the old one: /test sends the new one', async () => {
      const sealedBefore = (await storedRow(h, 'acme', 'upd'))!.api_key;
      const r = await call('PUT', `${BASE}/upd`, { api_key: KEY2 });
      assert.equal(r.status, 200);
      assert.equal(r.body.has_api_key, true);
      assert.notEqual((await storedRow(h, 'acme', 'upd'))!.api_key, sealedBefore);
      assert.equal((await testAndSeen()).headers.authorization, `Bearer ${KEY2}`);
      const events = await auditOf(h, 'llm_provider.updated', 'upd');
      assert.equal(JSON.parse(events[events.length - 1].details).api_key, 'replaced');
    });

    it('api_key null removes the key: has_api_key false, the column empty, /test sends no credential', async () => {
      const r = await call('PUT', `${BASE}/upd`, { api_key: null });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.has_api_key, false);
      assert.equal((await call('GET', `${BASE}/upd`)).body.has_api_key, false);
      assert.equal((await storedRow(h, 'acme', 'upd'))!.api_key, null);
      const events = await auditOf(h, 'llm_provider.updated', 'upd');
      assert.equal(JSON.parse(events[events.length - 1].details).api_key, 'removed');
      assert.equal(JSON.parse(events[events.length - 1].details).has_api_key, false);
      const req = await testAndSeen();
      assert.equal(req.headers.authorization, undefined);
      // And an update that does not mention the key leaves it absent.
      assert.equal((await call('PUT', `${BASE}/upd`, { model: 'gpt-4o-mini' })).body.has_api_key, false);
    });

    it('PUT of a name that does not exist -> 404, nothing created', async () => {
      const before = await counts(h);
      const r = await call('PUT', `${BASE}/ghost`, { model: 'x' });
      assert.equal(r.status, 404);
      assert.deepEqual(await counts(h), before);
    });
  });

  describe('DELETE /{name}', () => {
    it('204 with no body; then gone from get, list and routing; a second delete -> 404', async () => {
      assert.equal((await create({ name: 'doomed', type: 'anthropic', api_key: 'sk-doomed' })).status, 201);
      assert.ok('doomed' in (await call('GET', `${BASE}/routing`)).body.weights);
      const before = await counts(h);
      const r = await call('DELETE', `${BASE}/doomed`);
      assert.equal(r.status, 204);
      assert.equal(r.body, null);
      assert.deepEqual(await counts(h), { providers: before.providers - 1, audit: before.audit + 1 });
      assert.equal(await storedRow(h, 'acme', 'doomed'), undefined);
      assert.equal((await call('GET', `${BASE}/doomed`)).status, 404);
      assert.equal((await call('GET', `${BASE}/doomed/health`)).status, 404);
      assert.ok(!(await call('GET', BASE)).body.providers.some((p: any) => p.name === 'doomed'));
      assert.ok(!('doomed' in (await call('GET', `${BASE}/routing`)).body.weights));
      assert.equal((await auditOf(h, 'llm_provider.deleted', 'doomed')).length, 1);
      const again = await call('DELETE', `${BASE}/doomed`);
      assert.equal(again.status, 404);
      assert.equal((await auditOf(h, 'llm_provider.deleted', 'doomed')).length, 1);
      // The name is free again.
      assert.equal((await create({ name: 'doomed', type: 'openai' })).body.has_api_key, false);
      assert.equal((await call('DELETE', `${BASE}/doomed`)).status, 204);
    });
  });

  describe('bad input: 400 naming the field, nothing stored', () => {
    const ok = { name: 'bad', type: 'openai' };
    const cases: [string, Record<string, unknown>, string][] = [
      ['an unknown type', { ...ok, type: 'gpt' }, 'type'],
      ['a missing type', { name: 'bad' }, 'type'],
      ['a missing name', { type: 'openai' }, 'name'],
      ['an upper-case name', { ...ok, name: 'Main' }, 'name'],
      ['the reserved name "routing"', { ...ok, name: 'routing' }, 'name'],
      ['the reserved name "status"', { ...ok, name: 'status' }, 'name'],
      ['a name with a space', { ...ok, name: 'my provider' }, 'name'],
      ['a name starting with "-"', { ...ok, name: '-x' }, 'name'],
      ['a name with a slash', { ...ok, name: 'a/b' }, 'name'],
      ['an empty name', { ...ok, name: '' }, 'name'],
      ['a name of 64 characters', { ...ok, name: 'n'.repeat(64) }, 'name'],
      ['a negative timeout_seconds', { ...ok, timeout_seconds: -1 }, 'timeout_seconds'],
      ['a zero timeout_seconds', { ...ok, timeout_seconds: 0 }, 'timeout_seconds'],
      ['a timeout_seconds over 300', { ...ok, timeout_seconds: 301 }, 'timeout_seconds'],
      ['a huge timeout_seconds', { ...ok, timeout_seconds: 1e12 }, 'timeout_seconds'],
      ['a fractional timeout_seconds', { ...ok, timeout_seconds: 1.5 }, 'timeout_seconds'],
      ['a negative priority', { ...ok, priority: -1 }, 'priority'],
      ['a priority over 1000', { ...ok, priority: 1001 }, 'priority'],
      ['a negative weight', { ...ok, weight: -1 }, 'weight'],
      ['a weight over 1000', { ...ok, weight: 1001 }, 'weight'],
      ['a zero rate_limit', { ...ok, rate_limit: 0 }, 'rate_limit'],
      ['an endpoint that is not a URL', { ...ok, endpoint: 'not a url' }, 'endpoint'],
      ['an endpoint without a scheme', { ...ok, endpoint: 'api.openai.com/v1' }, 'endpoint'],
      ['an ftp endpoint', { ...ok, endpoint: 'ftp://example.com/v1' }, 'endpoint'],
      ['an http endpoint not allow-listed', { ...ok, endpoint: 'http://example.com/v1' }, 'endpoint'],
      ['an http loopback endpoint on a port not allow-listed', { ...ok, endpoint: 'http://127.0.0.1:1/v1' }, 'endpoint'],
      ['an endpoint with credentials', { ...ok, endpoint: 'https://user:pass@example.com/v1' }, 'endpoint'],
      ['an endpoint with only a user', { ...ok, endpoint: 'https://sk-123@example.com/v1' }, 'endpoint'],
      ['an endpoint with a query', { ...ok, endpoint: 'https://example.com/v1?key=abc' }, 'endpoint'],
      ['an endpoint with a fragment', { ...ok, endpoint: 'https://example.com/v1#x' }, 'endpoint'],
      ['an endpoint on cloud metadata', { ...ok, endpoint: 'https://169.254.169.254/latest' }, 'endpoint'],
      ['an endpoint on a private address', { ...ok, endpoint: 'https://10.0.0.1/v1' }, 'endpoint'],
      ['an endpoint on IPv6 loopback', { ...ok, endpoint: 'https://[::1]/v1' }, 'endpoint'],
      ['an https endpoint on a loopback address not allow-listed', { ...ok, endpoint: 'https://127.0.0.2:8443/v1' }, 'endpoint'],
      ['bedrock without region', { name: 'bad', type: 'bedrock' }, 'region'],
      ['bedrock with a malformed region', { name: 'bad', type: 'bedrock', region: 'US East' }, 'region'],
      ['azure-openai without endpoint', { name: 'bad', type: 'azure-openai' }, 'endpoint'],
      ['ollama without endpoint', { name: 'bad', type: 'ollama' }, 'endpoint'],
      ['custom without endpoint', { name: 'bad', type: 'custom' }, 'endpoint'],
      ['custom with an empty endpoint', { name: 'bad', type: 'custom', endpoint: '' }, 'endpoint'],
      ['an unknown body field', { ...ok, colour: 'blue' }, 'colour'],
      ['has_api_key sent as input', { ...ok, has_api_key: true }, 'has_api_key'],
      ['health sent as input', { ...ok, health: { status: 'healthy' } }, 'health'],
      ['a number as name', { ...ok, name: 5 }, 'name'],
      ['a boolean as type', { ...ok, type: true }, 'type'],
      ['a string as enabled', { ...ok, enabled: 'yes' }, 'enabled'],
      ['a string as priority', { ...ok, priority: 'high' }, 'priority'],
      ['a string as weight', { ...ok, weight: '5' }, 'weight'],
      ['a number as endpoint', { ...ok, endpoint: 42 }, 'endpoint'],
      ['a number as api_key', { ...ok, api_key: 12345 }, 'api_key'],
      ['an empty api_key', { ...ok, api_key: '' }, 'api_key'],
      ['an api_key with a newline', { ...ok, api_key: 'sk-abc\nX-Injected: 1' }, 'api_key'],
      ['a model with a control character', { ...ok, model: 'gpt\u0000' }, 'model'],
      ['an array as settings', { ...ok, settings: [1, 2] }, 'settings'],
      ['a string as settings', { ...ok, settings: 'verbose' }, 'settings'],
      ['settings over 16 KiB', { ...ok, settings: { blob: 'x'.repeat(17 * 1024) } }, 'settings'],
    ];

    for (const [label, body, field] of cases) {
      it(`${label} -> 400 on ${field}`, async () => {
        const before = await counts(h);
        const r = await create(body);
        assert.equal(r.status, 400, JSON.stringify(r.body));
        assert.equal(r.body.error.code, 'INVALID_INPUT');
        assert.equal(r.body.error.field, field, JSON.stringify(r.body));
        assert.match(r.body.error.message, new RegExp(`^${escape(field)} `));
        assert.deepEqual(await counts(h), before);
        assert.equal(await storedRow(h, 'acme', 'bad'), undefined);
      });
    }

    it('the error never repeats the api_key sent', async () => {
      const r = await create({ ...ok, api_key: 'sk-secret-in-bad-request', endpoint: 'https://u:p@example.com' });
      assert.equal(r.status, 400);
      assert.ok(!JSON.stringify(r.body).includes('sk-secret-in-bad-request'));
    });

    it('malformed JSON, a non-object body, and a body that is not JSON -> 400, nothing stored', async () => {
      const before = await counts(h);
      const bad = await h.call('POST', BASE, { cookie: owner, rawBody: '{"name": "bad", "type": ', headers: { 'content-type': 'application/json' } });
      assert.equal(bad.status, 400);
      assert.match(bad.body.error.message, /not valid JSON/);
      const array = await create([{ name: 'bad', type: 'openai' }] as unknown as Record<string, unknown>);
      assert.equal(array.status, 400);
      const empty = await h.call('POST', BASE, { cookie: owner });
      assert.equal(empty.status, 400);
      assert.deepEqual(await counts(h), before);
    });

    it('a settings value that is not an object is described as an object', async () => {
      const r = await create({ ...ok, settings: [1] });
      assert.equal(r.status, 400);
      assert.doesNotMatch(r.body.error.message, /must be a string/);
    });
  });

  describe('routing weights', () => {
    let router: string;
    const ROUTING = `${BASE}/routing`;
    const put = (body: unknown) => call('PUT', ROUTING, body, router);
    const weightsInDb = async () =>
      Object.fromEntries(
        (await h.runtime.database.db.selectFrom('llm_providers').select(['name', 'weight']).where('org_id', '=', 'routes').execute()).map((r) => [r.name, r.weight]),
      );

    before(async () => {
      await h.createOrg('routes');
      router = await h.login('routes');
      for (const p of [
        { name: 'primary', type: 'openai', weight: 1 },
        { name: 'my_local', type: 'ollama', endpoint: ep, weight: 1 },
        { name: 'backup', type: 'anthropic', weight: 2 },
        { name: 'off', type: 'gemini', weight: 5, enabled: false },
      ]) {
        assert.equal((await create(p, router)).status, 201);
      }
    });

    it("GET shows enabled providers' weights only, names spelled as they are", async () => {
      const r = await call('GET', ROUTING, undefined, router);
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, { weights: { primary: 1, my_local: 1, backup: 2 }, ready: true });
    });

    it('PUT sets the weights named; every provider not named drops to 0; my_local keeps its underscore in and out', async () => {
      const before = await counts(h);
      const r = await put({ weights: { primary: 70, my_local: 30 } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(r.body, { weights: { primary: 70, my_local: 30, backup: 0 }, ready: true });
      assert.deepEqual(await weightsInDb(), { primary: 70, my_local: 30, backup: 0, off: 0 });
      assert.deepEqual((await call('GET', ROUTING, undefined, router)).body, r.body);
      assert.equal((await call('GET', `${BASE}/my_local`, undefined, router)).body.weight, 30);
      assert.equal((await call('GET', `${BASE}/backup`, undefined, router)).body.weight, 0);
      const status = await call('GET', `${BASE}/status`, undefined, router);
      assert.deepEqual(status.body.routing, r.body);
      const gql = await h.graphql('{ llmRouting { weights ready } llmProviderStatus { routing { weights } } }', {}, { cookie: router });
      assert.deepEqual(gql.data.llmRouting, { weights: { primary: 70, my_local: 30, backup: 0 }, ready: true });
      assert.deepEqual(gql.data.llmProviderStatus.routing.weights, { primary: 70, my_local: 30, backup: 0 });
      assert.equal((await counts(h)).audit, before.audit + 1);
      const [event] = await h.runtime.database.db.selectFrom('audit_events').selectAll().where('action', '=', 'llm_routing.updated').where('org_id', '=', 'routes').execute();
      assert.deepEqual(JSON.parse(event.details).weights, { primary: 70, my_local: 30 });
    });

    const refused: [string, unknown, string, RegExp?][] = [
      ['an unknown provider', { weights: { primary: 1, ghost: 1 } }, 'weights.ghost', /not a provider/],
      ["another organization's provider", { weights: { main: 1 } }, 'weights.main', /not a provider/],
      ['a disabled provider', { weights: { primary: 1, off: 1 } }, 'weights.off', /disabled/],
      ['weights summing to 0', { weights: { primary: 0, my_local: 0 } }, 'weights', /more than 0/],
      ['no provider named', { weights: {} }, 'weights'],
      ['a fractional weight', { weights: { primary: 1.5 } }, 'weights.primary'],
      ['a negative weight', { weights: { my_local: -1, primary: 5 } }, 'weights.my_local'],
      ['a weight over 1000', { weights: { primary: 1001 } }, 'weights.primary'],
      ['a weight sent as a string', { weights: { primary: '10' } }, 'weights.primary'],
      ['a null weight', { weights: { primary: null } }, 'weights.primary'],
      ['weights as an array', { weights: [70, 30] }, 'weights'],
      ['weights as a number', { weights: 100 }, 'weights'],
      ['no weights at all', {}, 'weights'],
      ['an unknown body field', { weights: { primary: 1 }, strategy: 'round-robin' }, 'strategy'],
    ];
    for (const [label, body, field, message] of refused) {
      it(`PUT with ${label} -> 400 on ${field}, weights unchanged`, async () => {
        const before = await counts(h);
        const weights = await weightsInDb();
        const r = await put(body);
        assert.equal(r.status, 400, JSON.stringify(r.body));
        assert.equal(r.body.error.code, 'INVALID_INPUT');
        assert.equal(r.body.error.field, field, JSON.stringify(r.body));
        if (message) assert.match(r.body.error.message, message);
        assert.deepEqual(await weightsInDb(), weights);
        assert.deepEqual(await counts(h), before);
      });
    }

    it('an unknown provider spelled in camelCase is named as sent', async () => {
      const r = await put({ weights: { primary: 1, openAi: 1 } });
      assert.equal(r.status, 400);
      assert.equal(r.body.error.field, 'weights.openAi');
    });

    it('ready turns false when no enabled provider has weight; a re-enabled provider keeps its weight', async () => {
      assert.equal((await put({ weights: { backup: 4 } })).status, 200);
      assert.equal((await call('PUT', `${BASE}/backup`, { enabled: false }, router)).status, 200);
      assert.deepEqual((await call('GET', ROUTING, undefined, router)).body, { weights: { primary: 0, my_local: 0 }, ready: false });
      assert.equal((await call('PUT', `${BASE}/backup`, { enabled: true }, router)).status, 200);
      assert.deepEqual((await call('GET', ROUTING, undefined, router)).body, { weights: { primary: 0, my_local: 0, backup: 4 }, ready: true });
    });
  });
});
