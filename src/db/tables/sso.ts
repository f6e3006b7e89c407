/** Tables of this area; merged into Tables in ../tables.ts. */
export interface SsoConfigsTable {
  org_id: string;
  protocol: string;
  provider: string;
  enabled: number;
  enforce_sso: number;
  idp_entity_id: string | null;
  idp_sso_url: string | null;
  /** PEM. */
  idp_certificate: string | null;
  idp_metadata_url: string | null;
  /** JSON array of lower-case domains. */
  email_domains: string;
  oidc_issuer: string | null;
  oidc_audience: string | null;
  oidc_jwks_uri: string | null;
  /** JSON object: our claim name -> the IdP's. */
  oidc_claim_mapping: string | null;
  /** Sealed (crypto/secret-box). */
  oidc_client_secret: string | null;
  created_at: string;
  updated_at: string;
}

export interface SsoLoginRequestsTable {
  /** SHA-256 of the AuthnRequest ID (SAML) or the state (OIDC). */
  id: string;
  org_id: string;
  protocol: string;
  /** SHA-256 of the browser-binding cookie's value. */
  browser_digest: string;
  /** The portal path the login returns to (already allow-listed). */
  return_to: string;
  nonce: string | null;
  /** Sealed PKCE verifier (OIDC). */
  code_verifier: string | null;
  created_at: string;
  expires_at: string;
  consumed_at: string | null;
}

export interface SsoAssertionIdsTable {
  org_id: string;
  assertion_id: string;
  expires_at: string;
}

export interface SsoIdentitiesTable {
  org_id: string;
  /** The SAML IdP entity id or the OIDC issuer. */
  idp: string;
  subject: string;
  user_id: string;
  created_at: string;
  last_login_at: string;
}

export interface SsoTables {
  sso_configs: SsoConfigsTable;
  sso_login_requests: SsoLoginRequestsTable;
  sso_assertion_ids: SsoAssertionIdsTable;
  sso_identities: SsoIdentitiesTable;
}
