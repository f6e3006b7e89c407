import type { Route } from '../router.js';
import { adminRoutes } from './admin.js';
import { authRoutes } from './auth.js';
import { conformityRoutes } from './conformity.js';
import { connectorRoutes } from './connectors.js';
import { dashboardRoutes } from './dashboards.js';
import { deploymentRoutes, upgradeRoutes } from './deployment.js';
import { dynamicPolicyRouteRows } from './dynamic-policies.js';
import { euAiActExportRoutes } from './euaiact-exports.js';
import { hitlRoutes } from './hitl.js';
import { keyRoutes } from './keys.js';
import { licenseRoutes } from './licenses.js';
import { llmProviderRoutes } from './llm-providers.js';
import { nodeRoutes } from './nodes.js';
import { scimRoutes } from './scim.js';
import { ssoRoutes } from './sso.js';
import { staticPolicyRoutes } from './static-policies.js';
import { usageRoutes } from './usage.js';
import { violationRoutes } from './violations.js';

/** The route table: every documented REST path, one row each. */
export const routes: Route[] = [
  ...authRoutes,
  ...adminRoutes,
  ...keyRoutes,
  ...licenseRoutes,
  ...nodeRoutes,
  ...usageRoutes,
  ...deploymentRoutes,
  ...upgradeRoutes,
  ...euAiActExportRoutes,
  ...scimRoutes,
  ...ssoRoutes,
  ...staticPolicyRoutes,
  ...llmProviderRoutes,
  ...connectorRoutes,
  ...dynamicPolicyRouteRows,
  ...conformityRoutes,
  ...violationRoutes,
  ...dashboardRoutes,
  ...hitlRoutes,
];
