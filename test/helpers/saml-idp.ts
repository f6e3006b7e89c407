// A SAML 2.0 identity provider for tests: it issues signed (and, on request, deliberately broken)
// Responses for the HTTP-POST binding, publishes its metadata, and reads the AuthnRequests our SP sends.
import { KeyObject, randomBytes, webcrypto } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { DOMParser, XMLSerializer } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';

const PROTOCOL_NS = 'urn:oasis:names:tc:SAML:2.0:protocol';
const ASSERTION_NS = 'urn:oasis:names:tc:SAML:2.0:assertion';
const METADATA_NS = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DSIG_NS = 'http://www.w3.org/2000/09/xmldsig#';
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
const EMAIL_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';

// sha1 signs with a sha1 digest too, as legacy IdPs do, so a refusal cannot hinge on only one of the two.
const ALGORITHMS = {
  'rsa-sha256': { signature: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', digest: 'http://www.w3.org/2001/04/xmlenc#sha256' },
  'rsa-sha1': { signature: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1', digest: 'http://www.w3.org/2000/09/xmldsig#sha1' },
} as const;

// XPaths by position, never by ID, so that an ID chosen by a test cannot inject into the expression.
const RESPONSE_XPATH = "/*[local-name(.)='Response']";
const ASSERTION_XPATH = `${RESPONSE_XPATH}/*[local-name(.)='Assertion']`;

export interface Certificate {
  pem: string;
  /** The DER in base64, without header, footer or newlines: what goes in ds:X509Certificate. */
  base64: string;
  privateKeyPem: string;
}

// @peculiar/x509 2.x resolves its algorithms through tsyringe, which refuses to load without a Reflect
// metadata polyfill, and none (reflect-metadata, core-js) is installed. tsyringe needs only these three
// functions; they are added when absent, before the library is first imported (hence the dynamic import).
function ensureReflectMetadata(): void {
  const reflect = Reflect as unknown as Record<string, unknown>;
  if (typeof reflect.getMetadata === 'function') return;
  const store = new WeakMap<object, Map<unknown, unknown>>();
  const own = (target: object) => store.get(target) ?? store.set(target, new Map()).get(target)!;
  reflect.defineMetadata = (key: unknown, value: unknown, target: object) => own(target).set(key, value);
  reflect.getOwnMetadata = (key: unknown, target: object) => store.get(target)?.get(key);
  reflect.getMetadata = (key: unknown, target: object): unknown => {
    for (let t: object | null = target; t; t = Object.getPrototypeOf(t)) if (store.get(t)?.has(key)) return store.get(t)!.get(key);
    return undefined;
  };
}

/** RSA-2048 key pair and a self-signed X.509 certificate (SHA-256), made with node:crypto webcrypto + @peculiar/x509. */
export async function makeCertificate(opts: { commonName?: string; notBefore?: Date; notAfter?: Date } = {}): Promise<Certificate> {
  ensureReflectMetadata();
  const x509 = await import('@peculiar/x509');
  const now = Date.now();
  const algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: '01' + randomBytes(8).toString('hex'), // leading 01: a positive serial
      name: [{ CN: [opts.commonName ?? 'Test IdP'] }], // structured, so a comma in the name needs no DN escaping
      notBefore: opts.notBefore ?? new Date(now - 24 * 3600_000),
      notAfter: opts.notAfter ?? new Date(now + 365 * 24 * 3600_000),
      signingAlgorithm: algorithm,
      keys: keys as CryptoKeyPair,
      // Without extensions @peculiar/x509 writes an empty, non-DER extensions list; these are what IdPs use anyway.
      extensions: [new x509.BasicConstraintsExtension(false), new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)],
    },
    webcrypto as Crypto,
  );
  return {
    pem: cert.toString('pem'),
    base64: cert.toString('base64'),
    privateKeyPem: KeyObject.from(keys.privateKey).export({ type: 'pkcs8', format: 'pem' }) as string,
  };
}

export interface AssertionOptions {
  destination: string;
  recipient: string;
  audience: string;
  /** Response/@InResponseTo and SubjectConfirmationData/@InResponseTo; null or absent: omitted. */
  inResponseTo?: string | null;
  nameId: string;
  nameIdFormat?: string;
  attributes?: Record<string, string | string[]>;
  issuer?: string;
  now?: Date;
  notBefore?: Date;
  notOnOrAfter?: Date;
  /** SubjectConfirmationData/@NotOnOrAfter alone, when it should differ from the Conditions'. */
  confirmationNotOnOrAfter?: Date;
  /** The top-level StatusCode; default Success. */
  status?: string;
  assertionId?: string;
  responseId?: string;
  sign?: 'assertion' | 'response' | 'both' | 'none';
  signWith?: Certificate;
  embedCertificate?: boolean;
  signatureAlgorithm?: 'rsa-sha256' | 'rsa-sha1';
}

export class TestIdp {
  private constructor(
    readonly entityId: string,
    readonly ssoUrl: string,
    readonly certificate: Certificate,
  ) {}

  static async create(opts: { entityId?: string; ssoUrl?: string; certificate?: Certificate } = {}): Promise<TestIdp> {
    return new TestIdp(
      opts.entityId ?? 'https://idp.test/saml/metadata',
      opts.ssoUrl ?? 'https://idp.test/sso',
      opts.certificate ?? (await makeCertificate({ commonName: 'idp.test' })),
    );
  }

  /** The Response XML, signed as asked with exclusive c14n + enveloped-signature, each Signature right after its Issuer. */
  response(o: AssertionOptions): string {
    const now = o.now ?? new Date();
    const notBefore = o.notBefore ?? new Date(now.getTime() - 60_000);
    const notOnOrAfter = o.notOnOrAfter ?? new Date(now.getTime() + 5 * 60_000);
    const issuer = esc(o.issuer ?? this.entityId);
    const inResponseTo = o.inResponseTo == null ? '' : ` InResponseTo="${esc(o.inResponseTo)}"`;
    const attributes = Object.entries(o.attributes ?? {});
    const attributeStatement = attributes.length === 0 ? '' : [
      '<saml:AttributeStatement>',
      ...attributes.map(([name, value]) => [
        `<saml:Attribute Name="${esc(name)}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic">`,
        ...[value].flat().map((v) => `<saml:AttributeValue>${esc(v)}</saml:AttributeValue>`),
        '</saml:Attribute>',
      ].join('')),
      '</saml:AttributeStatement>',
    ].join('');
    // No whitespace between elements: nothing for a canonicalizer or a parser to disagree about.
    let xml = [
      `<samlp:Response xmlns:samlp="${PROTOCOL_NS}" xmlns:saml="${ASSERTION_NS}" ID="${esc(o.responseId ?? newId())}" Version="2.0"`,
      ` IssueInstant="${iso(now)}" Destination="${esc(o.destination)}"${inResponseTo}>`,
      `<saml:Issuer>${issuer}</saml:Issuer>`,
      `<samlp:Status><samlp:StatusCode Value="${esc(o.status ?? 'urn:oasis:names:tc:SAML:2.0:status:Success')}"/></samlp:Status>`,
      `<saml:Assertion xmlns:saml="${ASSERTION_NS}" ID="${esc(o.assertionId ?? newId())}" Version="2.0" IssueInstant="${iso(now)}">`,
      `<saml:Issuer>${issuer}</saml:Issuer>`,
      '<saml:Subject>',
      `<saml:NameID Format="${esc(o.nameIdFormat ?? EMAIL_FORMAT)}">${esc(o.nameId)}</saml:NameID>`,
      '<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">',
      `<saml:SubjectConfirmationData${inResponseTo} NotOnOrAfter="${iso(o.confirmationNotOnOrAfter ?? notOnOrAfter)}" Recipient="${esc(o.recipient)}"/>`,
      '</saml:SubjectConfirmation>',
      '</saml:Subject>',
      `<saml:Conditions NotBefore="${iso(notBefore)}" NotOnOrAfter="${iso(notOnOrAfter)}">`,
      `<saml:AudienceRestriction><saml:Audience>${esc(o.audience)}</saml:Audience></saml:AudienceRestriction>`,
      '</saml:Conditions>',
      `<saml:AuthnStatement AuthnInstant="${iso(now)}" SessionIndex="${newId()}">`,
      '<saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext>',
      '</saml:AuthnStatement>',
      attributeStatement,
      '</saml:Assertion>',
      '</samlp:Response>',
    ].join('');

    const sign = o.sign ?? 'assertion';
    const how = { cert: o.signWith ?? this.certificate, embed: o.embedCertificate ?? true, algorithm: o.signatureAlgorithm ?? 'rsa-sha256' } as const;
    // The assertion first: the response signature then covers the assertion's signature too.
    if (sign === 'assertion' || sign === 'both') xml = signElement(xml, ASSERTION_XPATH, how);
    if (sign === 'response' || sign === 'both') xml = signElement(xml, RESPONSE_XPATH, how);
    return xml;
  }

  /** base64 of the XML: the SAMLResponse form field of the HTTP-POST binding. */
  static encode(xml: string): string {
    return Buffer.from(xml, 'utf8').toString('base64');
  }

  /** IdP metadata: the signing certificate(s) and the SSO endpoints, both bindings at ssoUrl. */
  metadata(opts: { extraSigningCertificates?: Certificate[] } = {}): string {
    const keys = [this.certificate, ...(opts.extraSigningCertificates ?? [])].map(
      (c) => `<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${c.base64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`,
    );
    return [
      `<md:EntityDescriptor xmlns:md="${METADATA_NS}" xmlns:ds="${DSIG_NS}" entityID="${esc(this.entityId)}">`,
      `<md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="${PROTOCOL_NS}">`,
      ...keys,
      `<md:NameIDFormat>${EMAIL_FORMAT}</md:NameIDFormat>`,
      `<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${esc(this.ssoUrl)}"/>`,
      `<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${esc(this.ssoUrl)}"/>`,
      '</md:IDPSSODescriptor>',
      '</md:EntityDescriptor>',
    ].join('');
  }
}

function signElement(xml: string, xpath: string, how: { cert: Certificate; embed: boolean; algorithm: keyof typeof ALGORITHMS }): string {
  const sig = new SignedXml({
    privateKey: how.cert.privateKeyPem,
    publicCert: how.cert.pem,
    signatureAlgorithm: ALGORITHMS[how.algorithm].signature,
    canonicalizationAlgorithm: EXC_C14N,
    // xml-crypto embeds publicCert in KeyInfo by default; noop leaves KeyInfo out altogether.
    getKeyInfoContent: how.embed ? SignedXml.getKeyInfoContent : SignedXml.noop,
  });
  sig.addReference({ xpath, transforms: [ENVELOPED, EXC_C14N], digestAlgorithm: ALGORITHMS[how.algorithm].digest });
  // The schema puts ds:Signature right after saml:Issuer, in both Response and Assertion.
  sig.computeSignature(xml, { location: { reference: `${xpath}/*[local-name(.)='Issuer']`, action: 'after' }, prefix: 'ds' });
  return sig.getSignedXml();
}

// ---- Attacks on an already signed Response: each takes and returns the XML string. ----

/** Changes the NameID text after signing: the digest no longer matches. */
export function replaceNameId(xml: string, value: string): string {
  const doc = parse(xml);
  setText(firstChild(firstAssertion(doc), ASSERTION_NS, 'Subject'), 'NameID', value);
  return serialize(doc);
}

/**
 * Appends a second Assertion to the Response. Without nameId it is an exact copy, signature and ID
 * included; with nameId it is an unsigned forgery for that user, with an ID of its own.
 */
export function duplicateAssertion(xml: string, opts: { nameId?: string } = {}): string {
  const doc = parse(xml);
  const original = firstAssertion(doc);
  const copy = opts.nameId === undefined ? (original.cloneNode(true) as Element) : forge(original, opts.nameId);
  doc.documentElement.appendChild(copy);
  return serialize(doc);
}

/** Puts `<!DOCTYPE>` with an internal subset (one general and one external entity) before the root. */
export function addDoctype(xml: string): string {
  const doctype = '<!DOCTYPE samlp:Response [<!ENTITY test "entity-value"><!ENTITY xxe SYSTEM "file:///etc/hostname">]>';
  const declaration = /^<\?xml[^>]*\?>/.exec(xml)?.[0] ?? '';
  return declaration + doctype + xml.slice(declaration.length);
}

/**
 * XML signature wrapping: the signed Assertion is moved, intact, into samlp:Extensions (where the
 * schema allows any element) and an unsigned forged Assertion for evilNameId takes its place.
 * A verifier that checks "some signature is valid" and then reads "the" assertion is fooled.
 */
export function wrapAssertion(xml: string, evilNameId: string): string {
  const doc = parse(xml);
  const response = doc.documentElement;
  const original = firstAssertion(doc);
  response.replaceChild(forge(original, evilNameId), original);
  const extensions = doc.createElementNS(PROTOCOL_NS, 'samlp:Extensions');
  extensions.appendChild(original);
  // Extensions comes after Issuer and any Signature, before Status.
  response.insertBefore(extensions, firstChild(response, PROTOCOL_NS, 'Status'));
  return serialize(doc);
}

/** A copy of the assertion for another user, without its signature and under a new ID. */
function forge(assertion: Element, nameId: string): Element {
  const evil = assertion.cloneNode(true) as Element;
  const signature = childElements(evil).find((e) => e.namespaceURI === DSIG_NS && e.localName === 'Signature');
  if (signature) evil.removeChild(signature);
  evil.setAttribute('ID', newId());
  setText(firstChild(evil, ASSERTION_NS, 'Subject'), 'NameID', nameId);
  return evil;
}

// ---- The SP-initiated side: what our login redirect sends to the IdP. ----

/** From the Location of our SP-initiated login redirect: the inflated AuthnRequest and its salient fields. */
export function readAuthnRequest(location: string): {
  xml: string;
  id: string;
  acsUrl: string | null;
  destination: string | null;
  issuer: string | null;
  relayState: string | null;
} {
  const params = new URL(location).searchParams;
  const encoded = params.get('SAMLRequest');
  if (!encoded) throw new Error(`no SAMLRequest in ${location}`);
  // URLSearchParams reads an unescaped '+' as a space; in base64 it can only have been a '+'.
  // The HTTP-Redirect binding always DEFLATEs (raw, no zlib header) before base64.
  const xml = inflateRawSync(Buffer.from(encoded.replace(/ /g, '+'), 'base64')).toString('utf8');
  const root = parse(xml).documentElement;
  if (root.namespaceURI !== PROTOCOL_NS || root.localName !== 'AuthnRequest') throw new Error(`not an AuthnRequest: ${root.tagName}`);
  const issuer = childElements(root).find((e) => e.namespaceURI === ASSERTION_NS && e.localName === 'Issuer');
  return {
    xml,
    id: root.getAttribute('ID') ?? '',
    acsUrl: root.getAttribute('AssertionConsumerServiceURL') || null,
    destination: root.getAttribute('Destination') || null,
    issuer: issuer?.textContent ?? null,
    relayState: params.get('RelayState'),
  };
}

// ---- Small XML utilities. ----

/** Escapes text and attribute values alike (quotes included), so every value is safe in either place. */
function esc(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

function iso(date: Date): string {
  return date.toISOString();
}

function newId(): string {
  return '_' + randomBytes(20).toString('hex'); // an NCName: xs:ID may not start with a digit
}

function parse(xml: string): Document {
  // xmldom only reports malformed input; make it throw so a broken fixture fails loudly.
  const fail = (msg: string) => {
    throw new Error(`malformed XML: ${msg}`);
  };
  return new DOMParser({ errorHandler: { warning: () => {}, error: fail, fatalError: fail } }).parseFromString(xml, 'text/xml');
}

function serialize(doc: Document): string {
  return new XMLSerializer().serializeToString(doc);
}

function childElements(parent: Element): Element[] {
  return Array.from(parent.childNodes).filter((n): n is Element => n.nodeType === 1);
}

function firstChild(parent: Element, ns: string, localName: string): Element {
  const found = childElements(parent).find((e) => e.namespaceURI === ns && e.localName === localName);
  if (!found) throw new Error(`no ${localName} in ${parent.tagName}`);
  return found;
}

function firstAssertion(doc: Document): Element {
  return firstChild(doc.documentElement, ASSERTION_NS, 'Assertion');
}

function setText(parent: Element, localName: string, value: string): void {
  const el = firstChild(parent, ASSERTION_NS, localName);
  while (el.firstChild) el.removeChild(el.firstChild);
  el.appendChild(el.ownerDocument.createTextNode(value));
}
