import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { routes } from '../../src/rest/routes/index.js';
import { ADMIN_KEY, type CallOptions, Harness } from '../helpers/harness.js';

// Every row of the route table against every kind of caller: a route added later with the wrong scopes
// fails here without anyone writing a test for it.
type Family = 'public' | 'admin' | 'runtime' | 'portal';

const PUBLIC = new Set([
  'POST /api/v1/auth/login',
  'POST /api/v1/auth/forgot-password',
  'POST /api/v1/auth/reset-password',
  'GET /api/v1/auth/sso/availability',
  'GET /api/v1/license/public-key',
  'GET /api/v1/deployment/config',
]);
const RUNTIME = new Set(['POST /api/v1/nodes/heartbeat', 'POST /api/v1/usage/events']);

function familyOf(method: string, path: string): Family {
  const key = `${method} ${path}`;
  if (PUBLIC.has(key)) return 'public';
  if (RUNTIME.has(key)) return 'runtime';
  if (path.startsWith('/api/v1/admin/')) return 'admin';
  return 'portal';
}

const MODEL: Record<Exclude<Family, 'public'>, string> = {
  admin: 'admin_api_key',
  runtime: 'api_key',
  portal: 'portal_session',
};

describe('access matrix: every route x every principal kind', () => {
  let h: Harness;
  const callers: Record<string, CallOptions> = {};
  before(async () => {
    h = await Harness.start();
    await h.createOrg('acme');
    await h.createOrg('globex');
    const owner = await h.login('acme');
    callers['org A owner session'] = { cookie: owner };
    callers['org B session'] = { cookie: await h.login('globex') };
    callers['org A viewer session'] = { cookie: (await h.userSession('acme', 'viewer', owner)).cookie };
    callers['admin key'] = { headers: { 'x-admin-api-key': ADMIN_KEY } };
    callers['SCIM token'] = { headers: { authorization: 'Bearer scim_0123456789abcdefghijklmnop' } };
    callers['API key of A, all scopes'] = { headers: { authorization: `Bearer ${(await h.apiKey('acme', ['*'], owner)).key}` } };
    callers['API key of A, unrelated scope'] = { headers: { 'x-api-key': (await h.apiKey('acme', ['policies:read'], owner)).key } };
    callers['no credential'] = {};
  });
  after(() => h.close());

  function expected(family: Family, caller: string, method: string, path: string): 'allowed' | 401 | 403 {
    if (family === 'public') return 'allowed';
    if (family === 'admin') return caller === 'admin key' ? 'allowed' : 401;
    if (family === 'runtime') {
      if (caller === 'API key of A, all scopes') return 'allowed';
      if (caller === 'API key of A, unrelated scope') return 403;
      return 401;
    }
    if (!caller.includes('session')) return 401;
    // Viewers read everything in the portal and change nothing of keys.
    if (caller === 'org A viewer session' && method !== 'GET' && path.startsWith('/api/v1/keys')) return 403;
    return 'allowed';
  }

  it('covers every route of the table', () => {
    assert.ok(routes.length >= 25, `${routes.length} routes`);
  });

  for (const r of routes) {
    const family = familyOf(r.method, r.path);
    it(`${r.method} ${r.path} (${family})`, async () => {
      const path = r.path.replace(':org_id', 'acme').replace(':id', 'key_0000000000000000');
      for (const [caller, opts] of Object.entries(callers)) {
        if (r.path === '/api/v1/auth/logout' && caller.includes('session')) continue; // would end the shared session
        const want = expected(family, caller, r.method, r.path);
        const body = ['POST', 'PUT', 'PATCH'].includes(r.method) ? {} : undefined;
        const res = await h.call(r.method, path, { ...opts, body });
        const where = `${caller} -> ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`;
        if (want === 'allowed') {
          assert.ok(res.status !== 401 && res.status !== 403 && res.status < 500, where);
        } else {
          assert.equal(res.status, want, where);
          assert.ok(res.body.error.required_auth.includes(MODEL[family as Exclude<Family, 'public'>]), where);
          assert.ok(res.body.error.message.length > 20, where);
        }
      }
    });
  }
});
