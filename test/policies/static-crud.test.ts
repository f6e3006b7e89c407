// Static (pattern) policies through REST: creating, reading and listing them next to the shipped system tier,
// partial updates, the enable toggle, soft deletion, the tier rules, input that is refused (and leaves nothing
// behind), and the version history plus audit trail every change leaves.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SYSTEM_POLICIES } from '../../src/domain/policies.js';
import { Harness } from '../helpers/harness.js';

const BASE = '/api/v1/static-policies';
const SYSTEM_IDS = SYSTEM_POLICIES.map((p) => p.id);
const HOUR = 3_600_000;

/** Rows of the tables a policy change writes to, and the audit events it leaves. */
async function stored(h: Harness): Promise<{ policies: number; versions: number; overrides: number; audits: number }> {
  const db = h.runtime.database.db;
  const n = async (q: Promise<{ n: unknown } | undefined>) => Number((await q)?.n ?? 0);
  return {
    policies: await n(db.selectFrom('static_policies').select((eb) => eb.fn.countAll().as('n')).executeTakeFirst()),
    versions: await n(db.selectFrom('policy_versions').select((eb) => eb.fn.countAll().as('n')).executeTakeFirst()),
    overrides: await n(db.selectFrom('static_policy_overrides').select((eb) => eb.fn.countAll().as('n')).executeTakeFirst()),
    audits: await n(db.selectFrom('audit_events').select((eb) => eb.fn.countAll().as('n')).where('action', 'like', 'static_policy.%').executeTakeFirst()),
  };
}

async function create(h: Harness, cookie: string, body: Record<string, unknown>): Promise<any> {
  const r = await h.call('POST', BASE, { cookie, body });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

async function get(h: Harness, cookie: string, id: string): Promise<any> {
  const r = await h.call('GET', `${BASE}/${id}`, { cookie });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

async function versions(h: Harness, cookie: string, id: string): Promise<any[]> {
  const r = await h.call('GET', `${BASE}/${id}/versions`, { cookie });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.versions;
}

async function listAll(h: Harness, cookie: string, query = ''): Promise<{ ids: string[]; total: number; body: any }> {
  const r = await h.call('GET', `${BASE}?limit=200${query}`, { cookie });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return { ids: r.body.policies.map((p: any) => p.id), total: r.body.total, body: r.body };
}

/** The ids of the org's policies that match a text, as /test answers. */
async function matchedIds(h: Harness, cookie: string, text: string): Promise<string[]> {
  const r = await h.call('POST', `${BASE}/test`, { cookie, body: { text } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.matches.map((m: any) => m.policy_id);
}

describe('creating, reading and listing static policies', () => {
  let h: Harness;
  let cookie: string;

  before(async () => {
    ({ h, cookie } = await Harness.withOrgSession('acme'));
  });
  after(() => h.close());

  it('POST creates a policy with the fields given, and GET reads it back', async () => {
    const r = await h.call('POST', BASE, {
      cookie,
      body: {
        name: 'Project codenames',
        category: 'Confidential',
        description: 'Internal codenames must not leave the company.',
        pattern: '(?i)project (?:falcon|heron)',
        severity: 'high',
        action: 'warn',
        priority: 700,
        enabled: true,
        tags: ['Internal', 'codenames', 'internal'],
      },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.match(r.body.id, /^spol_/);
    assert.equal(r.headers.get('location'), `${BASE}/${r.body.id}`);
    assert.equal(r.body.name, 'Project codenames');
    assert.equal(r.body.category, 'confidential');
    assert.equal(r.body.tier, 'organization');
    assert.equal(r.body.tenant_id, null);
    assert.equal(r.body.description, 'Internal codenames must not leave the company.');
    assert.equal(r.body.pattern, '(?i)project (?:falcon|heron)');
    assert.equal(r.body.severity, 'high');
    assert.equal(r.body.action, 'warn');
    assert.equal(r.body.priority, 700);
    assert.equal(r.body.enabled, true);
    assert.deepEqual(r.body.tags, ['internal', 'codenames']);
    assert.equal(r.body.version, 1);
    assert.equal(r.body.read_only, false);
    assert.equal(r.body.override, null);
    assert.equal(r.body.created_at, h.clock.now().toISOString());
    assert.deepEqual(await get(h, cookie, r.body.id), r.body);
    // It applies at once.
    assert.ok((await matchedIds(h, cookie, 'the PROJECT Heron launch')).includes(r.body.id));
  });

  it('only name and pattern are needed: the rest takes its defaults', async () => {
    const p = await create(h, cookie, { name: 'Ticket numbers', pattern: 'TKT-[0-9]{6}' });
    assert.equal(p.category, 'custom');
    assert.equal(p.tier, 'organization');
    assert.equal(p.severity, 'medium');
    assert.equal(p.action, 'block');
    assert.equal(p.priority, 100);
    assert.equal(p.enabled, true);
    assert.deepEqual(p.tags, []);
    assert.equal(p.description, null);
  });

  it('a system policy reads like any other, marked read-only', async () => {
    const p = await get(h, cookie, 'sys_pii_email');
    assert.equal(p.tier, 'system');
    assert.equal(p.read_only, true);
    assert.equal(p.action, 'redact');
    assert.equal(p.tenant_id, null);
    assert.equal(p.override, null);
  });

  it('an id that is not there is 404', async () => {
    for (const id of ['spol_doesnotexist0000', 'sys_nothing_like_this', 'x'.repeat(200)]) {
      const r = await h.call('GET', `${BASE}/${id}`, { cookie });
      assert.equal(r.status, 404, id);
      assert.equal(r.body.error.code, 'NOT_FOUND');
    }
  });
});

describe('the list: system tier first, filters, pagination', () => {
  let h: Harness;
  let cookie: string;
  const own: Record<string, string> = {};

  before(async () => {
    ({ h, cookie } = await Harness.withOrgSession('acme'));
    own.high = (await create(h, cookie, { name: 'High', pattern: 'hhh', priority: 500, category: 'pii' })).id;
    own.mid = (await create(h, cookie, { name: 'Mid', pattern: 'mmm', priority: 300 })).id;
    own.low = (await create(h, cookie, { name: 'Low', pattern: 'lll', priority: 50, enabled: false })).id;
    own.tenant = (await create(h, cookie, { name: 'Shop only', pattern: 'sss', priority: 100, tier: 'tenant', tenant_id: 'shop-1' })).id;
  });
  after(() => h.close());

  it('lists the system policies first, then the organization\'s by priority, with the total', async () => {
    const { ids, total, body } = await listAll(h, cookie);
    assert.deepEqual(ids, [...SYSTEM_IDS, own.high, own.mid, own.tenant, own.low]);
    assert.equal(total, SYSTEM_IDS.length + 4);
    assert.equal(body.next_cursor, null);
    assert.ok(body.policies.slice(0, SYSTEM_IDS.length).every((p: any) => p.read_only && p.tier === 'system'));
    assert.ok(body.policies.slice(SYSTEM_IDS.length).every((p: any) => !p.read_only));
  });

  it('pages across the system and organization rows with next_cursor, each policy once', async () => {
    const { ids: all } = await listAll(h, cookie);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const r = await h.call('GET', `${BASE}?limit=3${q}`, { cookie });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.total, all.length);
      assert.ok(r.body.policies.length <= 3);
      seen.push(...r.body.policies.map((p: any) => p.id));
      cursor = r.body.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    assert.equal(pages, Math.ceil(all.length / 3));
    assert.deepEqual(seen, all);
  });

  it('filters by tier', async () => {
    const system = await listAll(h, cookie, '&tier=system');
    assert.deepEqual(system.ids, SYSTEM_IDS);
    assert.equal(system.total, SYSTEM_IDS.length);
    const org = await listAll(h, cookie, '&tier=organization');
    assert.deepEqual(org.ids, [own.high, own.mid, own.low]);
    assert.equal(org.total, 3);
    const tenant = await listAll(h, cookie, '&tier=tenant');
    assert.deepEqual(tenant.ids, [own.tenant]);
    assert.equal(tenant.total, 1);
  });

  it('filters by category, enabled and tenant_id', async () => {
    const pii = await listAll(h, cookie, '&category=pii');
    assert.deepEqual(pii.ids, [...SYSTEM_POLICIES.filter((p) => p.category === 'pii').map((p) => p.id), own.high]);
    assert.equal(pii.total, pii.ids.length);
    const disabled = await listAll(h, cookie, '&enabled=false');
    assert.deepEqual(disabled.ids, [own.low]);
    assert.equal(disabled.total, 1);
    const enabled = await listAll(h, cookie, '&enabled=true');
    assert.ok(!enabled.ids.includes(own.low));
    assert.equal(enabled.total, SYSTEM_IDS.length + 3);
    const shop = await listAll(h, cookie, '&tenant_id=shop-1');
    assert.deepEqual(shop.ids, [own.tenant]);
    assert.deepEqual((await listAll(h, cookie, '&tenant_id=shop-2')).ids, []);
  });

  it('refuses filter and page values it cannot use, naming the parameter', async () => {
    for (const [query, field] of [
      ['tier=global', 'tier'],
      ['enabled=maybe', 'enabled'],
      ['limit=0', 'limit'],
      ['limit=201', 'limit'],
      ['cursor=not-a-cursor', 'cursor'],
      ['category=no%20spaces!', 'category'],
    ]) {
      const r = await h.call('GET', `${BASE}?${query}`, { cookie });
      assert.equal(r.status, 400, query);
      assert.equal(r.body.error.field, field, query);
    }
  });
});

describe('PUT, PATCH and DELETE', () => {
  let h: Harness;
  let cookie: string;

  before(async () => {
    ({ h, cookie } = await Harness.withOrgSession('acme'));
  });
  after(() => h.close());

  it('PUT changes the fields it carries and keeps every other', async () => {
    const p = await create(h, cookie, {
      name: 'Keep me', category: 'finance', description: 'IBANs', pattern: 'IBAN[0-9]{4}', severity: 'high', action: 'warn', priority: 300, tags: ['bank'],
    });
    h.clock.advance(1000);
    const r = await h.call('PUT', `${BASE}/${p.id}`, { cookie, body: { priority: 400 } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body, { ...p, priority: 400, version: 2, updated_at: h.clock.now().toISOString() });
    assert.deepEqual(await get(h, cookie, p.id), r.body);

    const r2 = await h.call('PUT', `${BASE}/${p.id}`, { cookie, body: { pattern: 'SWIFT[A-Z]{4}', action: 'log', tags: [] } });
    assert.equal(r2.status, 200, JSON.stringify(r2.body));
    assert.equal(r2.body.pattern, 'SWIFT[A-Z]{4}');
    assert.equal(r2.body.action, 'log');
    assert.deepEqual(r2.body.tags, []);
    assert.equal(r2.body.priority, 400);
    assert.equal(r2.body.severity, 'high');
    assert.equal(r2.body.description, 'IBANs');
    assert.equal(r2.body.version, 3);
    // The new pattern applies, the old one no longer does.
    assert.ok((await matchedIds(h, cookie, 'pay SWIFTABCD')).includes(p.id));
    assert.ok(!(await matchedIds(h, cookie, 'pay IBAN1234')).includes(p.id));
  });

  it('PUT with null for a field that must have a value is 400 and changes nothing', async () => {
    const p = await create(h, cookie, { name: 'No nulls', pattern: 'nonull' });
    for (const field of ['action', 'pattern', 'severity', 'enabled']) {
      const r = await h.call('PUT', `${BASE}/${p.id}`, { cookie, body: { [field]: null } });
      assert.equal(r.status, 400, field);
      assert.equal(r.body.error.field, field);
    }
    assert.deepEqual(await get(h, cookie, p.id), p);
  });

  it('PUT may clear the description with null', async () => {
    const p = await create(h, cookie, { name: 'Described', pattern: 'described', description: 'something' });
    const r = await h.call('PUT', `${BASE}/${p.id}`, { cookie, body: { description: null } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.description, null);
  });

  it('PUT of an unknown id is 404', async () => {
    const r = await h.call('PUT', `${BASE}/spol_doesnotexist0000`, { cookie, body: { priority: 1 } });
    assert.equal(r.status, 404);
  });

  it('PATCH without a value flips enabled; with one it sets it', async () => {
    const p = await create(h, cookie, { name: 'Toggle me', pattern: 'toggleword' });
    const flip = () => h.call('PATCH', `${BASE}/${p.id}`, { cookie });
    const set = (enabled: boolean) => h.call('PATCH', `${BASE}/${p.id}`, { cookie, body: { enabled } });

    let r = await flip();
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.enabled, false);
    assert.equal(r.body.version, 2);
    assert.ok(!(await matchedIds(h, cookie, 'a toggleword')).includes(p.id));
    r = await flip();
    assert.equal(r.body.enabled, true);
    assert.ok((await matchedIds(h, cookie, 'a toggleword')).includes(p.id));
    r = await set(false);
    assert.equal(r.body.enabled, false);
    r = await set(false);
    assert.equal(r.status, 200);
    assert.equal(r.body.enabled, false);
    r = await set(true);
    assert.equal(r.body.enabled, true);
    assert.equal(r.body.version, 6);
    // Only enabled changes: the rest is as created.
    assert.deepEqual({ ...r.body, version: 1 }, p);
    assert.equal((await get(h, cookie, p.id)).enabled, true);
  });

  it('PATCH takes only enabled, and only a boolean', async () => {
    const p = await create(h, cookie, { name: 'Patch input', pattern: 'patchinput' });
    let r = await h.call('PATCH', `${BASE}/${p.id}`, { cookie, body: { action: 'log' } });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.field, 'action');
    r = await h.call('PATCH', `${BASE}/${p.id}`, { cookie, body: { enabled: 'yes' } });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.field, 'enabled');
    assert.deepEqual(await get(h, cookie, p.id), p);
  });

  it('DELETE is soft: 204, then 404 and out of the list, its versions still readable, its name free again', async () => {
    const p = await create(h, cookie, { name: 'Short lived', pattern: 'shortlived', priority: 999 });
    const listed = await listAll(h, cookie);
    assert.ok(listed.ids.includes(p.id));

    const r = await h.call('DELETE', `${BASE}/${p.id}`, { cookie });
    assert.equal(r.status, 204);
    assert.equal(r.body, null);

    assert.equal((await h.call('GET', `${BASE}/${p.id}`, { cookie })).status, 404);
    const after = await listAll(h, cookie);
    assert.ok(!after.ids.includes(p.id));
    assert.equal(after.total, listed.total - 1);
    assert.ok(!(await matchedIds(h, cookie, 'shortlived')).includes(p.id));
    const eff = await h.call('GET', `${BASE}/effective`, { cookie });
    assert.ok(!eff.body.policies.some((e: any) => e.id === p.id));

    const history = await versions(h, cookie, p.id);
    assert.deepEqual(history.map((v) => v.change_type), ['deleted', 'created']);
    assert.equal(history[0].snapshot.deleted_at, h.clock.now().toISOString());

    // Nothing more can happen to it.
    assert.equal((await h.call('DELETE', `${BASE}/${p.id}`, { cookie })).status, 404);
    assert.equal((await h.call('PUT', `${BASE}/${p.id}`, { cookie, body: { priority: 1 } })).status, 404);
    assert.equal((await h.call('PATCH', `${BASE}/${p.id}`, { cookie })).status, 404);

    // The name is free again, for a new policy with its own id and history.
    const again = await create(h, cookie, { name: 'Short lived', pattern: 'shortlived2' });
    assert.notEqual(again.id, p.id);
    assert.equal(again.version, 1);
    assert.deepEqual((await versions(h, cookie, again.id)).map((v) => v.change_type), ['created']);
    // The row is still there, marked deleted.
    const row = await h.runtime.database.db.selectFrom('static_policies').select(['deleted_at']).where('id', '=', p.id).executeTakeFirstOrThrow();
    assert.notEqual(row.deleted_at, null);
  });

  it('a name already in use is 409, on create and on rename, and nothing changes', async () => {
    const a = await create(h, cookie, { name: 'Taken name', pattern: 'takenname' });
    const b = await create(h, cookie, { name: 'Other name', pattern: 'othername' });
    const before = await stored(h);
    let r = await h.call('POST', BASE, { cookie, body: { name: 'Taken name', pattern: 'x1y' } });
    assert.equal(r.status, 409);
    assert.equal(r.body.error.code, 'CONFLICT');
    assert.match(r.body.error.message, /Taken name/);
    // Surrounding spaces are not a different name.
    r = await h.call('POST', BASE, { cookie, body: { name: '  Taken name ', pattern: 'x1y' } });
    assert.equal(r.status, 409);
    r = await h.call('PUT', `${BASE}/${b.id}`, { cookie, body: { name: 'Taken name' } });
    assert.equal(r.status, 409);
    assert.deepEqual(await stored(h), before);
    assert.equal((await get(h, cookie, b.id)).name, 'Other name');
    // Keeping one's own name is no conflict.
    r = await h.call('PUT', `${BASE}/${a.id}`, { cookie, body: { name: 'Taken name', priority: 7 } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  });

  it('system policies cannot be created, changed, toggled or deleted: 403, and nothing is stored', async () => {
    const before = await stored(h);
    const attempts: [string, string, unknown][] = [
      ['POST', BASE, { name: 'My system policy', pattern: 'sysword', tier: 'system' }],
      ['PUT', `${BASE}/sys_pii_email`, { action: 'log' }],
      ['PATCH', `${BASE}/sys_pii_email`, undefined],
      ['PATCH', `${BASE}/sys_pii_email`, { enabled: false }],
      ['DELETE', `${BASE}/sys_pii_email`, undefined],
    ];
    for (const [method, path, body] of attempts) {
      const r = await h.call(method, path, { cookie, body });
      assert.equal(r.status, 403, `${method} ${path}`);
      assert.equal(r.body.error.code, 'FORBIDDEN');
      assert.match(r.body.error.message, /read-only/);
    }
    assert.deepEqual(await stored(h), before);
    const p = await get(h, cookie, 'sys_pii_email');
    assert.equal(p.action, 'redact');
    assert.equal(p.enabled, true);
  });
});

describe('tiers: a tenant policy names its tenant, no other does', () => {
  let h: Harness;
  let cookie: string;

  before(async () => {
    ({ h, cookie } = await Harness.withOrgSession('acme'));
  });
  after(() => h.close());

  it('a tenant-tier policy needs a tenant_id', async () => {
    const before = await stored(h);
    const r = await h.call('POST', BASE, { cookie, body: { name: 'Tenant', pattern: 'tword', tier: 'tenant' } });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.field, 'tenant_id');
    assert.deepEqual(await stored(h), before);
  });

  it('a tenant_id is refused for the organization tier, given or defaulted', async () => {
    const before = await stored(h);
    for (const body of [
      { name: 'Org', pattern: 'oword', tenant_id: 'shop-1' },
      { name: 'Org', pattern: 'oword', tier: 'organization', tenant_id: 'shop-1' },
    ]) {
      const r = await h.call('POST', BASE, { cookie, body });
      assert.equal(r.status, 400);
      assert.equal(r.body.error.field, 'tenant_id');
      assert.match(r.body.error.message, /only for tenant-tier/);
    }
    assert.deepEqual(await stored(h), before);
  });

  it('a tenant_id must be a plain identifier', async () => {
    const r = await h.call('POST', BASE, { cookie, body: { name: 'Tenant', pattern: 'tword', tier: 'tenant', tenant_id: 'shop 1/../x' } });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.field, 'tenant_id');
  });

  it('a tenant policy is created with its tenant; moving it to the organization tier needs the tenant_id cleared', async () => {
    const p = await create(h, cookie, { name: 'Tenant', pattern: 'tword', tier: 'tenant', tenant_id: 'shop-1' });
    assert.equal(p.tier, 'tenant');
    assert.equal(p.tenant_id, 'shop-1');
    let r = await h.call('PUT', `${BASE}/${p.id}`, { cookie, body: { tier: 'organization' } });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.field, 'tenant_id');
    r = await h.call('PUT', `${BASE}/${p.id}`, { cookie, body: { tenant_id: null } });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.field, 'tenant_id');
    assert.deepEqual(await get(h, cookie, p.id), p);
    r = await h.call('PUT', `${BASE}/${p.id}`, { cookie, body: { tier: 'organization', tenant_id: null } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.tier, 'organization');
    assert.equal(r.body.tenant_id, null);
  });
});

describe('refused input: 400 naming the field, nothing stored', () => {
  let h: Harness;
  let cookie: string;
  let existing: any;

  before(async () => {
    ({ h, cookie } = await Harness.withOrgSession('acme'));
    existing = await create(h, cookie, { name: 'Existing', pattern: 'existing' });
  });
  after(() => h.close());

  const valid = { name: 'Candidate', pattern: 'candidate' };
  const cases: [string, Record<string, unknown>, string, RegExp?][] = [
    ['invalid syntax', { ...valid, pattern: '([a-z' }, 'pattern', /not a valid regular expression/],
    ['nested quantifier (a+)+', { ...valid, pattern: '(a+)+' }, 'pattern', /catastrophically/],
    ['nested quantifier (a*)*b', { ...valid, pattern: '(a*)*b' }, 'pattern', /catastrophically/],
    ['nested quantifier (\\d+\\s?)+x', { ...valid, pattern: '(\\d+\\s?)+x' }, 'pattern', /catastrophically/],
    ['more than 25 quantifiers', { ...valid, pattern: Array.from({ length: 26 }, (_, i) => `${String.fromCharCode(97 + (i % 26))}+`).join('') }, 'pattern', /catastrophically/],
    ['overlapping alternation (a|a)*', { ...valid, pattern: '(a|a)*' }, 'pattern'],
    ['backreference \\1', { ...valid, pattern: '(a)b\\1' }, 'pattern', /backreferences/],
    ['lookahead (?=', { ...valid, pattern: 'pass(?=word)' }, 'pattern', /lookaround/],
    ['negative lookahead (?!', { ...valid, pattern: 'pass(?!word)' }, 'pattern'],
    ['lookbehind (?<=', { ...valid, pattern: '(?<=pass)word' }, 'pattern'],
    ['empty-matching x*', { ...valid, pattern: 'x*' }, 'pattern', /empty text/],
    ['empty-matching (?:)', { ...valid, pattern: '(?:)' }, 'pattern', /empty text/],
    ['empty pattern', { ...valid, pattern: '' }, 'pattern'],
    ['pattern too long', { ...valid, pattern: 'a'.repeat(2001) }, 'pattern', /at most 2000/],
    ['pattern not a string', { ...valid, pattern: 42 }, 'pattern'],
    ['unknown action', { ...valid, action: 'quarantine' }, 'action', /one of/],
    ['unknown severity', { ...valid, severity: 'extreme' }, 'severity', /one of/],
    ['unknown tier', { ...valid, tier: 'global' }, 'tier', /one of/],
    ['priority above 1000', { ...valid, priority: 1001 }, 'priority', /0 to 1000/],
    ['priority below 0', { ...valid, priority: -1 }, 'priority', /0 to 1000/],
    ['priority not whole', { ...valid, priority: 2.5 }, 'priority'],
    ['priority as text', { ...valid, priority: 'high' }, 'priority'],
    ['missing name', { pattern: 'candidate' }, 'name', /required/],
    ['blank name', { ...valid, name: '   ' }, 'name', /required/],
    ['name too long', { ...valid, name: 'n'.repeat(101) }, 'name'],
    ['name with a control character', { ...valid, name: 'bad\u0007name' }, 'name'],
    ['missing pattern', { name: 'Candidate' }, 'pattern'],
    ['unknown body field', { ...valid, regex: 'candidate' }, 'regex', /not a field/],
    ['unknown snake_case body field', { ...valid, match_mode: 'full' }, 'match_mode', /not a field/],
    ['bad category', { ...valid, category: 'has spaces' }, 'category'],
    ['bad tag', { ...valid, tags: ['ok', 'not ok!'] }, 'tags[1]'],
    ['too many tags', { ...valid, tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }, 'tags'],
    ['description too long', { ...valid, description: 'd'.repeat(1001) }, 'description'],
  ];

  for (const [label, body, field, message] of cases) {
    it(`POST with ${label}: 400 on ${field}`, async () => {
      const before = await stored(h);
      const r = await h.call('POST', BASE, { cookie, body });
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.error.code, 'INVALID_INPUT');
      assert.equal(r.body.error.field, field);
      assert.ok(r.body.error.message.startsWith(`${field} `), r.body.error.message);
      if (message) assert.match(r.body.error.message, message);
      assert.deepEqual(await stored(h), before);
    });
  }

  it('an ordinary pattern with a bounded repetition or an overlapping alternation is accepted', async () => {
    for (const pattern of ['(ab){30}', '(a|a)+b', '[[:alpha:]]+-\\d{2,5}', '(?i)secret']) {
      const r = await h.call('POST', BASE, { cookie, body: { name: `ok ${pattern}`, pattern } });
      assert.equal(r.status, 201, `${pattern}: ${JSON.stringify(r.body)}`);
    }
  });

  it('valid RE2 with no repetition at all is accepted: scoped flags and named groups', async () => {
    for (const pattern of ['(?i:top secret)', 'code(?i)name', '(?P<word>classified)']) {
      const r = await h.call('POST', BASE, { cookie, body: { name: `re2 ${pattern}`, pattern } });
      assert.equal(r.status, 201, `${pattern}: ${JSON.stringify(r.body)}`);
    }
  });

  it('the same refusals on PUT leave the policy and its history as they were', async () => {
    const before = await stored(h);
    for (const [body, field] of [
      [{ pattern: '(a+)+' }, 'pattern'],
      [{ pattern: 'a(?=b)' }, 'pattern'],
      [{ pattern: 'x*' }, 'pattern'],
      [{ action: 'quarantine' }, 'action'],
      [{ priority: 5000 }, 'priority'],
      [{ name: '' }, 'name'],
      [{ regex: 'x' }, 'regex'],
    ] as [Record<string, unknown>, string][]) {
      const r = await h.call('PUT', `${BASE}/${existing.id}`, { cookie, body });
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.error.field, field);
    }
    assert.deepEqual(await stored(h), before);
    assert.deepEqual(await get(h, cookie, existing.id), existing);
    assert.equal((await versions(h, cookie, existing.id)).length, 1);
  });

  it('a body that is not a JSON object is 400', async () => {
    const before = await stored(h);
    for (const rawBody of ['[1,2]', '"text"', '{"name": ']) {
      const r = await h.call('POST', BASE, { cookie, rawBody, headers: { 'content-type': 'application/json' } });
      assert.equal(r.status, 400, rawBody);
    }
    assert.deepEqual(await stored(h), before);
  });
});

describe('versions and the audit trail', () => {
  let h: Harness;
  let owner: string;
  let admin: { cookie: string; userId: string };

  before(async () => {
    ({ h, cookie: owner } = await Harness.withOrgSession('acme'));
    admin = await h.userSession('acme', 'policy_admin', owner);
  });
  after(() => h.close());

  it('every change appends a version, newest first, with who made it and the policy after the change', async () => {
    const cookie = admin.cookie;
    const by = `user:${admin.userId}`;
    const times: string[] = [];
    const step = () => {
      h.clock.advance(60_000);
      times.push(h.clock.now().toISOString());
    };

    step();
    const p = await create(h, cookie, { name: 'Versioned', pattern: 'versioned', action: 'block', priority: 200 });
    step();
    assert.equal((await h.call('PUT', `${BASE}/${p.id}`, { cookie, body: { priority: 250, action: 'redact' } })).status, 200);
    step();
    assert.equal((await h.call('PATCH', `${BASE}/${p.id}`, { cookie })).status, 200);
    step();
    const set = await h.call('POST', `${BASE}/${p.id}/override`, {
      cookie,
      body: { action: 'log', reason: 'noisy during the migration', expires_at: new Date(h.clock.now().getTime() + HOUR).toISOString() },
    });
    assert.equal(set.status, 201, JSON.stringify(set.body));
    step();
    assert.equal((await h.call('DELETE', `${BASE}/${p.id}/override`, { cookie })).status, 200);
    step();
    assert.equal((await h.call('DELETE', `${BASE}/${p.id}`, { cookie })).status, 204);

    const history = await versions(h, cookie, p.id);
    assert.deepEqual(history.map((v) => v.change_type), ['deleted', 'override_removed', 'override_set', 'toggled', 'updated', 'created']);
    assert.deepEqual(history.map((v) => v.version), [6, 5, 4, 3, 2, 1]);
    assert.ok(history.every((v) => v.changed_by === by && v.policy_id === p.id));
    assert.deepEqual(history.map((v) => v.created_at), [...times].reverse());

    const [deleted, removed, overridden, toggled, updated, created] = history.map((v) => v.snapshot);
    assert.equal(created.name, 'Versioned');
    assert.equal(created.pattern, 'versioned');
    assert.equal(created.action, 'block');
    assert.equal(created.priority, 200);
    assert.equal(created.enabled, true);
    assert.equal(created.version, 1);
    assert.equal(created.deleted_at, null);
    assert.equal(updated.priority, 250);
    assert.equal(updated.action, 'redact');
    assert.equal(updated.enabled, true);
    assert.equal(updated.version, 2);
    assert.equal(toggled.enabled, false);
    assert.equal(toggled.priority, 250);
    assert.equal(toggled.version, 3);
    assert.equal(overridden.override.action, 'log');
    assert.equal(overridden.override.reason, 'noisy during the migration');
    assert.equal(overridden.version, 4);
    assert.equal(removed.override.id, overridden.override.id);
    assert.equal(removed.version, 5);
    assert.equal(deleted.deleted_at, times[5]);
    assert.equal(deleted.enabled, false);
    assert.equal(deleted.version, 6);
    // A snapshot is the policy, not where it is stored.
    assert.equal(created.org_id, undefined);

    const audit = await h.runtime.database.db
      .selectFrom('audit_events')
      .selectAll()
      .where('org_id', '=', 'acme')
      .where('target_id', '=', p.id)
      .orderBy('seq')
      .execute();
    assert.deepEqual(audit.map((a) => a.action), [
      'static_policy.created',
      'static_policy.updated',
      'static_policy.toggled',
      'static_policy.override_set',
      'static_policy.override_removed',
      'static_policy.deleted',
    ]);
    assert.ok(audit.every((a) => a.actor_type === 'user' && a.actor_id === admin.userId && a.target_type === 'static_policy'));
    assert.deepEqual(audit.map((a) => a.created_at), times);
  });

  it('a change the service refuses leaves no version and no audit event', async () => {
    const p = await create(h, admin.cookie, { name: 'Refusals', pattern: 'refusals' });
    const before = await stored(h);
    await h.call('PUT', `${BASE}/${p.id}`, { cookie: admin.cookie, body: { pattern: '(a+)+' } });
    await h.call('POST', `${BASE}/${p.id}/override`, { cookie: admin.cookie, body: { action: 'log', reason: 'short', expires_at: new Date(h.clock.now().getTime() + HOUR).toISOString() } });
    await h.call('DELETE', `${BASE}/${p.id}/override`, { cookie: admin.cookie });
    assert.deepEqual(await stored(h), before);
  });

  it('a system policy\'s history is the version it shipped as, then this organization\'s overrides', async () => {
    const cookie = admin.cookie;
    let history = await versions(h, cookie, 'sys_pii_us_ssn');
    assert.equal(history.length, 1);
    assert.equal(history[0].version, 0);
    assert.equal(history[0].change_type, 'created');
    assert.equal(history[0].changed_by, 'system');
    assert.equal(history[0].snapshot.action, 'redact');

    const r = await h.call('POST', `${BASE}/sys_pii_us_ssn/override`, {
      cookie,
      body: { action: 'warn', reason: 'test data uses fake SSNs', expires_at: new Date(h.clock.now().getTime() + HOUR).toISOString() },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal((await h.call('DELETE', `${BASE}/sys_pii_us_ssn/override`, { cookie })).status, 200);
    history = await versions(h, cookie, 'sys_pii_us_ssn');
    assert.deepEqual(history.map((v) => [v.version, v.change_type]), [[2, 'override_removed'], [1, 'override_set'], [0, 'created']]);
    assert.equal(history[1].changed_by, `user:${admin.userId}`);
    assert.equal(history[1].snapshot.override.action, 'warn');
    // The shipped policy itself did not change.
    assert.equal(history[1].snapshot.action, 'redact');

    // Paged, the shipped version comes last, once.
    const first = await h.call('GET', `${BASE}/sys_pii_us_ssn/versions?limit=2`, { cookie });
    assert.deepEqual(first.body.versions.map((v: any) => v.version), [2, 1]);
    assert.ok(first.body.next_cursor);
    const second = await h.call('GET', `${BASE}/sys_pii_us_ssn/versions?limit=2&cursor=${encodeURIComponent(first.body.next_cursor)}`, { cookie });
    assert.deepEqual(second.body.versions.map((v: any) => v.version), [0]);
    assert.equal(second.body.next_cursor, null);
  });

  it('versions page with limit and cursor', async () => {
    const p = await create(h, admin.cookie, { name: 'Many versions', pattern: 'manyversions' });
    for (let i = 0; i < 4; i++) await h.call('PATCH', `${BASE}/${p.id}`, { cookie: admin.cookie });
    const one = await h.call('GET', `${BASE}/${p.id}/versions?limit=3`, { cookie: admin.cookie });
    assert.deepEqual(one.body.versions.map((v: any) => v.version), [5, 4, 3]);
    const two = await h.call('GET', `${BASE}/${p.id}/versions?limit=3&cursor=${encodeURIComponent(one.body.next_cursor)}`, { cookie: admin.cookie });
    assert.deepEqual(two.body.versions.map((v: any) => v.version), [2, 1]);
    assert.equal(two.body.next_cursor, null);
  });

  it('versions of an id that never existed is 404', async () => {
    const r = await h.call('GET', `${BASE}/spol_doesnotexist0000/versions`, { cookie: admin.cookie });
    assert.equal(r.status, 404);
  });

  it('the override answer carries the policy\'s version after the change', async () => {
    const p = await create(h, admin.cookie, { name: 'Override answer', pattern: 'overrideanswer' });
    const r = await h.call('POST', `${BASE}/${p.id}/override`, {
      cookie: admin.cookie,
      body: { action: 'log', reason: 'checking the answer', expires_at: new Date(h.clock.now().getTime() + HOUR).toISOString() },
    });
    assert.equal(r.status, 201);
    assert.equal(r.body.version, (await get(h, admin.cookie, p.id)).version);
    const d = await h.call('DELETE', `${BASE}/${p.id}/override`, { cookie: admin.cookie });
    assert.equal(d.body.version, (await get(h, admin.cookie, p.id)).version);
  });
});
