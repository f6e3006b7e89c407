import { deriveKey } from '../auth/tokens.js';
import { SecretBox } from '../crypto/secret-box.js';
import { OutboundClient } from '../outbound/client.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import type { LiveUpdates } from '../live/index.js';
import { ApiKeyService } from './api-keys.js';
import { HitlService } from './compliance/hitl.js';
import { EU_AI_ACT_EXPORTS } from './compliance/eu-ai-act.js';
import { ExportService } from './compliance/exports.js';
import { ModuleService } from './compliance/modules.js';
import { ConformityService } from './compliance/conformity.js';
import { ViolationService } from './compliance/violations.js';
import { DashboardService } from './compliance/dashboards.js';
import { AuditService } from './audit.js';
import { CredentialGuard } from './credentials.js';
import { DirectoryService } from './directory/index.js';
import { ReleaseService } from './deployments/releases.js';
import { DeploymentService } from './deployments/upgrades.js';
import type { ServiceDeps } from './deps.js';
import { IdempotencyService } from './idempotency.js';
import { LicenseService } from './licenses.js';
import { NodeService } from './nodes.js';
import { OrganizationService } from './organizations.js';
import { DynamicPolicyService } from './policies/dynamic.js';
import { StaticPolicyService } from './policies/static.js';
import { ConnectorService } from './connectors/service.js';
import { ProviderService } from './providers/service.js';
import { RateLimiter } from './rate-limits.js';
import { ScimTokenService } from './scim-tokens.js';
import { SessionService } from './sessions.js';
import { SsoConfigService } from './sso/config.js';
import { SsoLoginService } from './sso/login.js';
import { OidcRelyingParty } from './sso/oidc.js';
import { UsageService } from './usage.js';
import { UserService } from './users.js';

export interface Services {
  audit: AuditService;
  organizations: OrganizationService;
  users: UserService;
  sessions: SessionService;
  credentials: CredentialGuard;
  idempotency: IdempotencyService;
  apiKeys: ApiKeyService;
  licenses: LicenseService;
  nodes: NodeService;
  usage: UsageService;
  scimTokens: ScimTokenService;
  directory: DirectoryService;
  ssoConfig: SsoConfigService;
  ssoLogin: SsoLoginService;
  staticPolicies: StaticPolicyService;
  providers: ProviderService;
  connectors: ConnectorService;
  dynamicPolicies: DynamicPolicyService;
  releases: ReleaseService;
  deployments: DeploymentService;
  modules: ModuleService;
  conformity: ConformityService;
  violations: ViolationService;
  dashboards: DashboardService;
  exports: ExportService;
  hitl: HitlService;
}

export function createServices(database: Database, config: Config, clock: Clock, live: LiveUpdates): Services {
  const { db } = database;
  const audit = new AuditService(db, clock);
  const rateLimiter = new RateLimiter(db, clock, audit, deriveKey(config.encryptionKey, 'throttle-subjects'));
  const organizations = new OrganizationService(db, clock, audit);
  const deps: ServiceDeps = { db, config, clock, audit, organizations };
  const sessions = new SessionService(db, config, clock, audit, rateLimiter);
  const apiKeys = new ApiKeyService(deps);
  const scimTokens = new ScimTokenService(deps, rateLimiter);
  const licenses = new LicenseService(deps);
  const exports = new ExportService(deps, licenses);
  exports.register('eu_ai_act', EU_AI_ACT_EXPORTS);
  const box = new SecretBox(config.encryptionKey, config.encryptionKeysPrevious);
  const outbound = new OutboundClient({ allowHosts: config.outboundAllowHosts, allowListedPrivate: config.environment !== 'production' });
  return {
    ssoConfig: new SsoConfigService(deps, box, outbound),
    ssoLogin: new SsoLoginService(deps, sessions, box, new OidcRelyingParty(outbound, box), rateLimiter),
    scimTokens,
    directory: new DirectoryService(db, clock, audit),
    audit,
    credentials: new CredentialGuard(rateLimiter, audit, sessions, apiKeys, scimTokens, config.adminApiKey, deriveKey(config.encryptionKey, 'operator-id')),
    idempotency: new IdempotencyService(db, clock),
    organizations,
    apiKeys,
    licenses,
    modules: new ModuleService(db, licenses),
    exports,
    nodes: new NodeService(deps),
    usage: new UsageService(deps),
    users: new UserService(db, clock, audit),
    sessions,
    staticPolicies: new StaticPolicyService(deps),
    providers: new ProviderService(deps, box, outbound),
    connectors: new ConnectorService(deps, box, outbound),
    dynamicPolicies: new DynamicPolicyService(deps),
    releases: new ReleaseService(deps),
    deployments: new DeploymentService(deps, live),
    conformity: new ConformityService(deps),
    violations: new ViolationService(deps),
    dashboards: new DashboardService(deps),
    hitl: new HitlService(deps),
  };
}
