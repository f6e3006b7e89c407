import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_KEY, type CallOptions, Harness } from '../helpers/harness.js';
import { CONFORMITY, NEW_ASSESSMENT, assessmentCount, bearer, created, step } from './conformity-helpers.js';

// Who may reach the conformity routes: the module gate first (403 MODULE_NOT_ENABLED naming eu_ai_act, before
// the body is judged), then the door (sessions and runtime keys; approve and reject only sessions), then the
// permission or scope; and another organization's assessments do not exist.

interface Row {
  name: string;
  method: 'GET' | 'POST' | 'PATCH';
  path: (id: string) => string;
  body?: Record<string, unknown>;
  /** A body the types accept but the service refuses (400 once the caller is let in). */
  bad?: Record<string, unknown>;
  kind: 'read' | 'write' | 'decide';
}

const ROWS: Row[] = [
  { name: 'list', method: 'GET', path: () => CONFORMITY, kind: 'read' },
  { name: 'get', method: 'GET', path: (id) => `${CONFORMITY}/${id}`, kind: 'read' },
  { name: 'create', method: 'POST', path: () => CONFORMITY, body: NEW_ASSESSMENT, bad: { ...NEW_ASSESSMENT, risk_level: 'extreme' }, kind: 'write' },
  { name: 'edit', method: 'PATCH', path: (id) => `${CONFORMITY}/${id}`, body: { system_name: 'renamed' }, bad: { system_name: '' }, kind: 'write' },
  { name: 'submit', method: 'POST', path: (id) => `${CONFORMITY}/${id}/submit`, bad: { extra: 1 }, kind: 'write' },
  { name: 'approve', method: 'POST', path: (id) => `${CONFORMITY}/${id}/approve`, body: {}, bad: { comments: 7 }, kind: 'decide' },
  { name: 'reject', method: 'POST', path: (id) => `${CONFORMITY}/${id}/reject`, body: { reason: 'needs more evidence' }, bad: { reason: 'short' }, kind: 'decide' },
];

describe('conformity: the module gate and who may do what', () => {
  let h: Harness;
  let owner: string;
  let viewer: string;
  let developer: string;
  let policyAdmin: string;
  let otherOwner: string;
  let exportKey: string;
  let readKey: string;
  let usageKey: string;
  let scim: string;
  let draftId: string;

  before(async () => {
    h = await Harness.start();
    // PROFESSIONAL: no eu_ai_act until the operator enables it.
    await h.createOrg('acme', { tier: 'PROFESSIONAL' });
    await h.createOrg('globex', { tier: 'ENTERPRISE' });
    owner = await h.login('acme');
    viewer = (await h.userSession('acme', 'viewer', owner)).cookie;
    developer = (await h.userSession('acme', 'developer', owner)).cookie;
    policyAdmin = (await h.userSession('acme', 'policy_admin', owner)).cookie;
    otherOwner = await h.login('globex');
    exportKey = (await h.apiKey('acme', ['compliance:export'], owner)).key;
    readKey = (await h.apiKey('acme', ['compliance:read'], owner)).key;
    usageKey = (await h.apiKey('acme', ['usage:write'], owner)).key;
    scim = (await h.scimToken('acme', owner)).token;
  });
  after(() => h.close());

  it('module disabled: every route is 403 MODULE_NOT_ENABLED naming eu_ai_act, even for a bad body, and nothing is written', async () => {
    for (const row of ROWS) {
      for (const body of [row.body, row.bad]) {
        for (const opts of [{ cookie: owner }, { headers: bearer(exportKey) }] as CallOptions[]) {
          if (row.kind === 'decide' && opts.headers) continue;
          const r = await h.call(row.method, row.path('ca_whatever'), { ...opts, ...(body ? { body } : {}) });
          assert.equal(r.status, 403, `${row.name} ${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
          assert.equal(r.body.error.code, 'MODULE_NOT_ENABLED');
          assert.equal(r.body.error.module, 'eu_ai_act');
          assert.match(r.body.error.message, /PATCH \/api\/v1\/admin\/organizations\/acme/);
        }
      }
    }
    const gql = await h.graphql(`{ conformityAssessments { totalCount } }`, {}, { cookie: owner });
    assert.equal(gql.errors[0].extensions.code, 'MODULE_NOT_ENABLED');
    assert.equal(gql.errors[0].extensions.module, 'eu_ai_act');
    assert.equal(await assessmentCount(h), 0);
  });

  it('module disabled: the wrong door is still 401 (the credential kind is judged first)', async () => {
    const r = await h.call('GET', CONFORMITY, { headers: { 'x-admin-api-key': ADMIN_KEY } });
    assert.equal(r.status, 401);
  });

  it('the operator enables eu_ai_act: the routes open', async () => {
    const r = await h.admin('PATCH', '/api/v1/admin/organizations/acme', { modules: ['eu_ai_act'] });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    draftId = (await created(h, { cookie: owner })).id;
    assert.equal((await h.call('GET', CONFORMITY, { cookie: owner })).status, 200);
  });

  it('admin key, SCIM token and no credential: 401 on every route, naming what was presented', async () => {
    const callers: [CallOptions, RegExp][] = [
      [{ headers: { 'x-admin-api-key': ADMIN_KEY } }, /the admin API key was presented/],
      [{ headers: { authorization: `Bearer ${scim}` } }, /a SCIM bearer token was presented: SCIM tokens are accepted only on \/scim\/v2/],
      [{}, /no credential was presented/],
    ];
    const count = await assessmentCount(h);
    for (const row of ROWS) {
      for (const [opts, presented] of callers) {
        for (const body of [row.body, row.bad]) {
          const r = await h.call(row.method, row.path(draftId), { ...opts, ...(body ? { body } : {}) });
          assert.equal(r.status, 401, `${row.name}: ${JSON.stringify(r.body)}`);
          assert.equal(r.body.error.code, 'UNAUTHENTICATED');
          assert.match(r.body.error.message, presented);
          assert.match(r.body.error.message, /needs a portal session/);
        }
      }
    }
    assert.equal(await assessmentCount(h), count);
  });

  it('runtime keys: compliance:read reads, compliance:export writes; approve and reject are for people (401 for any key)', async () => {
    assert.equal((await h.call('GET', CONFORMITY, { headers: bearer(readKey) })).status, 200);
    assert.equal((await h.call('GET', `${CONFORMITY}/${draftId}`, { headers: bearer(exportKey) })).status, 403);
    const a = await created(h, { headers: bearer(exportKey) });
    assert.equal((await step(h, a.id, 'submit', { headers: bearer(exportKey) })).status, 200);
    const star = (await h.apiKey('acme', ['*'], owner)).key;
    for (const key of [exportKey, star]) {
      for (const name of ['approve', 'reject'] as const) {
        const r = await step(h, a.id, name, { headers: bearer(key) }, name === 'reject' ? { reason: 'decided by a machine' } : {});
        assert.equal(r.status, 401, JSON.stringify(r.body));
        assert.match(r.body.error.message, /needs a portal session.*a runtime API key was presented/);
      }
    }
    assert.equal((await h.call('GET', `${CONFORMITY}/${a.id}`, { cookie: owner })).body.status, 'submitted');
  });

  it('a key without the scope: 403 naming it, even for a bad body', async () => {
    const count = await assessmentCount(h);
    for (const row of ROWS.filter((r) => r.kind !== 'decide')) {
      const keys = row.kind === 'read' ? [usageKey] : [usageKey, readKey];
      for (const key of keys) {
        for (const body of [row.body, row.bad]) {
          const r = await h.call(row.method, row.path(draftId), { headers: bearer(key), ...(body ? { body } : {}) });
          assert.equal(r.status, 403, `${row.name}: ${JSON.stringify(r.body)}`);
          assert.match(r.body.error.message, new RegExp(`lacks the scope compliance:${row.kind === 'read' ? 'read' : 'export'}`));
        }
      }
    }
    assert.equal(await assessmentCount(h), count);
  });

  it('a viewer or developer reads but may not write or decide (403 naming compliance:export)', async () => {
    for (const cookie of [viewer, developer]) {
      assert.equal((await h.call('GET', CONFORMITY, { cookie })).status, 200);
      assert.equal((await h.call('GET', `${CONFORMITY}/${draftId}`, { cookie })).status, 200);
    }
    const submitted = await created(h, { cookie: owner });
    await step(h, submitted.id, 'submit', { cookie: owner });
    const count = await assessmentCount(h);
    for (const row of ROWS.filter((r) => r.kind !== 'read')) {
      for (const cookie of [viewer, developer]) {
        const id = row.kind === 'decide' ? submitted.id : draftId;
        for (const body of [row.body, row.bad]) {
          const r = await h.call(row.method, row.path(id), { cookie, ...(body ? { body } : {}) });
          assert.equal(r.status, 403, `${row.name}: ${JSON.stringify(r.body)}`);
          assert.match(r.body.error.message, /lacks the permission compliance:export/);
        }
      }
    }
    assert.equal(await assessmentCount(h), count);
    assert.equal((await h.call('GET', `${CONFORMITY}/${draftId}`, { cookie: owner })).body.system_name, NEW_ASSESSMENT.system_name);
    // A policy admin has compliance:export: decides what the owner submitted.
    assert.equal((await step(h, submitted.id, 'approve', { cookie: policyAdmin })).status, 200);
  });

  it("another organization's assessments are 404 on every route by id, and absent from its list", async () => {
    const submitted = await created(h, { cookie: owner });
    await step(h, submitted.id, 'submit', { cookie: owner });
    for (const row of ROWS.filter((r) => r.path('x') !== CONFORMITY)) {
      for (const id of [draftId, submitted.id, 'ca_doesnotexist']) {
        const r = await h.call(row.method, row.path(id), { cookie: otherOwner, ...(row.body ? { body: row.body } : {}) });
        assert.equal(r.status, 404, `${row.name}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error.code, 'NOT_FOUND');
      }
    }
    const list = await h.call('GET', CONFORMITY, { cookie: otherOwner });
    assert.deepEqual(list.body.assessments, []);
    assert.equal((await h.call('GET', `${CONFORMITY}/${draftId}`, { cookie: owner })).body.system_name, NEW_ASSESSMENT.system_name);
    assert.equal((await h.call('GET', `${CONFORMITY}/${submitted.id}`, { cookie: owner })).body.status, 'submitted');
  });

  it('the operator disables the module again: the routes close with MODULE_NOT_ENABLED', async () => {
    assert.equal((await h.admin('PATCH', '/api/v1/admin/organizations/acme', { modules: [] })).status, 200);
    const r = await h.call('GET', `${CONFORMITY}/${draftId}`, { cookie: owner });
    assert.equal(r.status, 403);
    assert.equal(r.body.error.code, 'MODULE_NOT_ENABLED');
  });
});
