// What an organization's SSO settings do to everyone else: the public availability answer the login page
// asks, password logins refused while SSO is enforced (REST and GraphQL alike), and the operator's way out.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Harness } from '../helpers/harness.js';
import { TestIdp } from '../helpers/saml-idp.js';
import { ORIGIN, acmeIdp, assertionFor, configureSaml, postAcs, samlOrg, ssoHarness, startSamlLogin } from '../helpers/sso.js';

const CONFIG = '/api/v1/sso/config';
const NO_SSO = { sso_enabled: false, sso_provider: null, enforce_sso: false, sso_login_url: null };
const LIFT = '/api/v1/admin/organizations/acme/sso/enforcement';

let ipCounter = 0;
/** A fresh client address per attempt, so the per-address login throttle never decides a case. */
const nextIp = () => `192.0.2.${(ipCounter++ % 250) + 1}`;

function passwordLogin(h: Harness, body: Record<string, unknown>, ip = nextIp()) {
  return h.call('POST', '/api/v1/auth/login', { body, ip });
}

function availability(h: Harness, query: string) {
  return h.call('GET', `/api/v1/auth/sso/availability${query}`);
}

/** Adds a portal user and returns their email and first password (userSession does not hand it out). */
async function addUser(h: Harness, orgId: string, ownerCookie: string, role = 'admin'): Promise<{ email: string; password: string }> {
  const email = `${role}-${ipCounter++}@${orgId}.example.com`;
  const r = await h.graphql(
    'mutation($input: AddUserInput!) { addUser(input: $input) { user { id } initialPassword } }',
    { input: { email, name: `${role} user`, role } },
    { cookie: ownerCookie },
  );
  assert.ok(r.data?.addUser, JSON.stringify(r.errors));
  return { email, password: r.data.addUser.initialPassword };
}

function assertSsoRequired(r: { status: number; body: any; sessionCookie: string | undefined }, what: string): void {
  assert.equal(r.status, 403, `${what}: ${r.status} ${JSON.stringify(r.body)}`);
  assert.equal(r.body.error.code, 'SSO_REQUIRED', what);
  assert.equal(r.body.error.sso_login_url, `${ORIGIN}/auth/saml/acme/login`, what);
  assert.ok(r.body.error.message.includes(`${ORIGIN}/auth/saml/acme/login`), what);
  assert.ok(!r.sessionCookie, `${what}: no session`);
}

describe('GET /api/v1/auth/sso/availability', () => {
  let h: Harness;
  let owner: string;
  let idp: TestIdp;
  before(async () => {
    ({ h, owner, idp } = await samlOrg(null));
  });
  after(() => h.close());

  it('answers sso_enabled false before any configuration, without a credential', async () => {
    const r = await availability(h, '?org_id=acme');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body, NO_SSO);
  });

  it('answers for an unknown organization exactly as for one without SSO', async () => {
    const unknown = await availability(h, '?org_id=no-such-org');
    assert.equal(unknown.status, 200);
    assert.deepEqual(unknown.body, NO_SSO);
    const long = await availability(h, `?org_id=${'x'.repeat(300)}`);
    assert.equal(long.status, 200);
    assert.deepEqual(long.body, NO_SSO);
  });

  it('refuses a missing or empty org_id: 400 naming org_id', async () => {
    for (const q of ['', '?org_id=', '?org=acme']) {
      const r = await availability(h, q);
      assert.equal(r.status, 400, q);
      assert.equal(r.body.error.field, 'org_id', q);
    }
  });

  it('still says no SSO while the configuration is not enabled', async () => {
    await configureSaml(h, owner, idp, { enabled: false });
    assert.deepEqual((await availability(h, '?org_id=acme')).body, NO_SSO);
  });

  it('after SAML is enabled: provider, enforcement and the login URL', async () => {
    assert.equal((await h.call('PATCH', CONFIG, { cookie: owner, body: { enabled: true } })).status, 200);
    const r = await availability(h, '?org_id=acme');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { sso_enabled: true, sso_provider: 'okta', enforce_sso: false, sso_login_url: 'http://localhost/auth/saml/acme/login' });
  });

  it('says the same whatever the case of the org id, as login does', async () => {
    // Login finds "ACME" (org ids are case-free), so the login page asking about "ACME" must hear about SSO.
    const r = await availability(h, '?org_id=ACME');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { sso_enabled: true, sso_provider: 'okta', enforce_sso: false, sso_login_url: 'http://localhost/auth/saml/acme/login' });
  });

  it('reports enforcement, and an OIDC login URL for an OIDC configuration', async () => {
    assert.equal((await h.call('PATCH', CONFIG, { cookie: owner, body: { enforce_sso: true } })).status, 200);
    assert.equal((await availability(h, '?org_id=acme')).body.enforce_sso, true);
    const oidc = await h.call('PUT', CONFIG, { cookie: owner, body: { provider: 'oidc', oidc_issuer: 'https://idp.example.com', oidc_audience: 'portal', enabled: true } });
    assert.equal(oidc.status, 200, JSON.stringify(oidc.body));
    assert.deepEqual((await availability(h, '?org_id=acme')).body, {
      sso_enabled: true,
      sso_provider: 'oidc',
      enforce_sso: false,
      sso_login_url: 'http://localhost/auth/oidc/acme/login',
    });
  });

  it('after the configuration is deleted, no SSO again', async () => {
    assert.equal((await h.call('DELETE', CONFIG, { cookie: owner })).status, 200);
    assert.deepEqual((await availability(h, '?org_id=acme')).body, NO_SSO);
  });
});

describe('enforce_sso: password login refused, the operator lifts it', () => {
  let h: Harness;
  let owner: string;
  let idp: TestIdp;
  let user: { email: string; password: string };
  before(async () => {
    ({ h, cookie: owner } = await ssoHarness('acme'));
    await h.createOrg('globex');
    idp = await acmeIdp();
    user = await addUser(h, 'acme', owner);
    await configureSaml(h, owner, idp);
    // Before enforcement the user's password works.
    assert.equal((await passwordLogin(h, { org_id: 'acme', email: user.email, password: user.password })).status, 200);
    const r = await h.call('PATCH', CONFIG, { cookie: owner, body: { enforce_sso: true } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.enforce_sso, true);
  });
  after(() => h.close());

  it('availability says SSO is enforced', async () => {
    assert.deepEqual((await availability(h, '?org_id=acme')).body, {
      sso_enabled: true,
      sso_provider: 'okta',
      enforce_sso: true,
      sso_login_url: 'http://localhost/auth/saml/acme/login',
    });
  });

  it('POST /api/v1/auth/login: 403 SSO_REQUIRED with the login URL, whatever the email and password', async () => {
    const attempts: [string, Record<string, unknown>][] = [
      ['the right organization password', { org_id: 'acme', password: 'acme-password-1' }],
      ['a wrong organization password', { org_id: 'acme', password: 'wrong-password-1' }],
      ["a user's right password", { org_id: 'acme', email: user.email, password: user.password }],
      ["a user's wrong password", { org_id: 'acme', email: user.email, password: 'not-it-at-all' }],
      ['an unknown email', { org_id: 'acme', email: 'nobody@acme.example.com', password: 'whatever-1' }],
      ['the org id in another case', { org_id: 'ACME', password: 'acme-password-1' }],
    ];
    for (const [what, body] of attempts) assertSsoRequired(await passwordLogin(h, body), what);
  });

  it('refused attempts are audited as denied and count against the address like any login attempt', async () => {
    const ip = '198.18.7.7';
    for (let i = 0; i < 5; i++) assertSsoRequired(await passwordLogin(h, { org_id: 'acme', password: `guess-${i}` }, ip), `attempt ${i}`);
    // The sixth within the minute is throttled: refusals cannot be used to fill the audit trail at will.
    assert.equal((await passwordLogin(h, { org_id: 'acme', password: 'guess-6' }, ip)).status, 429);
    for (let i = 0; i < 3; i++) assertSsoRequired(await passwordLogin(h, { org_id: 'acme', password: `guess-${i}` }), `elsewhere ${i}`);
    const audit = await h.admin('GET', '/api/v1/admin/audit?org_id=acme&action=auth.login_failed&limit=100');
    assert.equal(audit.status, 200);
    const denied = audit.body.events.filter((e: { outcome: string; details: { reason?: string } }) => e.outcome === 'denied' && /single sign-on/.test(e.details.reason ?? ''));
    assert.ok(denied.length >= 8, `${denied.length} denied events`);
    assert.ok(!JSON.stringify(audit.body).includes(user.password), 'no password in the audit');
  });

  it('the GraphQL login mutation: error code SSO_REQUIRED with ssoLoginUrl', async () => {
    const r = await h.graphql(
      'mutation($i: LoginInput!) { login(input: $i) { orgId } }',
      { i: { orgId: 'acme', email: user.email, password: user.password } },
      { ip: nextIp() },
    );
    assert.ok(!r.data?.login, JSON.stringify(r));
    assert.equal(r.errors?.[0]?.extensions?.code, 'SSO_REQUIRED', JSON.stringify(r.errors));
    assert.equal(r.errors[0].extensions.ssoLoginUrl, `${ORIGIN}/auth/saml/acme/login`);
    const org = await h.graphql('mutation($i: LoginInput!) { login(input: $i) { orgId } }', { i: { orgId: 'acme', password: 'acme-password-1' } }, { ip: nextIp() });
    assert.equal(org.errors?.[0]?.extensions?.code, 'SSO_REQUIRED');
  });

  it("another organization's password login still works", async () => {
    const r = await passwordLogin(h, { org_id: 'globex', password: 'globex-password-1' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.ok(r.sessionCookie);
  });

  it('the SSO login itself still works while passwords are refused', async () => {
    const start = await startSamlLogin(h, 'acme');
    assert.ok(start.location.startsWith(`${idp.ssoUrl}?SAMLRequest=`));
    const res = await postAcs(h, 'acme', idp.response(assertionFor('acme', start)), start.binding);
    assert.equal(res.status, 303, JSON.stringify(res.body));
    assert.ok(res.sessionCookie);
  });

  it('sessions opened before enforcement go on (the owner can still reach the configuration)', async () => {
    const r = await h.call('GET', CONFIG, { cookie: owner });
    assert.equal(r.status, 200);
    assert.equal(r.body.enforce_sso, true);
  });

  it('the lifting route refuses anyone but the operator', async () => {
    const viewer = await h.call('DELETE', LIFT, { cookie: owner });
    assert.equal(viewer.status, 401, JSON.stringify(viewer.body));
    assert.deepEqual(viewer.body.error.required_auth, ['admin_api_key']);
    assert.match(viewer.body.error.message, /portal session was presented/);
    const anonymous = await h.call('DELETE', LIFT);
    assert.equal(anonymous.status, 401);
    assert.deepEqual(anonymous.body.error.required_auth, ['admin_api_key']);
    const key = await h.apiKey('globex', ['*']);
    const runtime = await h.call('DELETE', LIFT, { headers: { authorization: `Bearer ${key.key}` } });
    assert.equal(runtime.status, 401);
    assert.deepEqual(runtime.body.error.required_auth, ['admin_api_key']);
    assert.equal((await h.call('GET', CONFIG, { cookie: owner })).body.enforce_sso, true, 'still enforced');
    assertSsoRequired(await passwordLogin(h, { org_id: 'acme', password: 'acme-password-1' }), 'after the refused lifts');
  });

  it('the operator lifts enforcement: 200 enforce_sso false, SSO stays enabled, and passwords work again', async () => {
    const r = await h.admin('DELETE', LIFT);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.org_id, 'acme');
    assert.equal(r.body.enforce_sso, false);
    assert.equal(r.body.enabled, true);
    assert.equal(r.body.idp_entity_id, idp.entityId);
    assert.equal((await h.call('GET', CONFIG, { cookie: owner })).body.enforce_sso, false);
    assert.equal((await availability(h, '?org_id=acme')).body.enforce_sso, false);
    const org = await passwordLogin(h, { org_id: 'acme', password: 'acme-password-1' });
    assert.equal(org.status, 200, JSON.stringify(org.body));
    assert.ok(org.sessionCookie);
    const person = await passwordLogin(h, { org_id: 'acme', email: user.email, password: user.password });
    assert.equal(person.status, 200, JSON.stringify(person.body));
    const wrong = await passwordLogin(h, { org_id: 'acme', password: 'wrong-password-1' });
    assert.equal(wrong.status, 401, 'an ordinary wrong password again');
  });

  it('the lift is audited as the operator', async () => {
    const audit = await h.admin('GET', '/api/v1/admin/audit?org_id=acme&action=sso.config_updated&limit=100');
    assert.equal(audit.status, 200);
    const [lift] = audit.body.events;
    assert.equal(lift.actor_type, 'operator');
    assert.equal(lift.details.enforce_sso, false);
    assert.equal(lift.details.was_enforced, true);
  });

  it('lifting twice is harmless; an org without configuration or an unknown org answers 404', async () => {
    const again = await h.admin('DELETE', LIFT);
    assert.equal(again.status, 200);
    assert.equal(again.body.enforce_sso, false);
    assert.equal((await h.admin('DELETE', '/api/v1/admin/organizations/globex/sso/enforcement')).status, 404);
    assert.equal((await h.admin('DELETE', '/api/v1/admin/organizations/no-such-org/sso/enforcement')).status, 404);
  });

  it('PATCH enabled false also turns enforcement off, and passwords work', async () => {
    assert.equal((await h.call('PATCH', CONFIG, { cookie: owner, body: { enforce_sso: true } })).status, 200);
    assertSsoRequired(await passwordLogin(h, { org_id: 'acme', password: 'acme-password-1' }), 'enforced again');
    const off = await h.call('PATCH', CONFIG, { cookie: owner, body: { enabled: false } });
    assert.equal(off.status, 200, JSON.stringify(off.body));
    assert.equal(off.body.enabled, false);
    assert.equal(off.body.enforce_sso, false);
    const got = await h.call('GET', CONFIG, { cookie: owner });
    assert.equal(got.body.enforce_sso, false);
    assert.deepEqual((await availability(h, '?org_id=acme')).body, NO_SSO);
    const r = await passwordLogin(h, { org_id: 'acme', password: 'acme-password-1' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  });

  it('deleting an enforced configuration lets passwords in again', async () => {
    assert.equal((await h.call('PATCH', CONFIG, { cookie: owner, body: { enabled: true, enforce_sso: true } })).status, 200);
    assertSsoRequired(await passwordLogin(h, { org_id: 'acme', password: 'acme-password-1' }), 'enforced');
    assert.equal((await h.call('DELETE', CONFIG, { cookie: owner })).status, 200);
    assert.equal((await passwordLogin(h, { org_id: 'acme', password: 'acme-password-1' })).status, 200);
  });
});

describe('enforce_sso and the login throttles', () => {
  let h: Harness;
  let owner: string;
  before(async () => {
    ({ h, cookie: owner } = await ssoHarness('acme'));
    const idp = await acmeIdp();
    await configureSaml(h, owner, idp, { enforce_sso: true });
  });
  after(() => h.close());

  it('refused attempts do not count against the account: after a lift its owner is not slowed down', async () => {
    // Past 50 attempts in 15 minutes an account's logins are spaced out for every address. A refusal under
    // enforcement tries no password, so it must not count: else anyone could run the counter up while SSO is
    // enforced and the organization would be throttled exactly when the operator lifts enforcement (an IdP outage).
    for (let i = 0; i < 60; i++) assertSsoRequired(await passwordLogin(h, { org_id: 'acme', password: `guess-${i}` }), `attempt ${i}`);
    assert.equal((await h.admin('DELETE', LIFT)).status, 200);
    const r = await passwordLogin(h, { org_id: 'acme', password: 'acme-password-1' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  });
});
