// Who may read and change dynamic policies, on every route of both prefixes (/api/v1/dynamic-policies and the
// older /api/v1/policies): portal sessions by role (policies:read for reads, policies:write for changes), runtime
// API keys by scope, and nothing else (no credential, a SCIM token, the admin key). Another organization's ids are
// 404 and its lists are its own. Changes name who made them; sample contexts are never recorded.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ADMIN_KEY, type CallOptions, Harness } from '../helpers/harness.js';

const BASE = '/api/v1/dynamic-policies';
const ALIAS = '/api/v1/policies';
const PREFIXES = [BASE, ALIAS];

type Auth = Pick<CallOptions, 'cookie' | 'headers'>;
interface RouteCall {
  route: string;
  kind: 'read' | 'write';
  method: string;
  path: string;
  body?: unknown;
}

const bearer = (key: string): Auth => ({ headers: { authorization: `Bearer ${key}` } });
let counter = 0;
const unique = (prefix: string) => `${prefix} ${++counter}`;

function policyBody(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: unique('Policy'),
    type: 'user',
    conditions: [{ field: 'user.role', operator: 'equals', value: 'contractor' }],
    actions: [{ type: 'block', config: { message: 'no contractors' } }],
    ...over,
  };
}

/** Every route of the area on one prefix, aimed at policy `id`. */
function routesOf(base: string, id: string): RouteCall[] {
  const at = (r: string) => `${r} (${base})`;
  return [
    { route: at('GET list'), kind: 'read', method: 'GET', path: base },
    { route: at('GET effective'), kind: 'read', method: 'GET', path: `${base}/effective` },
    { route: at('GET schema'), kind: 'read', method: 'GET', path: `${base}/schema` },
    { route: at('GET one'), kind: 'read', method: 'GET', path: `${base}/${id}` },
    { route: at('GET versions'), kind: 'read', method: 'GET', path: `${base}/${id}/versions` },
    { route: at('POST test'), kind: 'read', method: 'POST', path: `${base}/${id}/test`, body: { context: { user: { role: 'contractor' } } } },
    { route: at('POST create'), kind: 'write', method: 'POST', path: base, body: policyBody() },
    { route: at('PUT'), kind: 'write', method: 'PUT', path: `${base}/${id}`, body: { priority: 321 } },
    { route: at('DELETE'), kind: 'write', method: 'DELETE', path: `${base}/${id}` },
  ];
}

const everyRoute = (id: string) => PREFIXES.flatMap((base) => routesOf(base, id));

async function stored(h: Harness): Promise<Record<string, number>> {
  const db = h.runtime.database.db;
  const out: Record<string, number> = {};
  for (const table of ['dynamic_policies', 'policy_versions'] as const) {
    const r = await db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirst();
    out[table] = Number(r?.n ?? 0);
  }
  const a = await db.selectFrom('audit_events').select((eb) => eb.fn.countAll().as('n')).where('action', 'like', 'dynamic_policy.%').executeTakeFirst();
  out.audit = Number(a?.n ?? 0);
  return out;
}

/** Create, update, delete as `auth` (each on one of the prefixes); the policy's id. */
async function writeCycle(h: Harness, auth: Auth, label: string): Promise<string> {
  const created = await h.call('POST', BASE, { ...auth, body: policyBody({ name: unique(label) }) });
  assert.equal(created.status, 201, `${label} create: ${JSON.stringify(created.body)}`);
  const id = created.body.id;
  const put = await h.call('PUT', `${ALIAS}/${id}`, { ...auth, body: { priority: 222, enabled: false } });
  assert.equal(put.status, 200, `${label} PUT: ${JSON.stringify(put.body)}`);
  const put2 = await h.call('PUT', `${BASE}/${id}`, { ...auth, body: { type: 'risk' } });
  assert.equal(put2.status, 200, `${label} PUT: ${JSON.stringify(put2.body)}`);
  const del = await h.call('DELETE', `${ALIAS}/${id}`, auth);
  assert.equal(del.status, 204, `${label} DELETE: ${JSON.stringify(del.body)}`);
  return id;
}

async function historyOf(h: Harness, id: string) {
  const db = h.runtime.database.db;
  const versions = await db.selectFrom('policy_versions').select(['change_type', 'changed_by']).where('policy_id', '=', id).orderBy('version').execute();
  const audit = await db.selectFrom('audit_events').select(['action', 'actor_type', 'actor_id']).where('target_id', '=', id).orderBy('seq').execute();
  return { versions, audit };
}

describe('who may call the dynamic-policy routes', () => {
  let h: Harness;
  let owner: string;
  let target: string;
  const sessions: Record<string, { cookie: string; userId: string }> = {};
  const keys: Record<string, { key: string; id: string }> = {};
  let scim: string;

  before(async () => {
    ({ h, cookie: owner } = await Harness.withOrgSession('acme'));
    for (const role of ['viewer', 'developer', 'policy_admin', 'admin']) sessions[role] = await h.userSession('acme', role, owner);
    keys.read = await h.apiKey('acme', ['policies:read'], owner);
    keys.write = await h.apiKey('acme', ['policies:write'], owner);
    keys.both = await h.apiKey('acme', ['policies:read', 'policies:write'], owner);
    keys.star = await h.apiKey('acme', ['*'], owner);
    keys.usage = await h.apiKey('acme', ['usage:write', 'nodes:write'], owner);
    keys.providers = await h.apiKey('acme', ['providers:read', 'providers:write', 'connectors:read'], owner);
    scim = (await h.scimToken('acme', owner)).token;
    const r = await h.call('POST', BASE, { cookie: owner, body: policyBody({ name: 'Target' }) });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    target = r.body.id;
  });
  after(() => h.close());

  /** Calls every route of both prefixes as `auth` and checks each answer; a refused call stores nothing. */
  async function everyRouteAnswers(auth: Auth, expect: (r: RouteCall, status: number, body: any) => void): Promise<void> {
    const before = await stored(h);
    const calls = everyRoute(target);
    assert.equal(calls.length, 18);
    for (const call of calls) {
      const r = await h.call(call.method, call.path, { ...auth, body: call.body });
      expect(call, r.status, r.body);
    }
    assert.deepEqual(await stored(h), before);
  }

  it('no credential: 401 on every route, naming both doors', async () => {
    await everyRouteAnswers({}, (call, status, body) => {
      assert.equal(status, 401, call.route);
      assert.equal(body.error.code, 'UNAUTHENTICATED', call.route);
      assert.deepEqual(body.error.required_auth, ['portal_session', 'api_key'], call.route);
      assert.match(body.error.message, /no credential was presented/, call.route);
    });
  });

  it('no credential with a body the route would refuse is still 401, not 400', async () => {
    for (const base of PREFIXES) {
      for (const [method, path, body] of [
        ['POST', base, { name: '', type: 'bogus', conditions: [], bogus: 1 }],
        ['PUT', `${base}/${target}`, { conditions: 'nope' }],
        ['POST', `${base}/${target}/test`, { context: [1], extra: true }],
        ['GET', `${base}?page=0&sort_by=bogus`, undefined],
      ] as [string, string, unknown][]) {
        const r = await h.call(method, path, { body });
        assert.equal(r.status, 401, `${method} ${path}`);
      }
    }
  });

  it('a session cookie that is not a session: 401 on every route', async () => {
    await everyRouteAnswers({ cookie: 'not-a-real-session-token' }, (call, status) => {
      assert.equal(status, 401, call.route);
    });
  });

  it('a SCIM token: 401 on every route, saying a SCIM token was presented', async () => {
    await everyRouteAnswers(bearer(scim), (call, status, body) => {
      assert.equal(status, 401, call.route);
      assert.match(body.error.message, /SCIM bearer token was presented/, call.route);
      assert.deepEqual(body.error.required_auth, ['portal_session', 'api_key'], call.route);
    });
  });

  it('the admin key: 401 on every route, saying the admin key was presented', async () => {
    await everyRouteAnswers({ headers: { 'x-admin-api-key': ADMIN_KEY } }, (call, status, body) => {
      assert.equal(status, 401, call.route);
      assert.match(body.error.message, /admin API key was presented/, call.route);
    });
  });

  for (const role of ['viewer', 'developer']) {
    it(`a ${role} session reads every route; every write is 403 naming policies:write`, async () => {
      await everyRouteAnswers({ cookie: sessions[role].cookie }, (call, status, body) => {
        if (call.kind === 'read') {
          assert.equal(status, 200, `${call.route}: ${JSON.stringify(body)}`);
        } else {
          assert.equal(status, 403, call.route);
          assert.equal(body.error.code, 'FORBIDDEN');
          assert.match(body.error.message, new RegExp(`your role \\(${role}\\) lacks the permission policies:write`), call.route);
        }
      });
      // A write whose body is wrong is refused for the role first.
      for (const base of PREFIXES) {
        const r = await h.call('POST', base, { cookie: sessions[role].cookie, body: { name: '', type: 'bogus' } });
        assert.equal(r.status, 403);
        const p = await h.call('PUT', `${base}/${target}`, { cookie: sessions[role].cookie, body: { conditions: [] } });
        assert.equal(p.status, 403);
      }
    });
  }

  it('what a viewer reads is what the owner reads', async () => {
    for (const path of [`${BASE}/${target}`, `${ALIAS}/${target}/versions`, `${BASE}/effective`, `${ALIAS}/schema`]) {
      const mine = await h.call('GET', path, { cookie: owner });
      const theirs = await h.call('GET', path, { cookie: sessions.viewer.cookie });
      assert.equal(theirs.status, 200);
      assert.deepEqual(theirs.body, mine.body, path);
    }
    const t = await h.call('POST', `${ALIAS}/${target}/test`, { cookie: sessions.viewer.cookie, body: { context: { user: { role: 'contractor' } } } });
    assert.equal(t.body.matched, true);
    assert.deepEqual(t.body.actions, [{ type: 'block', config: { message: 'no contractors' } }]);
  });

  for (const role of ['policy_admin', 'admin']) {
    it(`a ${role} session reads every route and makes every change; the history names the user`, async () => {
      const { cookie, userId } = sessions[role];
      for (const call of everyRoute(target).filter((c) => c.kind === 'read')) {
        const r = await h.call(call.method, call.path, { cookie, body: call.body });
        assert.equal(r.status, 200, `${call.route}: ${JSON.stringify(r.body)}`);
      }
      const id = await writeCycle(h, { cookie }, role);
      const { versions, audit } = await historyOf(h, id);
      assert.deepEqual(versions.map((v) => v.change_type), ['created', 'updated', 'updated', 'deleted']);
      assert.ok(versions.every((v) => v.changed_by === `user:${userId}`), JSON.stringify(versions));
      assert.deepEqual(audit.map((a) => a.action), versions.map((v) => `dynamic_policy.${v.change_type}`));
      assert.ok(audit.every((a) => a.actor_type === 'user' && a.actor_id === userId));
    });
  }

  it('the owner makes every change', async () => {
    const id = await writeCycle(h, { cookie: owner }, 'owner');
    const { versions } = await historyOf(h, id);
    assert.equal(versions.length, 4);
    assert.ok(versions.every((v) => /^user:.+/.test(v.changed_by)));
  });

  it('a key with policies:read reads every route; every write is 403 naming policies:write', async () => {
    await everyRouteAnswers(bearer(keys.read.key), (call, status, body) => {
      if (call.kind === 'read') {
        assert.equal(status, 200, `${call.route}: ${JSON.stringify(body)}`);
      } else {
        assert.equal(status, 403, call.route);
        assert.equal(body.error.code, 'FORBIDDEN');
        assert.match(body.error.message, /this API key lacks the scope policies:write/, call.route);
      }
    });
  });

  it('X-API-Key works like the bearer header', async () => {
    const r = await h.call('GET', `${ALIAS}/${target}`, { headers: { 'x-api-key': keys.read.key } });
    assert.equal(r.status, 200);
    assert.equal(r.body.id, target);
  });

  it('a key with policies:write makes every change; versions and audit name api_key:<id>', async () => {
    const id = await writeCycle(h, bearer(keys.write.key), 'write key');
    const { versions, audit } = await historyOf(h, id);
    assert.deepEqual(versions.map((v) => v.change_type), ['created', 'updated', 'updated', 'deleted']);
    assert.ok(versions.every((v) => v.changed_by === `api_key:${keys.write.id}`), JSON.stringify(versions));
    assert.deepEqual(audit.map((a) => a.action), versions.map((v) => `dynamic_policy.${v.change_type}`));
    assert.ok(audit.every((a) => a.actor_type === 'api_key' && a.actor_id === keys.write.id));
    // Read back with a reading key, the history says the same.
    const read = await h.call('GET', `${BASE}/${id}/versions`, bearer(keys.read.key));
    assert.equal(read.status, 200);
    assert.ok(read.body.versions.every((v: any) => v.changed_by === `api_key:${keys.write.id}`));
  });

  it('a key with only policies:write cannot read: 403 naming policies:read', async () => {
    for (const call of everyRoute(target).filter((c) => c.kind === 'read')) {
      const r = await h.call(call.method, call.path, { ...bearer(keys.write.key), body: call.body });
      assert.equal(r.status, 403, call.route);
      assert.match(r.body.error.message, /lacks the scope policies:read/, call.route);
    }
  });

  it('a key with policies:read and policies:write, or *, does both', async () => {
    for (const k of [keys.both, keys.star]) {
      for (const call of everyRoute(target).filter((c) => c.kind === 'read')) {
        const r = await h.call(call.method, call.path, { ...bearer(k.key), body: call.body });
        assert.equal(r.status, 200, call.route);
      }
      const id = await writeCycle(h, bearer(k.key), 'key');
      const { versions } = await historyOf(h, id);
      assert.ok(versions.every((v) => v.changed_by === `api_key:${k.id}`));
    }
  });

  for (const which of ['usage', 'providers']) {
    it(`a key with unrelated scopes (${which}): 403 on every route`, async () => {
      await everyRouteAnswers(bearer(keys[which].key), (call, status, body) => {
        assert.equal(status, 403, call.route);
        assert.match(body.error.message, /this API key lacks the scope policies:(read|write)/, call.route);
      });
    });
  }

  it('a revoked key: 401 on every route', async () => {
    const k = await h.apiKey('acme', ['*'], owner);
    assert.equal((await h.call('DELETE', `/api/v1/keys/${k.id}`, { cookie: owner })).status, 200);
    await everyRouteAnswers(bearer(k.key), (call, status, body) => {
      assert.equal(status, 401, call.route);
      assert.match(body.error.message, /revoked/, call.route);
    });
  });

  it('the target policy is as it was after all the refused and read-only calls', async () => {
    const r = await h.call('GET', `${BASE}/${target}`, { cookie: owner });
    assert.equal(r.status, 200);
    assert.equal(r.body.version, 1);
    assert.equal(r.body.priority, 100);
    assert.equal(r.body.deleted_at, null);
    const v = await h.call('GET', `${BASE}/${target}/versions`, { cookie: owner });
    assert.deepEqual(v.body.versions.map((x: any) => x.change_type), ['created']);
  });
});

describe("another organization's dynamic policies are not there for you", () => {
  let h: Harness;
  let acme: string;
  let beta: string;
  let betaKey: string;
  let policy: any;

  before(async () => {
    h = await Harness.start();
    await h.createOrg('acme');
    await h.createOrg('beta');
    acme = await h.login('acme');
    beta = await h.login('beta');
    betaKey = (await h.apiKey('beta', ['policies:read', 'policies:write'], beta)).key;
    const r = await h.call('POST', BASE, {
      cookie: acme,
      body: policyBody({ name: 'Acme secret project', description: 'acme internal', conditions: [{ field: 'user.email', operator: 'regex', value: 'ACMEONLY[0-9]+' }] }),
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    policy = r.body;
  });
  after(() => h.close());

  for (const who of ['session', 'key'] as const) {
    it(`beta's ${who} gets 404 for acme's policy on GET, PUT, DELETE, test and versions, on both prefixes`, async () => {
      const auth: Auth = who === 'session' ? { cookie: beta } : bearer(betaKey);
      const before = await stored(h);
      const calls = everyRoute(policy.id).filter((c) => c.path.startsWith(`${BASE}/${policy.id}`) || c.path.startsWith(`${ALIAS}/${policy.id}`));
      assert.equal(calls.length, 10);
      for (const call of calls) {
        const r = await h.call(call.method, call.path, { ...auth, body: call.body });
        assert.equal(r.status, 404, `${call.route}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error.code, 'NOT_FOUND');
        const text = JSON.stringify(r.body);
        assert.ok(!text.includes('Acme secret project') && !text.includes('ACMEONLY') && !text.includes('acme internal'), text);
      }
      assert.deepEqual(await stored(h), before);
      const mine = await h.call('GET', `${BASE}/${policy.id}`, { cookie: acme });
      assert.deepEqual(mine.body, policy);
    });
  }

  it("beta's list (even with include_deleted and a search) and /effective do not show acme's policies", async () => {
    const mineToo = await h.call('POST', BASE, { cookie: beta, body: policyBody({ name: 'Beta own' }) });
    assert.equal(mineToo.status, 201);
    for (const base of PREFIXES) {
      for (const auth of [{ cookie: beta }, bearer(betaKey)]) {
        const list = await h.call('GET', `${base}?include_deleted=true&page_size=200`, auth);
        assert.equal(list.status, 200);
        assert.deepEqual(list.body.policies.map((p: any) => p.name), ['Beta own']);
        assert.equal(list.body.total, 1);
        const search = await h.call('GET', `${base}?search=acme`, auth);
        assert.equal(search.body.total, 0);
        const eff = await h.call('GET', `${base}/effective`, auth);
        assert.deepEqual(eff.body.policies.map((p: any) => p.name), ['Beta own']);
      }
    }
    // Acme's own list is untouched by beta's policy.
    const acmeList = await h.call('GET', BASE, { cookie: acme });
    assert.deepEqual(acmeList.body.policies.map((p: any) => p.id), [policy.id]);
  });

  it("beta's write key cannot reach acme's policy even after acme deletes it; acme's versions stay acme's", async () => {
    const p = await h.call('POST', BASE, { cookie: acme, body: policyBody({ name: 'Acme temporary' }) });
    assert.equal((await h.call('DELETE', `${BASE}/${p.body.id}`, { cookie: acme })).status, 204);
    assert.equal((await h.call('GET', `${BASE}/${p.body.id}/versions`, bearer(betaKey))).status, 404);
    assert.equal((await h.call('GET', `${ALIAS}/${p.body.id}/versions`, { cookie: beta })).status, 404);
    const list = await h.call('GET', `${BASE}?include_deleted=true`, bearer(betaKey));
    assert.ok(!list.body.policies.some((x: any) => x.id === p.body.id));
    assert.equal((await h.call('GET', `${BASE}/${p.body.id}/versions`, { cookie: acme })).status, 200);
  });
});

describe('a sample context is never recorded', () => {
  let h: Harness;

  before(async () => {
    h = await Harness.start();
    await h.createOrg('acme');
    await h.createOrg('beta');
  });
  after(() => h.close());

  it('no audit event or log line holds a context sent to /test, whoever sent it and whatever the answer', async () => {
    const owner = await h.login('acme');
    const canary = `canary-${randomBytes(8).toString('hex')}`;
    const viewer = await h.userSession('acme', 'viewer', owner);
    const readKey = await h.apiKey('acme', ['policies:read'], owner);
    const usageKey = await h.apiKey('acme', ['usage:write'], owner);
    const scim = await h.scimToken('acme', owner);
    const beta = await h.login('beta');
    const p = await h.call('POST', BASE, { cookie: owner, body: policyBody({ conditions: [{ field: 'user.email', operator: 'contains', value: 'canary' }] }) });
    assert.equal(p.status, 201);

    const answers: number[] = [];
    for (const auth of [
      { cookie: owner },
      { cookie: viewer.cookie },
      bearer(readKey.key),
      bearer(usageKey.key),
      bearer(scim.token),
      { headers: { 'x-admin-api-key': ADMIN_KEY } },
      {},
      { cookie: beta },
    ] as Auth[]) {
      for (const base of PREFIXES) {
        const context = { user: { email: `${canary}@example.com`, role: canary } };
        answers.push((await h.call('POST', `${base}/${p.body.id}/test`, { ...auth, body: { context } })).status);
        answers.push((await h.call('POST', `${base}/${p.body.id}/test`, { ...auth, body: { context, extra: canary } })).status);
      }
    }
    assert.deepEqual([...new Set(answers)].sort(), [200, 400, 401, 403, 404]);
    const rows = await h.runtime.database.db.selectFrom('audit_events').selectAll().execute();
    assert.ok(rows.length > 0);
    assert.ok(!JSON.stringify(rows).includes(canary));
    assert.ok(!JSON.stringify(h.logs).includes(canary));
  });
});
