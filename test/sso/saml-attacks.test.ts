// The SAML ACS against the attacks it exists to refuse. Each refusal is checked the same way (refused()):
// 401, no session, a browser-facing message that only quotes a reference, and an SSO audit entry under that
// reference whose reason names the attack. Every case starts a login of its own, so that only the thing the
// case is about is wrong.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { ApiResult, Harness } from '../helpers/harness.js';
import { TestIdp, addDoctype, duplicateAssertion, makeCertificate, replaceNameId, wrapAssertion } from '../helpers/saml-idp.js';
import { ORIGIN, assertionFor, configureSaml, postAcs, samlOrg, ssoAudit, startSamlLogin } from '../helpers/sso.js';

const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const MINUTE = 60_000;
const GENERIC = /^single sign-on did not succeed; your administrator can see why in the SSO audit \(reference (ssofail_[A-Za-z0-9_-]+)\)$/;

const samlId = () => `_${randomBytes(20).toString('hex')}`;
const ago = (ms: number) => new Date(Date.now() - ms);
const ahead = (ms: number) => new Date(Date.now() + ms);

/**
 * The common assertions on a refused ACS post: 401 with the generic message only, no session cookie, and the
 * newest failure in the org's SSO audit carries the body's reference and a reason matching `reason`.
 */
async function expectRefused(h: Harness, auditor: string, res: ApiResult, reason: RegExp): Promise<any> {
  assert.equal(res.status, 401, `expected a refusal, got ${res.status} ${JSON.stringify(res.body)}`);
  assert.equal(res.sessionCookie, undefined, 'a refused login sets no session cookie');
  assert.equal(res.body?.error?.code, 'UNAUTHENTICATED');
  const message: string = res.body.error.message;
  const ref = GENERIC.exec(message)?.[1];
  assert.ok(ref, `the browser gets only the generic message with a reference: ${message}`);
  const [latest] = await ssoAudit(h, auditor, '?outcome=failure');
  assert.ok(latest, 'the refusal is in the SSO audit');
  assert.equal(latest.outcome, 'failure');
  assert.equal(latest.protocol, 'saml');
  assert.equal(latest.reference, ref, 'the newest failure is this one');
  assert.match(latest.reason, reason);
  const body = JSON.stringify(res.body);
  assert.ok(!body.includes(latest.reason), 'the precise reason stays in the audit');
  assert.doesNotMatch(message, reason, 'nothing of the reason reaches the browser');
  return latest;
}

/** A session's own view of itself: GraphQL has the user id, which REST leaves out. */
async function whoAmI(h: Harness, cookie: string): Promise<{ userId: string; email: string; name: string; role: string }> {
  const r = await h.graphql('query { session { userId email name role } }', {}, { cookie });
  assert.equal(r.errors, undefined, JSON.stringify(r.errors));
  return r.data.session;
}

/**
 * Puts InResponseTo="id" on the Response element (replacing any), leaving the assertion, and so its
 * signature, untouched: what anyone holding an assertion signed for one login can do to a Response that
 * is not itself signed.
 */
function setResponseInResponseTo(xml: string, id: string): string {
  const open = /^<samlp:Response\b[^>]*>/.exec(xml)![0];
  const retagged = open.replace(/\sInResponseTo="[^"]*"/, '').replace(/^<samlp:Response\b/, `<samlp:Response InResponseTo="${id}"`);
  return retagged + xml.slice(open.length);
}

describe('SAML ACS: forged, tampered, misdirected and replayed responses are refused', () => {
  let h: Harness;
  let owner: string;
  let idp: TestIdp;
  let globexOwner: string;
  let globexIdp: TestIdp;
  const refused = (res: ApiResult, reason: RegExp, auditor = owner) => expectRefused(h, auditor, res, reason);
  const start = (query = '') => startSamlLogin(h, 'acme', query);

  before(async () => {
    ({ h, owner, idp } = await samlOrg());
    await h.createOrg('globex');
    globexOwner = await h.login('globex');
    globexIdp = await TestIdp.create({ entityId: 'https://idp.example.com/globex', ssoUrl: 'https://idp.example.com/globex/sso' });
    await configureSaml(h, globexOwner, globexIdp);
  });
  after(() => h.close());

  describe('signatures', () => {
    it('refuses an unsigned response', async () => {
      const s = await start();
      await refused(await postAcs(h, 'acme', idp.response(assertionFor('acme', s, { sign: 'none' })), s.binding), /signature/i);
    });

    it('refuses a response whose NameID was changed after signing', async () => {
      const s = await start();
      const xml = replaceNameId(idp.response(assertionFor('acme', s)), 'grace@example.com');
      const audit = await refused(await postAcs(h, 'acme', xml, s.binding), /signature/i);
      assert.notEqual(audit.subject, 'grace@example.com', 'the audit does not credit the forged subject as who logged in');
    });

    it('refuses a response signed by another organization\'s IdP key', async () => {
      const s = await start();
      const xml = idp.response(assertionFor('acme', s, { signWith: globexIdp.certificate }));
      await refused(await postAcs(h, 'acme', xml, s.binding), /signature/i);
    });

    it('refuses a whole response from another organization\'s IdP, aimed at our ACS', async () => {
      const s = await start();
      await refused(await postAcs(h, 'acme', globexIdp.response(assertionFor('acme', s)), s.binding), /signature/i);
    });

    it('refuses the attacker\'s own certificate embedded in KeyInfo: only the pinned certificate counts', async () => {
      const attacker = await makeCertificate({ commonName: 'idp.example.com' });
      const s = await start();
      const xml = idp.response(assertionFor('acme', s, { signWith: attacker, embedCertificate: true }));
      await refused(await postAcs(h, 'acme', xml, s.binding), /signature/i);
    });

    it('refuses an rsa-sha1 signature', async () => {
      const s = await start();
      const xml = idp.response(assertionFor('acme', s, { signatureAlgorithm: 'rsa-sha1' }));
      await refused(await postAcs(h, 'acme', xml, s.binding), /too weak/);
    });

    it('refuses an assertion whose Issuer is another entity, though signed by the right key', async () => {
      const s = await start();
      const xml = idp.response(assertionFor('acme', s, { issuer: 'https://idp.example.com/someone-else' }));
      await refused(await postAcs(h, 'acme', xml, s.binding), /Issuer/);
    });
  });

  describe('where the response was meant to go', () => {
    it('refuses another audience', async () => {
      const s = await start();
      const xml = idp.response(assertionFor('acme', s, { audience: 'https://other-sp.example.com/metadata' }));
      await refused(await postAcs(h, 'acme', xml, s.binding), /audience/i);
    });

    it('refuses another Recipient', async () => {
      const s = await start();
      const xml = idp.response(assertionFor('acme', s, { recipient: 'https://other-sp.example.com/acs' }));
      await refused(await postAcs(h, 'acme', xml, s.binding), /Recipient/);
    });

    it('refuses another Destination', async () => {
      const s = await start();
      const xml = idp.response(assertionFor('acme', s, { destination: 'https://other-sp.example.com/acs' }));
      await refused(await postAcs(h, 'acme', xml, s.binding), /Destination/);
    });

    it('refuses an acme login\'s response posted to globex\'s ACS, even with a globex login and binding', async () => {
      const acme = await start();
      const globex = await startSamlLogin(h, 'globex');
      const xml = idp.response(assertionFor('acme', acme));
      await refused(await postAcs(h, 'globex', xml, globex.binding), /Destination|InResponseTo/, globexOwner);
      // Nothing of acme's was touched: the same response still completes acme's own login.
      const res = await postAcs(h, 'acme', xml, acme.binding);
      assert.equal(res.status, 303, JSON.stringify(res.body));
    });

    it('refuses acme\'s IdP asserting for globex\'s SP: addressed to globex and answering a globex login, but not signed by globex\'s IdP', async () => {
      const globex = await startSamlLogin(h, 'globex');
      const xml = idp.response({ ...assertionFor('globex', globex), issuer: globexIdp.entityId });
      await refused(await postAcs(h, 'globex', xml, globex.binding), /signature/i, globexOwner);
    });
  });

  describe('once only, and only in the browser that asked', () => {
    it('refuses the same successful response posted a second time, and the same assertion id in a new response for a new login', async () => {
      const assertionId = samlId();
      const s = await start();
      const xml = idp.response(assertionFor('acme', s, { assertionId }));
      const first = await postAcs(h, 'acme', xml, s.binding);
      assert.equal(first.status, 303, JSON.stringify(first.body));
      assert.ok(first.sessionCookie);
      await refused(await postAcs(h, 'acme', xml, s.binding), /replay|completed before/);

      const again = await start();
      const replayed = idp.response(assertionFor('acme', again, { assertionId }));
      await refused(await postAcs(h, 'acme', replayed, again.binding), /used before/);
    });

    it('refuses an InResponseTo that names no login we started', async () => {
      const s = await start();
      const xml = idp.response(assertionFor('acme', s, { inResponseTo: samlId() }));
      await refused(await postAcs(h, 'acme', xml, s.binding), /matches no login/);
    });

    it('refuses a response without InResponseTo (IdP-initiated)', async () => {
      const s = await start();
      const xml = idp.response(assertionFor('acme', s, { inResponseTo: null }));
      await refused(await postAcs(h, 'acme', xml, s.binding), /IdP-initiated/);
    });

    it('refuses a response posted without the binding cookie', async () => {
      const s = await start();
      await refused(await postAcs(h, 'acme', idp.response(assertionFor('acme', s)), undefined), /binding cookie/);
    });

    it('refuses a response posted with another browser\'s binding cookie (login CSRF)', async () => {
      const victim = await start();
      const attacker = await start();
      await refused(await postAcs(h, 'acme', idp.response(assertionFor('acme', victim)), attacker.binding), /another browser/);
    });

    it('refuses an assertion signed for one login inside a Response re-addressed to another login', async () => {
      // The assertion (signed) answers login A; the Response (unsigned) is edited to answer the attacker's login B.
      const a = await start();
      const b = await start();
      const xml = setResponseInResponseTo(idp.response(assertionFor('acme', a, { nameId: 'victim@example.com', attributes: { email: 'victim@example.com' } })), b.requestId);
      await refused(await postAcs(h, 'acme', xml, b.binding), /InResponseTo/);
    });

    it('refuses an IdP-initiated assertion given the InResponseTo of a login the attacker started', async () => {
      const b = await start();
      const xml = setResponseInResponseTo(idp.response(assertionFor('acme', b, { inResponseTo: null, nameId: 'victim@example.com', attributes: { email: 'victim@example.com' } })), b.requestId);
      await refused(await postAcs(h, 'acme', xml, b.binding), /InResponseTo|IdP-initiated/);
    });
  });

  describe('the validity window, with 60 s of clock skew', () => {
    it('refuses an expired assertion', async () => {
      const s = await start();
      const xml = idp.response(assertionFor('acme', s, { notBefore: ago(20 * MINUTE), notOnOrAfter: ago(10 * MINUTE) }));
      await refused(await postAcs(h, 'acme', xml, s.binding), /expired/);
    });

    it('refuses an assertion that is not yet valid', async () => {
      const s = await start();
      const xml = idp.response(assertionFor('acme', s, { notBefore: ahead(10 * MINUTE), notOnOrAfter: ahead(20 * MINUTE) }));
      await refused(await postAcs(h, 'acme', xml, s.binding), /not yet valid/);
    });

    it('refuses a signed assertion whose SubjectConfirmationData has expired though its Conditions have not', async () => {
      const s = await start();
      const xml = idp.response(assertionFor('acme', s, { confirmationNotOnOrAfter: ago(5 * MINUTE) }));
      await refused(await postAcs(h, 'acme', xml, s.binding), /expired \(SubjectConfirmationData NotOnOrAfter/);
    });

    it('refuses a time that is not a time, as a refusal and not an error', async () => {
      const s = await start();
      const xml = idp.response(assertionFor('acme', s)).replace(/(<saml:SubjectConfirmationData[^>]*NotOnOrAfter=")[^"]*"/, '$1yesterday"');
      await refused(await postAcs(h, 'acme', xml, s.binding), /NotOnOrAfter "yesterday" is not a time/);
    });

    it('accepts an assertion whose NotBefore is 30 s ahead (within the skew)', async () => {
      const s = await start();
      const xml = idp.response(assertionFor('acme', s, { notBefore: ahead(30_000) }));
      const res = await postAcs(h, 'acme', xml, s.binding);
      assert.equal(res.status, 303, JSON.stringify(res.body));
      assert.ok(res.sessionCookie);
      assert.equal((await whoAmI(h, res.sessionCookie)).email, 'ada@example.com');
    });

    it('accepts an assertion whose NotOnOrAfter passed 30 s ago (within the skew)', async () => {
      const s = await start();
      const xml = idp.response(assertionFor('acme', s, { notBefore: ago(5 * MINUTE), notOnOrAfter: ago(30_000) }));
      const res = await postAcs(h, 'acme', xml, s.binding);
      assert.equal(res.status, 303, JSON.stringify(res.body));
      assert.ok(res.sessionCookie);
    });
  });

  describe('what the IdP says about the person and the outcome', () => {
    it('refuses a signed response whose status is not Success', async () => {
      const s = await start();
      const xml = idp.response(assertionFor('acme', s, { status: 'urn:oasis:names:tc:SAML:2.0:status:Responder' }));
      await refused(await postAcs(h, 'acme', xml, s.binding), /status is "urn:oasis:names:tc:SAML:2\.0:status:Responder", not Success/);
    });

    it('refuses a transient NameID (it would make a new person at every login)', async () => {
      const s = await start();
      const xml = idp.response(assertionFor('acme', s, { nameIdFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient', nameId: '_t1' }));
      await refused(await postAcs(h, 'acme', xml, s.binding), /transient/);
    });

    it('refuses a NameID longer than 512 characters', async () => {
      const s = await start();
      const xml = idp.response(assertionFor('acme', s, { nameId: `${'a'.repeat(600)}@example.com` }));
      await refused(await postAcs(h, 'acme', xml, s.binding), /longer than 512/);
    });
  });

  describe('the shape of the message', () => {
    it('refuses two assertions: an exact copy, or an unsigned forgery beside the signed one', async () => {
      const s1 = await start();
      await refused(await postAcs(h, 'acme', duplicateAssertion(idp.response(assertionFor('acme', s1))), s1.binding), /assertions/);
      const s2 = await start();
      const forged = duplicateAssertion(idp.response(assertionFor('acme', s2)), { nameId: 'mallory@example.com' });
      await refused(await postAcs(h, 'acme', forged, s2.binding), /assertions/);
    });

    it('refuses signature wrapping: the signed assertion moved into Extensions, a forged one in its place', async () => {
      for (const sign of ['assertion', 'response', 'both'] as const) {
        const s = await start();
        const xml = wrapAssertion(idp.response(assertionFor('acme', s, { sign })), 'mallory@example.com');
        const audit = await refused(await postAcs(h, 'acme', xml, s.binding), /assertion/);
        assert.notEqual(audit.subject, 'mallory@example.com', `sign: ${sign}`);
      }
    });

    it('refuses a DOCTYPE', async () => {
      const s = await start();
      await refused(await postAcs(h, 'acme', addDoctype(idp.response(assertionFor('acme', s))), s.binding), /DOCTYPE/);
    });

    it('refuses a SAMLResponse larger than 128 KiB unread', async () => {
      const s = await start();
      const xml = idp.response(assertionFor('acme', s, { attributes: { email: 'ada@example.com', padding: 'x'.repeat(200 * 1024) } }));
      await refused(await postAcs(h, 'acme', xml, s.binding), /larger than/);
    });

    it('answers 413 to a body over 1 MiB, before the service reads it', async () => {
      const [prior] = await ssoAudit(h, owner, '?outcome=failure');
      const s = await start();
      const res = await h.call('POST', '/auth/saml/acme/callback', {
        rawBody: `SAMLResponse=${'A'.repeat(1024 * 1024 + 16)}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `axonflow_sso_saml=${s.binding}` },
      });
      assert.equal(res.status, 413, JSON.stringify(res.body));
      assert.equal(res.body?.error?.code, 'PAYLOAD_TOO_LARGE');
      assert.equal(res.sessionCookie, undefined);
      const [latest] = await ssoAudit(h, owner, '?outcome=failure');
      assert.equal(latest?.id, prior?.id, 'nothing reached the login service');
    });

    it('refuses a JSON body with 400: the ACS takes the HTTP-POST binding only', async () => {
      const s = await start();
      const res = await h.call('POST', '/auth/saml/acme/callback', {
        body: { SAMLResponse: TestIdp.encode(idp.response(assertionFor('acme', s))) },
        headers: { cookie: `axonflow_sso_saml=${s.binding}` },
      });
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.sessionCookie, undefined);
    });
  });
});

describe('SAML login: who may sign in, and as whom', () => {
  let h: Harness;
  let owner: string;
  let idp: TestIdp;
  const refused = (res: ApiResult, reason: RegExp) => expectRefused(h, owner, res, reason);

  /** A complete SP-initiated login for this person; the raw ACS answer. */
  async function ssoLogin(email: string, firstName: string, lastName: string): Promise<ApiResult> {
    const s = await startSamlLogin(h, 'acme');
    return postAcs(h, 'acme', idp.response(assertionFor('acme', s, { nameId: email, attributes: { email, firstName, lastName } })), s.binding);
  }

  async function signedIn(res: ApiResult) {
    assert.equal(res.status, 303, JSON.stringify(res.body));
    assert.ok(res.sessionCookie);
    return whoAmI(h, res.sessionCookie);
  }

  before(async () => {
    ({ h, owner, idp } = await samlOrg());
  });
  after(() => h.close());

  it('a second login of the same person reuses their user and takes the IdP\'s new name', async () => {
    const first = await signedIn(await ssoLogin('grace@example.com', 'Grace', 'Hopper'));
    assert.equal(first.name, 'Grace Hopper');
    const second = await signedIn(await ssoLogin('grace@example.com', 'Amazing Grace', 'Hopper'));
    assert.equal(second.userId, first.userId, 'the same portal user');
    assert.equal(second.name, 'Amazing Grace Hopper');
    const [latest, previous] = await ssoAudit(h, owner, '?outcome=success');
    assert.equal(latest.user_id, first.userId);
    assert.equal(previous.user_id, first.userId);
  });

  it('links a user SCIM provisioned (NameID = userName) on the first SSO login, keeping the role SCIM gave; nobody else is created meanwhile', async () => {
    const { token, id: tokenId } = await h.scimToken('acme', owner);
    const u = await h.scim(token, 'POST', 'Users', {
      schemas: [USER_SCHEMA],
      userName: 'carol@example.com',
      name: { givenName: 'Carol', familyName: 'Shaw' },
      emails: [{ value: 'carol@example.com', primary: true }],
      active: true,
    });
    assert.equal(u.status, 201, JSON.stringify(u.body));
    const g = await h.scim(token, 'POST', 'Groups', { schemas: [GROUP_SCHEMA], displayName: 'Developers', members: [{ value: u.body.id }] });
    assert.equal(g.status, 201, JSON.stringify(g.body));
    const mapped = await h.call('PUT', `/api/v1/scim/groups/${g.body.id}/role-mapping`, { cookie: owner, body: { role_id: 'developer' } });
    assert.equal(mapped.status, 200, JSON.stringify(mapped.body));

    const me = await signedIn(await ssoLogin('carol@example.com', 'Carol', 'Shaw'));
    assert.equal(me.userId, u.body.id, 'the SCIM user, not a new one');
    assert.equal(me.role, 'developer', 'not the first-login viewer');
    const again = await signedIn(await ssoLogin('carol@example.com', 'Carol', 'Shaw'));
    assert.equal(again.userId, u.body.id);
    assert.equal(again.role, 'developer');
    // While the directory provisions, it is the list of who belongs: a person it has not sent is refused.
    await refused(await ssoLogin('mallory@example.com', 'Mal', 'Lory'), /provisions people through SCIM/);
    assert.equal((await h.call('DELETE', `/api/v1/scim/tokens/${tokenId}`, { cookie: owner })).status, 200);
  });

  it('refuses a person the portal has deactivated', async () => {
    const ada = await signedIn(await ssoLogin('ada@example.com', 'Ada', 'Lovelace'));
    const off = await h.graphql('mutation($id: ID!) { disableUser(userId: $id) { id status } }', { id: ada.userId }, { cookie: owner });
    assert.equal(off.errors, undefined, JSON.stringify(off.errors));
    assert.equal(off.data.disableUser.status, 'disabled');
    await refused(await ssoLogin('ada@example.com', 'Ada', 'Lovelace'), /deactivated/);
  });

  it('never takes over an existing password user with the same email', async () => {
    const added = await h.graphql(
      'mutation($input: AddUserInput!) { addUser(input: $input) { user { id } initialPassword } }',
      { input: { email: 'bob@example.com', name: 'Bob by hand', role: 'admin' } },
      { cookie: owner },
    );
    assert.equal(added.errors, undefined, JSON.stringify(added.errors));
    const audit = await refused(await ssoLogin('bob@example.com', 'Bob', 'Mallory'), /not linked|taken over/);
    assert.equal(audit.user_id, null);
    // Bob's own account is as it was: his password still signs him in, under his name.
    const bob = await whoAmI(h, await h.login('acme', added.data.addUser.initialPassword, 'bob@example.com'));
    assert.equal(bob.userId, added.data.addUser.user.id);
    assert.equal(bob.name, 'Bob by hand');
  });

  it('refuses an email outside the configured email_domains (and accepts one inside)', async () => {
    const put = await h.call('PUT', '/api/v1/sso/config', {
      cookie: owner,
      body: {
        provider: 'okta',
        idp_entity_id: idp.entityId,
        idp_sso_url: idp.ssoUrl,
        idp_certificate: idp.certificate.pem,
        enabled: true,
        email_domains: ['example.org'],
      },
    });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.deepEqual(put.body.email_domains, ['example.org']);
    await refused(await ssoLogin('grace@example.com', 'Grace', 'Hopper'), /email domain/);
    const inside = await signedIn(await ssoLogin('hedy@example.org', 'Hedy', 'Lamarr'));
    assert.equal(inside.email, 'hedy@example.org');
  });
});

describe('SAML login start: where a login may return to, and for which organizations it exists', () => {
  let h: Harness;
  let idp: TestIdp;

  before(async () => {
    ({ h, idp } = await samlOrg());
  });
  after(() => h.close());

  for (const target of ['https://evil.example', '//evil.example', '/\\evil', '/api/v1/x']) {
    it(`refuses return_to ${JSON.stringify(target)} with 400, and starts nothing`, async () => {
      const r = await h.call('GET', `/auth/saml/acme/login?return_to=${encodeURIComponent(target)}`);
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.headers.get('location'), null);
      assert.equal(r.headers.getSetCookie().length, 0, 'no binding cookie');
    });
  }

  it('sends a valid return_to to the IdP as RelayState and back in the 303 Location, whatever RelayState is posted', async () => {
    const s = await startSamlLogin(h, 'acme', `?return_to=${encodeURIComponent('/settings?tab=sso')}`);
    assert.equal(s.relayState, '/settings?tab=sso');
    // The RelayState the IdP posts back is not trusted: the return path is the one stored with the login.
    const res = await postAcs(h, 'acme', idp.response(assertionFor('acme', s)), s.binding, `&RelayState=${encodeURIComponent('https://evil.example/')}`);
    assert.equal(res.status, 303, JSON.stringify(res.body));
    assert.equal(res.headers.get('location'), `${ORIGIN}/settings?tab=sso`);
  });

  it('answers 404 for an organization without SSO, and for one that does not exist', async () => {
    await h.createOrg('initech');
    for (const org of ['initech', 'no-such-org']) {
      const r = await h.call('GET', `/auth/saml/${org}/login`);
      assert.equal(r.status, 404, `${org}: ${JSON.stringify(r.body)}`);
      assert.equal(r.headers.getSetCookie().length, 0);
    }
  });

  it('answers 404 once SSO is disabled, and a login started before then does not complete', async () => {
    await h.createOrg('hooli');
    const hooliOwner = await h.login('hooli');
    const hooliIdp = await TestIdp.create({ entityId: 'https://idp.example.com/hooli', ssoUrl: 'https://idp.example.com/hooli/sso' });
    await configureSaml(h, hooliOwner, hooliIdp);
    const s = await startSamlLogin(h, 'hooli');
    const off = await h.call('PATCH', '/api/v1/sso/config', { cookie: hooliOwner, body: { enabled: false } });
    assert.equal(off.status, 200, JSON.stringify(off.body));
    assert.equal(off.body.enabled, false);
    assert.equal((await h.call('GET', '/auth/saml/hooli/login')).status, 404);
    const res = await postAcs(h, 'hooli', hooliIdp.response(assertionFor('hooli', s)), s.binding);
    assert.equal(res.status, 404, JSON.stringify(res.body));
    assert.equal(res.sessionCookie, undefined);
  });
});
