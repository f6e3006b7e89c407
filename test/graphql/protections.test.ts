import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GRAPHQL_LIMITS } from '../../src/graphql/yoga.js';
import { Harness } from '../helpers/harness.js';

describe('GraphQL protections', () => {
  let h: Harness;
  let prod: Harness;
  let cookie: string;
  before(async () => {
    h = await Harness.start();
    prod = await Harness.start({ environment: 'production' });
    await h.createOrg('acme');
    cookie = await h.login('acme');
  });
  after(async () => {
    await h.close();
    await prod.close();
  });

  it('answers the caller its own principal', async () => {
    const r = await h.graphql('{ viewer { kind role permissions organization { orgId } user { kind } } }', {}, { cookie });
    assert.equal(r.data.viewer.kind, 'session');
    assert.equal(r.data.viewer.organization.orgId, 'acme');
    assert.equal(r.data.viewer.user.kind, 'organization');
    const op = await h.graphql('{ viewer { kind organization { orgId } } }', {}, { headers: { 'x-admin-api-key': 'adm_test_key_0123456789abcdef' } });
    assert.deepEqual(op.data.viewer, { kind: 'admin', organization: null });
    const { key } = await h.apiKey('acme', ['usage:write'], cookie);
    const runtime = await h.graphql('{ viewer { kind permissions organization { orgId } } }', {}, { headers: { 'x-api-key': key } });
    assert.deepEqual(runtime.data.viewer, { kind: 'api_key', permissions: ['usage:write'], organization: { orgId: 'acme' } });
    const pii = await h.graphql('{ viewer { organization { contactEmail } } }', {}, { headers: { 'x-api-key': key } });
    assert.equal(pii.data.viewer.organization.contactEmail, null);
    assert.match(pii.errors[0].message, /portal session/);
    const scim = await h.graphql('{ viewer { kind } }', {}, { headers: { authorization: 'Bearer scim_abcdefabcdefabcdef' } });
    assert.match(scim.errors[0].message, /SCIM tokens are accepted only on \/scim\/v2/);
  });

  it('refuses aliases past the limit, counting __typename', async () => {
    const many = Array.from({ length: GRAPHQL_LIMITS.aliases + 1 }, (_, i) => `a${i}: __typename`).join(' ');
    const r = await h.graphql(`{ ${many} }`, {}, { cookie });
    assert.ok(r.errors?.length, JSON.stringify(r).slice(0, 200));
    assert.match(r.errors[0].message, /alias/i);
    const fine = await h.graphql(`{ a0: __typename a1: __typename }`, {}, { cookie });
    assert.equal(fine.data.a1, 'Query');
  });

  it('refuses queries deeper than the limit', async () => {
    let q = 'orgId';
    for (let i = 0; i < GRAPHQL_LIMITS.depth; i++) q = `session { organization { ${q} } }`.replace('session {', 'x: session {');
    const r = await h.graphql(`{ ${q} }`, {}, { cookie });
    assert.ok(r.errors?.length);
    assert.match(r.errors.map((e: any) => e.message).join(' '), /depth/i);
  });

  it('refuses oversized documents by token count and too many directives', async () => {
    const big = `{ ${Array.from({ length: GRAPHQL_LIMITS.tokens }, () => '__typename').join(' ')} }`;
    const r = await h.graphql(big, {}, { cookie });
    assert.match(r.errors[0].message, /token/i);
    const dirs = `{ __typename ${'@include(if: true) '.repeat(GRAPHQL_LIMITS.directives + 1)} }`;
    const d = await h.graphql(dirs, {}, { cookie });
    assert.match(d.errors[0].message, /directive/i);
  });

  it('refuses a form post and a GET mutation (CSRF)', async () => {
    const form = await h.call('POST', '/graphql', {
      cookie,
      rawBody: 'query=mutation%7Blogout%7D',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.ok(form.status >= 400 && form.status < 500, `status ${form.status}`);
    const get = await h.call('GET', `/graphql?query=${encodeURIComponent('mutation { logout }')}`, {
      cookie,
      headers: { 'x-graphql-yoga-csrf': '1' },
    });
    assert.equal(get.status, 405);
    assert.equal((await h.call('GET', '/api/v1/auth/session', { cookie })).status, 200, 'still logged in');
  });

  it('allows introspection and GraphiQL in development but not in production', async () => {
    const dev = await h.graphql('{ __schema { queryType { name } } }');
    assert.equal(dev.data.__schema.queryType.name, 'Query');
    const p = await prod.graphql('{ __schema { queryType { name } } }');
    assert.ok(p.errors?.length);
    assert.equal(p.data, undefined);
    const page = await prod.call('GET', '/graphql', { headers: { accept: 'text/html' } });
    assert.ok(!String(page.body).includes('<html'), 'no GraphiQL page in production');
  });

  it('gives no "did you mean" hints in production', async () => {
    const p = await prod.graphql('{ sesion { orgId } }');
    assert.ok(p.errors?.length);
    assert.doesNotMatch(JSON.stringify(p.errors), /Did you mean/);
    const d = await h.graphql('{ sesion { orgId } }');
    assert.match(JSON.stringify(d.errors), /Did you mean/);
  });

  it('masks unexpected errors: no stack, no SQL', async () => {
    // A session whose user row vanished mid-request cannot be produced cheaply; instead call a field
    // with a closed database, which fails inside the service.
    const local = await Harness.start();
    await local.createOrg('tmp');
    const c = await local.login('tmp');
    await local.runtime.database.close();
    const r = await local.call('POST', '/graphql', { cookie: c, body: { query: '{ ssoAvailability(orgId: "tmp") { ssoEnabled } }' } });
    const text = JSON.stringify(r.body);
    assert.doesNotMatch(text, /select|sqlite|stack|at async/i);
    assert.ok(r.status === 500 || r.status === 200);
  });
});
