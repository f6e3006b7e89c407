import { InvalidInput, NotFound } from '../../domain/errors.js';
import { snakeKeys } from '../case.js';
import { bodyFields, listBody, pageArgs, queryEnum, queryString } from '../input.js';
import { route } from '../router.js';

const CONFIG_FIELDS = `orgId protocol provider enabled enforceSso idpEntityId idpSsoUrl idpCertificate idpMetadataUrl emailDomains
  oidcIssuer oidcAudience oidcJwksUri oidcClaimMapping { email name givenName familyName } oidcClientSecretSet createdAt updatedAt`;
const PROVIDER_FIELDS = 'id name protocols setupHints samlEmailAttributes samlNameAttributes metadataUrlExample oidcIssuerExample';

export const ssoRoutes = [
  route('GET', '/api/v1/sso/config', {
    operation: `query { ssoConfig { ${CONFIG_FIELDS} } }`,
    respond: (d) => {
      if (!d.ssoConfig) throw new NotFound('this organization has no SSO configuration; create one with POST /api/v1/sso/config');
      return { status: 200, body: snakeKeys(d.ssoConfig) };
    },
  }),
  route('POST', '/api/v1/sso/config', {
    operation: `mutation($input: SsoConfigInput!) { createSsoConfig(input: $input) { ${CONFIG_FIELDS} } }`,
    variables: (req) => ({ input: req.body }),
    respond: (d) => ({ status: 201, body: snakeKeys(d.createSsoConfig) }),
  }),
  route('PUT', '/api/v1/sso/config', {
    operation: `mutation($input: SsoConfigInput!) { replaceSsoConfig(input: $input) { ${CONFIG_FIELDS} } }`,
    variables: (req) => ({ input: req.body }),
    respond: (d) => ({ status: 200, body: snakeKeys(d.replaceSsoConfig) }),
  }),
  route('PATCH', '/api/v1/sso/config', {
    operation: `mutation($enabled: Boolean, $enforceSso: Boolean) { updateSsoConfig(enabled: $enabled, enforceSso: $enforceSso) { ${CONFIG_FIELDS} } }`,
    variables: (req) => bodyFields(req, ['enabled', 'enforceSso']),
    respond: (d) => ({ status: 200, body: snakeKeys(d.updateSsoConfig) }),
  }),
  route('DELETE', '/api/v1/sso/config', {
    operation: 'mutation { deleteSsoConfig }',
    respond: () => ({ status: 200, body: { deleted: true } }),
  }),
  route('POST', '/api/v1/sso/config/test', {
    operation: 'mutation { testSsoConfig { name passed reason } }',
    variables: (req) => bodyFields(req, []),
    respond: (d) => ({
      status: 200,
      body: { passed: d.testSsoConfig.every((c: { passed: boolean }) => c.passed), checks: d.testSsoConfig },
    }),
  }),
  route('GET', '/api/v1/sso/providers', {
    operation: `query { ssoProviders { ${PROVIDER_FIELDS} } }`,
    respond: (d) => ({
      status: 200,
      body: { providers: d.ssoProviders.map((p: { id: string; name: string; protocols: string[] }) => ({ id: p.id, name: p.name, protocols: p.protocols })) },
    }),
  }),
  route('GET', '/api/v1/sso/providers/defaults', {
    operation: `query { ssoProviders { ${PROVIDER_FIELDS} } }`,
    respond: (d) => ({
      status: 200,
      body: { defaults: Object.fromEntries(d.ssoProviders.map((p: { id: string }) => [p.id, snakeKeys(p)])) },
    }),
  }),
  route('GET', '/api/v1/sso/sp-metadata', {
    operation: 'query { ssoServiceProvider { entityId acsUrl metadataUrl oidcRedirectUri metadataXml } }',
    respond: (d) => ({ status: 200, body: snakeKeys(d.ssoServiceProvider) }),
  }),
  route('POST', '/api/v1/sso/fetch-metadata', {
    operation: `mutation($url: String!) { fetchIdpMetadata(url: $url) {
      entityId ssoUrl certificates { pem subject issuer notBefore notAfter fingerprintSha256 problem } } }`,
    variables: (req) => {
      const { url } = bodyFields(req, ['url']);
      if (typeof url !== 'string' || !url) throw new InvalidInput('is required: the IdP metadata URL (https://...)', 'url');
      return { url };
    },
    respond: (d) => ({ status: 200, body: snakeKeys(d.fetchIdpMetadata) }),
  }),
  route('GET', '/api/v1/sso/audit', {
    operation: `query($first: Int, $after: String, $outcome: SsoLoginOutcome, $from: DateTime, $to: DateTime) {
      ssoLoginAttempts(first: $first, after: $after, outcome: $outcome, from: $from, to: $to) {
        pageInfo { hasNextPage endCursor }
        edges { node { id at orgId protocol outcome subject email reason reference userId ip userAgent } } } }`,
    variables: (req) => ({
      ...pageArgs(req, 500),
      outcome: queryEnum(req, 'outcome', ['success', 'failure'] as const),
      from: queryString(req, 'from'),
      to: queryString(req, 'to'),
    }),
    respond: (d) => ({ status: 200, body: listBody('attempts', d.ssoLoginAttempts, snakeKeys) }),
  }),
  route('DELETE', '/api/v1/admin/organizations/:org_id/sso/enforcement', {
    operation: `mutation($orgId: String!) { liftSsoEnforcement(orgId: $orgId) { ${CONFIG_FIELDS} } }`,
    variables: (req) => ({ orgId: req.params.org_id }),
    respond: (d) => ({ status: 200, body: snakeKeys(d.liftSsoEnforcement) }),
  }),
];
