import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Harness } from '../helpers/harness.js';
import { TestIdp, readAuthnRequest } from '../helpers/saml-idp.js';
import { ORIGIN, assertionFor, cookieValue, postAcs, samlOrg, ssoAudit, startSamlLogin } from '../helpers/sso.js';

describe('SAML login: the happy path', () => {
  let h: Harness;
  let owner: string;
  let idp: TestIdp;
  before(async () => {
    ({ h, owner, idp } = await samlOrg());
  });
  after(() => h.close());

  it('sends the browser to the IdP with an AuthnRequest for our ACS, and back with a session cookie', async () => {
    const start = await startSamlLogin(h, 'acme', '?return_to=/dashboard');
    assert.ok(start.location.startsWith('https://idp.example.com/sso?SAMLRequest='));
    assert.equal(start.relayState, '/dashboard');
    const res = await postAcs(h, 'acme', idp.response(assertionFor('acme', start)), start.binding);
    assert.equal(res.status, 303, JSON.stringify(res.body));
    assert.equal(res.headers.get('location'), `${ORIGIN}/dashboard`);
    assert.ok(res.sessionCookie);
    const session = await h.call('GET', '/api/v1/auth/session', { cookie: res.sessionCookie });
    assert.equal(session.status, 200);
    assert.equal(session.body.email, 'ada@example.com');
    assert.equal(session.body.name, 'Ada Lovelace');
    assert.equal(session.body.role, 'viewer');
    const [attempt] = await ssoAudit(h, owner);
    assert.equal(attempt.outcome, 'success');
    assert.equal(attempt.protocol, 'saml');
    assert.equal(attempt.subject, 'ada@example.com');
  });
});

describe('the SSO audit: filtered by outcome and time, bad filters refused', () => {
  let h: Harness;
  let owner: string;
  before(async () => {
    let idp: TestIdp;
    ({ h, owner, idp } = await samlOrg());
    const ok = await startSamlLogin(h, 'acme');
    assert.equal((await postAcs(h, 'acme', idp.response(assertionFor('acme', ok)), ok.binding)).status, 303);
    const bad = await startSamlLogin(h, 'acme');
    assert.equal((await postAcs(h, 'acme', idp.response(assertionFor('acme', bad, { sign: 'none' })), bad.binding)).status, 401);
  });
  after(() => h.close());

  it('lists both outcomes, each filter narrowing it', async () => {
    const all = await ssoAudit(h, owner);
    assert.deepEqual(all.map((a) => a.outcome), ['failure', 'success']);
    assert.deepEqual((await ssoAudit(h, owner, '?outcome=success')).map((a) => a.outcome), ['success']);
    const now = h.clock.now().getTime();
    assert.equal((await ssoAudit(h, owner, `?from=${new Date(now + 60_000).toISOString()}`)).length, 0);
    assert.equal((await ssoAudit(h, owner, `?to=${new Date(now - 60_000).toISOString()}`)).length, 0);
    assert.equal((await ssoAudit(h, owner, `?from=${new Date(now - 60_000).toISOString()}&to=${new Date(now + 60_000).toISOString()}`)).length, 2);
    const page = await h.call('GET', '/api/v1/sso/audit?limit=1', { cookie: owner });
    assert.equal(page.body.attempts.length, 1);
    assert.ok(page.body.next_cursor);
  });

  it('refuses a filter it cannot read with 400 naming it', async () => {
    for (const [query, field] of [['?outcome=maybe', 'outcome'], ['?from=yesterday', 'from'], ['?limit=0', 'limit']]) {
      const r = await h.call('GET', `/api/v1/sso/audit${query}`, { cookie: owner });
      assert.equal(r.status, 400, `${query}: ${JSON.stringify(r.body)}`);
      assert.match(JSON.stringify(r.body.error), new RegExp(field), query);
    }
  });
});

describe('SAML login: failed callbacks are throttled per address, like password logins', () => {
  let h: Harness;
  let idp: TestIdp;
  before(async () => {
    ({ h, idp } = await samlOrg());
  });
  after(() => h.close());

  it('slows a forger to 10 refusals a minute, while the same person from another address still signs in', async () => {
    const forger = '203.0.113.66';
    for (let i = 0; i < 10; i++) {
      const start = await startSamlLogin(h, 'acme');
      const res = await postAcs(h, 'acme', idp.response(assertionFor('acme', start, { sign: 'none' })), start.binding, '', forger);
      assert.equal(res.status, 401, `attempt ${i + 1}`);
    }
    const start = await startSamlLogin(h, 'acme');
    const good = idp.response(assertionFor('acme', start));
    const throttled = await postAcs(h, 'acme', good, start.binding, '', forger);
    assert.equal(throttled.status, 429);
    assert.ok(Number(throttled.headers.get('retry-after')) > 0);
    assert.equal(throttled.sessionCookie, undefined);
    // The throttled post did not use the login up: the same browser from another network finishes it.
    const elsewhere = await postAcs(h, 'acme', good, start.binding, '', '203.0.113.67');
    assert.equal(elsewhere.status, 303, JSON.stringify(elsewhere.body));
  });

  it('does not count successful logins', async () => {
    const person = '203.0.113.80';
    for (let i = 0; i < 12; i++) {
      const start = await startSamlLogin(h, 'acme');
      const res = await postAcs(h, 'acme', idp.response(assertionFor('acme', start)), start.binding, '', person);
      assert.equal(res.status, 303, `login ${i + 1}: ${JSON.stringify(res.body)}`);
    }
  });
});

describe('SAML login start: a browser, its tabs, and the org id as typed', () => {
  let h: Harness;
  let idp: TestIdp;
  before(async () => {
    ({ h, idp } = await samlOrg());
  });
  after(() => h.close());

  it('a second tab reuses the browser binding, so the first tab still finishes', async () => {
    const first = await startSamlLogin(h, 'acme');
    const second = await h.call('GET', '/auth/saml/acme/login', { ip: '203.0.113.90', headers: { cookie: `axonflow_sso_saml=${first.binding}` } });
    assert.equal(second.status, 302);
    assert.equal(cookieValue(second, 'axonflow_sso_saml'), first.binding);
    const res = await postAcs(h, 'acme', idp.response(assertionFor('acme', first)), first.binding);
    assert.equal(res.status, 303, JSON.stringify(res.body));
  });

  it('an org id typed in another case signs in to the same org, with the binding cookie on a path the callback gets', async () => {
    const start = await h.call('GET', '/auth/saml/ACME/login', { ip: '203.0.113.91' });
    assert.equal(start.status, 302, JSON.stringify(start.body));
    assert.match(start.headers.getSetCookie().join('\n'), /axonflow_sso_saml=[^;]+;.*Path=\/auth\/saml\/;/);
    const request = readAuthnRequest(start.headers.get('location')!);
    assert.equal(request.acsUrl, `${ORIGIN}/auth/saml/acme/callback`, 'the ACS URL is the canonical one the IdP knows');
    const binding = cookieValue(start, 'axonflow_sso_saml')!;
    const res = await postAcs(h, 'acme', idp.response(assertionFor('acme', { binding, requestId: request.id, location: '', relayState: null })), binding);
    assert.equal(res.status, 303, JSON.stringify(res.body));
  });

  it('starts are throttled per address: 30 a minute, then 429, and other addresses go on', async () => {
    const ip = '203.0.113.92';
    for (let i = 0; i < 30; i++) assert.equal((await h.call('GET', '/auth/saml/acme/login', { ip })).status, 302, `start ${i + 1}`);
    const throttled = await h.call('GET', '/auth/saml/acme/login', { ip });
    assert.equal(throttled.status, 429);
    assert.equal(throttled.headers.get('location'), null);
    assert.equal((await h.call('GET', '/auth/saml/acme/login', { ip: '203.0.113.93' })).status, 302);
  });
});
