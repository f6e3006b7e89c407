import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { routes } from '../../src/rest/routes/index.js';
import { ADMIN_KEY, type CallOptions, Harness } from '../helpers/harness.js';
import { beat } from '../nodes/helpers.js';

// Every row of the route table against every kind of caller: a route added later with the wrong scopes
// fails here without anyone writing a test for it.
type Family = 'public' | 'admin' | 'runtime' | 'portal' | 'managed' | 'compliance';

const PUBLIC = new Set([
  'POST /api/v1/auth/login',
  'POST /api/v1/auth/forgot-password',
  'POST /api/v1/auth/reset-password',
  'GET /api/v1/auth/sso/availability',
  'GET /api/v1/license/public-key',
  'GET /api/v1/deployment/config',
]);
const RUNTIME = new Set(['POST /api/v1/nodes/heartbeat', 'POST /api/v1/usage/events', 'POST /api/v1/policy-violations']);

// Runtime management: a portal session by role, or an API key by scope.
const MANAGED = /^\/api\/v1\/(llm-providers|connectors|static-policies|dynamic-policies|policies)(\/|$)/;

function areaOf(path: string): 'providers' | 'connectors' | 'policies' {
  if (path.startsWith('/api/v1/llm-providers')) return 'providers';
  if (path.startsWith('/api/v1/connectors')) return 'connectors';
  return 'policies';
}

/** Reads of runtime management, whatever the method: evaluating a text or a context. */
function isManagedRead(method: string, path: string): boolean {
  if (method === 'GET') return true;
  return method === 'POST' && /policies(\/:id)?\/test$/.test(path);
}

// Compliance modules: a portal session by permission or an API key by scope, behind the module gate; a person's
// decision is for sessions only, and the runtime's request for a decision for keys only.
const COMPLIANCE = /^\/api\/v1\/(euaiact|hitl)(\/|$)/;

function complianceDoors(method: string, path: string): string[] {
  if (/\/(approve|reject|override)$/.test(path)) return ['portal_session'];
  if (method === 'POST' && path === '/api/v1/hitl/queue') return ['api_key'];
  return ['portal_session', 'api_key'];
}

function familyOf(method: string, path: string): Family {
  const key = `${method} ${path}`;
  if (PUBLIC.has(key)) return 'public';
  if (RUNTIME.has(key)) return 'runtime';
  if (COMPLIANCE.test(path)) return 'compliance';
  if (MANAGED.test(path)) return 'managed';
  if (path.startsWith('/api/v1/admin/')) return 'admin';
  return 'portal';
}

const MODEL: Record<Exclude<Family, 'public' | 'compliance'>, string[]> = {
  admin: ['admin_api_key'],
  runtime: ['api_key'],
  portal: ['portal_session'],
  managed: ['portal_session', 'api_key'],
};

// How each credential kind is named when it is the wrong door: the refusal says what was presented.
const PRESENTED: Record<string, RegExp> = {
  'org A owner session': /a portal session was presented/,
  'org B session': /a portal session was presented/,
  'org A viewer session': /a portal session was presented/,
  'admin key': /the admin API key was presented/,
  'SCIM token of A': /a SCIM bearer token was presented: SCIM tokens are accepted only on \/scim\/v2/,
  'SCIM token of B': /a SCIM bearer token was presented: SCIM tokens are accepted only on \/scim\/v2/,
  'API key of A, all scopes': /a runtime API key was presented/,
  'API key of A, unrelated scope': /a runtime API key was presented/,
  'no credential': /no credential was presented/,
};

// Bodies that pass the types of the routes that require fields: with them, another org's id is not found
// rather than the body refused.
const WELL_FORMED: Record<string, unknown> = {
  'role-mapping': { role_id: 'viewer' },
  override: { action: 'log', reason: 'the matrix tries every door', expires_at: '2026-06-02T00:00:00Z' },
  test: { context: {} },
  // A trigger the service judges on its merits (org A has an upgrade running: 409), a release the operator may publish.
  upgrade: { service: 'agent', version: '2.0.0' },
  releases: { service: 'agent', version: '9.0.0', notes: 'published by the access matrix' },
  conformity: { system_name: 'Matrix system', assessment_type: 'self_assessment', risk_level: 'high' },
  'conformity/:id': { description: 'edited by the access matrix' },
  reject: { reason: 'the matrix tries every door' },
  'hitl/override': { decision: 'approve', reason: 'the matrix tries every door' },
  queue: { request_id: 'matrix-1', severity: 'low', reason: 'the matrix asks', context: {} },
  export: { export_type: 'hitl_summary', format: 'json' },
};

/** The well-formed body a route is tried with ({} when it takes none that matters). */
function bodyFor(path: string): unknown {
  if (path.startsWith('/api/v1/llm-providers')) return {};
  if (path === '/api/v1/euaiact/conformity/:id') return WELL_FORMED['conformity/:id'];
  if (path.startsWith('/api/v1/hitl/') && path.endsWith('/override')) return WELL_FORMED['hitl/override'];
  return WELL_FORMED[path.split('/').pop()!] ?? {};
}

describe('access matrix: every route x every principal kind', () => {
  let h: Harness;
  const callers: Record<string, CallOptions> = {};
  let keyOfA: string;
  let scimTokenOfA: string;
  let groupOfA: string;
  let upgradeOfA: string;
  before(async () => {
    h = await Harness.start();
    await h.createOrg('acme');
    await h.createOrg('globex');
    // Every module on for both: the gate itself is tested in test/compliance; here the doors are.
    for (const org of ['acme', 'globex']) await h.admin('PATCH', `/api/v1/admin/organizations/${org}`, { modules: ['eu_ai_act', 'hitl', 'mas_feat', 'rbi', 'sebi'] });
    const owner = await h.login('acme');
    callers['org A owner session'] = { cookie: owner };
    callers['org B session'] = { cookie: await h.login('globex') };
    callers['org A viewer session'] = { cookie: (await h.userSession('acme', 'viewer', owner)).cookie };
    callers['admin key'] = { headers: { 'x-admin-api-key': ADMIN_KEY } };
    callers['SCIM token of A'] = { headers: { authorization: `Bearer ${(await h.scimToken('acme', owner)).token}` } };
    callers['SCIM token of B'] = { headers: { authorization: `Bearer ${(await h.scimToken('globex')).token}` } };
    callers['API key of A, all scopes'] = { headers: { authorization: `Bearer ${(await h.apiKey('acme', ['*'], owner)).key}` } };
    callers['API key of A, unrelated scope'] = { headers: { 'x-api-key': (await h.apiKey('acme', ['policies:read'], owner)).key } };
    callers['no credential'] = {};
    // A real id of org A's, so another org's session is tried on data that exists.
    keyOfA = (await h.apiKey('acme', ['usage:write'], owner)).id;
    const scimOfA = await h.scimToken('acme', owner);
    scimTokenOfA = scimOfA.id;
    groupOfA = (await h.scim(scimOfA.token, 'POST', 'Groups', { displayName: 'Matrix' })).body.id;
    // A real upgrade of org A's (PENDING), so another org's session is tried on it.
    await beat(h, (await h.apiKey('acme', ['nodes:write'], owner)).key, 'matrix-node', { version: '1.1.0' });
    const upgrade = await h.call('POST', '/api/v1/deployments/upgrade', { cookie: owner, body: { service: 'agent', version: '2.0.0' } });
    if (upgrade.status !== 202) throw new Error(`upgrade: ${upgrade.status} ${JSON.stringify(upgrade.body)}`);
    upgradeOfA = upgrade.body.upgrade_id;
  });
  after(() => h.close());

  function expected(family: Family, caller: string, method: string, path: string): 'allowed' | 401 | 403 | 404 {
    if (family === 'public') return 'allowed';
    if (family === 'admin') return caller === 'admin key' ? 'allowed' : 401;
    if (family === 'runtime') {
      if (caller === 'API key of A, all scopes') return 'allowed';
      if (caller === 'API key of A, unrelated scope') return 403;
      return 401;
    }
    if (family === 'managed') {
      const read = isManagedRead(method, path);
      if (caller === 'API key of A, all scopes') return 'allowed';
      // That key holds policies:read only.
      if (caller === 'API key of A, unrelated scope') return areaOf(path) === 'policies' && read ? 'allowed' : 403;
      if (!caller.includes('session')) return 401;
      if (caller === 'org A viewer session' && !read) return 403;
      if (caller === 'org B session' && (path.includes(':id') || path.includes(':name'))) return 404;
      return 'allowed';
    }
    if (family === 'compliance') {
      const doors = complianceDoors(method, path);
      const isKey = caller.startsWith('API key');
      if (!(caller.includes('session') && doors.includes('portal_session')) && !(isKey && doors.includes('api_key'))) return 401;
      if (caller === 'API key of A, all scopes') return 'allowed';
      if (caller === 'API key of A, unrelated scope') return 403;
      if (caller === 'org A viewer session' && method !== 'GET') return 403;
      if (caller === 'org B session' && path.includes(':id')) return 404;
      return 'allowed';
    }
    if (!caller.includes('session')) return 401;
    // Viewers read everything in the portal and change nothing of keys or deployments; SCIM management is for sso:configure.
    if (caller === 'org A viewer session' && method !== 'GET' && path.startsWith('/api/v1/keys')) return 403;
    if (caller === 'org A viewer session' && method !== 'GET' && path.startsWith('/api/v1/deployments/')) return 403;
    if (caller === 'org A viewer session' && (path.startsWith('/api/v1/scim/') || path.startsWith('/api/v1/sso/'))) return 403;
    // Another organization's real ids are simply not there for this caller.
    if (caller === 'org B session' && (path.includes(':id') || path.includes(':groupId') || path.includes(':upgrade_id'))) return 404;
    return 'allowed';
  }

  /** Org A's data that a refused caller could try to change: its key and its upgrade. */
  const untouched = async () => ({
    key: await h.runtime.database.db.selectFrom('api_keys').select(['id', 'revoked_at']).where('id', '=', keyOfA).executeTakeFirstOrThrow(),
    upgrade: await h.runtime.database.db.selectFrom('upgrades').select(['upgrade_id', 'status', 'sequence']).where('upgrade_id', '=', upgradeOfA).executeTakeFirstOrThrow(),
  });

  it('covers every route of the table', () => {
    const families = routes.map((r) => familyOf(r.method, r.path));
    // A new route changes these on purpose: whoever adds one decides which door it is.
    assert.deepEqual(Object.fromEntries(['public', 'admin', 'runtime', 'portal', 'managed', 'compliance'].map((f) => [f, families.filter((x) => x === f).length])), { public: 6, admin: 12, runtime: 3, portal: 34, managed: 45, compliance: 20 });
  });

  for (const r of routes) {
    const family = familyOf(r.method, r.path);
    it(`${r.method} ${r.path} (${family})`, async () => {
      const path = r.path.replace(':upgrade_id', upgradeOfA).replace(':org_id', 'acme').replace(':id', r.path.startsWith('/api/v1/scim/') ? scimTokenOfA : keyOfA).replace(':groupId', groupOfA).replace(':name', 'matrix-missing');
      for (const [caller, opts] of Object.entries(callers)) {
        if (r.path === '/api/v1/auth/logout' && caller.includes('session')) continue; // would end the shared session
        const want = expected(family, caller, r.method, r.path);
        // The role mapping takes a role: with it, another org's group is not found rather than the body refused.
        const body = ['POST', 'PUT', 'PATCH'].includes(r.method) ? bodyFor(r.path) : undefined;
        const before = await untouched();
        const res = await h.call(r.method, path, { ...opts, body });
        const where = `${caller} -> ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`;
        if (want === 'allowed') {
          assert.ok(res.status !== 401 && res.status !== 403 && res.status < 500, where);
          continue;
        }
        assert.equal(res.status, want, where);
        if (want === 404) {
          assert.equal(res.body.error.code, 'NOT_FOUND', where);
          assert.deepEqual(await untouched(), before, `${where}: org A's key and upgrade are untouched`);
          continue;
        }
        assert.deepEqual(res.body.error.required_auth, family === 'compliance' ? complianceDoors(r.method, r.path) : MODEL[family as keyof typeof MODEL], where);
        if (want === 401) {
          assert.equal(res.body.error.code, 'UNAUTHENTICATED', where);
          assert.match(res.body.error.message, PRESENTED[caller], where);
        } else {
          assert.equal(res.body.error.code, 'FORBIDDEN', where);
          assert.match(res.body.error.message, caller.includes('viewer') ? /your role \(viewer\) lacks the permission (keys:manage|sso:configure|owners:manage|providers:write|connectors:write|policies:write|deployments:manage|compliance:export|hitl:review)/ : /this API key lacks the scope/, where);
        }
      }
    });
  }
});
