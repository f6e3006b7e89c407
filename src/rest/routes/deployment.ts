import { snakeKeys } from '../case.js';
import { bodyFields, listBody, pageArgs, queryString } from '../input.js';
import type { Route } from '../router.js';
import { route } from '../router.js';

export const deploymentRoutes: Route[] = [
  route('GET', '/api/v1/deployment/config', {
    operation: `query { deploymentConfig { mode tenantIsolation showNodeUsage showPlatformMetrics showDeployments } }`,
    respond: (d) => ({
      status: 200,
      body: {
        mode: d.deploymentConfig.mode,
        tenant_isolation: d.deploymentConfig.tenantIsolation,
        show_node_usage: d.deploymentConfig.showNodeUsage,
        show_platform_metrics: d.deploymentConfig.showPlatformMetrics,
        show_deployments: d.deploymentConfig.showDeployments,
      },
    }),
  }),
];

const UPGRADE_FIELDS = `upgradeId status services version requestedVersion forceNewDeployment message reason errorMessage initiatedBy
  progress { service targetVersion desired delivered updated total } successCount failedCount estimatedTime sequence
  createdAt startedAt completedAt deadlineAt`;
const RELEASE_FIELDS = 'service version notes requiredStop publishedAt';
const upgradePath = (id: string) => `/api/v1/deployments/upgrade/${id}`;

export const upgradeRoutes: Route[] = [
  route('GET', '/api/v1/deployments/versions', {
    operation: `query { deploymentVersions { service reported { version count } current latest available { ${RELEASE_FIELDS} } upgradeRunning activeUpgradeId } }`,
    respond: (d) => ({ status: 200, body: { services: snakeKeys(d.deploymentVersions) } }),
  }),
  route('POST', '/api/v1/deployments/upgrade', {
    operation: `mutation($input: TriggerUpgradeInput!) { triggerUpgrade(input: $input) { ${UPGRADE_FIELDS} } }`,
    variables: (req) => ({ input: bodyFields(req, ['service', 'version', 'forceNewDeployment']) }),
    // 202: accepted, not done. Location is where its real end will show.
    respond: (d) => ({ status: 202, body: snakeKeys(d.triggerUpgrade), headers: { location: upgradePath(d.triggerUpgrade.upgradeId) } }),
  }),
  route('GET', '/api/v1/deployments/upgrade/:upgrade_id', {
    operation: `query($id: String!) { upgrade(upgradeId: $id) { ${UPGRADE_FIELDS} } }`,
    variables: (req) => ({ id: req.params.upgrade_id }),
    respond: (d) => ({ status: 200, body: snakeKeys(d.upgrade) }),
  }),
  route('POST', '/api/v1/deployments/upgrade/:upgrade_id/cancel', {
    operation: `mutation($id: String!) { cancelUpgrade(upgradeId: $id) { ${UPGRADE_FIELDS} } }`,
    variables: (req) => ({ id: req.params.upgrade_id }),
    respond: (d) => ({ status: 200, body: snakeKeys(d.cancelUpgrade) }),
  }),
  route('GET', '/api/v1/deployments/upgrades', {
    operation: `query($first: Int, $after: String) { upgrades(first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { ${UPGRADE_FIELDS} } } } }`,
    variables: (req) => pageArgs(req, 100),
    respond: (d) => ({ status: 200, body: listBody('upgrades', d.upgrades, snakeKeys) }),
  }),
  route('POST', '/api/v1/admin/releases', {
    operation: `mutation($input: PublishReleaseInput!) { publishRelease(input: $input) { ${RELEASE_FIELDS} } }`,
    variables: (req) => ({ input: bodyFields(req, ['service', 'version', 'notes', 'requiredStop']) }),
    respond: (d) => ({ status: 201, body: snakeKeys(d.publishRelease) }),
  }),
  route('GET', '/api/v1/admin/releases', {
    operation: `query($service: String) { releases(service: $service) { ${RELEASE_FIELDS} } }`,
    variables: (req) => ({ service: queryString(req, 'service') }),
    respond: (d) => ({ status: 200, body: { releases: snakeKeys(d.releases) } }),
  }),
];
