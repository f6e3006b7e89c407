import { ORG_STATUSES, TIERS } from '../../domain/vocabulary.js';
import { snakeKeys } from '../case.js';
import { bodyFields, listBody, pageArgs, queryEnum, queryString } from '../input.js';
import { route } from '../router.js';

const ORG_FIELDS = 'orgId name tier status maxNodes contactEmail contactPhone expiresAt createdAt updatedAt';
const ORG_DETAIL = `${ORG_FIELDS} modules { module enabled sources }`;
const AUDIT_FIELDS = 'id seq orgId action actorType actorId targetType targetId outcome ip userAgent details createdAt hash';
const orgJson = (o: unknown) => snakeKeys(o);

export const adminRoutes = [
  route('POST', '/api/v1/admin/organizations', {
    operation: `mutation($input: OrganizationInput!) { upsertOrganization(input: $input) { created organization { ${ORG_FIELDS} } } }`,
    variables: (req) => ({ input: req.body }),
    respond: (d) => ({
      status: d.upsertOrganization.created ? 201 : 200,
      body: orgJson(d.upsertOrganization.organization),
    }),
  }),
  route('GET', '/api/v1/admin/organizations', {
    operation: `query($first: Int, $after: String, $status: OrganizationStatus, $tier: Tier) {
      organizations(first: $first, after: $after, status: $status, tier: $tier) {
        totalCount pageInfo { hasNextPage endCursor } edges { node { ${ORG_FIELDS} } } } }`,
    variables: (req) => ({
      ...pageArgs(req, 100),
      status: queryEnum(req, 'status', ORG_STATUSES),
      tier: queryEnum(req, 'tier', TIERS),
    }),
    respond: (d) => ({ status: 200, body: listBody('organizations', d.organizations, orgJson) }),
  }),
  route('GET', '/api/v1/admin/organizations/:org_id', {
    operation: `query($orgId: String!) { adminOrganization(orgId: $orgId) { ${ORG_DETAIL} } }`,
    variables: (req) => ({ orgId: req.params.org_id }),
    respond: (d) => ({ status: 200, body: orgJson(d.adminOrganization) }),
  }),
  route('PATCH', '/api/v1/admin/organizations/:org_id', {
    operation: `mutation($orgId: String!, $input: OrganizationPatch!) { updateOrganization(orgId: $orgId, input: $input) { ${ORG_DETAIL} } }`,
    variables: (req) => ({ orgId: req.params.org_id, input: req.body }),
    respond: (d) => ({ status: 200, body: orgJson(d.updateOrganization) }),
  }),
  route('POST', '/api/v1/admin/organizations/:org_id/password', {
    operation: `mutation($orgId: String!, $password: String!) { setOrganizationPassword(orgId: $orgId, password: $password) { orgId } }`,
    variables: (req) => ({ orgId: req.params.org_id, password: bodyFields(req, ['password']).password }),
    respond: (d) => ({ status: 200, body: { org_id: d.setOrganizationPassword.orgId, password_updated: true } }),
  }),
  route('GET', '/api/v1/admin/audit', {
    operation: `query($first: Int, $after: String, $orgId: String, $action: String, $from: DateTime, $to: DateTime) {
      auditEvents(first: $first, after: $after, orgId: $orgId, action: $action, from: $from, to: $to) {
        pageInfo { hasNextPage endCursor } edges { node { ${AUDIT_FIELDS} } } } }`,
    variables: (req) => ({
      ...pageArgs(req, 500),
      orgId: queryString(req, 'org_id'),
      action: queryString(req, 'action'),
      from: queryString(req, 'from'),
      to: queryString(req, 'to'),
    }),
    respond: (d) => ({ status: 200, body: listBody('events', d.auditEvents, (e) => snakeKeys(e)) }),
  }),
  route('GET', '/api/v1/admin/audit/verify', {
    operation: `query($orgId: String) { verifyAuditChain(orgId: $orgId) { chain valid eventsChecked brokenAtSeq reason } }`,
    variables: (req) => ({ orgId: queryString(req, 'org_id') }),
    respond: (d) => {
      const chains = d.verifyAuditChain as { valid: boolean }[];
      return { status: 200, body: { valid: chains.every((c) => c.valid), chains: snakeKeys(chains) } };
    },
  }),
];
