import { route } from '../router.js';

const VIEW_FIELDS = 'licenseId orgId tier issuedAt expiresAt maxNodes permissions status daysRemaining keyPrefix reason';
const ISSUED_FIELDS = 'licenseKey licenseId orgId tier maxNodes permissions issuedAt expiresAt';

interface LicenseViewData {
  licenseId: string;
  orgId: string;
  tier: string | null;
  issuedAt: string | null;
  expiresAt: string | null;
  maxNodes: number | null;
  permissions: string[];
  status: string;
  daysRemaining: number;
  keyPrefix: string;
  reason: string | null;
}

// Never the whole key: the prefix tells keys apart, the operator got the key once when issuing it.
function licenseJson(l: LicenseViewData): Record<string, unknown> {
  return {
    license_id: l.licenseId,
    tier: l.tier,
    org_id: l.orgId,
    issued_at: l.issuedAt,
    expires_at: l.expiresAt,
    max_nodes: l.maxNodes,
    permissions: l.permissions,
    status: l.status,
    days_remaining: l.daysRemaining,
    key_prefix: l.keyPrefix,
    ...(l.reason !== null ? { reason: l.reason } : {}),
  };
}

const noLicense = (orgId: string) => ({
  status: 404,
  body: { error: { code: 'NOT_FOUND', message: `organization ${orgId} has no license` } },
});

export const licenseRoutes = [
  route('GET', '/api/v1/license', {
    operation: `query { organization { orgId license { ${VIEW_FIELDS} } } }`,
    respond: (d) =>
      d.organization.license ? { status: 200, body: licenseJson(d.organization.license) } : noLicense(d.organization.orgId),
  }),
  route('GET', '/api/v1/license/public-key', {
    operation: `query { licensePublicKey { pem jwk } }`,
    respond: (d) => ({
      status: 200,
      body: { pem: d.licensePublicKey.pem, jwk: d.licensePublicKey.jwk },
      headers: { 'cache-control': 'public, max-age=300' },
    }),
  }),
  route('GET', '/api/v1/admin/organizations/:org_id/license', {
    operation: `query($orgId: String!) { adminLicense(orgId: $orgId) { ${VIEW_FIELDS} } }`,
    variables: (req) => ({ orgId: req.params.org_id }),
    respond: (d, req) => (d.adminLicense ? { status: 200, body: licenseJson(d.adminLicense) } : noLicense(req.params.org_id)),
  }),
  route('POST', '/api/v1/admin/organizations/:org_id/license', {
    operation: `mutation($orgId: String!, $input: IssueLicenseInput!) { issueLicense(orgId: $orgId, input: $input) { ${ISSUED_FIELDS} } }`,
    variables: (req) => ({ orgId: req.params.org_id, input: req.body }),
    respond: (d) => {
      const l = d.issueLicense;
      return {
        status: 201,
        headers: { 'cache-control': 'no-store' },
        body: {
          license_key: l.licenseKey,
          license_id: l.licenseId,
          org_id: l.orgId,
          tier: l.tier,
          max_nodes: l.maxNodes,
          permissions: l.permissions,
          issued_at: l.issuedAt,
          expires_at: l.expiresAt,
        },
      };
    },
  }),
];
