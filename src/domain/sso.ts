/** Single sign-on: the configuration's shape and the identity providers we know how to set up. */

export const SAML_PROVIDERS = ['okta', 'azure', 'auth0', 'onelogin', 'ping', 'google', 'jumpcloud', 'adfs', 'generic'] as const;
export const SSO_PROVIDERS = [...SAML_PROVIDERS, 'oidc'] as const;
export type SsoProvider = (typeof SSO_PROVIDERS)[number];
export type SsoProtocol = 'saml' | 'oidc';

/** Our names for what a login needs from the IdP, and the claim each defaults to. */
export const DEFAULT_CLAIM_MAPPING = { email: 'email', name: 'name', givenName: 'given_name', familyName: 'family_name' } as const;
export type ClaimMapping = Record<keyof typeof DEFAULT_CLAIM_MAPPING, string>;

export interface SsoConfig {
  orgId: string;
  protocol: SsoProtocol;
  provider: SsoProvider;
  enabled: boolean;
  enforceSso: boolean;
  idpEntityId: string | null;
  idpSsoUrl: string | null;
  idpCertificate: string | null;
  idpMetadataUrl: string | null;
  emailDomains: string[];
  oidcIssuer: string | null;
  oidcAudience: string | null;
  oidcJwksUri: string | null;
  oidcClaimMapping: ClaimMapping;
  /** Whether a client secret is stored; the secret itself never leaves the service. */
  oidcClientSecretSet: boolean;
  createdAt: string;
  updatedAt: string;
}

/** What this service is to the IdP: the values an administrator pastes into the IdP's console. */
export interface ServiceProviderInfo {
  entityId: string;
  acsUrl: string;
  metadataUrl: string;
  oidcRedirectUri: string;
}

export interface ProviderGuide {
  id: SsoProvider;
  name: string;
  protocols: SsoProtocol[];
  /** What the IdP calls the values it needs from us and gives us. */
  setupHints: string[];
  /** SAML attribute names this IdP sends for email and name, tried in order after the NameID. */
  samlEmailAttributes: string[];
  samlNameAttributes: string[];
  metadataUrlExample: string | null;
  oidcIssuerExample: string | null;
}

const AZURE_CLAIMS = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims';
const COMMON_EMAIL = ['email', 'mail', 'Email', 'emailAddress', `${AZURE_CLAIMS}/emailaddress`, 'urn:oid:0.9.2342.19200300.100.1.3'];
const COMMON_NAME = ['name', 'displayName', 'http://schemas.microsoft.com/identity/claims/displayname', 'urn:oid:2.16.840.1.113730.3.1.241'];

const guide = (g: Omit<ProviderGuide, 'samlEmailAttributes' | 'samlNameAttributes'> & Partial<ProviderGuide>): ProviderGuide => ({
  samlEmailAttributes: COMMON_EMAIL,
  samlNameAttributes: COMMON_NAME,
  ...g,
});

export const PROVIDER_GUIDES: readonly ProviderGuide[] = [
  guide({
    id: 'okta',
    name: 'Okta',
    protocols: ['saml', 'oidc'],
    setupHints: [
      'Applications > Create App Integration > SAML 2.0 (or OIDC - Web Application for OIDC).',
      'Single sign-on URL: the ACS URL; Audience URI (SP Entity ID): the entity id (both from GET /api/v1/sso/sp-metadata).',
      'Name ID format EmailAddress, Application username Email; attribute statement email -> user.email.',
      'Copy the "Metadata URL" from the Sign On tab into idp_metadata_url, or POST it to /api/v1/sso/fetch-metadata.',
      'For OIDC: sign-in redirect URI = the oidc_redirect_uri; issuer https://<your-okta-domain> (or .../oauth2/default).',
    ],
    metadataUrlExample: 'https://<your-okta-domain>/app/<app-id>/sso/saml/metadata',
    oidcIssuerExample: 'https://<your-okta-domain>',
  }),
  guide({
    id: 'azure',
    name: 'Microsoft Entra ID',
    protocols: ['saml', 'oidc'],
    setupHints: [
      'Enterprise applications > New application > Create your own > Non-gallery; Single sign-on > SAML.',
      'Identifier (Entity ID): the entity id; Reply URL (ACS): the ACS URL.',
      'Federation Metadata XML URL goes into idp_metadata_url; the certificate is "Certificate (Base64)".',
      'For OIDC: App registrations > Redirect URI (Web) = the oidc_redirect_uri; issuer https://login.microsoftonline.com/<tenant-id>/v2.0.',
    ],
    samlNameAttributes: ['http://schemas.microsoft.com/identity/claims/displayname', ...COMMON_NAME],
    metadataUrlExample: 'https://login.microsoftonline.com/<tenant-id>/federationmetadata/2007-06/federationmetadata.xml?appid=<app-id>',
    oidcIssuerExample: 'https://login.microsoftonline.com/<tenant-id>/v2.0',
  }),
  guide({
    id: 'auth0',
    name: 'Auth0',
    protocols: ['saml', 'oidc'],
    setupHints: [
      'Applications > your app > Addons > SAML2 Web App: Application Callback URL = the ACS URL; settings {"audience": "<entity id>"}.',
      'Metadata: https://<tenant>.auth0.com/samlp/metadata/<client-id>.',
      'For OIDC: Allowed Callback URLs = the oidc_redirect_uri; issuer https://<tenant>.auth0.com/ (with the trailing slash).',
    ],
    metadataUrlExample: 'https://<tenant>.auth0.com/samlp/metadata/<client-id>',
    oidcIssuerExample: 'https://<tenant>.auth0.com/',
  }),
  guide({
    id: 'onelogin',
    name: 'OneLogin',
    protocols: ['saml', 'oidc'],
    setupHints: ['Applications > Add App > "SAML Custom Connector (Advanced)": Audience = entity id, Recipient and ACS URL = the ACS URL.', 'SSO tab: Issuer URL is the metadata URL.'],
    metadataUrlExample: 'https://<subdomain>.onelogin.com/saml/metadata/<app-id>',
    oidcIssuerExample: 'https://<subdomain>.onelogin.com/oidc/2',
  }),
  guide({
    id: 'ping',
    name: 'PingIdentity',
    protocols: ['saml', 'oidc'],
    setupHints: ['Connections > Applications > SAML: ACS URL and Entity ID from /api/v1/sso/sp-metadata; sign the assertion (RSA-SHA256).', 'Download the IdP metadata URL from the application\'s Configuration tab.'],
    metadataUrlExample: 'https://auth.pingone.com/<env-id>/saml20/metadata/<app-id>',
    oidcIssuerExample: 'https://auth.pingone.com/<env-id>/as',
  }),
  guide({
    id: 'google',
    name: 'Google Workspace',
    protocols: ['saml', 'oidc'],
    setupHints: ['Admin console > Apps > Web and mobile apps > Add custom SAML app: ACS URL and Entity ID from /api/v1/sso/sp-metadata, Name ID = Primary email.', 'Copy the SSO URL, Entity ID and certificate from "Google Identity Provider details" (Google offers no metadata URL).'],
    metadataUrlExample: null,
    oidcIssuerExample: 'https://accounts.google.com',
  }),
  guide({
    id: 'jumpcloud',
    name: 'JumpCloud',
    protocols: ['saml'],
    setupHints: ['SSO Applications > Custom SAML App: SP Entity ID = entity id, ACS URL = the ACS URL, SAMLSubject NameID = email.', 'Export the IdP metadata and paste its certificate, or give its URL.'],
    metadataUrlExample: null,
    oidcIssuerExample: null,
  }),
  guide({
    id: 'adfs',
    name: 'Active Directory Federation Services',
    protocols: ['saml'],
    setupHints: ['Add Relying Party Trust > enter data manually: Relying party identifier = entity id, SAML 2.0 WebSSO URL = the ACS URL.', 'Claim rules: send E-Mail-Addresses as Name ID (email format); the secure hash algorithm must be SHA-256.'],
    metadataUrlExample: 'https://<adfs-host>/FederationMetadata/2007-06/FederationMetadata.xml',
    oidcIssuerExample: null,
  }),
  guide({
    id: 'generic',
    name: 'Any SAML 2.0 identity provider',
    protocols: ['saml'],
    setupHints: ['Give the IdP the entity id and ACS URL (HTTP-POST binding); it must sign the assertion or the response with RSA-SHA256 or stronger.', 'Give us its entity id, SSO URL (HTTP-Redirect binding) and signing certificate, or its metadata URL.'],
    metadataUrlExample: null,
    oidcIssuerExample: null,
  }),
  guide({
    id: 'oidc',
    name: 'Any OpenID Connect provider',
    protocols: ['oidc'],
    setupHints: ['Register a web application with the redirect URI oidc_redirect_uri (from /api/v1/sso/sp-metadata), grant type authorization_code.', 'Give us the issuer (its /.well-known/openid-configuration must answer), the client id as oidc_audience and, for a confidential client, oidc_client_secret.', 'ID tokens must be signed with RS256 or ES256.'],
    metadataUrlExample: null,
    oidcIssuerExample: 'https://idp.example.com',
  }),
];

export function providerGuide(id: SsoProvider): ProviderGuide {
  return PROVIDER_GUIDES.find((g) => g.id === id)!;
}

/** Portal paths a login may return to (RelayState or return_to): our own pages, nothing that leaves the site. */
export function safeReturnPath(raw: string | null | undefined): string | null {
  if (!raw) return null;
  if (raw.length > 512 || !raw.startsWith('/') || raw.startsWith('//') || raw.includes('\\')) return null;
  if (/[\u0000-\u001f\u007f]/.test(raw)) return null;
  try {
    const u = new URL(raw, 'https://portal.invalid');
    if (u.origin !== 'https://portal.invalid') return null;
    if (u.pathname.startsWith('/api/') || u.pathname.startsWith('/auth/') || u.pathname.startsWith('/scim/')) return null;
    return u.pathname + u.search + u.hash;
  } catch {
    return null;
  }
}

export const DEFAULT_RETURN_PATH = '/';
