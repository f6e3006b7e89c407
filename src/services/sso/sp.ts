import type { ServiceProviderInfo, SsoProtocol } from '../../domain/sso.js';

/**
 * Our side of each organization's federation. `origin` is PUBLIC_URL, or where none is set the origin the
 * request came to (its Host already checked against the service's own names).
 */
export function serviceProvider(origin: string, orgId: string): ServiceProviderInfo {
  const org = encodeURIComponent(orgId);
  return {
    entityId: `${origin}/auth/saml/${org}/metadata`,
    acsUrl: `${origin}/auth/saml/${org}/callback`,
    metadataUrl: `${origin}/auth/saml/${org}/metadata`,
    oidcRedirectUri: `${origin}/auth/oidc/${org}/callback`,
  };
}

/** Where a browser starts this organization's SSO login. */
export function loginUrl(origin: string, orgId: string, protocol: SsoProtocol): string {
  return `${origin}/auth/${protocol}/${encodeURIComponent(orgId)}/login`;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** SP metadata: we want signed assertions and accept them on the HTTP-POST binding only. */
export function serviceProviderMetadataXml(sp: ServiceProviderInfo): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="${esc(sp.entityId)}">`,
    '  <md:SPSSODescriptor AuthnRequestsSigned="false" WantAssertionsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">',
    '    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>',
    '    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>',
    `    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${esc(sp.acsUrl)}" index="0" isDefault="true"/>`,
    '  </md:SPSSODescriptor>',
    '</md:EntityDescriptor>',
    '',
  ].join('\n');
}
