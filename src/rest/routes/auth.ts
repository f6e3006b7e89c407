import { InvalidInput } from '../../domain/errors.js';
import { bodyFields, queryString } from '../input.js';
import { route } from '../router.js';

export const authRoutes = [
  route('POST', '/api/v1/auth/login', {
    operation: `mutation($input: LoginInput!) { login(input: $input) { orgId email name role expiresAt } }`,
    variables: (req) => ({ input: req.body }),
    respond: (d) => ({
      status: 200,
      body: { org_id: d.login.orgId, email: d.login.email, name: d.login.name, role: d.login.role, expires_at: d.login.expiresAt },
    }),
  }),
  route('POST', '/api/v1/auth/logout', {
    operation: `mutation { logout }`,
    respond: () => ({ status: 200, body: { logged_out: true } }),
  }),
  route('GET', '/api/v1/auth/session', {
    operation: `query { session { orgId email name role permissions expiresAt } }`,
    respond: (d) => ({
      status: 200,
      body: {
        authenticated: true,
        org_id: d.session.orgId,
        email: d.session.email,
        name: d.session.name,
        role: d.session.role,
        permissions: d.session.permissions,
        expires_at: d.session.expiresAt,
      },
    }),
  }),
  route('GET', '/api/v1/auth/sso/availability', {
    operation: `query($orgId: String!) { ssoAvailability(orgId: $orgId) { ssoEnabled ssoProvider enforceSso ssoLoginUrl } }`,
    variables: (req) => {
      const orgId = queryString(req, 'org_id');
      if (!orgId) throw new InvalidInput('is required, e.g. ?org_id=acme', 'orgId');
      return { orgId };
    },
    respond: (d) => ({
      status: 200,
      body: {
        sso_enabled: d.ssoAvailability.ssoEnabled,
        sso_provider: d.ssoAvailability.ssoProvider,
        enforce_sso: d.ssoAvailability.enforceSso,
        sso_login_url: d.ssoAvailability.ssoLoginUrl,
      },
    }),
  }),
  route('POST', '/api/v1/auth/change-password', {
    operation: `mutation($currentPassword: String!, $newPassword: String!) {
      changePassword(currentPassword: $currentPassword, newPassword: $newPassword) }`,
    variables: (req) => bodyFields(req, ['currentPassword', 'newPassword']),
    respond: () => ({ status: 200, body: { password_changed: true } }),
  }),
  route('POST', '/api/v1/auth/forgot-password', {
    operation: `mutation($orgId: String!, $email: String) { requestPasswordReset(orgId: $orgId, email: $email) }`,
    variables: (req) => bodyFields(req, ['orgId', 'email']),
    respond: () => ({ status: 200, body: { message: 'if the account exists, a reset link is on its way' } }),
  }),
  route('POST', '/api/v1/auth/reset-password', {
    operation: `mutation($token: String!, $newPassword: String!) { resetPassword(token: $token, newPassword: $newPassword) }`,
    variables: (req) => bodyFields(req, ['token', 'newPassword']),
    respond: () => ({ status: 200, body: { password_reset: true } }),
  }),
];
