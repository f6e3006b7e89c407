import type { DeploymentMode } from '../../config.js';
import { builder } from '../builder.js';

export interface DeploymentConfig {
  mode: DeploymentMode;
  tenantIsolation: 'shared' | 'dedicated';
  showNodeUsage: boolean;
  showPlatformMetrics: boolean;
  showDeployments: boolean;
}

// What the portal shows in each deployment mode.
// - saas: many tenants share the vendor's platform ('shared'); the vendor runs the nodes and the platform,
//   so node usage, platform metrics and deployments are the vendor's business and stay hidden.
// - enterprise: a dedicated installation the customer operates: every operations page is theirs to see.
// - in-vpc: dedicated, inside the customer's own VPC, operated by the customer: the same as enterprise.
const BY_MODE: Record<DeploymentMode, Omit<DeploymentConfig, 'mode'>> = {
  saas: { tenantIsolation: 'shared', showNodeUsage: false, showPlatformMetrics: false, showDeployments: false },
  enterprise: { tenantIsolation: 'dedicated', showNodeUsage: true, showPlatformMetrics: true, showDeployments: true },
  'in-vpc': { tenantIsolation: 'dedicated', showNodeUsage: true, showPlatformMetrics: true, showDeployments: true },
};

export function deploymentConfigOf(mode: DeploymentMode): DeploymentConfig {
  return { mode, ...BY_MODE[mode] };
}

const DeploymentConfigRef = builder.objectRef<DeploymentConfig>('DeploymentConfig').implement({
  description: 'How this installation is deployed, so a portal knows which pages to show.',
  fields: (t) => ({
    mode: t.exposeString('mode', { description: 'saas, enterprise or in-vpc.' }),
    tenantIsolation: t.exposeString('tenantIsolation', {
      description: 'shared (multi-tenant SaaS) or dedicated (an installation of one customer).',
    }),
    showNodeUsage: t.exposeBoolean('showNodeUsage'),
    showPlatformMetrics: t.exposeBoolean('showPlatformMetrics'),
    showDeployments: t.exposeBoolean('showDeployments'),
  }),
});

builder.queryField('deploymentConfig', (t) =>
  t.field({
    type: DeploymentConfigRef,
    // Public on purpose: the portal asks before anyone has logged in, and the answer holds no tenant data.
    description: 'Public: the deployment mode and the portal pages it implies.',
    resolve: (_root, _args, ctx) => deploymentConfigOf(ctx.config.deploymentMode),
  }),
);
