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
