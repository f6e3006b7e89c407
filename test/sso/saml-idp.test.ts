// Proves the test IdP against the real SP library (node-saml 5): what it signs is accepted, and each
// attack it builds is a genuine one, refused for the reason it was built for. Where node-saml lets
// something through (DOCTYPE, rsa-sha1, Destination/Recipient, Issuer, replay) the test pins that, so our ACS knows
// which checks it must make itself and hears about it if a library upgrade changes the answer.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { SAML, type SamlConfig, ValidateInResponseTo } from '@node-saml/node-saml';
import { DOMParser } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import {
  type AssertionOptions,
  type Certificate,
  TestIdp,
  addDoctype,
  duplicateAssertion,
  makeCertificate,
  readAuthnRequest,
  replaceNameId,
  wrapAssertion,
} from '../helpers/saml-idp.js';

const SP_ENTITY = 'https://sp.test/saml/metadata';
const ACS = 'https://sp.test/acs';
const DSIG_NS = 'http://www.w3.org/2000/09/xmldsig#';
const PROTOCOL_NS = 'urn:oasis:names:tc:SAML:2.0:protocol';
const ASSERTION_NS = 'urn:oasis:names:tc:SAML:2.0:assertion';

const login: AssertionOptions = {
  destination: ACS,
  recipient: ACS,
  audience: SP_ENTITY,
  nameId: 'ada@acme.example.com',
  attributes: { email: 'ada@acme.example.com', firstName: 'Ada', lastName: 'Lovelace', groups: ['admins', 'engineers'] },
};

function sp(idp: TestIdp, overrides: Partial<SamlConfig> = {}): SAML {
  return new SAML({
    idpCert: idp.certificate.pem,
    issuer: SP_ENTITY,
    audience: SP_ENTITY,
    callbackUrl: ACS,
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: false,
    acceptedClockSkewMs: 60_000,
    ...overrides,
  });
}

async function accept(saml: SAML, xml: string) {
  const { profile } = await saml.validatePostResponseAsync({ SAMLResponse: TestIdp.encode(xml) });
  assert.ok(profile, 'a profile');
  return profile;
}

async function refuse(saml: SAML, xml: string, message: RegExp): Promise<void> {
  await assert.rejects(saml.validatePostResponseAsync({ SAMLResponse: TestIdp.encode(xml) }), (err: Error) => {
    assert.match(err.message, message);
    return true;
  });
}

const parse = (xml: string) => new DOMParser().parseFromString(xml, 'text/xml');
const byName = (node: Document | Element, ns: string, name: string) => Array.from(node.getElementsByTagNameNS(ns, name));
const children = (el: Element, ns: string, name: string) =>
  Array.from(el.childNodes).filter((n): n is Element => n.nodeType === 1 && (n as Element).namespaceURI === ns && (n as Element).localName === name);

/** Whether the signature enveloped in `holder` verifies with `cert`, checked by xml-crypto alone (no SAML policy). */
function signatureHolds(xml: string, holder: Element, cert: Certificate): boolean {
  const [signature] = children(holder, DSIG_NS, 'Signature');
  assert.ok(signature, `a signature in ${holder.tagName}`);
  const sig = new SignedXml({ publicCert: cert.pem });
  sig.loadSignature(signature);
  return sig.checkSignature(xml);
}

describe('test SAML IdP, checked against node-saml', () => {
  let idp: TestIdp;
  before(async () => {
    idp = await TestIdp.create();
  });

  describe('what it signs is accepted', () => {
    it('a response signed on the assertion: nameID, format, issuer and every attribute reach the profile', async () => {
      const xml = idp.response(login);
      const [assertion] = byName(parse(xml), ASSERTION_NS, 'Assertion');
      assert.equal(children(assertion, DSIG_NS, 'Signature').length, 1);
      assert.equal(children(parse(xml).documentElement, DSIG_NS, 'Signature').length, 0, 'the response itself unsigned');
      // Schema order: the Signature comes right after the Issuer.
      assert.equal((assertion.childNodes[1] as Element).localName, 'Signature');

      const profile = await accept(sp(idp), xml);
      assert.equal(profile.nameID, 'ada@acme.example.com');
      assert.equal(profile.nameIDFormat, 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress');
      assert.equal(profile.issuer, idp.entityId);
      assert.deepEqual(profile.attributes, {
        email: 'ada@acme.example.com',
        firstName: 'Ada',
        lastName: 'Lovelace',
        groups: ['admins', 'engineers'],
      });
    });

    it('signed on the response only: accepted once the SP stops requiring signed assertions', async () => {
      const xml = idp.response({ ...login, sign: 'response' });
      await refuse(sp(idp), xml, /^Invalid signature$/);
      const profile = await accept(sp(idp, { wantAssertionsSigned: false, wantAuthnResponseSigned: true }), xml);
      assert.equal(profile.nameID, login.nameId);
    });

    it('signed on both: accepted by an SP that wants both', async () => {
      const xml = idp.response({ ...login, sign: 'both' });
      assert.equal(children(parse(xml).documentElement, DSIG_NS, 'Signature').length, 1);
      const profile = await accept(sp(idp, { wantAuthnResponseSigned: true }), xml);
      assert.equal(profile.nameID, login.nameId);
    });

    it('escapes every value it writes, text and attributes alike', async () => {
      const nasty = `o'brien&"co"<x>@acme.example.com`;
      const xml = idp.response({ ...login, nameId: nasty, attributes: { 'display"Name': nasty } });
      const profile = await accept(sp(idp), xml);
      assert.equal(profile.nameID, nasty);
      assert.deepEqual(profile.attributes, { 'display"Name': nasty });
    });

    it('without an embedded certificate: no KeyInfo, and still accepted (the SP trusts its configured cert)', async () => {
      const xml = idp.response({ ...login, embedCertificate: false });
      assert.equal(byName(parse(xml), DSIG_NS, 'KeyInfo').length, 0);
      await accept(sp(idp), xml);
      assert.equal(byName(parse(idp.response(login)), DSIG_NS, 'X509Certificate')[0].textContent, idp.certificate.base64);
    });

    it('InResponseTo answers the ID read back from the SP-initiated request', async () => {
      const saml = sp(idp, { entryPoint: idp.ssoUrl, validateInResponseTo: ValidateInResponseTo.always });
      const { id } = readAuthnRequest(await saml.getAuthorizeUrlAsync('relay', undefined, {}));
      const xml = idp.response({ ...login, inResponseTo: id });
      assert.equal(parse(xml).documentElement.getAttribute('InResponseTo'), id);
      assert.equal(byName(parse(xml), ASSERTION_NS, 'SubjectConfirmationData')[0].getAttribute('InResponseTo'), id);
      await accept(saml, xml);
      await refuse(saml, idp.response({ ...login, inResponseTo: '_never-requested' }), /^InResponseTo is not valid$/);
      // Without inResponseTo (IdP-initiated) the attribute is left out, not empty.
      assert.equal(parse(idp.response(login)).documentElement.hasAttribute('InResponseTo'), false);
    });
  });

  describe('each attack is refused', () => {
    it('the NameID changed after signing', async () => {
      const xml = replaceNameId(idp.response(login), 'mallory@acme.example.com');
      assert.equal(byName(parse(xml), ASSERTION_NS, 'NameID')[0].textContent, 'mallory@acme.example.com');
      await refuse(sp(idp), xml, /^Invalid signature$/);
    });

    it('no signature at all', async () => {
      const xml = idp.response({ ...login, sign: 'none' });
      assert.equal(byName(parse(xml), DSIG_NS, 'Signature').length, 0);
      await refuse(sp(idp), xml, /^Invalid signature$/);
    });

    it('signed with another key, whose certificate is embedded in KeyInfo', async () => {
      const mallory = await makeCertificate({ commonName: 'mallory' });
      const xml = idp.response({ ...login, signWith: mallory });
      assert.equal(byName(parse(xml), DSIG_NS, 'X509Certificate')[0].textContent, mallory.base64);
      // A valid signature, only by the wrong key: an SP trusting mallory's cert accepts it.
      await accept(new SAML({ ...sp(idp).options, idpCert: mallory.pem }), xml);
      await refuse(sp(idp), xml, /^Invalid signature$/);
    });

    it('a second assertion: an exact copy, or an unsigned one for another user', async () => {
      const signed = idp.response(login);
      for (const xml of [duplicateAssertion(signed), duplicateAssertion(signed, { nameId: 'mallory@acme.example.com' })]) {
        assert.equal(children(parse(xml).documentElement, ASSERTION_NS, 'Assertion').length, 2);
        await refuse(sp(idp), xml, /^Invalid signature: multiple assertions$/);
      }
      const forged = parse(duplicateAssertion(signed, { nameId: 'mallory@acme.example.com' }));
      const [, evil] = children(forged.documentElement, ASSERTION_NS, 'Assertion');
      assert.equal(children(evil, DSIG_NS, 'Signature').length, 0);
      assert.equal(byName(evil, ASSERTION_NS, 'NameID')[0].textContent, 'mallory@acme.example.com');
    });

    it('signature wrapping: the signed assertion hidden in Extensions, a forged one in its place', async () => {
      const xml = wrapAssertion(idp.response(login), 'mallory@acme.example.com');
      const response = parse(xml).documentElement;
      const [evil] = children(response, ASSERTION_NS, 'Assertion');
      const [extensions] = children(response, PROTOCOL_NS, 'Extensions');
      const [hidden] = children(extensions, ASSERTION_NS, 'Assertion');
      assert.equal(byName(evil, ASSERTION_NS, 'NameID')[0].textContent, 'mallory@acme.example.com');
      assert.equal(children(evil, DSIG_NS, 'Signature').length, 0);
      assert.notEqual(evil.getAttribute('ID'), hidden.getAttribute('ID'));
      assert.deepEqual(
        Array.from(response.childNodes, (n) => (n as Element).localName),
        ['Issuer', 'Extensions', 'Status', 'Assertion'],
        'still in schema order',
      );
      // A genuine wrapping attack: the moved assertion's signature still verifies where it now is.
      assert.equal(signatureHolds(xml, hidden, idp.certificate), true);
      await refuse(sp(idp), xml, /^Invalid signature$/);
    });

    it('expired: NotOnOrAfter more than the clock skew in the past', async () => {
      const now = new Date(Date.now() - 10 * 60_000);
      const xml = idp.response({ ...login, now, notOnOrAfter: new Date(Date.now() - 2 * 60_000) });
      await refuse(sp(idp), xml, /^SAML assertion expired: clocks skewed too much$/);
    });

    it('not yet valid: NotBefore more than the clock skew in the future', async () => {
      const xml = idp.response({ ...login, notBefore: new Date(Date.now() + 2 * 60_000) });
      await refuse(sp(idp), xml, /^SAML assertion not yet valid$/);
    });

    it('for another audience', async () => {
      const xml = idp.response({ ...login, audience: 'https://other-sp.test/metadata' });
      await refuse(sp(idp), xml, /^SAML assertion audience mismatch/);
    });
  });

  describe('what node-saml 5.1 lets through, so our ACS must check it itself', () => {
    it('a DOCTYPE with entity declarations: parsed and accepted', async () => {
      const xml = addDoctype(idp.response(login));
      assert.match(xml, /^<!DOCTYPE samlp:Response \[<!ENTITY /);
      assert.equal(parse(xml).documentElement.localName, 'Response');
      const profile = await accept(sp(idp), xml);
      assert.equal(profile.nameID, login.nameId);
    });

    it('rsa-sha1 (with a sha1 digest): accepted by default', async () => {
      const xml = idp.response({ ...login, signatureAlgorithm: 'rsa-sha1' });
      const doc = parse(xml);
      assert.equal(byName(doc, DSIG_NS, 'SignatureMethod')[0].getAttribute('Algorithm'), 'http://www.w3.org/2000/09/xmldsig#rsa-sha1');
      assert.equal(byName(doc, DSIG_NS, 'DigestMethod')[0].getAttribute('Algorithm'), 'http://www.w3.org/2000/09/xmldsig#sha1');
      assert.equal(signatureHolds(xml, byName(doc, ASSERTION_NS, 'Assertion')[0], idp.certificate), true);
      await accept(sp(idp), xml);
    });

    it('a Destination and a Recipient that are not our ACS: accepted', async () => {
      const xml = idp.response({ ...login, destination: 'https://evil.test/acs', recipient: 'https://evil.test/acs' });
      await accept(sp(idp), xml);
    });

    it('an Issuer other than idpIssuer: accepted (node-saml checks idpIssuer on logout messages only)', async () => {
      const xml = idp.response({ ...login, issuer: 'https://evil-idp.test/metadata' });
      const profile = await accept(sp(idp, { idpIssuer: idp.entityId }), xml);
      assert.equal(profile.issuer, 'https://evil-idp.test/metadata');
    });

    it('a replayed response: accepted again unless InResponseTo is enforced, which spends the request ID', async () => {
      const unsolicited = idp.response(login);
      await accept(sp(idp), unsolicited);
      await accept(sp(idp), unsolicited);
      const saml = sp(idp, { entryPoint: idp.ssoUrl, validateInResponseTo: ValidateInResponseTo.always });
      const { id } = readAuthnRequest(await saml.getAuthorizeUrlAsync('', undefined, {}));
      const answer = idp.response({ ...login, inResponseTo: id });
      await accept(saml, answer);
      await refuse(saml, answer, /^InResponseTo is not valid$/);
    });
  });

  describe('metadata', () => {
    it('parses, names the entity, carries the signing certificate and both SSO bindings at ssoUrl', async () => {
      const doc = parse(idp.metadata());
      assert.equal(doc.documentElement.localName, 'EntityDescriptor');
      assert.equal(doc.documentElement.getAttribute('entityID'), idp.entityId);
      const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
      const [key] = byName(doc, MD, 'KeyDescriptor');
      assert.equal(key.getAttribute('use'), 'signing');
      const cert = byName(key, DSIG_NS, 'X509Certificate')[0].textContent!;
      assert.equal(cert, idp.certificate.base64);
      assert.deepEqual(
        byName(doc, MD, 'SingleSignOnService').map((s) => [s.getAttribute('Binding'), s.getAttribute('Location')]),
        [
          ['urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect', idp.ssoUrl],
          ['urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST', idp.ssoUrl],
        ],
      );
      // The certificate as published is enough for an SP to verify the IdP's responses.
      await accept(sp(idp, { idpCert: cert }), idp.response(login));
    });

    it('lists extra signing certificates, for a key rollover', async () => {
      const next = await makeCertificate({ commonName: 'idp.test next' });
      const keys = byName(parse(idp.metadata({ extraSigningCertificates: [next] })), 'urn:oasis:names:tc:SAML:2.0:metadata', 'KeyDescriptor');
      assert.deepEqual(
        keys.map((k) => [k.getAttribute('use'), byName(k, DSIG_NS, 'X509Certificate')[0].textContent]),
        [['signing', idp.certificate.base64], ['signing', next.base64]],
      );
    });
  });

  describe('certificates', () => {
    it('are self-signed RSA-2048 with SHA-256, for the name and validity asked', async () => {
      const { X509Certificate, createPrivateKey } = await import('node:crypto');
      const notBefore = new Date('2030-01-01T00:00:00Z');
      const notAfter = new Date('2031-01-01T00:00:00Z');
      const made = await makeCertificate({ commonName: 'acme, idp', notBefore, notAfter });
      const cert = new X509Certificate(made.pem);
      assert.equal(cert.subject, 'CN=acme\\, idp');
      assert.equal(cert.issuer, cert.subject);
      assert.equal(new Date(cert.validFrom).getTime(), notBefore.getTime());
      assert.equal(new Date(cert.validTo).getTime(), notAfter.getTime());
      assert.equal(cert.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
      assert.equal(cert.verify(cert.publicKey), true);
      assert.equal(cert.checkPrivateKey(createPrivateKey(made.privateKeyPem)), true);
      assert.equal(Buffer.from(made.base64, 'base64').equals(cert.raw), true);
      assert.doesNotMatch(made.base64, /[\s-]/);
    });
  });

  describe('readAuthnRequest', () => {
    it('reads back the ID, ACS URL, Destination, Issuer and RelayState of a node-saml redirect', async () => {
      const saml = sp(idp, { entryPoint: 'https://idp.test/sso' });
      const location = await saml.getAuthorizeUrlAsync('relay', undefined, {});
      const request = readAuthnRequest(location);
      assert.match(request.id, /^_[0-9a-f]+$/);
      assert.equal(request.acsUrl, ACS);
      assert.equal(request.destination, 'https://idp.test/sso');
      assert.equal(request.issuer, SP_ENTITY);
      assert.equal(request.relayState, 'relay');
      assert.match(request.xml, /^<\?xml|^<samlp:AuthnRequest/);
      assert.ok(request.xml.includes(`ID="${request.id}"`));
    });

    it('refuses a location without a SAMLRequest', () => {
      assert.throws(() => readAuthnRequest('https://idp.test/sso?RelayState=x'), /no SAMLRequest/);
    });
  });
});
