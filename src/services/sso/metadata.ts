import type { CertificateInfo } from './certificates.js';
import { inspectCertificate } from './certificates.js';
import { NS, elements, parseIdpXml, textOf } from './xml.js';

export interface IdpMetadata {
  entityId: string;
  ssoUrl: string;
  certificates: (CertificateInfo & { problem: string | null })[];
}

const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';

/** The IdP's entity id, its SSO URL (HTTP-Redirect preferred, as our login uses it) and signing certificates. */
export function parseIdpMetadata(xml: string, now: Date): IdpMetadata {
  const doc = parseIdpXml(xml);
  const idp = elements(doc, NS.metadata, 'IDPSSODescriptor')[0];
  if (!idp) throw new Error('the document is not SAML IdP metadata: it has no IDPSSODescriptor');
  const entity = idp.parentNode as Element | null;
  const entityId = entity?.getAttribute?.('entityID');
  if (!entityId) throw new Error('the metadata has no entityID');
  const services = elements(idp, NS.metadata, 'SingleSignOnService');
  const service = services.find((s) => s.getAttribute('Binding') === REDIRECT) ?? services.find((s) => s.getAttribute('Binding') === POST);
  const ssoUrl = service?.getAttribute('Location');
  if (!ssoUrl) throw new Error('the metadata names no SingleSignOnService with the HTTP-Redirect or HTTP-POST binding');
  const certificates: IdpMetadata['certificates'] = [];
  for (const kd of elements(idp, NS.metadata, 'KeyDescriptor')) {
    const use = kd.getAttribute('use');
    if (use && use !== 'signing') continue;
    for (const c of elements(kd, NS.dsig, 'X509Certificate')) {
      const text = textOf(c);
      if (!text) continue;
      const r = inspectCertificate(text, now);
      if (r.info && !certificates.some((x) => x.fingerprintSha256 === r.info!.fingerprintSha256)) certificates.push({ ...r.info, problem: r.problem });
    }
  }
  if (certificates.length === 0) throw new Error('the metadata holds no signing certificate');
  return { entityId, ssoUrl, certificates };
}
