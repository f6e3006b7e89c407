import { SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import { sha256Hex } from '../../auth/tokens.js';
import type { StoredSsoConfig } from '../../db/sso.js';
import type { ServiceProviderInfo } from '../../domain/sso.js';
import { SsoRefusal } from './refusal.js';
import { NS, UnsafeXml, elements, parseIdpXml } from './xml.js';

/** A SAMLResponse larger than this is refused unread; real ones are a few KiB. */
export const MAX_SAML_RESPONSE_BYTES = 128 * 1024;
const CLOCK_SKEW_MS = 60_000;
const STRONG_SIGNATURES = new Set([
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha384',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256',
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384',
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512',
]);
const STRONG_DIGESTS = new Set([
  'http://www.w3.org/2001/04/xmlenc#sha256',
  'http://www.w3.org/2001/04/xmldsig-more#sha384',
  'http://www.w3.org/2001/04/xmlenc#sha512',
]);

/** What the structural checks read from the response before the signature is checked. */
export interface SamlEnvelope {
  inResponseTo: string;
  assertionId: string;
  /** The latest NotOnOrAfter (and the skew): how long the assertion id must be remembered. */
  expiresAt: string;
}

export interface SamlIdentity {
  subject: string;
  email: string | null;
  name: string | null;
  assertionId: string;
}

function library(config: StoredSsoConfig, sp: ServiceProviderInfo, requestId?: string): SAML {
  return new SAML({
    idpCert: config.idpCertificate!,
    idpIssuer: config.idpEntityId!,
    issuer: sp.entityId,
    audience: sp.entityId,
    callbackUrl: sp.acsUrl,
    entryPoint: config.idpSsoUrl!,
    // Either signature will do, as long as one covers the assertion and verifies with the pinned certificate.
    wantAssertionsSigned: false,
    wantAuthnResponseSigned: false,
    acceptedClockSkewMs: CLOCK_SKEW_MS,
    // InResponseTo is ours: checked against the database and the browser, before the library runs.
    validateInResponseTo: ValidateInResponseTo.never,
    disableRequestedAuthnContext: true,
    identifierFormat: null,
    signatureAlgorithm: 'sha256',
    ...(requestId ? { generateUniqueId: () => requestId } : {}),
  });
}

/** The IdP's URL for an SP-initiated login (HTTP-Redirect binding) carrying an AuthnRequest with this id. */
export async function authnRequestUrl(config: StoredSsoConfig, sp: ServiceProviderInfo, requestId: string, relayState: string): Promise<string> {
  return library(config, sp, requestId).getAuthorizeUrlAsync(relayState, undefined, {});
}

/**
 * Our checks, on the decoded XML, before the library's: the ones node-saml does not make (SECURITY.md).
 * Each failure is an SsoRefusal whose reason names what was wrong.
 */
export function checkEnvelope(xml: string, sp: ServiceProviderInfo, now: Date): SamlEnvelope {
  try {
    return envelopeOf(xml, sp, now.getTime());
  } catch (err) {
    if (err instanceof SsoRefusal) throw err;
    // Whatever else a hostile document makes go wrong is a refusal too, never a 500.
    throw new SsoRefusal(err instanceof UnsafeXml ? err.message : `the response could not be read: ${(err as Error).message.slice(0, 200)}`);
  }
}

const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const TRANSIENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient';
const MAX_SUBJECT = 512;

function envelopeOf(xml: string, sp: ServiceProviderInfo, now: number): SamlEnvelope {
  const doc = parseIdpXml(xml);
  const root = doc.documentElement!;
  if (root.namespaceURI !== NS.protocol || root.localName !== 'Response') throw new SsoRefusal('the message is not a SAML Response');
  // node-saml never reads Status when a signed assertion is present.
  const status = elements(doc, NS.protocol, 'StatusCode').find((c) => (c.parentNode as Element | null)?.parentNode === root);
  if (status?.getAttribute('Value') !== SUCCESS) throw new SsoRefusal(`the response's status is ${JSON.stringify(status?.getAttribute('Value') ?? '(missing)')}, not Success`);
  const assertions = elements(doc, NS.assertion, 'Assertion');
  if (elements(doc, NS.assertion, 'EncryptedAssertion').length > 0) throw new SsoRefusal('encrypted assertions are not accepted (configure the IdP to sign, not encrypt)');
  if (assertions.length !== 1) throw new SsoRefusal(`the response carries ${assertions.length} assertions; exactly one is accepted`);
  const assertion = assertions[0];
  if (assertion.parentNode !== root) throw new SsoRefusal('the assertion is not a direct child of the Response (signature wrapping)');
  const destination = root.getAttribute('Destination');
  if (destination !== sp.acsUrl) throw new SsoRefusal(`Destination ${JSON.stringify(destination ?? '(missing)')} is not our ACS URL ${sp.acsUrl}`);
  const confirmations = elements(assertion, NS.assertion, 'SubjectConfirmationData');
  if (confirmations.length === 0) throw new SsoRefusal('the assertion has no SubjectConfirmationData');
  for (const c of confirmations) {
    const recipient = c.getAttribute('Recipient');
    if (recipient !== sp.acsUrl) throw new SsoRefusal(`Recipient ${JSON.stringify(recipient ?? '(missing)')} is not our ACS URL ${sp.acsUrl}`);
  }
  for (const m of elements(doc, NS.dsig, 'SignatureMethod')) {
    const alg = m.getAttribute('Algorithm') ?? '';
    if (!STRONG_SIGNATURES.has(alg)) throw new SsoRefusal(`signature algorithm ${alg} is too weak; RSA or ECDSA with SHA-256 or stronger is required`);
  }
  for (const m of elements(doc, NS.dsig, 'DigestMethod')) {
    const alg = m.getAttribute('Algorithm') ?? '';
    if (!STRONG_DIGESTS.has(alg)) throw new SsoRefusal(`digest algorithm ${alg} is too weak; SHA-256 or stronger is required`);
  }
  const inResponseTo = root.getAttribute('InResponseTo');
  if (!inResponseTo) throw new SsoRefusal('the response has no InResponseTo: IdP-initiated logins are not accepted; start at the login URL');
  // The Response's InResponseTo is outside the signature when only the assertion is signed: the signed copy
  // on every SubjectConfirmationData must say the same, or an unused assertion could be replayed into any login.
  for (const c of confirmations) {
    const confirmed = c.getAttribute('InResponseTo');
    if (confirmed !== inResponseTo) {
      throw new SsoRefusal(`the assertion's SubjectConfirmationData InResponseTo ${JSON.stringify(confirmed || '(missing)')} is not the Response's InResponseTo ${JSON.stringify(inResponseTo)}`);
    }
    if (!c.getAttribute('NotOnOrAfter')) throw new SsoRefusal('the SubjectConfirmationData has no NotOnOrAfter (required for bearer assertions)');
  }
  const assertionId = assertion.getAttribute('ID');
  if (!assertionId) throw new SsoRefusal('the assertion has no ID');
  const nameId = elements(assertion, NS.assertion, 'NameID')[0];
  if (nameId?.getAttribute('Format') === TRANSIENT) {
    throw new SsoRefusal('the NameID is transient (a new one each login); configure the IdP to send a persistent or email NameID');
  }
  if ((nameId?.textContent ?? '').trim().length > MAX_SUBJECT) throw new SsoRefusal(`the NameID is longer than ${MAX_SUBJECT} characters`);
  // node-saml reads SubjectConfirmationData times only when it checks InResponseTo itself, which it does not
  // here: every window is checked, with the same 60 s skew.
  let latest = 0;
  for (const e of [...elements(assertion, NS.assertion, 'Conditions'), ...confirmations]) {
    const notBefore = instant(e, 'NotBefore');
    const notOnOrAfter = instant(e, 'NotOnOrAfter');
    if (notBefore !== null && now + CLOCK_SKEW_MS < notBefore) throw new SsoRefusal(`the assertion is not yet valid (${e.localName} NotBefore ${e.getAttribute('NotBefore')})`);
    if (notOnOrAfter !== null && now - CLOCK_SKEW_MS >= notOnOrAfter) throw new SsoRefusal(`the assertion expired (${e.localName} NotOnOrAfter ${e.getAttribute('NotOnOrAfter')})`);
    if (notOnOrAfter !== null) latest = Math.max(latest, notOnOrAfter);
  }
  return { inResponseTo, assertionId, expiresAt: new Date(latest + CLOCK_SKEW_MS).toISOString() };
}

function instant(e: Element, attr: string): number | null {
  const raw = e.getAttribute(attr);
  if (!raw) return null;
  const t = Date.parse(raw);
  if (Number.isNaN(t)) throw new SsoRefusal(`${e.localName} ${attr} ${JSON.stringify(raw.slice(0, 40))} is not a time`);
  return t;
}

/** The library's checks: the signature against the pinned certificate only, issuer, audience, time window, status. */
export async function verifyResponse(
  config: StoredSsoConfig,
  sp: ServiceProviderInfo,
  samlResponse: string,
  emailAttributes: string[],
  nameAttributes: string[],
): Promise<Omit<SamlIdentity, 'assertionId'>> {
  let profile;
  try {
    ({ profile } = await library(config, sp).validatePostResponseAsync({ SAMLResponse: samlResponse }));
  } catch (err) {
    throw new SsoRefusal(`the SAML library refused the response: ${(err as Error).message}`);
  }
  if (!profile?.nameID) throw new SsoRefusal('the assertion has no NameID');
  // node-saml checks the issuer of logout messages only.
  if (profile.issuer !== config.idpEntityId) {
    throw new SsoRefusal(`the assertion's Issuer ${JSON.stringify(profile.issuer ?? '(missing)')} is not this organization's IdP ${config.idpEntityId}`, { subject: profile.nameID });
  }
  const attr = (names: string[]): string | null => {
    for (const n of names) {
      const v = (profile as Record<string, unknown>)[n];
      const first = Array.isArray(v) ? v[0] : v;
      if (typeof first === 'string' && first.trim()) return first.trim();
    }
    return null;
  };
  const nameIdIsEmail = profile.nameIDFormat?.endsWith(':emailAddress') || /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(profile.nameID);
  const email = attr(emailAttributes) ?? (nameIdIsEmail ? profile.nameID : null);
  const given = attr(['firstName', 'givenName', 'given_name', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname']);
  const family = attr(['lastName', 'surname', 'family_name', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname']);
  const name = attr(nameAttributes) ?? ([given, family].filter(Boolean).join(' ') || null);
  return { subject: profile.nameID, email, name };
}

/** The database key of a login in flight: its request id is never stored as is. */
export const requestKey = (requestId: string): string => sha256Hex(`saml\n${requestId}`);

