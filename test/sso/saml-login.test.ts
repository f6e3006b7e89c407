import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Harness } from '../helpers/harness.js';
import { TestIdp } from '../helpers/saml-idp.js';
import { ORIGIN, assertionFor, configureSaml, postAcs, ssoAudit, ssoHarness, startSamlLogin } from '../helpers/sso.js';

describe('SAML login: the happy path', () => {
  let h: Harness;
  let owner: string;
  let idp: TestIdp;
  before(async () => {
    ({ h, cookie: owner } = await ssoHarness('acme'));
    idp = await TestIdp.create({ entityId: 'https://idp.example.com/acme', ssoUrl: 'https://idp.example.com/sso' });
    await configureSaml(h, owner, 'acme', idp);
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
