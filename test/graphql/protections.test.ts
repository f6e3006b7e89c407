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
    assert.equal(form.status, 403);
    assert.equal(form.body.error.code, 'FORBIDDEN');
    assert.match(form.body.error.message, /Content-Type: application\/json/);
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

  it('gives no "did you mean" hints in production, for fields, input fields or enum values', async () => {
    const probes: [string, Record<string, unknown>][] = [
      ['{ sesion { orgId } }', {}],
      ['mutation($i: LoginInput!) { login(input: $i) { orgId } }', { i: { orgID: 'acme', password: 'x-password-1' } }],
      ['query($s: OrganizationStatus) { organizations(status: $s) { totalCount } }', { s: 'ACTIV' }],
      ['{ organizations(status: ACTIV) { totalCount } }', {}],
    ];
    for (const [query, variables] of probes) {
      const p = await prod.graphql(query, variables);
      assert.ok(p.errors?.length, query);
      assert.doesNotMatch(JSON.stringify(p.errors), /Did you mean/, query);
      const d = await h.graphql(query, variables);
      assert.match(JSON.stringify(d.errors), /Did you mean/, `development keeps the hint: ${query}`);
    }
  });

  it('answers a body that is not JSON without echoing it or the parser', async () => {
    for (const target of [prod, h]) {
      const r = await target.call('POST', '/graphql', { rawBody: '{"query": "{ secret-bearing-body', headers: { 'content-type': 'application/json' } });
      assert.equal(r.status, 400);
      const text = JSON.stringify(r.body);
      assert.doesNotMatch(text, /secret-bearing-body|originalError|Unexpected token|position/, text);
      assert.equal(r.body.errors[0].extensions.code, 'BAD_REQUEST');
    }
  });

  it('masks an unexpected resolver error and logs it with the request id the caller was given', async () => {
    const local = await Harness.start();
    try {
      local.runtime.services.licenses.publicKey = () => {
        throw new Error('select pem from signing_keys where id = 7 -- boom');
      };
      const r = await local.call('POST', '/graphql', { body: { query: '{ licensePublicKey { pem } }' } });
      assert.deepEqual(r.body.errors.map((e: any) => ({ message: e.message, code: e.extensions.code })), [{ message: 'Unexpected error.', code: 'INTERNAL' }]);
      assert.doesNotMatch(JSON.stringify(r.body), /select|signing_keys|boom|stack/);
      const id = r.headers.get('x-request-id');
      const line = local.logs.find((l) => l.msg === 'unexpected GraphQL error');
      assert.ok(line, 'the error was logged');
      assert.equal(line.req_id, id, 'the X-Request-Id the caller holds finds the log line');
      assert.match(String(line.err), /boom/);
    } finally {
      await local.close();
    }
  });

  it('serves GraphiQL in development with every asset inlined: nothing from a CDN', async () => {
    const page = await h.call('GET', '/graphql', { headers: { accept: 'text/html' } });
    assert.equal(page.status, 200);
    const html = String(page.body);
    assert.match(html, /<html/i);
    const external = [...html.matchAll(/<(?:script|link)[^>]+(?:src|href)=["']((?:https?:)?\/\/[^"']+)/gi)].map((m) => m[1]);
    assert.deepEqual(external, [], 'no script or stylesheet is fetched from another host');
  });

  it('audits the keyless operator as the operator over GraphQL, as over REST', async () => {
    const keyless = await Harness.start({ deploymentMode: 'enterprise', adminApiKey: null });
    try {
      const r = await keyless.graphql('mutation { upsertOrganization(input: { orgId: "viagql", name: "Via GraphQL" }) { created } }');
      assert.equal(r.data.upsertOrganization.created, true);
      const rows = await keyless.runtime.database.db.selectFrom('audit_events').select(['actor_type', 'action']).where('org_id', '=', 'viagql').execute();
      assert.deepEqual(rows.map((row) => row.action).sort(), ['license.issued', 'organization.created'], JSON.stringify(rows));
      assert.ok(rows.every((row) => row.actor_type === 'operator'), JSON.stringify(rows));
      const login = await keyless.call('POST', '/api/v1/auth/login', { body: { org_id: 'viagql', password: 'wrong-pass-1' } });
      assert.equal(login.status, 401);
      const failed = await keyless.runtime.database.db.selectFrom('audit_events').select('actor_type').where('action', '=', 'auth.login_failed').execute();
      assert.deepEqual(failed.map((f) => f.actor_type), ['anonymous'], 'outside admin fields the same caller is anonymous');
    } finally {
      await keyless.close();
    }
  });
});
