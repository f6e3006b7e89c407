// Dynamic (condition) policies through REST: create, read, partial update and soft delete on both prefixes
// (/api/v1/dynamic-policies and its older alias /api/v1/policies), names unique per organization regardless of
// case, the list (paging, sorting, search, filters), the effective set, input that is refused (naming the field and
// leaving nothing behind), and the version history every change leaves.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Harness } from '../helpers/harness.js';

const BASE = '/api/v1/dynamic-policies';
const ALIAS = '/api/v1/policies';
const PREFIXES = [BASE, ALIAS];
const MINUTE = 60_000;

let counter = 0;
const unique = (prefix: string) => `${prefix} ${++counter}`;

/** A valid user policy; `over` replaces fields. */
function policyBody(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: unique('Policy'),
    type: 'user',
    conditions: [{ field: 'user.role', operator: 'equals', value: 'contractor' }],
    actions: [{ type: 'block', config: { message: 'contractors may not use this model' } }],
    ...over,
  };
}

/** Rows of the tables a dynamic policy change writes to. */
async function stored(h: Harness): Promise<{ policies: number; versions: number; audits: number }> {
  const db = h.runtime.database.db;
  const n = async (q: Promise<{ n: unknown } | undefined>) => Number((await q)?.n ?? 0);
  return {
    policies: await n(db.selectFrom('dynamic_policies').select((eb) => eb.fn.countAll().as('n')).executeTakeFirst()),
    versions: await n(db.selectFrom('policy_versions').select((eb) => eb.fn.countAll().as('n')).executeTakeFirst()),
    audits: await n(db.selectFrom('audit_events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirst()),
  };
}

async function create(h: Harness, cookie: string, body: Record<string, unknown>, base = BASE): Promise<any> {
  const r = await h.call('POST', base, { cookie, body });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

async function get(h: Harness, cookie: string, id: string, base = BASE): Promise<any> {
  const r = await h.call('GET', `${base}/${id}`, { cookie });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

async function list(h: Harness, cookie: string, query: string, base = BASE): Promise<any> {
  const r = await h.call('GET', `${base}?${query}`, { cookie });
  assert.equal(r.status, 200, `${query}: ${JSON.stringify(r.body)}`);
  return r.body;
}

async function versions(h: Harness, cookie: string, id: string, base = BASE): Promise<any[]> {
  const r = await h.call('GET', `${base}/${id}/versions`, { cookie });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.versions;
}

const POLICY_FIELDS = ['actions', 'category', 'conditions', 'created_at', 'deleted_at', 'description', 'enabled', 'id', 'name', 'priority', 'tags', 'type', 'updated_at', 'version'];

describe('dynamic policies: create, read, update, delete on both prefixes', () => {
  let h: Harness;
  let cookie: string;

  before(async () => {
    ({ h, cookie } = await Harness.withOrgSession('acme'));
  });
  after(() => h.close());

  it('POST creates a policy with the fields given; GET on either prefix reads the same row', async () => {
    const r = await h.call('POST', BASE, {
      cookie,
      body: {
        name: 'Contractor approval',
        type: 'user',
        category: 'Access-Control',
        description: 'Contractors need a manager to approve.',
        conditions: [
          { field: 'user.role', operator: 'equals', value: 'contractor' },
          { field: 'user.groups', operator: 'contains', value: 'external' },
        ],
        actions: [{ type: 'require_approval', config: { approvers: ['lead@acme.example.com'], timeout_minutes: 30 } }],
        priority: 700,
        enabled: true,
        tags: ['Access', 'approval', 'access'],
      },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const p = r.body;
    assert.deepEqual(Object.keys(p).sort(), POLICY_FIELDS);
    assert.match(p.id, /^dpol_/);
    assert.equal(r.headers.get('location'), `${BASE}/${p.id}`);
    assert.equal(p.name, 'Contractor approval');
    assert.equal(p.type, 'user');
    assert.equal(p.category, 'access-control');
    assert.equal(p.description, 'Contractors need a manager to approve.');
    assert.deepEqual(p.conditions, [
      { field: 'user.role', operator: 'equals', value: 'contractor' },
      { field: 'user.groups', operator: 'contains', value: 'external' },
    ]);
    // Keys inside an action's config are the caller's: timeout_minutes stays snake_case.
    assert.deepEqual(p.actions, [{ type: 'require_approval', config: { approvers: ['lead@acme.example.com'], timeout_minutes: 30 } }]);
    assert.equal(p.priority, 700);
    assert.equal(p.enabled, true);
    assert.deepEqual(p.tags, ['access', 'approval']);
    assert.equal(p.version, 1);
    assert.equal(p.created_at, h.clock.now().toISOString());
    assert.equal(p.updated_at, p.created_at);
    assert.equal(p.deleted_at, null);

    for (const base of PREFIXES) assert.deepEqual(await get(h, cookie, p.id, base), p);

    const row = await h.runtime.database.db.selectFrom('dynamic_policies').selectAll().where('id', '=', p.id).executeTakeFirstOrThrow();
    assert.equal(row.org_id, 'acme');
    assert.deepEqual(JSON.parse(row.actions), p.actions);
    assert.deepEqual(JSON.parse(row.conditions), p.conditions);
  });

  it('defaults: category is the type, priority 100, enabled, no tags, no description; action configs get their defaults', async () => {
    const p = await create(
      h,
      cookie,
      policyBody({
        type: 'cost',
        conditions: [{ field: 'estimated_cost_usd', operator: 'greater_than', value: 2.5 }],
        actions: [{ type: 'require_approval' }, { type: 'log', config: {} }, { type: 'redact', config: null }, { type: 'warn', config: { message: 'pricey' } }],
      }),
    );
    assert.equal(p.category, 'cost');
    assert.equal(p.priority, 100);
    assert.equal(p.enabled, true);
    assert.deepEqual(p.tags, []);
    assert.equal(p.description, null);
    assert.deepEqual(p.actions, [
      { type: 'require_approval', config: { timeout_minutes: 60 } },
      { type: 'log', config: { level: 'info' } },
      { type: 'redact', config: { replacement: '[REDACTED]' } },
      { type: 'warn', config: { message: 'pricey' } },
    ]);
  });

  it('the older alias /api/v1/policies creates, updates and deletes the same rows', async () => {
    const made = await create(h, cookie, policyBody({ name: 'Made on the alias' }), ALIAS);
    assert.equal((await h.call('GET', `${ALIAS}/${made.id}`, { cookie })).status, 200);
    assert.deepEqual(await get(h, cookie, made.id, BASE), made);
    for (const base of PREFIXES) {
      const page = await list(h, cookie, 'search=made%20on%20the%20alias', base);
      assert.deepEqual(page.policies.map((p: any) => p.id), [made.id]);
    }

    const put = await h.call('PUT', `${ALIAS}/${made.id}`, { cookie, body: { priority: 321 } });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.equal((await get(h, cookie, made.id, BASE)).priority, 321);

    const byMain = await h.call('PUT', `${BASE}/${made.id}`, { cookie, body: { enabled: false } });
    assert.equal(byMain.status, 200);
    const viaAlias = await get(h, cookie, made.id, ALIAS);
    assert.equal(viaAlias.enabled, false);
    assert.equal(viaAlias.priority, 321);
    assert.equal(viaAlias.version, 3);

    const del = await h.call('DELETE', `${ALIAS}/${made.id}`, { cookie });
    assert.equal(del.status, 204);
    for (const base of PREFIXES) assert.equal((await h.call('GET', `${base}/${made.id}`, { cookie })).status, 404);
    assert.deepEqual((await versions(h, cookie, made.id, BASE)).map((v) => v.change_type), ['deleted', 'updated', 'updated', 'created']);
  });

  it('PUT changes only the fields it carries and keeps the others', async () => {
    const p = await create(
      h,
      cookie,
      policyBody({ description: 'kept', category: 'kept-cat', priority: 10, tags: ['keep'], actions: [{ type: 'log', config: { level: 'warning' } }] }),
    );
    h.clock.advance(MINUTE);
    const r = await h.call('PUT', `${BASE}/${p.id}`, { cookie, body: { priority: 900 } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body, { ...p, priority: 900, version: 2, updated_at: h.clock.now().toISOString() });
    assert.deepEqual(await get(h, cookie, p.id), r.body);

    h.clock.advance(MINUTE);
    const r2 = await h.call('PUT', `${ALIAS}/${p.id}`, {
      cookie,
      body: {
        name: 'Renamed',
        description: null,
        conditions: [{ field: 'user.country', operator: 'in', value: ['US', 'CA'] }],
        actions: [{ type: 'require_approval', config: { timeout_minutes: 15 } }],
        tags: [],
      },
    });
    assert.equal(r2.status, 200, JSON.stringify(r2.body));
    assert.equal(r2.body.name, 'Renamed');
    assert.equal(r2.body.description, null);
    assert.equal(r2.body.category, 'kept-cat');
    assert.equal(r2.body.priority, 900);
    assert.deepEqual(r2.body.conditions, [{ field: 'user.country', operator: 'in', value: ['US', 'CA'] }]);
    assert.deepEqual(r2.body.actions, [{ type: 'require_approval', config: { timeout_minutes: 15 } }]);
    assert.deepEqual(r2.body.tags, []);
    assert.equal(r2.body.version, 3);
    assert.equal(r2.body.created_at, p.created_at);
  });

  it('PUT to a type the existing conditions still fit is allowed (user.role is also a risk field)', async () => {
    const p = await create(h, cookie, policyBody());
    const r = await h.call('PUT', `${BASE}/${p.id}`, { cookie, body: { type: 'risk' } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.type, 'risk');
    assert.deepEqual(r.body.conditions, p.conditions);
    // A new type with conditions of that type, in one PUT.
    const r2 = await h.call('PUT', `${BASE}/${p.id}`, { cookie, body: { type: 'cost', conditions: [{ field: 'tokens', operator: 'greater_than', value: 5000 }] } });
    assert.equal(r2.status, 200, JSON.stringify(r2.body));
    assert.equal(r2.body.type, 'cost');
    assert.deepEqual(r2.body.conditions, [{ field: 'tokens', operator: 'greater_than', value: 5000 }]);
  });

  it('PUT changing the type to one whose fields the conditions do not use is 400 and the policy is unchanged', async () => {
    const p = await create(h, cookie, policyBody({ conditions: [{ field: 'user.groups', operator: 'contains', value: 'interns' }] }));
    const before = await stored(h);
    for (const type of ['cost', 'content', 'risk']) {
      const r = await h.call('PUT', `${BASE}/${p.id}`, { cookie, body: { type, priority: 5 } });
      assert.equal(r.status, 400, `${type}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.field, 'conditions[0].field');
      assert.match(r.body.error.message, new RegExp(`^conditions\\[0\\]\\.field must be a field of ${type} policies`));
    }
    // New conditions that do not fit the (unchanged) type are refused the same way.
    const r = await h.call('PUT', `${BASE}/${p.id}`, { cookie, body: { conditions: [{ field: 'tokens', operator: 'greater_than', value: 1 }] } });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.field, 'conditions[0].field');
    const bad = await h.call('PUT', `${BASE}/${p.id}`, { cookie, body: { type: 'bogus' } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.field, 'type');
    assert.deepEqual(await get(h, cookie, p.id), p);
    assert.deepEqual(await stored(h), before);
  });

  it('names are unique per organization regardless of case: 409 on create and on rename, nothing stored', async () => {
    const a = await create(h, cookie, policyBody({ name: 'Night Shift' }));
    const b = await create(h, cookie, policyBody({ name: 'Day Shift' }));
    const before = await stored(h);
    for (const [base, name] of [
      [BASE, 'Night Shift'],
      [BASE, 'NIGHT SHIFT'],
      [ALIAS, 'night shift'],
      [BASE, '  night shift  '],
    ]) {
      const r = await h.call('POST', base, { cookie, body: policyBody({ name }) });
      assert.equal(r.status, 409, `${name}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, 'CONFLICT');
      assert.match(r.body.error.message, /already exists/);
    }
    const rename = await h.call('PUT', `${BASE}/${b.id}`, { cookie, body: { name: 'night SHIFT' } });
    assert.equal(rename.status, 409, JSON.stringify(rename.body));
    assert.deepEqual(await stored(h), before);
    assert.equal((await get(h, cookie, b.id)).name, 'Day Shift');

    // A policy may change the case of its own name.
    const own = await h.call('PUT', `${BASE}/${a.id}`, { cookie, body: { name: 'NIGHT shift' } });
    assert.equal(own.status, 200, JSON.stringify(own.body));
    assert.equal(own.body.name, 'NIGHT shift');
  });

  it("another organization may use the same name", async () => {
    await create(h, cookie, policyBody({ name: 'Shared Name' }));
    await h.createOrg('beta');
    const beta = await h.login('beta');
    const p = await create(h, beta, policyBody({ name: 'shared name' }));
    assert.equal(p.name, 'shared name');
  });

  it("a deleted policy's name can be used again; the new policy is another row", async () => {
    const old = await create(h, cookie, policyBody({ name: 'Reusable' }));
    const del = await h.call('DELETE', `${BASE}/${old.id}`, { cookie });
    assert.equal(del.status, 204);
    assert.equal(del.body, null);
    const again = await create(h, cookie, policyBody({ name: 'REUSABLE' }), ALIAS);
    assert.notEqual(again.id, old.id);
    assert.equal(again.version, 1);
    const all = await list(h, cookie, 'search=reusable&include_deleted=true');
    assert.deepEqual(all.policies.map((p: any) => p.id).sort(), [old.id, again.id].sort());
    // Renaming another policy to the reused name is now a conflict again.
    const other = await create(h, cookie, policyBody());
    assert.equal((await h.call('PUT', `${BASE}/${other.id}`, { cookie, body: { name: 'reusable' } })).status, 409);
  });

  it('DELETE is soft: 204, then GET, PUT, DELETE and test are 404 on both prefixes; the row stays with deleted_at', async () => {
    const p = await create(h, cookie, policyBody());
    h.clock.advance(MINUTE);
    assert.equal((await h.call('DELETE', `${BASE}/${p.id}`, { cookie })).status, 204);
    const before = await stored(h);
    for (const base of PREFIXES) {
      assert.equal((await h.call('GET', `${base}/${p.id}`, { cookie })).status, 404);
      assert.equal((await h.call('PUT', `${base}/${p.id}`, { cookie, body: { priority: 1 } })).status, 404);
      assert.equal((await h.call('DELETE', `${base}/${p.id}`, { cookie })).status, 404);
      assert.equal((await h.call('POST', `${base}/${p.id}/test`, { cookie, body: { context: {} } })).status, 404);
    }
    assert.deepEqual(await stored(h), before);
    const row = await h.runtime.database.db.selectFrom('dynamic_policies').selectAll().where('id', '=', p.id).executeTakeFirstOrThrow();
    assert.equal(row.deleted_at, h.clock.now().toISOString());
    assert.equal(row.version, 2);
    const listed = await list(h, cookie, `include_deleted=true&search=${encodeURIComponent(p.name)}`);
    assert.equal(listed.policies.length, 1);
    assert.equal(listed.policies[0].deleted_at, h.clock.now().toISOString());
    assert.equal((await list(h, cookie, `search=${encodeURIComponent(p.name)}`)).total, 0);
  });

  it('a retried create with the same Idempotency-Key answers the first answer and stores one policy', async () => {
    const body = policyBody({ name: 'Retried' });
    const first = await h.call('POST', BASE, { cookie, body, headers: { 'idempotency-key': 'create-retried-1' } });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    const before = await stored(h);
    const again = await h.call('POST', BASE, { cookie, body, headers: { 'idempotency-key': 'create-retried-1' } });
    assert.equal(again.status, 201);
    assert.equal(again.headers.get('idempotency-replayed'), 'true');
    assert.deepEqual(again.body, first.body);
    assert.deepEqual(await stored(h), before);
    const other = await h.call('POST', BASE, { cookie, body: policyBody(), headers: { 'idempotency-key': 'create-retried-1' } });
    assert.equal(other.status, 422);
    assert.deepEqual(await stored(h), before);
  });

  it('a replayed create carries the Location header of the first answer', async () => {
    const body = policyBody();
    const first = await h.call('POST', BASE, { cookie, body, headers: { 'idempotency-key': 'create-location-1' } });
    const again = await h.call('POST', BASE, { cookie, body, headers: { 'idempotency-key': 'create-location-1' } });
    assert.equal(again.headers.get('location'), first.headers.get('location'));
  });

  it('unknown ids are 404 on every per-policy route', async () => {
    for (const id of ['dpol_doesnotexist000000', 'x'.repeat(65), 'dpol_%27%20or%201%3D1']) {
      for (const base of PREFIXES) {
        for (const [method, path, body] of [
          ['GET', `${base}/${id}`],
          ['PUT', `${base}/${id}`, { priority: 1 }],
          ['DELETE', `${base}/${id}`],
          ['POST', `${base}/${id}/test`, { context: {} }],
          ['GET', `${base}/${id}/versions`],
        ] as [string, string, unknown][]) {
          const r = await h.call(method, path, { cookie, body });
          assert.equal(r.status, 404, `${method} ${path}: ${JSON.stringify(r.body)}`);
          assert.equal(r.body.error.code, 'NOT_FOUND');
        }
      }
    }
  });
});

describe('dynamic policies: the effective set', () => {
  let h: Harness;
  let cookie: string;
  const ids: Record<string, string> = {};

  before(async () => {
    ({ h, cookie } = await Harness.withOrgSession('acme'));
    const make = async (key: string, over: Record<string, unknown>) => (ids[key] = (await create(h, cookie, policyBody({ name: key, ...over }))).id);
    await make('low-user', { priority: 10 });
    await make('high-cost', { priority: 900, type: 'cost', conditions: [{ field: 'tokens', operator: 'greater_than', value: 1 }] });
    await make('mid-user', { priority: 500 });
    await make('disabled', { priority: 1000, enabled: false });
    await make('deleted', { priority: 999 });
    await make('mid-risk', { priority: 400, type: 'risk', conditions: [{ field: 'risk_score', operator: 'greater_than', value: 0.5 }] });
    assert.equal((await h.call('DELETE', `${BASE}/${ids.deleted}`, { cookie })).status, 204);
  });
  after(() => h.close());

  it('lists enabled, undeleted policies, higher priority first, on both prefixes', async () => {
    for (const base of PREFIXES) {
      const r = await h.call('GET', `${base}/effective`, { cookie });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(r.body.policies.map((p: any) => p.name), ['high-cost', 'mid-user', 'mid-risk', 'low-user']);
      assert.deepEqual(Object.keys(r.body.policies[0]).sort(), POLICY_FIELDS);
    }
  });

  it('?type= keeps that type only; an unknown type is 400', async () => {
    const r = await h.call('GET', `${BASE}/effective?type=user`, { cookie });
    assert.deepEqual(r.body.policies.map((p: any) => p.name), ['mid-user', 'low-user']);
    const cost = await h.call('GET', `${ALIAS}/effective?type=cost`, { cookie });
    assert.deepEqual(cost.body.policies.map((p: any) => p.name), ['high-cost']);
    const content = await h.call('GET', `${BASE}/effective?type=content`, { cookie });
    assert.deepEqual(content.body.policies, []);
    const bad = await h.call('GET', `${BASE}/effective?type=bogus`, { cookie });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.field, 'type');
  });

  it('disabling a policy takes it out, enabling puts it back', async () => {
    assert.equal((await h.call('PUT', `${BASE}/${ids['mid-user']}`, { cookie, body: { enabled: false } })).status, 200);
    let r = await h.call('GET', `${BASE}/effective`, { cookie });
    assert.deepEqual(r.body.policies.map((p: any) => p.name), ['high-cost', 'mid-risk', 'low-user']);
    assert.equal((await h.call('PUT', `${BASE}/${ids.disabled}`, { cookie, body: { enabled: true } })).status, 200);
    r = await h.call('GET', `${BASE}/effective`, { cookie });
    assert.deepEqual(r.body.policies.map((p: any) => p.name), ['disabled', 'high-cost', 'mid-risk', 'low-user']);
  });
});

describe('dynamic policies: the list', () => {
  let h: Harness;
  let cookie: string;
  // Created a minute apart in this order; updated later in another order.
  const SEED = [
    { name: 'delta', priority: 300, type: 'user', category: 'access', description: 'Blocks interns' },
    { name: 'Alpha', priority: 100, type: 'cost', category: 'budget', description: 'Caps the daily spend' },
    { name: 'echo', priority: 500, type: 'risk', category: 'safety', description: null },
    { name: 'Charlie', priority: 200, type: 'content', category: 'dlp', description: 'Stops 100% of leaks' },
    { name: 'bravo', priority: 400, type: 'user', category: 'access', description: 'Marks under_review users', enabled: false },
  ];
  const CONDITIONS: Record<string, unknown[]> = {
    user: [{ field: 'user.role', operator: 'equals', value: 'intern' }],
    cost: [{ field: 'daily_spend_usd', operator: 'greater_than', value: 100 }],
    risk: [{ field: 'jailbreak_score', operator: 'greater_than', value: 0.9 }],
    content: [{ field: 'content', operator: 'contains', value: 'secret' }],
  };
  const UPDATE_ORDER = ['Alpha', 'echo', 'delta', 'bravo', 'Charlie'];
  const ids: Record<string, string> = {};

  before(async () => {
    ({ h, cookie } = await Harness.withOrgSession('acme'));
    for (const s of SEED) {
      h.clock.advance(MINUTE);
      const p = await create(h, cookie, { ...s, conditions: CONDITIONS[s.type], actions: [{ type: 'warn' }] });
      ids[s.name] = p.id;
    }
    for (const name of UPDATE_ORDER) {
      h.clock.advance(MINUTE);
      const r = await h.call('PUT', `${BASE}/${ids[name]}`, { cookie, body: { tags: ['touched'] } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
    }
  });
  after(() => h.close());

  const names = (body: any) => body.policies.map((p: any) => p.name);

  it('answers {policies, page, page_size, total, total_pages}; by default priority, higher first, 20 a page', async () => {
    for (const base of PREFIXES) {
      const body = await list(h, cookie, '', base);
      assert.deepEqual(Object.keys(body).sort(), ['page', 'page_size', 'policies', 'total', 'total_pages']);
      assert.equal(body.page, 1);
      assert.equal(body.page_size, 20);
      assert.equal(body.total, 5);
      assert.equal(body.total_pages, 1);
      assert.deepEqual(names(body), ['echo', 'bravo', 'delta', 'Charlie', 'Alpha']);
      assert.deepEqual(Object.keys(body.policies[0]).sort(), POLICY_FIELDS);
    }
  });

  it('pages: page 2 of page_size 2 holds the 3rd and 4th; the last page is short; past the end is empty', async () => {
    const p1 = await list(h, cookie, 'page_size=2&page=1');
    const p2 = await list(h, cookie, 'page_size=2&page=2');
    const p3 = await list(h, cookie, 'page_size=2&page=3', ALIAS);
    const p4 = await list(h, cookie, 'page_size=2&page=4');
    assert.deepEqual(names(p1), ['echo', 'bravo']);
    assert.deepEqual(names(p2), ['delta', 'Charlie']);
    assert.deepEqual(names(p3), ['Alpha']);
    assert.deepEqual(names(p4), []);
    for (const [body, page] of [[p1, 1], [p2, 2], [p3, 3], [p4, 4]] as [any, number][]) {
      assert.equal(body.page, page);
      assert.equal(body.page_size, 2);
      assert.equal(body.total, 5);
      assert.equal(body.total_pages, 3);
    }
    const exact = await list(h, cookie, 'page_size=5');
    assert.equal(exact.total_pages, 1);
    const one = await list(h, cookie, 'page_size=1&page=5');
    assert.equal(one.total_pages, 5);
    assert.deepEqual(names(one), ['Alpha']);
    const none = await list(h, cookie, 'search=nothing-matches-this');
    assert.equal(none.total, 0);
    assert.equal(none.total_pages, 0);
    assert.deepEqual(none.policies, []);
  });

  const EXPECTED: Record<string, string[]> = {
    name: ['Alpha', 'bravo', 'Charlie', 'delta', 'echo'],
    priority: ['Alpha', 'Charlie', 'delta', 'bravo', 'echo'],
    created_at: ['delta', 'Alpha', 'echo', 'Charlie', 'bravo'],
    updated_at: UPDATE_ORDER,
  };
  for (const [sortBy, ascending] of Object.entries(EXPECTED)) {
    it(`sort_by=${sortBy} in both directions`, async () => {
      assert.deepEqual(names(await list(h, cookie, `sort_by=${sortBy}&sort_dir=asc`)), ascending);
      assert.deepEqual(names(await list(h, cookie, `sort_by=${sortBy}&sort_dir=desc`, ALIAS)), [...ascending].reverse());
      // Paging keeps the order.
      const second = await list(h, cookie, `sort_by=${sortBy}&sort_dir=asc&page_size=2&page=2`);
      assert.deepEqual(names(second), ascending.slice(2, 4));
    });
  }

  it('sort_by=name without sort_dir is A to Z; other sorts default to descending', async () => {
    assert.deepEqual(names(await list(h, cookie, 'sort_by=name')), EXPECTED.name);
    assert.deepEqual(names(await list(h, cookie, 'sort_by=created_at')), [...EXPECTED.created_at].reverse());
  });

  it('search matches name, description and category, case-insensitively', async () => {
    assert.deepEqual(names(await list(h, cookie, 'search=ALPH')), ['Alpha']);
    assert.deepEqual(names(await list(h, cookie, 'search=interns')), ['delta']);
    assert.deepEqual(names(await list(h, cookie, 'search=DAILY%20SPEND')), ['Alpha']);
    assert.deepEqual(names(await list(h, cookie, 'search=Access&sort_by=name')), ['bravo', 'delta']);
    assert.deepEqual(names(await list(h, cookie, 'search=dlp')), ['Charlie']);
    assert.deepEqual(names(await list(h, cookie, 'search=ARL')), ['Charlie']);
    const empty = await list(h, cookie, 'search=');
    assert.equal(empty.total, 5);
  });

  it('search takes % and _ literally', async () => {
    // "%" is only in Charlie's description; "_" only in bravo's. As wildcards they would match every row.
    assert.deepEqual(names(await list(h, cookie, 'search=%25')), ['Charlie']);
    assert.deepEqual(names(await list(h, cookie, 'search=100%25')), ['Charlie']);
    assert.deepEqual(names(await list(h, cookie, 'search=_')), ['bravo']);
    assert.deepEqual(names(await list(h, cookie, 'search=under_review')), ['bravo']);
    // "under review" with "_" as a one-character wildcard would match "under_review"; "under-review" not at all.
    assert.deepEqual(names(await list(h, cookie, 'search=underxreview')), []);
    assert.deepEqual(names(await list(h, cookie, 'search=l_ha')), []);
    assert.deepEqual(names(await list(h, cookie, 'search=a%25a')), []);
    assert.deepEqual(names(await list(h, cookie, `search=${encodeURIComponent('\\')}`)), []);
  });

  it('type and enabled filter, and combine with search and paging', async () => {
    assert.deepEqual(names(await list(h, cookie, 'type=user&sort_by=name')), ['bravo', 'delta']);
    assert.deepEqual(names(await list(h, cookie, 'type=cost')), ['Alpha']);
    assert.deepEqual(names(await list(h, cookie, 'enabled=false')), ['bravo']);
    const enabled = await list(h, cookie, 'enabled=true');
    assert.equal(enabled.total, 4);
    assert.ok(!names(enabled).includes('bravo'));
    assert.deepEqual(names(await list(h, cookie, 'type=user&enabled=true')), ['delta']);
    assert.deepEqual(names(await list(h, cookie, 'type=user&search=interns')), ['delta']);
    assert.deepEqual(names(await list(h, cookie, 'type=risk&search=interns')), []);
    const paged = await list(h, cookie, 'enabled=true&page_size=3&page=2');
    assert.equal(paged.total, 4);
    assert.equal(paged.total_pages, 2);
    assert.deepEqual(names(paged), ['Alpha']);
  });

  it('include_deleted shows deleted policies with deleted_at; without it they are gone', async () => {
    const extra = await create(h, cookie, { name: 'foxtrot', type: 'user', conditions: CONDITIONS.user, actions: [{ type: 'warn' }] });
    h.clock.advance(MINUTE);
    assert.equal((await h.call('DELETE', `${BASE}/${extra.id}`, { cookie })).status, 204);
    const without = await list(h, cookie, 'sort_by=name');
    assert.equal(without.total, 5);
    assert.ok(!names(without).includes('foxtrot'));
    for (const base of PREFIXES) {
      const withDeleted = await list(h, cookie, 'sort_by=name&include_deleted=true', base);
      assert.equal(withDeleted.total, 6);
      assert.deepEqual(names(withDeleted), [...EXPECTED.name, 'foxtrot']);
      const f = withDeleted.policies.find((p: any) => p.name === 'foxtrot');
      assert.equal(f.deleted_at, h.clock.now().toISOString());
      assert.ok(withDeleted.policies.filter((p: any) => p.name !== 'foxtrot').every((p: any) => p.deleted_at === null));
    }
    assert.equal((await list(h, cookie, 'include_deleted=false')).total, 5);
  });

  it('bad query parameters are 400 naming the parameter', async () => {
    for (const [query, field] of [
      ['page=0', 'page'],
      ['page=-1', 'page'],
      ['page=1.5', 'page'],
      ['page=abc', 'page'],
      ['page_size=500', 'page_size'],
      ['page_size=0', 'page_size'],
      ['page_size=201', 'page_size'],
      ['sort_by=bogus', 'sort_by'],
      ['sort_by=NAME', 'sort_by'],
      ['sort_dir=bogus', 'sort_dir'],
      ['sort_dir=up', 'sort_dir'],
      ['type=bogus', 'type'],
      ['enabled=yes', 'enabled'],
      ['include_deleted=1', 'include_deleted'],
      [`search=${'x'.repeat(101)}`, 'search'],
    ]) {
      for (const base of PREFIXES) {
        const r = await h.call('GET', `${base}?${query}`, { cookie });
        assert.equal(r.status, 400, `${query}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error.code, 'INVALID_INPUT');
        assert.equal(r.body.error.field, field, query);
        assert.ok(r.body.error.message.startsWith(`${field} `), r.body.error.message);
      }
    }
    // The largest page size is allowed.
    assert.equal((await list(h, cookie, 'page_size=200')).page_size, 200);
  });
});

describe('dynamic policies: refused input names the field and stores nothing', () => {
  let h: Harness;
  let cookie: string;

  before(async () => {
    ({ h, cookie } = await Harness.withOrgSession('acme'));
  });
  after(() => h.close());

  const cond = (c: Record<string, unknown>, type = 'user') => policyBody({ type, conditions: [c] });
  const act = (a: unknown) => policyBody({ actions: [a] });
  const fiftyOne = Array.from({ length: 51 }, (_, i) => ({ field: 'user.id', operator: 'not_equals', value: `u${i}` }));

  const CASES: [string, Record<string, unknown>, string, RegExp?][] = [
    ['an unknown type', policyBody({ type: 'bogus' }), 'type', /must be one of content, user, risk, cost/],
    ['no type', policyBody({ type: undefined }), 'type', /is required/],
    ['no name', policyBody({ name: undefined }), 'name', /is required/],
    ['a blank name', policyBody({ name: '   ' }), 'name'],
    ['a name over 100 characters', policyBody({ name: 'n'.repeat(101) }), 'name'],
    ['conditions missing', policyBody({ conditions: undefined }), 'conditions'],
    ['conditions not a list', policyBody({ conditions: { field: 'user.role', operator: 'equals', value: 'x' } }), 'conditions'],
    ['conditions a string', policyBody({ conditions: 'user.role = x' }), 'conditions'],
    ['conditions empty', policyBody({ conditions: [] }), 'conditions', /at least one/],
    ['over 50 conditions', policyBody({ conditions: fiftyOne }), 'conditions', /at most 50/],
    ['a condition not an object', policyBody({ conditions: ['user.role'] }), 'conditions[0]'],
    ['a content field on a cost policy', cond({ field: 'content', operator: 'contains', value: 'x' }, 'cost'), 'conditions[0].field', /must be a field of cost policies/],
    ['a field no type has', cond({ field: 'user.salary', operator: 'equals', value: 'x' }), 'conditions[0].field'],
    ['a field that is not a string', cond({ field: 5, operator: 'equals', value: 'x' }), 'conditions[0].field'],
    ['no field', cond({ operator: 'equals', value: 'x' }), 'conditions[0].field'],
    ['an unknown operator', cond({ field: 'user.role', operator: 'approximately', value: 'x' }), 'conditions[0].operator', /must be one of equals, not_equals/],
    ['no operator', cond({ field: 'user.role', value: 'x' }), 'conditions[0].operator'],
    ['an operator in the wrong case', cond({ field: 'user.role', operator: 'EQUALS', value: 'x' }), 'conditions[0].operator'],
    ['contains on a number field', cond({ field: 'tokens', operator: 'contains', value: '5' }, 'cost'), 'conditions[0].operator', /contains does not apply to tokens \(number\)/],
    ['greater_than on a string field', cond({ field: 'user.role', operator: 'greater_than', value: 3 }), 'conditions[0].operator', /greater_than does not apply to user\.role \(string\)/],
    ['regex on a number field', cond({ field: 'risk_score', operator: 'regex', value: '0\\.9' }, 'risk'), 'conditions[0].operator'],
    ['greater_than on a boolean field', cond({ field: 'pii_detected', operator: 'greater_than', value: 0 }, 'risk'), 'conditions[0].operator'],
    ['equals on a string list field', cond({ field: 'user.groups', operator: 'equals', value: 'admins' }), 'conditions[0].operator'],
    ['in with a non-list', cond({ field: 'user.role', operator: 'in', value: 'admin' }), 'conditions[0].value', /must be a list/],
    ['not_in with an empty list', cond({ field: 'user.role', operator: 'not_in', value: [] }), 'conditions[0].value'],
    ['in with over 100 values', cond({ field: 'user.role', operator: 'in', value: Array.from({ length: 101 }, (_, i) => `r${i}`) }), 'conditions[0].value'],
    ['in with a list of the wrong kind (number field)', cond({ field: 'tokens', operator: 'in', value: [1, 'two'] }, 'cost'), 'conditions[0].value[1]', /must be a number/],
    ['in with a list of the wrong kind (string field)', cond({ field: 'user.country', operator: 'in', value: ['US', 1] }), 'conditions[0].value[1]', /must be a string/],
    ['in with a list of lists on a string list field', cond({ field: 'user.groups', operator: 'in', value: [['a']] }), 'conditions[0].value[0]'],
    ['greater_than with a string', cond({ field: 'tokens', operator: 'greater_than', value: '100' }, 'cost'), 'conditions[0].value', /must be a number for greater_than/],
    ['less_than with null', cond({ field: 'tokens', operator: 'less_than', value: null }, 'cost'), 'conditions[0].value'],
    ['equals with a number on a string field', cond({ field: 'user.role', operator: 'equals', value: 5 }), 'conditions[0].value', /must be a string/],
    ['equals with a string on a number field', cond({ field: 'tokens', operator: 'equals', value: '5' }, 'cost'), 'conditions[0].value', /must be a number/],
    ['a boolean field with a string', cond({ field: 'pii_detected', operator: 'equals', value: 'true' }, 'risk'), 'conditions[0].value', /must be true or false/],
    ['contains with a number', cond({ field: 'content', operator: 'contains', value: 5 }, 'content'), 'conditions[0].value'],
    ['a text value over 1000 characters', cond({ field: 'content', operator: 'contains', value: 'x'.repeat(1001) }, 'content'), 'conditions[0].value'],
    ['an invalid regex', cond({ field: 'content', operator: 'regex', value: '(unclosed' }, 'content'), 'conditions[0].value', /not a valid regular expression/],
    ['a backreference (not RE2)', cond({ field: 'content', operator: 'regex', value: '(a)\\1' }, 'content'), 'conditions[0].value', /not a valid regular expression/],
    ['a catastrophic regex (a+)+', cond({ field: 'content', operator: 'regex', value: '(a+)+' }, 'content'), 'conditions[0].value', /catastrophically/],
    ['a regex matching the empty text', cond({ field: 'content', operator: 'regex', value: 'x*' }, 'content'), 'conditions[0].value', /empty text/],
    ['a regex that is not a string', cond({ field: 'content', operator: 'regex', value: 7 }, 'content'), 'conditions[0].value'],
    ['an extra key in a condition', cond({ field: 'user.role', operator: 'equals', value: 'x', negate: true }), 'conditions[0].negate', /is not a part of a condition/],
    [
      'a bad second condition',
      policyBody({ conditions: [{ field: 'user.role', operator: 'equals', value: 'x' }, { field: 'user.role', operator: 'nope', value: 'x' }] }),
      'conditions[1].operator',
    ],
    ['actions missing', policyBody({ actions: undefined }), 'actions'],
    ['actions empty', policyBody({ actions: [] }), 'actions', /at least one/],
    ['actions not a list', policyBody({ actions: { type: 'block' } }), 'actions'],
    ['over 10 actions', policyBody({ actions: Array.from({ length: 11 }, () => ({ type: 'log' })) }), 'actions'],
    ['an action not an object', act('block'), 'actions[0]'],
    ['an unknown action type', act({ type: 'quarantine' }), 'actions[0].type', /must be one of block, redact, warn, log, require_approval, route/],
    ['an action without a type', act({ config: {} }), 'actions[0].type'],
    ['an extra key in an action', act({ type: 'block', priority: 1 }), 'actions[0].priority', /is not a part of an action/],
    ['a config that is not an object', act({ type: 'block', config: 'stop' }), 'actions[0].config'],
    ['route without a provider', act({ type: 'route', config: {} }), 'actions[0].config.provider', /is required/],
    ['route without a config', act({ type: 'route' }), 'actions[0].config.provider'],
    ['route naming a provider that does not exist', act({ type: 'route', config: { provider: 'nowhere' } }), 'actions[0].config.provider', /is not an LLM provider of this organization/],
    ['route with an empty provider', act({ type: 'route', config: { provider: '' } }), 'actions[0].config.provider'],
    ['require_approval timeout_minutes 0', act({ type: 'require_approval', config: { timeout_minutes: 0 } }), 'actions[0].config.timeout_minutes'],
    ['require_approval timeout_minutes 99999', act({ type: 'require_approval', config: { timeout_minutes: 99999 } }), 'actions[0].config.timeout_minutes'],
    ['require_approval timeout_minutes not whole', act({ type: 'require_approval', config: { timeout_minutes: 1.5 } }), 'actions[0].config.timeout_minutes'],
    ['require_approval approvers not a list', act({ type: 'require_approval', config: { approvers: 'boss' } }), 'actions[0].config.approvers'],
    ['an unknown config key', act({ type: 'block', config: { reason: 'x' } }), 'actions[0].config.reason', /is not a setting of block/],
    ['log level not in its enum', act({ type: 'log', config: { level: 'debug' } }), 'actions[0].config.level', /must be one of info, warning, critical/],
    ['a block message over 500 characters', act({ type: 'block', config: { message: 'm'.repeat(501) } }), 'actions[0].config.message'],
    ['priority over 1000', policyBody({ priority: 5000 }), 'priority'],
    ['a bad tag', policyBody({ tags: ['ok', 'not ok'] }), 'tags[1]'],
    ['a bad category', policyBody({ category: 'has space' }), 'category'],
    ['a field the route does not take', policyBody({ severity: 'high' }), 'severity', /is not a field this route takes/],
  ];

  for (const [label, body, field, message] of CASES) {
    it(`${label}: 400 naming ${field}`, async () => {
      const before = await stored(h);
      const r = await h.call('POST', BASE, { cookie, body });
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.error.code, 'INVALID_INPUT');
      assert.equal(r.body.error.field, field, JSON.stringify(r.body));
      assert.ok(r.body.error.message.startsWith(`${field} `), r.body.error.message);
      if (message) assert.match(r.body.error.message, message);
      assert.deepEqual(await stored(h), before);
    });
  }

  it('a refused key inside a condition or a config is named as the caller wrote it (not snake_cased)', async () => {
    const r = await h.call('POST', BASE, { cookie, body: cond({ field: 'user.role', operator: 'equals', value: 'x', caseSensitive: true }) });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.field, 'conditions[0].caseSensitive');
    const c = await h.call('POST', BASE, { cookie, body: act({ type: 'block', config: { retryCount: 1 } }) });
    assert.equal(c.status, 400);
    assert.equal(c.body.error.field, 'actions[0].config.retryCount');
  });

  it('a bad item of a config list is named with brackets, like conditions[0].value[1]', async () => {
    const r = await h.call('POST', BASE, { cookie, body: act({ type: 'require_approval', config: { approvers: ['ok@acme.example.com', ''] } }) });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.field, 'actions[0].config.approvers[1]');
  });

  it('the alias refuses the same input the same way', async () => {
    const before = await stored(h);
    for (const [, body, field] of CASES.slice(0, 30)) {
      const r = await h.call('POST', ALIAS, { cookie, body });
      assert.equal(r.status, 400);
      assert.equal(r.body.error.field, field);
    }
    assert.deepEqual(await stored(h), before);
  });

  it('exactly 50 conditions, 100 in-values and the limits of timeout_minutes are allowed', async () => {
    const fifty = Array.from({ length: 50 }, (_, i) => ({ field: 'user.id', operator: 'not_equals', value: `u${i}` }));
    assert.equal((await create(h, cookie, policyBody({ conditions: fifty }))).conditions.length, 50);
    await create(h, cookie, policyBody({ conditions: [{ field: 'user.role', operator: 'in', value: Array.from({ length: 100 }, (_, i) => `r${i}`) }] }));
    for (const minutes of [1, 10080]) {
      const p = await create(h, cookie, policyBody({ actions: [{ type: 'require_approval', config: { timeout_minutes: minutes } }] }));
      assert.equal(p.actions[0].config.timeout_minutes, minutes);
    }
  });

  it('a route action works once the LLM provider exists, and names it in the stored config', async () => {
    const before = await stored(h);
    const missing = await h.call('POST', BASE, { cookie, body: act({ type: 'route', config: { provider: 'openai-main' } }) });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error.field, 'actions[0].config.provider');
    assert.deepEqual(await stored(h), before);

    const prov = await h.call('POST', '/api/v1/llm-providers', { cookie, body: { name: 'openai-main', type: 'openai', api_key: 'sk-test-0123456789' } });
    assert.equal(prov.status, 201, JSON.stringify(prov.body));
    const p = await create(h, cookie, policyBody({ actions: [{ type: 'route', config: { provider: 'openai-main' } }, { type: 'log', config: { level: 'critical' } }] }));
    assert.deepEqual(p.actions, [
      { type: 'route', config: { provider: 'openai-main' } },
      { type: 'log', config: { level: 'critical' } },
    ]);
    // Another organization's provider of that name does not count.
    await h.createOrg('beta');
    const beta = await h.login('beta');
    const r = await h.call('POST', BASE, { cookie: beta, body: act({ type: 'route', config: { provider: 'openai-main' } }) });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.field, 'actions[0].config.provider');
  });

  it('PUT with refused input is 400 naming the field and leaves the policy as it was', async () => {
    const p = await create(h, cookie, policyBody({ type: 'cost', conditions: [{ field: 'tokens', operator: 'greater_than', value: 10 }] }));
    const before = await stored(h);
    for (const [body, field] of [
      [{ conditions: [] }, 'conditions'],
      [{ conditions: [{ field: 'tokens', operator: 'contains', value: '1' }] }, 'conditions[0].operator'],
      [{ conditions: [{ field: 'tokens', operator: 'greater_than', value: '1' }] }, 'conditions[0].value'],
      [{ conditions: [{ field: 'content', operator: 'contains', value: 'x' }] }, 'conditions[0].field'],
      [{ actions: [] }, 'actions'],
      [{ actions: [{ type: 'route', config: { provider: 'nowhere' } }] }, 'actions[0].config.provider'],
      [{ actions: [{ type: 'require_approval', config: { timeout_minutes: 0 } }] }, 'actions[0].config.timeout_minutes'],
      [{ name: '' }, 'name'],
      [{ name: null }, 'name'],
      [{ priority: -1 }, 'priority'],
      [{ type: 'user' }, 'conditions[0].field'],
      [{ bogus: 1 }, 'bogus'],
    ] as [Record<string, unknown>, string][]) {
      const r = await h.call('PUT', `${BASE}/${p.id}`, { cookie, body });
      assert.equal(r.status, 400, `${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.field, field, JSON.stringify(body));
    }
    assert.deepEqual(await get(h, cookie, p.id), p);
    assert.deepEqual(await stored(h), before);
  });

  it('a body that is not a JSON object is 400 and stores nothing', async () => {
    const before = await stored(h);
    for (const rawBody of ['[]', 'not json', '"text"']) {
      const r = await h.call('POST', BASE, { cookie, rawBody, headers: { 'content-type': 'application/json' } });
      assert.equal(r.status, 400, rawBody);
    }
    assert.deepEqual(await stored(h), before);
  });
});

describe('dynamic policies: versions', () => {
  let h: Harness;
  let owner: string;
  let admin: { cookie: string; userId: string };

  before(async () => {
    ({ h, cookie: owner } = await Harness.withOrgSession('acme'));
    admin = await h.userSession('acme', 'policy_admin', owner);
  });
  after(() => h.close());

  it('created, updated and deleted each add a version, newest first, naming the user and holding the policy after the change', async () => {
    const { cookie, userId } = admin;
    const created = await create(h, cookie, policyBody({ name: 'Versioned', priority: 10, actions: [{ type: 'require_approval', config: { timeout_minutes: 45 } }] }));
    const t1 = h.clock.now().toISOString();
    h.clock.advance(MINUTE);
    const up = await h.call('PUT', `${ALIAS}/${created.id}`, { cookie, body: { priority: 20, enabled: false } });
    assert.equal(up.status, 200);
    const t2 = h.clock.now().toISOString();
    h.clock.advance(MINUTE);
    assert.equal((await h.call('DELETE', `${BASE}/${created.id}`, { cookie })).status, 204);
    const t3 = h.clock.now().toISOString();

    for (const base of PREFIXES) {
      const r = await h.call('GET', `${base}/${created.id}/versions`, { cookie });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.next_cursor, null);
      const v = r.body.versions;
      assert.deepEqual(v.map((x: any) => x.change_type), ['deleted', 'updated', 'created']);
      assert.deepEqual(v.map((x: any) => x.version), [3, 2, 1]);
      assert.deepEqual(v.map((x: any) => x.created_at), [t3, t2, t1]);
      assert.ok(v.every((x: any) => x.changed_by === `user:${userId}` && x.policy_id === created.id), JSON.stringify(v));

      const [deleted, updated, first] = v.map((x: any) => x.snapshot);
      // The snapshot is the policy as it was after the change (as the API shows it, without the org).
      assert.deepEqual(first, created);
      assert.deepEqual(updated, up.body);
      assert.equal(updated.priority, 20);
      assert.equal(updated.enabled, false);
      assert.deepEqual(deleted, { ...up.body, version: 3, updated_at: t3, deleted_at: t3 });
      assert.equal(first.actions[0].config.timeout_minutes, 45);
      assert.equal(first.org_id, undefined);
    }
    // GET of the deleted policy is 404, its versions stay readable (above).
    assert.equal((await h.call('GET', `${BASE}/${created.id}`, { cookie })).status, 404);
  });

  it('every version has an audit event of the same change', async () => {
    const p = await create(h, admin.cookie, policyBody());
    assert.equal((await h.call('PUT', `${BASE}/${p.id}`, { cookie: admin.cookie, body: { priority: 1 } })).status, 200);
    assert.equal((await h.call('DELETE', `${BASE}/${p.id}`, { cookie: admin.cookie })).status, 204);
    const audit = await h.runtime.database.db.selectFrom('audit_events').selectAll().where('target_id', '=', p.id).orderBy('seq').execute();
    assert.deepEqual(audit.map((a) => a.action), ['dynamic_policy.created', 'dynamic_policy.updated', 'dynamic_policy.deleted']);
    assert.ok(audit.every((a) => a.org_id === 'acme' && a.actor_type === 'user' && a.actor_id === admin.userId));
  });

  it('a change made with an API key is recorded as api_key:<id>', async () => {
    const key = await h.apiKey('acme', ['policies:read', 'policies:write'], owner);
    const auth = { headers: { authorization: `Bearer ${key.key}` } };
    const made = await h.call('POST', BASE, { ...auth, body: policyBody() });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    assert.equal((await h.call('PUT', `${BASE}/${made.body.id}`, { ...auth, body: { priority: 7 } })).status, 200);
    assert.equal((await h.call('DELETE', `${ALIAS}/${made.body.id}`, auth)).status, 204);
    const r = await h.call('GET', `${BASE}/${made.body.id}/versions`, auth);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.versions.map((v: any) => v.change_type), ['deleted', 'updated', 'created']);
    assert.ok(r.body.versions.every((v: any) => v.changed_by === `api_key:${key.id}`), JSON.stringify(r.body.versions));
  });

  it('a refused change adds no version; the owner is named by user id too', async () => {
    const p = await create(h, owner, policyBody());
    assert.equal((await h.call('PUT', `${BASE}/${p.id}`, { cookie: owner, body: { conditions: [] } })).status, 400);
    assert.equal((await h.call('PUT', `${BASE}/${p.id}`, { cookie: owner, body: { name: 'Versioned' } })).status, 200);
    const v = await versions(h, owner, p.id);
    assert.deepEqual(v.map((x) => x.change_type), ['updated', 'created']);
    assert.match(v[0].changed_by, /^user:.+/);
    assert.equal(v[0].changed_by, v[1].changed_by);
  });

  it('versions page with limit and cursor', async () => {
    const p = await create(h, owner, policyBody());
    for (let i = 1; i <= 3; i++) assert.equal((await h.call('PUT', `${BASE}/${p.id}`, { cookie: owner, body: { priority: i } })).status, 200);
    const first = await h.call('GET', `${BASE}/${p.id}/versions?limit=2`, { cookie: owner });
    assert.equal(first.status, 200);
    assert.deepEqual(first.body.versions.map((v: any) => v.version), [4, 3]);
    assert.ok(first.body.next_cursor);
    const second = await h.call('GET', `${BASE}/${p.id}/versions?limit=2&cursor=${encodeURIComponent(first.body.next_cursor)}`, { cookie: owner });
    assert.deepEqual(second.body.versions.map((v: any) => v.version), [2, 1]);
    assert.equal(second.body.next_cursor, null);
  });
});
