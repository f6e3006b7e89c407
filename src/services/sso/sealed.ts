/** The secret box's associated data for each sealed SSO column: a value sealed for one does not open in another. */
export const CLIENT_SECRET_CONTEXT = 'sso_configs.oidc_client_secret';
export const VERIFIER_CONTEXT = 'sso_login_requests.code_verifier';
