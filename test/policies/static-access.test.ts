// Who may read and change static policies, on every route: portal sessions by role (policies:read for reads,
// policies:write for changes), runtime API keys by scope, and nothing else (no credential, a SCIM token, the
// admin key). Another organization's ids are 404. Changes name who made them; tested texts are never recorded.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ADMIN_KEY, type CallOptions, Harness } from '../helpers/harness.js';

const BASE = '/api/v1/static-policies';
const DAY = 86_400_000;

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

/** Every route of the area, aimed at policy `id`. */
function everyRoute(h: Harness, id: string): RouteCall[] {
  return [
    { route: 'GET list', kind: 'read', method: 'GET', path: BASE },
    { route: 'GET effective', kind: 'read', method: 'GET', path: `${BASE}/effective` },
    { route: 'POST test', kind: 'read', method: 'POST', path: `${BASE}/test`, body: { text: 'hello ops@example.com' } },
    { route: 'GET one', kind: 'read', method: 'GET', path: `${BASE}/${id}` },
    { route: 'GET versions', kind: 'read', method: 'GET', path: `${BASE}/${id}/versions` },
    { route: 'POST create', kind: 'write', method: 'POST', path: BASE, body: { name: unique('Created'), pattern: 'created[0-9]' } },
    { route: 'PUT', kind: 'write', method: 'PUT', path: `${BASE}/${id}`, body: { priority: 321 } },
    { route: 'PATCH', kind: 'write', method: 'PATCH', path: `${BASE}/${id}` },
    { route: 'DELETE', kind: 'write', method: 'DELETE', path: `${BASE}/${id}` },
    {
      route: 'POST override',
      kind: 'write',
      method: 'POST',
      path: `${BASE}/${id}/override`,
      body: { action: 'log', reason: 'an exception for the test', expires_at: new Date(h.clock.now().getTime() + DAY).toISOString() },
    },
    { route: 'DELETE override', kind: 'write', method: 'DELETE', path: `${BASE}/${id}/override` },
  ];
}

async function stored(h: Harness): Promise<Record<string, number>> {
  const db = h.runtime.database.db;
  const out: Record<string, number> = {};
  for (const table of ['static_policies', 'policy_versions', 'static_policy_overrides'] as const) {
    const r = await db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirst();
    out[table] = Number(r?.n ?? 0);
  }
  const a = await db.selectFrom('audit_events').select((eb) => eb.fn.countAll().as('n')).where('action', 'like', 'static_policy.%').executeTakeFirst();
  out.audit = Number(a?.n ?? 0);
  return out;
}

/** Create, update, toggle, override, remove the override, delete: each as `auth`; the policy's id. */
async function writeCycle(h: Harness, auth: Auth, label: string): Promise<string> {
  const created = await h.call('POST', BASE, { ...auth, body: { name: unique(label), pattern: `cycle${counter}x`, action: 'warn' } });
  assert.equal(created.status, 201, `${label} create: ${JSON.stringify(created.body)}`);
  const id = created.body.id;
  const steps: [string, string, unknown, number][] = [
    ['PUT', `${BASE}/${id}`, { priority: 222, action: 'log' }, 200],
    ['PATCH', `${BASE}/${id}`, { enabled: false }, 200],
    ['POST', `${BASE}/${id}/override`, { enabled: true, reason: 'switched on for a trial', expires_at: new Date(h.clock.now().getTime() + DAY).toISOString() }, 201],
    ['DELETE', `${BASE}/${id}/override`, undefined, 200],
    ['DELETE', `${BASE}/${id}`, undefined, 204],
  ];
  for (const [method, path, body, status] of steps) {
    const r = await h.call(method, path, { ...auth, body });
    assert.equal(r.status, status, `${label} ${method} ${path}: ${JSON.stringify(r.body)}`);
  }
  return id;
}

async function historyOf(h: Harness, id: string): Promise<{ versions: { change_type: string; changed_by: string }[]; audit: { action: string; actor_type: string; actor_id: string | null }[] }> {
  const db = h.runtime.database.db;
  const versions = await db.selectFrom('policy_versions').select(['change_type', 'changed_by']).where('policy_id', '=', id).orderBy('version').execute();
  const audit = await db.selectFrom('audit_events').select(['action', 'actor_type', 'actor_id']).where('target_id', '=', id).orderBy('seq').execute();
  return { versions, audit };
}

describe('who may call the static-policy routes', () => {
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
    keys.usage = await h.apiKey('acme', ['usage:write'], owner);
    keys.providers = await h.apiKey('acme', ['providers:read', 'providers:write'], owner);
    scim = (await h.scimToken('acme', owner)).token;
    const r = await h.call('POST', BASE, { cookie: owner, body: { name: 'Target', pattern: 'targetword', action: 'block' } });
    assert.equal(r.status, 201);
    target = r.body.id;
  });
  after(() => h.close());

  /** Calls every route as `auth` and checks each answer; nothing may be stored by a refused call. */
  async function everyRouteAnswers(auth: Auth, expect: (r: RouteCall, status: number, body: any) => void): Promise<void> {
    const before = await stored(h);
    for (const call of everyRoute(h, target)) {
      const r = await h.call(call.method, call.path, { ...auth, body: call.body });
      expect(call, r.status, r.body);
    }
    assert.deepEqual(await stored(h), before);
  }

  it('no credential: 401 on every route, naming both doors', async () => {
    await everyRouteAnswers({}, (call, status, body) => {
      assert.equal(status, 401, call.route);
      assert.equal(body.error.code, 'UNAUTHENTICATED');
      assert.deepEqual(body.error.required_auth, ['portal_session', 'api_key'], call.route);
      assert.match(body.error.message, /no credential was presented/, call.route);
    });
  });

  it('no credential with a body the route would refuse is still 401, not 400', async () => {
    for (const [method, path, body] of [
      ['POST', BASE, { name: '', pattern: '(a+)+', bogus: 1 }],
      ['POST', `${BASE}/test`, { text: 'x'.repeat(300_000) }],
      ['PUT', `${BASE}/${target}`, { action: 'nope' }],
    ] as [string, string, unknown][]) {
      const r = await h.call(method, path, { body });
      assert.equal(r.status, 401, `${method} ${path}`);
    }
  });

  it('a SCIM token: 401 on every route, saying a SCIM token was presented', async () => {
    await everyRouteAnswers(bearer(scim), (call, status, body) => {
      assert.equal(status, 401, call.route);
      assert.match(body.error.message, /SCIM bearer token was presented/, call.route);
      assert.deepEqual(body.error.required_auth, ['portal_session', 'api_key']);
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
      // Even a write whose body is wrong is refused for the role first.
      const r = await h.call('POST', BASE, { cookie: sessions[role].cookie, body: { name: '', pattern: '(a+)+' } });
      assert.equal(r.status, 403);
    });
  }

  for (const role of ['policy_admin', 'admin']) {
    it(`a session with the ${role} role can make every change, and the history names the user`, async () => {
      const { cookie, userId } = sessions[role];
      for (const call of everyRoute(h, target).filter((c) => c.kind === 'read')) {
        const r = await h.call(call.method, call.path, { cookie, body: call.body });
        assert.equal(r.status, 200, call.route);
      }
      const id = await writeCycle(h, { cookie }, role);
      const { versions, audit } = await historyOf(h, id);
      assert.deepEqual(versions.map((v) => v.change_type), ['created', 'updated', 'toggled', 'override_set', 'override_removed', 'deleted']);
      assert.ok(versions.every((v) => v.changed_by === `user:${userId}`));
      assert.equal(audit.length, 6);
      assert.ok(audit.every((a) => a.actor_type === 'user' && a.actor_id === userId));
    });
  }

  it('the owner can make every change, including overriding a system policy', async () => {
    await writeCycle(h, { cookie: owner }, 'owner');
    const r = await h.call('POST', `${BASE}/sys_pii_us_ssn/override`, { cookie: owner, body: { action: 'log', reason: 'owner approved exception', expires_at: new Date(h.clock.now().getTime() + DAY).toISOString() } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal((await h.call('DELETE', `${BASE}/sys_pii_us_ssn/override`, { cookie: owner })).status, 200);
  });

  it('a key with policies:read reads every route; every write is 403 naming policies:write', async () => {
    await everyRouteAnswers(bearer(keys.read.key), (call, status, body) => {
      if (call.kind === 'read') {
        assert.equal(status, 200, `${call.route}: ${JSON.stringify(body)}`);
      } else {
        assert.equal(status, 403, call.route);
        assert.match(body.error.message, /this API key lacks the scope policies:write/, call.route);
      }
    });
  });

  it('X-API-Key works like the bearer header', async () => {
    const r = await h.call('GET', `${BASE}/${target}`, { headers: { 'x-api-key': keys.read.key } });
    assert.equal(r.status, 200);
    assert.equal(r.body.id, target);
  });

  it('a key with policies:write makes every change, and versions and audit name api_key:<id>', async () => {
    const id = await writeCycle(h, bearer(keys.write.key), 'write key');
    const { versions, audit } = await historyOf(h, id);
    assert.deepEqual(versions.map((v) => v.change_type), ['created', 'updated', 'toggled', 'override_set', 'override_removed', 'deleted']);
    assert.ok(versions.every((v) => v.changed_by === `api_key:${keys.write.id}`), JSON.stringify(versions));
    assert.deepEqual(audit.map((a) => a.action), versions.map((v) => `static_policy.${v.change_type}`));
    assert.ok(audit.every((a) => a.actor_type === 'api_key' && a.actor_id === keys.write.id));
    // The version history, read with a reading key, says the same.
    const read = await h.call('GET', `${BASE}/${id}/versions`, bearer(keys.read.key));
    assert.equal(read.status, 200);
    assert.ok(read.body.versions.every((v: any) => v.changed_by === `api_key:${keys.write.id}`));
  });

  it('a key with only policies:write cannot read: 403 naming policies:read', async () => {
    for (const call of everyRoute(h, target).filter((c) => c.kind === 'read')) {
      const r = await h.call(call.method, call.path, { ...bearer(keys.write.key), body: call.body });
      assert.equal(r.status, 403, call.route);
      assert.match(r.body.error.message, /lacks the scope policies:read/);
    }
  });

  it('a key with policies:read and policies:write, or *, does both', async () => {
    for (const k of [keys.both, keys.star]) {
      for (const call of everyRoute(h, target).filter((c) => c.kind === 'read')) {
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

  it('the target policy is as it was after all the refused calls', async () => {
    const r = await h.call('GET', `${BASE}/${target}`, { cookie: owner });
    assert.equal(r.status, 200);
    assert.equal(r.body.version, 1);
    assert.equal(r.body.enabled, true);
    assert.equal(r.body.override, null);
  });
});

describe("another organization's policies are not there for you", () => {
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
    betaKey = (await h.apiKey('beta', ['*'], beta)).key;
    const r = await h.call('POST', BASE, { cookie: acme, body: { name: 'Acme secret project', pattern: 'ACMEONLY', action: 'block', description: 'acme internal' } });
    assert.equal(r.status, 201);
    policy = r.body;
    const o = await h.call('POST', `${BASE}/sys_pii_email/override`, { cookie: acme, body: { action: 'log', reason: 'acme support inbox', expires_at: new Date(h.clock.now().getTime() + DAY).toISOString() } });
    assert.equal(o.status, 201);
  });
  after(() => h.close());

  for (const who of ['session', 'key'] as const) {
    it(`beta's ${who} gets 404 for acme's policy on GET, PUT, PATCH, DELETE, versions and override`, async () => {
      const auth: Auth = who === 'session' ? { cookie: beta } : bearer(betaKey);
      const before = await stored(h);
      const calls = everyRoute(h, policy.id).filter((c) => c.path.startsWith(`${BASE}/${policy.id}`));
      assert.equal(calls.length, 7);
      for (const call of calls) {
        const r = await h.call(call.method, call.path, { ...auth, body: call.body });
        assert.equal(r.status, 404, `${call.route}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error.code, 'NOT_FOUND');
        const text = JSON.stringify(r.body);
        assert.ok(!text.includes('Acme secret project') && !text.includes('ACMEONLY') && !text.includes('acme internal'), text);
      }
      assert.deepEqual(await stored(h), before);
      const mine = await h.call('GET', `${BASE}/${policy.id}`, { cookie: acme });
      assert.deepEqual({ ...mine.body, override: null }, policy);
    });
  }

  it("beta's list, /effective and /test know nothing of acme's policy or acme's override", async () => {
    const list = await h.call('GET', `${BASE}?limit=200`, { cookie: beta });
    assert.ok(!list.body.policies.some((p: any) => p.id === policy.id));
    assert.equal(list.body.total, list.body.policies.length);
    assert.equal(list.body.policies.find((p: any) => p.id === 'sys_pii_email').override, null);

    const eff = await h.call('GET', `${BASE}/effective`, bearer(betaKey));
    assert.ok(!eff.body.policies.some((p: any) => p.id === policy.id));
    assert.equal(eff.body.policies.find((p: any) => p.id === 'sys_pii_email').effective_action, 'redact');

    const t = await h.call('POST', `${BASE}/test`, { cookie: beta, body: { text: 'ACMEONLY to ops@example.com' } });
    assert.equal(t.body.action, 'redact');
    assert.deepEqual(t.body.matches.map((m: any) => m.policy_id), ['sys_pii_email']);
    assert.equal(t.body.matches[0].overridden, false);

    // Acme's own view has both.
    const mine = await h.call('POST', `${BASE}/test`, { cookie: acme, body: { text: 'ACMEONLY to ops@example.com' } });
    assert.equal(mine.body.action, 'block');
    assert.equal(mine.body.matches.find((m: any) => m.policy_id === 'sys_pii_email').action, 'log');
  });

  it("beta's history of a system policy does not show acme's override", async () => {
    const r = await h.call('GET', `${BASE}/sys_pii_email/versions`, { cookie: beta });
    assert.deepEqual(r.body.versions.map((v: any) => [v.version, v.change_type]), [[0, 'created']]);
    const mine = await h.call('GET', `${BASE}/sys_pii_email/versions`, { cookie: acme });
    assert.deepEqual(mine.body.versions.map((v: any) => v.change_type), ['override_set', 'created']);
  });

  it('beta may use the same name as acme, and overriding the same system policy is independent', async () => {
    const r = await h.call('POST', BASE, { cookie: beta, body: { name: 'Acme secret project', pattern: 'BETAWORD' } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const o = await h.call('POST', `${BASE}/sys_pii_email/override`, { cookie: beta, body: { action: 'block', reason: 'beta wants no emails', expires_at: new Date(h.clock.now().getTime() + DAY).toISOString() } });
    assert.equal(o.status, 201, JSON.stringify(o.body));
    const eff = async (cookie: string) =>
      (await h.call('GET', `${BASE}/effective`, { cookie })).body.policies.find((p: any) => p.id === 'sys_pii_email').effective_action;
    assert.equal(await eff(beta), 'block');
    assert.equal(await eff(acme), 'log');
  });
});

describe('the tested text is never recorded', () => {
  let h: Harness;

  before(async () => {
    h = await Harness.start();
    await h.createOrg('acme');
    await h.createOrg('beta');
  });
  after(() => h.close());

  it('no audit event or log line holds a text sent to /test, whoever sent it and whatever the answer', async () => {
    const owner = await h.login('acme');
    const canary = `canary-${randomBytes(8).toString('hex')}`;
    const text = `my card 4111 1111 1111 1111 and ${canary}@example.com said ${canary}`;
    const viewer = await h.userSession('acme', 'viewer', owner);
    const readKey = await h.apiKey('acme', ['policies:read'], owner);
    const usageKey = await h.apiKey('acme', ['usage:write'], owner);
    const scim = await h.scimToken('acme', owner);
    const beta = await h.login('beta');
    const block = await h.call('POST', BASE, { cookie: owner, body: { name: 'Canary', pattern: 'canary-[0-9a-f]{16}', action: 'block' } });
    assert.equal(block.status, 201);

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
      answers.push((await h.call('POST', `${BASE}/test`, { ...auth, body: { text } })).status);
      answers.push((await h.call('POST', `${BASE}/test`, { ...auth, body: { text, tenant_id: 'shop-1' } })).status);
    }
    // Answered, refused and unauthenticated alike.
    assert.deepEqual([...new Set(answers)].sort(), [200, 401, 403]);
    // A refused /test is audited (as a refusal), so the check below has rows to look at.
    const refusals = await h.runtime.database.db.selectFrom('audit_events').selectAll().where('action', '=', 'authorization.refused').execute();
    assert.ok(refusals.some((a) => a.details.includes('testStaticPolicies')));

    const rows = await h.runtime.database.db.selectFrom('audit_events').selectAll().execute();
    const everything = JSON.stringify(rows);
    assert.ok(!everything.includes(canary));
    assert.ok(!everything.includes('4111'));
    assert.ok(!JSON.stringify(h.logs).includes(canary));
  });
});
