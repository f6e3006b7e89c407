import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ADMIN_KEY, Harness } from '../helpers/harness.js';

describe('admin organization API', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start();
  });
  after(() => h.close());

  it('creates with 201, updates with 200 on the same org_id, and never returns a password', async () => {
    const created = await h.admin('POST', '/api/v1/admin/organizations', {
      org_id: 'acme',
      name: 'Acme',
      password: 'acme-password-1',
      tier: 'ENTERPRISE',
      contact_email: 'ops@acme.example.com',
      expires_at: '2027-06-01',
    });
    assert.equal(created.status, 201);
    assert.equal(created.body.org_id, 'acme');
    assert.equal(created.body.tier, 'ENTERPRISE');
    assert.equal(created.body.status, 'ACTIVE');
    assert.equal(created.body.max_nodes, 100, 'the tier default');
    assert.equal(created.body.expires_at, '2027-06-01T00:00:00.000Z');
    assert.ok(!JSON.stringify(created.body).includes('password'));
    const updated = await h.admin('POST', '/api/v1/admin/organizations', { org_id: 'acme', name: 'Acme Corp', max_nodes: 7 });
    assert.equal(updated.status, 200);
    assert.equal(updated.body.name, 'Acme Corp');
    assert.equal(updated.body.max_nodes, 7);
    assert.equal(updated.body.tier, 'ENTERPRISE', 'fields not given are kept');
    assert.equal(updated.body.created_at, created.body.created_at);
  });

  it('answers parallel creates of one org_id with one 201 and updates, never a 500', async () => {
    const results = await Promise.all(
      Array.from({ length: 4 }, () => h.admin('POST', '/api/v1/admin/organizations', { org_id: 'racy', name: 'Racy' })),
    );
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 200, 200, 201]);
  });

  it('refuses a cursor it did not give out with 400, on every list', async () => {
    const bogus = ['garbage', Buffer.from('OffsetConnection:-5').toString('base64'), Buffer.from('OffsetConnection:100000000000000000000').toString('base64')];
    for (const cursor of bogus) {
      const r = await h.admin('GET', `/api/v1/admin/organizations?cursor=${encodeURIComponent(cursor)}`);
      assert.equal(r.status, 400, cursor);
      assert.equal(r.body.error.field, 'cursor');
      const a = await h.admin('GET', `/api/v1/admin/audit?cursor=${encodeURIComponent(cursor)}`);
      assert.equal(a.status, 400, cursor);
    }
  });

  it('defaults expiry to one year and tier to DEVELOPER', async () => {
    const r = await h.admin('POST', '/api/v1/admin/organizations', { org_id: 'plain', name: 'Plain' });
    assert.equal(r.status, 201);
    assert.equal(r.body.tier, 'DEVELOPER');
    const days = (Date.parse(r.body.expires_at) - h.clock.now().getTime()) / 86400_000;
    assert.ok(Math.abs(days - 365) < 1, `${days} days`);
  });

  it('lists with pagination and filters, and reads one', async () => {
    for (const id of ['list-a', 'list-b', 'list-c']) await h.createOrg(id, { tier: 'PLUS' });
    await h.admin('PATCH', '/api/v1/admin/organizations/list-b', { status: 'SUSPENDED' });
    const page1 = await h.admin('GET', '/api/v1/admin/organizations?tier=PLUS&limit=2');
    assert.equal(page1.status, 200);
    assert.deepEqual(page1.body.organizations.map((o: any) => o.org_id), ['list-a', 'list-b']);
    assert.equal(page1.body.total, 3);
    const page2 = await h.admin('GET', `/api/v1/admin/organizations?tier=PLUS&limit=2&cursor=${page1.body.next_cursor}`);
    assert.deepEqual(page2.body.organizations.map((o: any) => o.org_id), ['list-c']);
    assert.equal(page2.body.next_cursor, null);
    const suspended = await h.admin('GET', '/api/v1/admin/organizations?status=SUSPENDED');
    assert.deepEqual(suspended.body.organizations.map((o: any) => o.org_id), ['list-b']);
    const one = await h.admin('GET', '/api/v1/admin/organizations/list-c');
    assert.equal(one.body.org_id, 'list-c');
    const missing = await h.admin('GET', '/api/v1/admin/organizations/nope');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'NOT_FOUND');
  });

  it('refuses bad input with 400 naming the field, and changes nothing', async () => {
    const before = await h.admin('GET', '/api/v1/admin/organizations?limit=100');
    const cases: [string, string, unknown, string][] = [
      ['POST', '/api/v1/admin/organizations', { name: 'No id' }, 'org_id'],
      ['POST', '/api/v1/admin/organizations', { org_id: 'x y', name: 'Bad id' }, 'org_id'],
      ['POST', '/api/v1/admin/organizations', { org_id: 'okid', name: '' }, 'name'],
      ['POST', '/api/v1/admin/organizations', { org_id: 'okid', name: 'n'.repeat(201) }, 'name'],
      ['POST', '/api/v1/admin/organizations', { org_id: 'okid', name: 'N', tier: 'GOLD' }, 'tier'],
      ['POST', '/api/v1/admin/organizations', { org_id: 'okid', name: 'N', max_nodes: -1 }, 'max_nodes'],
      ['POST', '/api/v1/admin/organizations', { org_id: 'okid', name: 'N', max_nodes: 1.5 }, 'max_nodes'],
      ['POST', '/api/v1/admin/organizations', { org_id: 'okid', name: 'N', password: 'short' }, 'password'],
      ['POST', '/api/v1/admin/organizations', { org_id: 'okid', name: 'N', password: 'password123' }, 'password'],
      ['POST', '/api/v1/admin/organizations', { org_id: 'okid', name: 'N', contact_email: 'nope' }, 'contact_email'],
      ['POST', '/api/v1/admin/organizations', { org_id: 'okid', name: 'N', expires_at: 'next year' }, 'expires_at'],
      ['POST', '/api/v1/admin/organizations', { org_id: 'okid', name: 'N', expires_at: '0000-01-01' }, 'expires_at'],
      ['POST', '/api/v1/admin/organizations', { org_id: 'okid', name: 'N', expires_at: '2027-02-30' }, 'expires_at'],
      ['POST', '/api/v1/admin/organizations', { org_id: 'okid', name: 'N', expires_at: '2027-01-01T00:00:00' }, 'expires_at'],
      ['POST', '/api/v1/admin/organizations', { org_id: 'okid', name: 'N', color: 'blue' }, 'color'],
      ['PATCH', '/api/v1/admin/organizations/acme', { status: 'DELETED' }, 'status'],
      ['PATCH', '/api/v1/admin/organizations/acme', { org_id: 'other' }, 'org_id'],
      ['POST', '/api/v1/admin/organizations/acme/password', { password: 'abc' }, 'password'],
      ['POST', '/api/v1/admin/organizations/acme/password', { password: 'long-enough-pass', extra: 1 }, 'extra'],
    ];
    for (const [method, path, body, field] of cases) {
      const r = await h.admin(method, path, body);
      assert.equal(r.status, 400, `${method} ${path} ${JSON.stringify(body)} -> ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.field, field, JSON.stringify(r.body));
      assert.ok(!JSON.stringify(r.body).includes('abc"'), 'the value sent is not echoed');
    }
    const afterList = await h.admin('GET', '/api/v1/admin/organizations?limit=100');
    assert.deepEqual(afterList.body, before.body);
    const acme = await h.admin('GET', '/api/v1/admin/organizations/acme');
    assert.equal(acme.body.status, 'ACTIVE');
    assert.ok(await h.login('acme', 'acme-password-1'), 'the password did not change');
  });

  it('refuses wrong query parameters clearly', async () => {
    for (const q of ['limit=0', 'limit=101', 'limit=x', 'status=GONE', 'tier=gold']) {
      const r = await h.admin('GET', `/api/v1/admin/organizations?${q}`);
      assert.equal(r.status, 400, q);
      assert.ok(r.body.error.field, q);
    }
  });

  it('answers 404 for PATCH and password of an unknown org', async () => {
    assert.equal((await h.admin('PATCH', '/api/v1/admin/organizations/ghost', { name: 'G' })).status, 404);
    assert.equal((await h.admin('POST', '/api/v1/admin/organizations/ghost/password', { password: 'long-enough-9' })).status, 404);
  });

  describe('refuses every credential but the admin key, saying which one it needs', () => {
    const routes: [string, string, unknown?][] = [
      ['POST', '/api/v1/admin/organizations', { org_id: 'intruder', name: 'I' }],
      ['GET', '/api/v1/admin/organizations'],
      ['GET', '/api/v1/admin/organizations/acme'],
      ['PATCH', '/api/v1/admin/organizations/acme', { status: 'SUSPENDED' }],
      ['POST', '/api/v1/admin/organizations/acme/password', { password: 'taken-over-123' }],
      ['GET', '/api/v1/admin/audit'],
      ['GET', '/api/v1/admin/audit/verify'],
    ];

    it('no credential: 401 naming the admin key', async () => {
      for (const [method, path, body] of routes) {
        const r = await h.call(method, path, { body });
        assert.equal(r.status, 401, `${method} ${path}`);
        assert.deepEqual(r.body.error.required_auth, ['admin_api_key']);
        assert.match(r.body.error.message, /admin API key.*no credential was presented/);
      }
    });

    it('a wrong admin key: 401, even with a bad body', async () => {
      for (const [method, path] of routes) {
        const r = await h.call(method, path, { body: method === 'GET' ? undefined : { junk: true }, headers: { 'x-admin-api-key': `${ADMIN_KEY}x` } });
        assert.equal(r.status, 401, `${method} ${path}`);
        assert.match(r.body.error.message, /admin API key presented was not accepted/);
      }
    });

    it('a portal session (even an owner): 401 saying a portal session was presented', async () => {
      const cookie = await h.login('acme');
      for (const [method, path, body] of routes) {
        const r = await h.call(method, path, { body, cookie });
        assert.equal(r.status, 401, `${method} ${path}`);
        assert.match(r.body.error.message, /needs the admin API key.*a portal session was presented/);
      }
    });

    it('a SCIM token or a runtime key: 401 naming what was presented', async () => {
      const key = await h.apiKey('acme', ['*']);
      for (const [method, path, body] of routes) {
        const scim = await h.call(method, path, { body, headers: { authorization: 'Bearer scim_0123456789abcdef' } });
        assert.equal(scim.status, 401);
        assert.match(scim.body.error.message, /SCIM bearer token/);
        const runtime = await h.call(method, path, { body, headers: { authorization: `Bearer ${key.key}` } });
        assert.equal(runtime.status, 401);
        assert.match(runtime.body.error.message, /runtime API key was presented: API keys are accepted only on runtime routes/);
      }
    });

    it('nothing changed through any refused call', async () => {
      const acme = await h.admin('GET', '/api/v1/admin/organizations/acme');
      assert.equal(acme.body.status, 'ACTIVE');
      assert.equal((await h.admin('GET', '/api/v1/admin/organizations/intruder')).status, 404);
    });
  });

  it('audits every admin call with the operator key id and never any of the key', async () => {
    assert.equal((await h.admin('POST', '/api/v1/admin/organizations/plain/password', { password: 'plain-secret-42' })).status, 200);
    const r = await h.admin('GET', '/api/v1/admin/audit?limit=500');
    const events = r.body.events as any[];
    const actions = new Set(events.map((e) => e.action));
    for (const a of ['organization.created', 'organization.updated', 'organization.suspended', 'admin.organizations_listed', 'admin.organization_read', 'organization.password_set']) {
      assert.ok(actions.has(a), `missing ${a}`);
    }
    const op = events.find((e) => e.action === 'organization.created');
    assert.equal(op.actor_type, 'operator');
    assert.match(op.actor_id, /^op_[0-9a-f]{8}$/);
    assert.ok(events.filter((e) => e.actor_type === 'operator').every((e) => e.actor_id === op.actor_id), 'one key, one id');
    // Keyed: the id is no digest anyone holding the trail could test guesses of the key against.
    assert.notEqual(op.actor_id, `op_${createHash('sha256').update(ADMIN_KEY).digest('hex').slice(0, 8)}`);
    assert.ok(!JSON.stringify(r.body).includes(ADMIN_KEY.slice(0, 8)), 'not even a slice of the key');
    assert.ok(!JSON.stringify(r.body).includes(ADMIN_KEY));
    assert.ok(!JSON.stringify(r.body).includes('acme-password-1'));
    assert.ok(!JSON.stringify(r.body).includes('plain-secret-42'));
  });
});

describe('admin key rules per deployment mode', () => {
  it('enterprise mode lets a request without a key through, but a wrong key is still refused', async () => {
    const h = await Harness.start({ deploymentMode: 'enterprise', adminApiKey: null });
    try {
      const open = await h.call('POST', '/api/v1/admin/organizations', { body: { org_id: 'netco', name: 'Net' } });
      assert.equal(open.status, 201);
      const wrong = await h.call('GET', '/api/v1/admin/organizations', { headers: { 'x-admin-api-key': 'guess-guess-guess' } });
      assert.equal(wrong.status, 401);
      const audit = await h.call('GET', '/api/v1/admin/audit?action=organization.created');
      assert.equal(audit.body.events[0].actor_type, 'operator');
      assert.equal(audit.body.events[0].actor_id, null);
      // The same request over GraphQL is the same operator: one context object reaches the resolvers.
      const viaGraphql = await h.graphql('mutation($input: OrganizationInput!) { upsertOrganization(input: $input) { created } }', { input: { orgId: 'netco2', name: 'Net 2' } });
      assert.equal(viaGraphql.data.upsertOrganization.created, true);
      const both = await h.call('GET', '/api/v1/admin/audit?action=organization.created');
      const actors = both.body.events.map((e: { org_id: string; actor_type: string; actor_id: string | null }) => [e.org_id, e.actor_type, e.actor_id]);
      assert.deepEqual(actors.sort(), [['netco', 'operator', null], ['netco2', 'operator', null]]);
      // Only admin fields make a keyless request the operator: a failed login stays anonymous.
      await h.call('POST', '/api/v1/auth/login', { body: { org_id: 'netco', password: 'wrong-password-9' } });
      const failed = await h.call('GET', '/api/v1/admin/audit?action=auth.login_failed');
      assert.equal(failed.body.events[0].actor_type, 'anonymous');
    } finally {
      await h.close();
    }
  });

  it('saas staging lets a missing key through only while no key is configured; saas development never', async () => {
    const keyless = await Harness.start({ environment: 'staging', adminApiKey: null });
    const keyed = await Harness.start({ environment: 'staging' });
    const dev = await Harness.start({ environment: 'development' });
    try {
      assert.equal((await keyless.call('GET', '/api/v1/admin/organizations')).status, 200);
      const refused = await keyed.call('GET', '/api/v1/admin/organizations');
      assert.equal(refused.status, 401, 'a configured key is required in every mode');
      assert.deepEqual(refused.body.error.required_auth, ['admin_api_key']);
      assert.equal((await dev.call('GET', '/api/v1/admin/organizations')).status, 401);
    } finally {
      await keyless.close();
      await keyed.close();
      await dev.close();
    }
  });
});
