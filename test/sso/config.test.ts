// An organization's SSO configuration through REST: its life cycle, who may touch it, how its input is
// judged, the write-only client secret, the provider guides, our SP metadata, reading IdP metadata through
// the guarded outbound client, the configuration test, and the audit trail every change leaves.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SecretBox } from '../../src/crypto/secret-box.js';
import { ADMIN_KEY, type Harness } from '../helpers/harness.js';
import { TestIdp, makeCertificate } from '../helpers/saml-idp.js';
import { ORIGIN, acmeIdp, acsUrl, samlOrg, spEntityId, ssoHarness } from '../helpers/sso.js';

const CONFIG = '/api/v1/sso/config';
/** The associated data the client secret is sealed with: part of the stored format, so spelt out here. */
const CLIENT_SECRET_CONTEXT = 'sso_configs.oidc_client_secret';
const DAY = 86_400_000;

/** A SAML body for the test IdP: what the validation cases break one field of. */
function samlBody(idp: TestIdp, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { provider: 'okta', idp_entity_id: idp.entityId, idp_sso_url: idp.ssoUrl, idp_certificate: idp.certificate.pem, ...extra };
}

/** The organization's own audit trail, newest first, as its owner reads it over GraphQL. */
async function orgAudit(h: Harness, cookie: string): Promise<{ action: string; details: Record<string, unknown> }[]> {
  const r = await h.graphql('{ organization { auditEvents(first: 200) { edges { node { action details } } } } }', {}, { cookie });
  assert.equal(r.errors, undefined, JSON.stringify(r.errors));
  return r.data.organization.auditEvents.edges.map((e: { node: { action: string; details: Record<string, unknown> } }) => e.node);
}

async function storedSecret(h: Harness, orgId: string): Promise<string | null> {
  const row = await h.runtime.database.db.selectFrom('sso_configs').select('oidc_client_secret').where('org_id', '=', orgId).executeTakeFirstOrThrow();
  return row.oidc_client_secret;
}

/** PEMs compared by their DER, whatever the line breaks. */
const der = (pem: string) => pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, '');

/** A plain-http IdP metadata endpoint on 127.0.0.1 whose answer a test can change. */
class MetadataServer {
  body = '';
  contentType = 'application/samlmetadata+xml';
  requests = 0;
  private constructor(private readonly server: Server) {}

  static async start(): Promise<MetadataServer> {
    let self: MetadataServer | undefined;
    const server = createServer((req, res) => {
      self!.requests++;
      if (req.url === '/missing') {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('no such metadata');
      } else if (req.url === '/hang') {
        // Headers never come: only the guarded client's deadline ends this.
      } else if (req.url === '/huge') {
        res.writeHead(200, { 'content-type': 'application/samlmetadata+xml' });
        res.end(`${self!.body}<!-- ${'x'.repeat(2 * 1024 * 1024)} -->`);
      } else if (req.url === '/redirect') {
        // Where a hostile IdP would send the guarded client next.
        res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data' });
        res.end();
      } else {
        res.writeHead(200, { 'content-type': self!.contentType });
        res.end(self!.body);
      }
    });
    self = new MetadataServer(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return self;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  url(path = '/metadata'): string {
    return `http://${this.host}${path}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

describe('SSO configuration: create, read, replace, update, delete', () => {
  let h: Harness;
  let owner: string;
  let idp: TestIdp;
  before(async () => {
    ({ h, owner, idp } = await samlOrg(null));
  });
  after(() => h.close());

  it('GET answers 404 before there is any configuration', async () => {
    const r = await h.call('GET', CONFIG, { cookie: owner });
    assert.equal(r.status, 404);
    assert.equal(r.body.error.code, 'NOT_FOUND');
    assert.match(r.body.error.message, /POST \/api\/v1\/sso\/config/);
  });

  it('POST creates a SAML configuration (201) and echoes its fields in snake_case', async () => {
    const r = await h.call('POST', CONFIG, { cookie: owner, body: samlBody(idp, { email_domains: ['Acme.example.com', '@acme.example.com', 'corp.example'] }) });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const c = r.body;
    assert.equal(c.org_id, 'acme');
    assert.equal(c.protocol, 'saml');
    assert.equal(c.provider, 'okta');
    assert.equal(c.enabled, false, 'a new configuration is off until it is tested and enabled');
    assert.equal(c.enforce_sso, false);
    assert.equal(c.idp_entity_id, idp.entityId);
    assert.equal(c.idp_sso_url, idp.ssoUrl);
    assert.equal(der(c.idp_certificate), idp.certificate.base64);
    assert.equal(c.idp_metadata_url, null);
    assert.deepEqual(c.email_domains, ['acme.example.com', 'corp.example'], 'lower-cased, @ dropped, duplicates once');
    assert.equal(c.oidc_issuer, null);
    assert.equal(c.oidc_audience, null);
    assert.equal(c.oidc_jwks_uri, null);
    assert.equal(c.oidc_claim_mapping, null, 'no claim mapping on a SAML configuration');
    assert.equal(c.oidc_client_secret_set, false);
    assert.ok(Date.parse(c.created_at) > 0 && c.created_at === c.updated_at);
    for (const key of Object.keys(c)) assert.match(key, /^[a-z0-9_]+$/, `${key} is snake_case`);
  });

  it('a second POST answers 409 and changes nothing', async () => {
    const r = await h.call('POST', CONFIG, { cookie: owner, body: samlBody(idp, { provider: 'azure' }) });
    assert.equal(r.status, 409);
    assert.equal(r.body.error.code, 'CONFLICT');
    assert.match(r.body.error.message, /PUT|DELETE/);
    assert.equal((await h.call('GET', CONFIG, { cookie: owner })).body.provider, 'okta');
  });

  it('GET returns what was created', async () => {
    const r = await h.call('GET', CONFIG, { cookie: owner });
    assert.equal(r.status, 200);
    assert.equal(r.body.provider, 'okta');
    assert.equal(r.body.idp_entity_id, idp.entityId);
    assert.deepEqual(r.body.email_domains, ['acme.example.com', 'corp.example']);
  });

  it('PUT replaces the whole configuration (fields left out go back to their defaults)', async () => {
    const created = (await h.call('GET', CONFIG, { cookie: owner })).body;
    const r = await h.call('PUT', CONFIG, { cookie: owner, body: samlBody(idp, { provider: 'azure', enabled: true }) });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.provider, 'azure');
    assert.equal(r.body.enabled, true);
    assert.deepEqual(r.body.email_domains, [], 'not given: none');
    assert.equal(r.body.created_at, created.created_at, 'still the same configuration');
    assert.equal((await h.call('GET', CONFIG, { cookie: owner })).body.provider, 'azure');
  });

  it('PUT switches SAML to OIDC without fetching anything', async () => {
    const r = await h.call('PUT', CONFIG, { cookie: owner, body: { provider: 'oidc', oidc_issuer: 'https://idp.example.com', oidc_audience: 'portal-client' } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.protocol, 'oidc');
    assert.equal(r.body.provider, 'oidc');
    assert.equal(r.body.oidc_issuer, 'https://idp.example.com');
    assert.equal(r.body.oidc_audience, 'portal-client');
    assert.deepEqual(r.body.oidc_claim_mapping, { email: 'email', name: 'name', given_name: 'given_name', family_name: 'family_name' });
    for (const f of ['idp_entity_id', 'idp_sso_url', 'idp_certificate', 'idp_metadata_url']) assert.equal(r.body[f], null, `${f} is gone`);
    const got = await h.call('GET', CONFIG, { cookie: owner });
    assert.equal(got.body.protocol, 'oidc');
    assert.equal(got.body.idp_entity_id, null);
  });

  it('PUT switches back to SAML (okta) switched off; within a protocol, switches left out stay as they were', async () => {
    const r = await h.call('PUT', CONFIG, { cookie: owner, body: samlBody(idp) });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.protocol, 'saml');
    assert.equal(r.body.oidc_issuer, null);
    assert.equal(r.body.enabled, false, 'a change of protocol is a new rollout: it starts switched off');
    assert.equal((await h.call('PATCH', CONFIG, { cookie: owner, body: { enabled: true } })).status, 200);
    const rotated = await h.call('PUT', CONFIG, { cookie: owner, body: samlBody(idp) });
    assert.equal(rotated.body.enabled, true, 'a replacement of the same protocol that does not mention enabled does not switch SSO off');
    const off = await h.call('PUT', CONFIG, { cookie: owner, body: samlBody(idp, { enabled: false }) });
    assert.equal(off.status, 200, JSON.stringify(off.body));
    assert.equal(off.body.enabled, false);
  });

  it('PATCH {enforce_sso: true} while disabled: 400 naming enforce_sso, and nothing changes', async () => {
    const r = await h.call('PATCH', CONFIG, { cookie: owner, body: { enforce_sso: true } });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.field, 'enforce_sso');
    assert.match(r.body.error.message, /^enforce_sso needs enabled/);
    const got = (await h.call('GET', CONFIG, { cookie: owner })).body;
    assert.equal(got.enabled, false);
    assert.equal(got.enforce_sso, false);
  });

  it('PATCH switches the login on, then enforcement on, then the login off (enforcement with it)', async () => {
    const on = await h.call('PATCH', CONFIG, { cookie: owner, body: { enabled: true } });
    assert.equal(on.status, 200, JSON.stringify(on.body));
    assert.equal(on.body.enabled, true);
    assert.equal(on.body.enforce_sso, false);
    const enforced = await h.call('PATCH', CONFIG, { cookie: owner, body: { enforce_sso: true } });
    assert.equal(enforced.status, 200, JSON.stringify(enforced.body));
    assert.equal(enforced.body.enabled, true);
    assert.equal(enforced.body.enforce_sso, true);
    assert.equal(enforced.body.idp_entity_id, idp.entityId, 'the rest is kept');
    const off = await h.call('PATCH', CONFIG, { cookie: owner, body: { enabled: false } });
    assert.equal(off.status, 200);
    assert.equal(off.body.enabled, false);
    assert.equal(off.body.enforce_sso, false);
    const got = (await h.call('GET', CONFIG, { cookie: owner })).body;
    assert.equal(got.enabled, false);
    assert.equal(got.enforce_sso, false);
  });

  it('PATCH with both switches at once, and PATCH refusing empty, non-boolean and unknown bodies', async () => {
    const both = await h.call('PATCH', CONFIG, { cookie: owner, body: { enabled: true, enforce_sso: true } });
    assert.equal(both.status, 200, JSON.stringify(both.body));
    assert.equal(both.body.enforce_sso, true);
    const empty = await h.call('PATCH', CONFIG, { cookie: owner, body: {} });
    assert.equal(empty.status, 400);
    const notBool = await h.call('PATCH', CONFIG, { cookie: owner, body: { enabled: 'yes' } });
    assert.equal(notBool.status, 400);
    assert.equal(notBool.body.error.field, 'enabled');
    const unknown = await h.call('PATCH', CONFIG, { cookie: owner, body: { provider: 'azure' } });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.error.field, 'provider');
    const got = (await h.call('GET', CONFIG, { cookie: owner })).body;
    assert.equal(got.provider, 'okta');
    assert.equal(got.enforce_sso, true);
    assert.equal((await h.call('PATCH', CONFIG, { cookie: owner, body: { enabled: false } })).status, 200);
  });

  it('DELETE answers 200, then GET 404, and a second DELETE 404; PUT and PATCH then 404 too', async () => {
    const r = await h.call('DELETE', CONFIG, { cookie: owner });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { deleted: true });
    assert.equal((await h.call('GET', CONFIG, { cookie: owner })).status, 404);
    const again = await h.call('DELETE', CONFIG, { cookie: owner });
    assert.equal(again.status, 404);
    assert.equal(again.body.error.code, 'NOT_FOUND');
    assert.equal((await h.call('PUT', CONFIG, { cookie: owner, body: samlBody(idp) })).status, 404);
    assert.equal((await h.call('PATCH', CONFIG, { cookie: owner, body: { enabled: true } })).status, 404);
    assert.equal((await h.call('POST', `${CONFIG}/test`, { cookie: owner })).status, 404);
    assert.equal((await h.call('GET', CONFIG, { cookie: owner })).status, 404, 'the refused PUT created nothing');
  });

  it('POST creates anew after a delete', async () => {
    const r = await h.call('POST', CONFIG, { cookie: owner, body: samlBody(idp) });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  });
});

describe('SSO configuration: who may call', () => {
  let h: Harness;
  let owner: string;
  let idp: TestIdp;
  let viewer: string;
  let apiKey: string;
  let scimToken: string;
  let betaOwner: string;

  const routes = (): [string, string, unknown][] => [
    ['GET', CONFIG, undefined],
    ['POST', CONFIG, samlBody(idp, { provider: 'azure' })],
    ['PUT', CONFIG, samlBody(idp, { provider: 'azure' })],
    ['PATCH', CONFIG, { enabled: true }],
    ['DELETE', CONFIG, undefined],
    ['POST', `${CONFIG}/test`, undefined],
    ['GET', '/api/v1/sso/providers', undefined],
    ['GET', '/api/v1/sso/providers/defaults', undefined],
    ['GET', '/api/v1/sso/sp-metadata', undefined],
    ['POST', '/api/v1/sso/fetch-metadata', { url: 'https://idp.example.com/metadata' }],
    ['GET', '/api/v1/sso/audit', undefined],
  ];

  before(async () => {
    ({ h, owner, idp } = await samlOrg({ enabled: false }));
    viewer = (await h.userSession('acme', 'viewer', owner)).cookie;
    apiKey = (await h.apiKey('acme', ['*'], owner)).key;
    scimToken = (await h.scimToken('acme', owner)).token;
    await h.createOrg('beta');
    betaOwner = await h.login('beta');
  });
  after(() => h.close());

  /** Nothing a refused call sent took effect. */
  async function unchanged(): Promise<void> {
    const r = await h.call('GET', CONFIG, { cookie: owner });
    assert.equal(r.status, 200);
    assert.equal(r.body.provider, 'okta');
    assert.equal(r.body.enabled, false);
  }

  it('no credential: 401 naming portal_session in required_auth, on every route', async () => {
    for (const [method, path, body] of routes()) {
      const r = await h.call(method, path, { body });
      assert.equal(r.status, 401, `${method} ${path}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, 'UNAUTHENTICATED');
      assert.deepEqual(r.body.error.required_auth, ['portal_session'], `${method} ${path}`);
      assert.match(r.headers.get('www-authenticate') ?? '', /Session realm="portal"/);
    }
    await unchanged();
  });

  it("a viewer's session: 403 naming the permission, on every route", async () => {
    for (const [method, path, body] of routes()) {
      const r = await h.call(method, path, { body, cookie: viewer });
      assert.equal(r.status, 403, `${method} ${path}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, 'FORBIDDEN');
      assert.deepEqual(r.body.error.required_auth, ['portal_session']);
      const choosesTheIdp = path === CONFIG && ['POST', 'PUT', 'DELETE'].includes(method);
      assert.match(r.body.error.message, choosesTheIdp ? /viewer.*owners:manage/ : /viewer.*sso:configure/, `${method} ${path}`);
    }
    await unchanged();
  });

  it("an admin (sso:configure without owners:manage) runs SSO but cannot choose the IdP that vouches for the owners", async () => {
    const admin = (await h.userSession('acme', 'admin', owner)).cookie;
    for (const [method, body] of [['POST', samlBody(idp)], ['PUT', samlBody(idp)], ['DELETE', undefined]] as const) {
      const r = await h.call(method, CONFIG, { body, cookie: admin });
      assert.equal(r.status, 403, `${method}: ${JSON.stringify(r.body)}`);
      assert.match(r.body.error.message, /your role \(admin\) lacks the permission owners:manage/);
    }
    await unchanged();
    assert.equal((await h.call('GET', '/api/v1/sso/audit', { cookie: admin })).status, 200);
    assert.equal((await h.call('GET', '/api/v1/sso/sp-metadata', { cookie: admin })).status, 200);
  });

  it('a runtime API key, a SCIM token and the admin key: refused naming portal_session, on every route', async () => {
    const credentials: [string, Record<string, string>][] = [
      ['API key', { authorization: `Bearer ${apiKey}` }],
      ['API key (X-API-Key)', { 'x-api-key': apiKey }],
      ['SCIM token', { authorization: `Bearer ${scimToken}` }],
      ['admin key', { 'x-admin-api-key': ADMIN_KEY }],
    ];
    for (const [name, headers] of credentials) {
      for (const [method, path, body] of routes()) {
        const r = await h.call(method, path, { body, headers });
        assert.ok(r.status === 401 || r.status === 403, `${name} ${method} ${path}: ${r.status}`);
        assert.deepEqual(r.body.error.required_auth, ['portal_session'], `${name} ${method} ${path}`);
        assert.match(r.body.error.message, /portal session/);
      }
    }
    await unchanged();
  });

  it('roles without sso:configure (developer, policy_admin) are refused; an admin may read the configuration', async () => {
    for (const role of ['developer', 'policy_admin']) {
      const { cookie } = await h.userSession('acme', role, owner);
      for (const [method, path, body] of routes()) {
        const r = await h.call(method, path, { body, cookie });
        assert.equal(r.status, 403, `${role} ${method} ${path}`);
      }
    }
    await unchanged();
    const { cookie: admin } = await h.userSession('acme', 'admin', owner);
    const r = await h.call('GET', CONFIG, { cookie: admin });
    assert.equal(r.status, 200);
    assert.equal(r.body.idp_entity_id, idp.entityId);
  });

  it('refuses before judging the body: a bad body without credential is 401, not 400', async () => {
    const r = await h.call('POST', CONFIG, { body: { colour: 'blue' } });
    assert.equal(r.status, 401);
    const patch = await h.call('PATCH', CONFIG, { body: { nonsense: 1 }, cookie: viewer });
    assert.equal(patch.status, 403);
  });

  it("org B's owner never sees or touches org A's configuration", async () => {
    const get = await h.call('GET', CONFIG, { cookie: betaOwner });
    assert.equal(get.status, 404);
    assert.ok(!JSON.stringify(get.body).includes(idp.entityId));
    assert.equal((await h.call('PUT', CONFIG, { cookie: betaOwner, body: samlBody(idp, { provider: 'azure' }) })).status, 404);
    assert.equal((await h.call('PATCH', CONFIG, { cookie: betaOwner, body: { enabled: true } })).status, 404);
    assert.equal((await h.call('DELETE', CONFIG, { cookie: betaOwner })).status, 404);
    assert.equal((await h.call('POST', `${CONFIG}/test`, { cookie: betaOwner })).status, 404);
    const sp = await h.call('GET', '/api/v1/sso/sp-metadata', { cookie: betaOwner });
    assert.equal(sp.body.entity_id, spEntityId('beta'));
    await unchanged();
    // B's own configuration is its own, and A's stays as it was.
    const other = await TestIdp.create({ entityId: 'https://idp.example.com/beta' });
    const created = await h.call('POST', CONFIG, { cookie: betaOwner, body: samlBody(other, { provider: 'google' }) });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.org_id, 'beta');
    assert.equal((await h.call('GET', CONFIG, { cookie: betaOwner })).body.idp_entity_id, 'https://idp.example.com/beta');
    assert.equal((await h.call('GET', CONFIG, { cookie: owner })).body.idp_entity_id, idp.entityId);
    assert.equal((await h.call('DELETE', CONFIG, { cookie: betaOwner })).status, 200);
    await unchanged();
  });
});

describe('SSO configuration: validation with field-level messages', () => {
  let h: Harness;
  let owner: string;
  let idp: TestIdp;
  before(async () => {
    ({ h, owner, idp } = await samlOrg(null));
  });
  after(() => h.close());

  /** A 400 whose error names `field` (snake_case) with a message matching `message`, listed in details too. */
  async function refused(method: string, body: unknown, field: string, message: RegExp): Promise<any> {
    const r = await h.call(method, CONFIG, { cookie: owner, body });
    assert.equal(r.status, 400, `${field}: ${r.status} ${JSON.stringify(r.body)}`);
    assert.equal(r.body.error.code, 'INVALID_INPUT');
    const fields: string[] = [r.body.error.field, ...(r.body.error.details ?? []).map((d: { field: string }) => d.field)];
    assert.ok(fields.includes(field), `${field} named in ${JSON.stringify(r.body.error)}`);
    const messages: string[] = [r.body.error.message, ...(r.body.error.details ?? []).map((d: { message: string }) => d.message)];
    const mine = messages.filter((m) => m.startsWith(`${field} `));
    assert.ok(mine.some((m) => message.test(m)), `${field}: ${message} in ${JSON.stringify(messages)}`);
    return r.body.error;
  }

  const cases = (): [string, () => Promise<Record<string, unknown>>, string, RegExp][] => [
    [
      'an expired certificate',
      async () => samlBody(idp, { idp_certificate: (await makeCertificate({ notBefore: new Date(Date.now() - 30 * DAY), notAfter: new Date(Date.now() - DAY) })).pem }),
      'idp_certificate',
      /expired/,
    ],
    ['a certificate not yet valid', async () => samlBody(idp, { idp_certificate: (await makeCertificate({ notBefore: new Date(Date.now() + 10 * DAY), notAfter: new Date(Date.now() + 20 * DAY) })).pem }), 'idp_certificate', /not valid before/],
    ['a garbage certificate', async () => samlBody(idp, { idp_certificate: 'not a certificate at all!' }), 'idp_certificate', /not a PEM|does not parse/],
    ['base64 that is no certificate', async () => samlBody(idp, { idp_certificate: 'bm90IGEgY2VydGlmaWNhdGU=' }), 'idp_certificate', /not a PEM|does not parse/],
    ['an http SSO URL', async () => samlBody(idp, { idp_sso_url: 'http://idp.example.com/sso' }), 'idp_sso_url', /https/],
    ['an SSO URL that is no URL', async () => samlBody(idp, { idp_sso_url: 'not a url' }), 'idp_sso_url', /not a URL/],
    ['an SSO URL with credentials', async () => samlBody(idp, { idp_sso_url: 'https://user:pw@idp.example.com/sso' }), 'idp_sso_url', /user name or password/],
    ['an http metadata URL', async () => samlBody(idp, { idp_metadata_url: 'http://idp.example.com/metadata' }), 'idp_metadata_url', /https/],
    ['an email domain that is no domain', async () => samlBody(idp, { email_domains: ['not a domain', 'ok.example'] }), 'email_domains[0]', /not a domain/],
    ['email domains that are not strings', async () => samlBody(idp, { email_domains: [42] }), 'email_domains[0]', /string/],
    ['an unknown provider', async () => samlBody(idp, { provider: 'keycloak' }), 'provider', /must be one of/],
    ['an OIDC-only provider mismatch', async () => ({ provider: 'jumpcloud', oidc_issuer: 'https://idp.example.com', oidc_audience: 'portal' }), 'provider', /saml/i],
    ['an unknown protocol', async () => samlBody(idp, { protocol: 'ws-fed' }), 'protocol', /saml, oidc/],
    ['an OIDC field on a SAML configuration', async () => samlBody(idp, { oidc_audience: 'portal' }), 'oidc_audience', /OIDC/],
    ['an OIDC client secret on a SAML configuration', async () => samlBody(idp, { oidc_client_secret: 'sekrit-value' }), 'oidc_client_secret', /OIDC/],
    ['an OIDC issuer on an explicit SAML configuration', async () => samlBody(idp, { protocol: 'saml', oidc_issuer: 'https://idp.example.com' }), 'oidc_issuer', /OIDC/],
    ['a SAML field on an OIDC configuration', async () => ({ provider: 'oidc', oidc_issuer: 'https://idp.example.com', oidc_audience: 'portal', idp_entity_id: idp.entityId }), 'idp_entity_id', /SAML/],
    ['a missing entity id', async () => ({ provider: 'okta', idp_sso_url: idp.ssoUrl, idp_certificate: idp.certificate.pem }), 'idp_entity_id', /required/],
    ['a missing certificate', async () => ({ provider: 'okta', idp_entity_id: idp.entityId, idp_sso_url: idp.ssoUrl }), 'idp_certificate', /required/],
    ['a missing OIDC audience', async () => ({ provider: 'oidc', oidc_issuer: 'https://idp.example.com' }), 'oidc_audience', /required/],
    ['an http OIDC issuer', async () => ({ provider: 'oidc', oidc_issuer: 'http://idp.example.com', oidc_audience: 'portal' }), 'oidc_issuer', /https/],
    [
      'a claim mapping with an unknown key',
      async () => ({ provider: 'oidc', oidc_issuer: 'https://idp.example.com', oidc_audience: 'portal', oidc_claim_mapping: { email: 'mail', groups: 'grp' } }),
      'oidc_claim_mapping.groups',
      /not a field/,
    ],
    [
      'a claim mapping to no claim name',
      async () => ({ provider: 'oidc', oidc_issuer: 'https://idp.example.com', oidc_audience: 'portal', oidc_claim_mapping: { email: 'e mail' } }),
      'oidc_claim_mapping.email',
      /claim name/,
    ],
    ['an unknown top-level field', async () => samlBody(idp, { colour: 'blue' }), 'colour', /not a field this route takes/],
    ['enforcement without the login switched on', async () => samlBody(idp, { enforce_sso: true }), 'enforce_sso', /needs enabled/],
    ['a non-boolean enabled', async () => samlBody(idp, { enabled: 'true' }), 'enabled', /true or false/],
    ['no provider, protocol or IdP at all', async () => ({}), 'provider', /required/],
  ];

  it('POST: each bad field answers 400 naming it, and creates nothing', async () => {
    for (const [name, body, field, message] of cases()) {
      await refused('POST', await body(), field, message).catch((err: Error) => {
        throw new Error(`${name}: ${err.message}`);
      });
      assert.equal((await h.call('GET', CONFIG, { cookie: owner })).status, 404, `${name} created nothing`);
    }
  });

  it('a required field sent blank counts as missing (never stored as null)', async () => {
    const blanks: [Record<string, unknown>, string][] = [
      [samlBody(idp, { idp_entity_id: '' }), 'idp_entity_id'],
      [samlBody(idp, { idp_sso_url: '   ' }), 'idp_sso_url'],
      [samlBody(idp, { idp_certificate: '' }), 'idp_certificate'],
      [{ provider: 'oidc', oidc_issuer: '', oidc_audience: 'portal' }, 'oidc_issuer'],
      [{ provider: 'oidc', oidc_issuer: 'https://idp.example.com', oidc_audience: ' ' }, 'oidc_audience'],
    ];
    const accepted: string[] = [];
    for (const [body, field] of blanks) {
      const r = await h.call('POST', CONFIG, { cookie: owner, body });
      if (r.status === 201) {
        accepted.push(`${field}: stored as ${JSON.stringify(r.body[field])}`);
        await h.call('DELETE', CONFIG, { cookie: owner });
        continue;
      }
      assert.equal(r.status, 400, `${field}: ${JSON.stringify(r.body)}`);
      const fields = [r.body.error.field, ...(r.body.error.details ?? []).map((d: { field: string }) => d.field)];
      assert.ok(fields.includes(field), `${field} named in ${JSON.stringify(r.body.error)}`);
    }
    assert.deepEqual(accepted, [], 'blank required fields were accepted');
  });

  it('reports every problem of a body at once in error.details', async () => {
    const body = samlBody(idp, { provider: 'keycloak', idp_sso_url: 'http://idp.example.com/sso', email_domains: ['ok.example', 'nope'], oidc_audience: 'x' });
    const error = await refused('POST', body, 'provider', /one of/);
    const fields = (error.details as { field: string; message: string }[]).map((d) => d.field).sort();
    assert.deepEqual(fields, ['email_domains[1]', 'idp_sso_url', 'oidc_audience', 'provider']);
    for (const d of error.details) assert.ok(d.message.startsWith(`${d.field} `), d.message);
    assert.match(error.message, /and 3 more in details/);
  });

  it('PUT: bad input answers 400 and leaves the stored configuration as it was', async () => {
    const created = await h.call('POST', CONFIG, { cookie: owner, body: samlBody(idp, { email_domains: ['acme.example.com'] }) });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    for (const [name, body, field, message] of cases()) {
      await refused('PUT', await body(), field, message).catch((err: Error) => {
        throw new Error(`${name}: ${err.message}`);
      });
    }
    const got = await h.call('GET', CONFIG, { cookie: owner });
    assert.deepEqual(got.body, created.body, 'not one refused PUT changed anything');
  });

  it('refuses bodies that are not a JSON object', async () => {
    const notJson = await h.call('POST', CONFIG, { cookie: owner, rawBody: '{"provider":', headers: { 'content-type': 'application/json' } });
    assert.equal(notJson.status, 400);
    const array = await h.call('POST', CONFIG, { cookie: owner, body: [samlBody(idp)] });
    assert.equal(array.status, 400);
    // A cookie-authenticated change sent as text is what a cross-site form could send: refused outright.
    const wrongType = await h.call('POST', CONFIG, { cookie: owner, rawBody: JSON.stringify(samlBody(idp)), headers: { 'content-type': 'text/plain' } });
    assert.equal(wrongType.status, 403);
    assert.match(wrongType.body.error.message, /JSON/);
  });
});

describe('SSO configuration: the OIDC client secret is write-only and sealed', () => {
  const SECRET = 'oidc-client-secret-7c1d9e0f';
  const SECOND = 'second-client-secret-2b8a44';
  let h: Harness;
  let owner: string;
  before(async () => {
    ({ h, cookie: owner } = await ssoHarness('acme'));
  });
  after(() => h.close());

  const oidc = (extra: Record<string, unknown> = {}) => ({ provider: 'okta', protocol: 'oidc', oidc_issuer: 'https://idp.example.com', oidc_audience: 'portal-client', ...extra });

  it('POST stores it; neither the answer nor GET shows it, only oidc_client_secret_set', async () => {
    const r = await h.call('POST', CONFIG, { cookie: owner, body: oidc({ oidc_client_secret: SECRET }) });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.protocol, 'oidc');
    assert.equal(r.body.provider, 'okta');
    assert.equal(r.body.oidc_client_secret_set, true);
    assert.ok(!('oidc_client_secret' in r.body));
    assert.ok(!JSON.stringify(r.body).includes(SECRET));
    const got = await h.call('GET', CONFIG, { cookie: owner });
    assert.equal(got.body.oidc_client_secret_set, true);
    assert.ok(!JSON.stringify(got.body).includes(SECRET));
  });

  it('GraphQL has no field that reads it', async () => {
    const r = await h.graphql('{ ssoConfig { oidcClientSecret } }', {}, { cookie: owner });
    assert.ok(r.errors?.length, 'no such field');
    assert.ok(!JSON.stringify(r).includes(SECRET));
  });

  it('is stored sealed (v1.<key id>...), opening to the secret under the service key only', async () => {
    const sealed = (await storedSecret(h, 'acme'))!;
    assert.ok(sealed.startsWith('v1.'), sealed);
    assert.ok(!sealed.includes(SECRET));
    const box = new SecretBox(h.config.encryptionKey);
    assert.equal(sealed.split('.')[1], box.currentKeyId);
    assert.equal(box.open(sealed, CLIENT_SECRET_CONTEXT), SECRET);
    assert.throws(() => box.open(sealed, 'another.column'));
  });

  it('a PUT without oidc_client_secret keeps it (same issuer)', async () => {
    const before = await storedSecret(h, 'acme');
    const r = await h.call('PUT', CONFIG, { cookie: owner, body: oidc({ oidc_audience: 'portal-client-2' }) });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.oidc_audience, 'portal-client-2');
    assert.equal(r.body.oidc_client_secret_set, true);
    assert.equal((await h.call('GET', CONFIG, { cookie: owner })).body.oidc_client_secret_set, true);
    assert.equal(await storedSecret(h, 'acme'), before, 'the same sealed value');
  });

  it('a PATCH keeps it', async () => {
    const before = await storedSecret(h, 'acme');
    const r = await h.call('PATCH', CONFIG, { cookie: owner, body: { enabled: true } });
    assert.equal(r.status, 200);
    assert.equal(r.body.oidc_client_secret_set, true);
    assert.equal(await storedSecret(h, 'acme'), before);
  });

  it('a PUT with a new secret replaces it', async () => {
    const r = await h.call('PUT', CONFIG, { cookie: owner, body: oidc({ oidc_client_secret: SECOND }) });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.ok(!JSON.stringify(r.body).includes(SECOND));
    assert.equal(new SecretBox(h.config.encryptionKey).open((await storedSecret(h, 'acme'))!, CLIENT_SECRET_CONTEXT), SECOND);
  });

  it('a PUT with null removes it', async () => {
    const r = await h.call('PUT', CONFIG, { cookie: owner, body: oidc({ oidc_client_secret: null }) });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.oidc_client_secret_set, false);
    assert.equal((await h.call('GET', CONFIG, { cookie: owner })).body.oidc_client_secret_set, false);
    assert.equal(await storedSecret(h, 'acme'), null);
  });

  it('is not kept when the issuer changes, and an empty secret is refused', async () => {
    assert.equal((await h.call('PUT', CONFIG, { cookie: owner, body: oidc({ oidc_client_secret: SECRET }) })).status, 200);
    const moved = await h.call('PUT', CONFIG, { cookie: owner, body: oidc({ oidc_issuer: 'https://other-idp.example.com' }) });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    assert.equal(moved.body.oidc_client_secret_set, false, 'a secret is never sent to an issuer it was not given for');
    const empty = await h.call('PUT', CONFIG, { cookie: owner, body: oidc({ oidc_client_secret: '' }) });
    assert.equal(empty.status, 400);
    assert.equal(empty.body.error.field, 'oidc_client_secret');
  });

  it('appears in no audit event, no SSO audit answer and no log line', async () => {
    const events = await orgAudit(h, owner);
    assert.ok(events.some((e) => e.action === 'sso.config_created'));
    const text = JSON.stringify(events);
    for (const s of [SECRET, SECOND]) assert.ok(!text.includes(s), 'org audit');
    const operator = await h.admin('GET', '/api/v1/admin/audit?org_id=acme&limit=500');
    assert.equal(operator.status, 200);
    const sso = await h.call('GET', '/api/v1/sso/audit', { cookie: owner });
    assert.equal(sso.status, 200);
    const logs = JSON.stringify(h.logs);
    for (const s of [SECRET, SECOND]) {
      assert.ok(!JSON.stringify(operator.body).includes(s), 'operator audit');
      assert.ok(!JSON.stringify(sso.body).includes(s), 'SSO login audit');
      assert.ok(!logs.includes(s), 'logs');
    }
    const rows = await h.runtime.database.db.selectFrom('audit_events').select('details').execute();
    for (const s of [SECRET, SECOND]) assert.ok(!JSON.stringify(rows).includes(s), 'audit rows');
  });
});

describe('SSO configuration: provider guides and our SP metadata', () => {
  let h: Harness;
  let owner: string;
  before(async () => {
    ({ h, cookie: owner } = await ssoHarness('acme'));
  });
  after(() => h.close());

  const IDS = ['okta', 'azure', 'auth0', 'onelogin', 'ping', 'google', 'jumpcloud', 'adfs', 'generic', 'oidc'];

  it('GET /api/v1/sso/providers lists the ten providers with their protocols', async () => {
    const r = await h.call('GET', '/api/v1/sso/providers', { cookie: owner });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.providers.map((p: { id: string }) => p.id).sort(), [...IDS].sort());
    for (const p of r.body.providers) {
      assert.ok(typeof p.name === 'string' && p.name.length > 0, p.id);
      assert.ok(p.protocols.length > 0 && p.protocols.every((x: string) => x === 'saml' || x === 'oidc'), p.id);
    }
    const byId = Object.fromEntries(r.body.providers.map((p: { id: string; protocols: string[] }) => [p.id, p.protocols]));
    assert.deepEqual(byId.oidc, ['oidc']);
    assert.deepEqual(byId.generic, ['saml']);
    assert.ok(byId.okta.includes('saml') && byId.okta.includes('oidc'));
  });

  it('GET /api/v1/sso/providers/defaults has setup hints for each, in snake_case', async () => {
    const r = await h.call('GET', '/api/v1/sso/providers/defaults', { cookie: owner });
    assert.equal(r.status, 200);
    assert.deepEqual(Object.keys(r.body.defaults).sort(), [...IDS].sort());
    for (const id of IDS) {
      const d = r.body.defaults[id];
      assert.equal(d.id, id);
      assert.ok(Array.isArray(d.setup_hints) && d.setup_hints.length > 0 && d.setup_hints.every((s: unknown) => typeof s === 'string' && s.length > 0), id);
      assert.ok(Array.isArray(d.saml_email_attributes), id);
      assert.ok(Array.isArray(d.saml_name_attributes), id);
      assert.ok('metadata_url_example' in d && 'oidc_issuer_example' in d, id);
    }
  });

  it('GET /api/v1/sso/sp-metadata gives the entity id, ACS URL and metadata XML holding both', async () => {
    const r = await h.call('GET', '/api/v1/sso/sp-metadata', { cookie: owner });
    assert.equal(r.status, 200);
    assert.equal(r.body.entity_id, `${ORIGIN}/auth/saml/acme/metadata`);
    assert.equal(r.body.entity_id, spEntityId('acme'));
    assert.equal(r.body.acs_url, `${ORIGIN}/auth/saml/acme/callback`);
    assert.equal(r.body.acs_url, acsUrl('acme'));
    assert.equal(r.body.metadata_url, `${ORIGIN}/auth/saml/acme/metadata`);
    assert.equal(r.body.oidc_redirect_uri, `${ORIGIN}/auth/oidc/acme/callback`);
    assert.ok(r.body.metadata_xml.includes(`entityID="${r.body.entity_id}"`));
    assert.ok(r.body.metadata_xml.includes(`Location="${r.body.acs_url}"`));
    assert.match(r.body.metadata_xml, /WantAssertionsSigned="true"/);
    assert.match(r.body.metadata_xml, /HTTP-POST/);
  });

  it('GET /auth/saml/<org>/metadata serves the same XML to anyone, as XML', async () => {
    const sp = await h.call('GET', '/api/v1/sso/sp-metadata', { cookie: owner });
    const r = await h.call('GET', '/auth/saml/acme/metadata');
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^application\/(samlmetadata\+)?xml/);
    assert.equal(r.body, sp.body.metadata_xml);
  });
});

describe('SSO configuration: IdP metadata read through the guarded outbound client', () => {
  let h: Harness;
  let owner: string;
  let idp: TestIdp;
  let server: MetadataServer;
  let unlisted: MetadataServer;
  before(async () => {
    server = await MetadataServer.start();
    unlisted = await MetadataServer.start();
    ({ h, cookie: owner } = await ssoHarness('acme', { outboundAllowHosts: [server.host] }));
    idp = await acmeIdp();
    server.body = idp.metadata();
    unlisted.body = idp.metadata();
  });
  after(async () => {
    await h.close();
    await server.close();
    await unlisted.close();
  });

  const fetchMetadata = (url: unknown) => h.call('POST', '/api/v1/sso/fetch-metadata', { cookie: owner, body: { url } });

  it('POST /api/v1/sso/fetch-metadata answers the entity id, SSO URL and certificates of an allow-listed host', async () => {
    const r = await fetchMetadata(server.url());
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.entity_id, idp.entityId);
    assert.equal(r.body.sso_url, idp.ssoUrl);
    assert.equal(r.body.certificates.length, 1);
    const [cert] = r.body.certificates;
    assert.match(cert.fingerprint_sha256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    assert.equal(der(cert.pem), idp.certificate.base64);
    assert.match(cert.subject, /CN=idp\.test/);
    assert.equal(cert.problem, null);
    assert.ok(Date.parse(cert.not_after) > Date.now());
  });

  it('lists every signing certificate, with the problem of one that cannot be pinned', async () => {
    const expired = await makeCertificate({ commonName: 'old', notBefore: new Date(Date.now() - 30 * DAY), notAfter: new Date(Date.now() - DAY) });
    server.body = idp.metadata({ extraSigningCertificates: [expired] });
    try {
      const r = await fetchMetadata(server.url());
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.certificates.length, 2);
      assert.equal(r.body.certificates[0].problem, null);
      assert.match(r.body.certificates[1].problem, /expired/);
    } finally {
      server.body = idp.metadata();
    }
  });

  it('refuses a host that is not allow-listed: 400 naming url, and no request is made', async () => {
    const before = unlisted.requests;
    const plain = await fetchMetadata(unlisted.url());
    assert.equal(plain.status, 400, JSON.stringify(plain.body));
    assert.equal(plain.body.error.field, 'url');
    const https = await fetchMetadata(`https://${unlisted.host}/metadata`);
    assert.equal(https.status, 400, JSON.stringify(https.body));
    assert.equal(https.body.error.field, 'url');
    assert.match(https.body.error.message, /loopback/);
    const named = await fetchMetadata(`https://localhost:${unlisted.port}/metadata`);
    assert.equal(named.status, 400, JSON.stringify(named.body));
    assert.equal(named.body.error.field, 'url');
    assert.equal(unlisted.requests, before, 'the guarded client sent nothing');
  });

  it('refuses the cloud metadata address and private addresses: 400 naming url', async () => {
    for (const url of ['https://169.254.169.254/latest/meta-data', 'https://10.0.0.1/metadata', 'https://[::1]/metadata', 'https://0x7f000001/metadata']) {
      const r = await fetchMetadata(url);
      assert.equal(r.status, 400, `${url}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.field, 'url', url);
    }
    const metadata = await fetchMetadata('https://169.254.169.254/latest/meta-data');
    assert.match(metadata.body.error.message, /cloud metadata/);
  });

  it('refuses missing, non-URL and non-string urls and other fields', async () => {
    for (const body of [{}, { url: '' }, { url: 'not a url' }, { url: 'ftp://idp.example.com/m' }, { url: 42 }]) {
      const r = await h.call('POST', '/api/v1/sso/fetch-metadata', { cookie: owner, body });
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.error.field, 'url', JSON.stringify(body));
    }
    const extra = await h.call('POST', '/api/v1/sso/fetch-metadata', { cookie: owner, body: { url: server.url(), follow: true } });
    assert.equal(extra.status, 400);
    assert.equal(extra.body.error.field, 'follow');
  });

  it('refuses a metadata document with a DOCTYPE (no entity is ever expanded)', async () => {
    server.body = `<?xml version="1.0"?><!DOCTYPE md:EntityDescriptor [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>${idp.metadata()}`;
    try {
      const r = await fetchMetadata(server.url());
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.error.field, 'url');
      assert.match(r.body.error.message, /DOCTYPE/);
    } finally {
      server.body = idp.metadata();
    }
  });

  it('refuses documents that are no IdP metadata, and non-200 answers', async () => {
    for (const [body, message] of [
      ['<html><body>login</body></html>', /IDPSSODescriptor/],
      ['<md:EntityDescriptor', /well-formed/],
      [idp.metadata().replace(/<md:KeyDescriptor.*?<\/md:KeyDescriptor>/g, ''), /no signing certificate/],
    ] as const) {
      server.body = body;
      const r = await fetchMetadata(server.url());
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.error.field, 'url');
      assert.match(r.body.error.message, message);
    }
    server.body = idp.metadata();
    const missing = await fetchMetadata(server.url('/missing'));
    assert.equal(missing.status, 400, JSON.stringify(missing.body));
    assert.equal(missing.body.error.field, 'url');
    assert.match(missing.body.error.message, /404/);
  });

  it('gives up on an IdP that never answers, and on an answer past the size cap', async () => {
    const started = Date.now();
    const hung = await fetchMetadata(server.url('/hang'));
    assert.equal(hung.status, 400, JSON.stringify(hung.body));
    assert.equal(hung.body.error.field, 'url');
    assert.match(hung.body.error.message, /no answer within/);
    assert.ok(Date.now() - started < 15_000, 'within the outbound deadline');
    const huge = await fetchMetadata(server.url('/huge'));
    assert.equal(huge.status, 400, JSON.stringify(huge.body).slice(0, 300));
    assert.equal(huge.body.error.field, 'url');
    assert.match(huge.body.error.message, /larger than/);
  });

  it('does not follow a redirect (not even from an allow-listed host)', async () => {
    const r = await fetchMetadata(server.url('/redirect'));
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.equal(r.body.error.field, 'url');
    assert.match(r.body.error.message, /redirects are not followed/);
  });

  it('POST /api/v1/sso/config with only provider and idp_metadata_url fills the rest from the metadata', async () => {
    const r = await h.call('POST', CONFIG, { cookie: owner, body: { provider: 'okta', idp_metadata_url: server.url() } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.protocol, 'saml');
    assert.equal(r.body.idp_metadata_url, server.url());
    assert.equal(r.body.idp_entity_id, idp.entityId);
    assert.equal(r.body.idp_sso_url, idp.ssoUrl);
    assert.equal(der(r.body.idp_certificate), idp.certificate.base64);
  });

  it('POST /api/v1/sso/config/test: every check passes against the IdP as configured', async () => {
    const r = await h.call('POST', `${CONFIG}/test`, { cookie: owner });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const names = r.body.checks.map((c: { name: string }) => c.name);
    assert.deepEqual(names, ['certificate', 'sso_url', 'metadata', 'metadata_entity_id', 'metadata_certificate']);
    for (const c of r.body.checks) {
      assert.equal(c.passed, true, `${c.name}: ${c.reason}`);
      assert.ok(typeof c.reason === 'string' && c.reason.length > 0);
    }
    assert.equal(r.body.passed, true);
    assert.match(r.body.checks[0].reason, /days left/);
  });

  it('the test takes no body fields', async () => {
    const r = await h.call('POST', `${CONFIG}/test`, { cookie: owner, body: { url: server.url() } });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.field, 'url');
  });

  it('after the IdP rotates its certificate, metadata_certificate fails with a reason and passed is false', async () => {
    const rotated = await TestIdp.create({ entityId: idp.entityId, ssoUrl: idp.ssoUrl, certificate: await makeCertificate({ commonName: 'idp.test rotated' }) });
    server.body = rotated.metadata();
    try {
      const r = await h.call('POST', `${CONFIG}/test`, { cookie: owner });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.passed, false);
      const byName = Object.fromEntries(r.body.checks.map((c: { name: string }) => [c.name, c]));
      assert.equal(byName.metadata.passed, true);
      assert.equal(byName.metadata_entity_id.passed, true);
      assert.equal(byName.metadata_certificate.passed, false);
      assert.match(byName.metadata_certificate.reason, /rotated|no longer lists/);
      assert.match(byName.metadata_certificate.reason, /idp_certificate/);
      // The test changes nothing: the pinned certificate is still the old one.
      assert.equal(der((await h.call('GET', CONFIG, { cookie: owner })).body.idp_certificate), idp.certificate.base64);
    } finally {
      server.body = idp.metadata();
    }
  });

  it('the test reports an entity id the metadata no longer names, and metadata it cannot read', async () => {
    const renamed = await TestIdp.create({ entityId: 'https://idp.example.com/renamed', ssoUrl: idp.ssoUrl, certificate: idp.certificate });
    server.body = renamed.metadata();
    try {
      const r = await h.call('POST', `${CONFIG}/test`, { cookie: owner });
      const byName = Object.fromEntries(r.body.checks.map((c: { name: string }) => [c.name, c]));
      assert.equal(byName.metadata_entity_id.passed, false);
      assert.match(byName.metadata_entity_id.reason, /renamed/);
      assert.equal(byName.metadata_certificate.passed, true);
      assert.equal(r.body.passed, false);
      server.body = '<!DOCTYPE x><x/>';
      const unreadable = await h.call('POST', `${CONFIG}/test`, { cookie: owner });
      const metadata = unreadable.body.checks.find((c: { name: string }) => c.name === 'metadata');
      assert.equal(metadata.passed, false);
      assert.match(metadata.reason, /DOCTYPE/);
      assert.equal(unreadable.body.passed, false);
    } finally {
      server.body = idp.metadata();
    }
  });

  it('a metadata URL that cannot be read refuses the configuration, naming idp_metadata_url', async () => {
    server.body = '<!DOCTYPE x><x/>';
    try {
      const r = await h.call('PUT', CONFIG, { cookie: owner, body: { provider: 'okta', idp_metadata_url: server.url() } });
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.error.field, 'idp_metadata_url');
      const unlistedUrl = await h.call('PUT', CONFIG, { cookie: owner, body: { provider: 'okta', idp_metadata_url: `https://${unlisted.host}/metadata` } });
      assert.equal(unlistedUrl.status, 400, JSON.stringify(unlistedUrl.body));
      assert.equal(unlistedUrl.body.error.field, 'idp_metadata_url');
    } finally {
      server.body = idp.metadata();
    }
    assert.equal((await h.call('GET', CONFIG, { cookie: owner })).body.idp_entity_id, idp.entityId, 'unchanged');
  });
});

describe('SSO configuration: every change is audited', () => {
  const SECRET = 'audited-client-secret-93af01';
  let h: Harness;
  let owner: string;
  let idp: TestIdp;
  before(async () => {
    ({ h, owner, idp } = await samlOrg(null));
  });
  after(() => h.close());

  it('created, replaced, updated and deleted each leave an event, none holding the client secret', async () => {
    assert.equal((await h.call('POST', CONFIG, { cookie: owner, body: samlBody(idp) })).status, 201);
    const replaced = await h.call('PUT', CONFIG, { cookie: owner, body: { provider: 'oidc', oidc_issuer: 'https://idp.example.com', oidc_audience: 'portal', oidc_client_secret: SECRET } });
    assert.equal(replaced.status, 200, JSON.stringify(replaced.body));
    assert.equal((await h.call('PATCH', CONFIG, { cookie: owner, body: { enabled: true } })).status, 200);
    assert.equal((await h.call('DELETE', CONFIG, { cookie: owner })).status, 200);

    const events = await orgAudit(h, owner);
    const sso = events.filter((e) => e.action.startsWith('sso.config_'));
    assert.deepEqual(sso.map((e) => e.action).reverse(), ['sso.config_created', 'sso.config_replaced', 'sso.config_updated', 'sso.config_deleted']);
    const byAction = Object.fromEntries(sso.map((e) => [e.action, e.details]));
    assert.equal(byAction['sso.config_created'].protocol, 'saml');
    assert.equal(byAction['sso.config_created'].provider, 'okta');
    assert.equal(byAction['sso.config_created'].idp, idp.entityId);
    assert.equal(byAction['sso.config_replaced'].protocol, 'oidc');
    assert.equal(byAction['sso.config_replaced'].previous_protocol, 'saml');
    assert.equal(byAction['sso.config_replaced'].client_secret_set, true);
    assert.equal(byAction['sso.config_replaced'].client_secret_changed, true);
    assert.equal(byAction['sso.config_updated'].enabled, true);
    assert.equal(byAction['sso.config_updated'].was_enabled, false);
    assert.ok(!JSON.stringify(events).includes(SECRET));
    const sealed = JSON.stringify(events).match(/v1\.[0-9a-f]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/);
    assert.equal(sealed, null, 'not even sealed');
  });

  it('refused changes leave no config event', async () => {
    const before = (await orgAudit(h, owner)).filter((e) => e.action.startsWith('sso.config_')).length;
    assert.equal((await h.call('POST', CONFIG, { cookie: owner, body: samlBody(idp, { idp_sso_url: 'http://idp.example.com' }) })).status, 400);
    assert.equal((await h.call('PATCH', CONFIG, { cookie: owner, body: { enabled: true } })).status, 404);
    assert.equal((await h.call('DELETE', CONFIG, { cookie: owner })).status, 404);
    const after = (await orgAudit(h, owner)).filter((e) => e.action.startsWith('sso.config_')).length;
    assert.equal(after, before);
  });

  it('the operator sees the same events in the admin audit', async () => {
    const r = await h.admin('GET', '/api/v1/admin/audit?org_id=acme&limit=500');
    assert.equal(r.status, 200);
    const actions = new Set(r.body.events.map((e: { action: string }) => e.action));
    for (const a of ['sso.config_created', 'sso.config_replaced', 'sso.config_updated', 'sso.config_deleted']) assert.ok(actions.has(a), a);
    assert.ok(!JSON.stringify(r.body).includes(SECRET));
  });
});
