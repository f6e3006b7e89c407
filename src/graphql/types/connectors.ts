import type { CatalogueEntry, Installation } from '../../domain/connectors.js';
import type { CatalogueItem } from '../../services/connectors/service.js';
import { builder } from '../builder.js';
import { RUNTIME_ACCESS } from '../runtime-access.js';
import { HealthRef, HealthStatusEnum } from './llm-providers.js';

const { read, write } = RUNTIME_ACCESS.connectors;

const InstallationRef = builder.objectRef<Installation>('ConnectorInstallation').implement({
  description: 'A connector as installed. Its credentials are write-only: only whether they are set is shown.',
  fields: (t) => ({
    connectorName: t.exposeString('connectorName'),
    displayName: t.exposeString('displayName'),
    connectionUrl: t.exposeString('connectionUrl'),
    options: t.field({ type: 'JSONObject', description: "Checked against the type's schema, defaults filled in.", resolve: (i) => i.options }),
    hasCredentials: t.exposeBoolean('hasCredentials'),
    timeoutMs: t.exposeInt('timeoutMs'),
    maxRetries: t.exposeInt('maxRetries'),
    enabled: t.exposeBoolean('enabled'),
    healthStatus: t.field({ type: HealthStatusEnum, resolve: (i) => i.health.status }),
    health: t.field({ type: HealthRef, resolve: (i) => i.health }),
    installedAt: t.field({ type: 'DateTime', resolve: (i) => i.installedAt }),
    updatedAt: t.field({ type: 'DateTime', resolve: (i) => i.updatedAt }),
  }),
});

const ConnectorRef = builder.objectRef<CatalogueItem>('Connector').implement({
  description: 'A connector type of the catalogue, with its configuration schema and, if installed here, its installation.',
  fields: (t) => {
    const entry = <K extends keyof CatalogueEntry>(k: K) => (i: CatalogueItem) => i.entry[k];
    return {
      id: t.id({ resolve: entry('id') }),
      connectorType: t.string({ resolve: entry('type') }),
      displayName: t.string({ resolve: entry('displayName') }),
      description: t.string({ resolve: entry('description') }),
      schemes: t.stringList({ description: 'What connection_url may start with.', resolve: entry('schemes') }),
      defaultUrl: t.string({ nullable: true, resolve: entry('defaultUrl') }),
      optionsSchema: t.field({ type: 'JSONObject', description: 'JSON Schema of options.', resolve: entry('options') }),
      credentialsSchema: t.field({ type: 'JSONObject', description: 'JSON Schema of credentials.', resolve: entry('credentials') }),
      installed: t.boolean({ resolve: (i) => i.installation !== null }),
      installation: t.field({ type: InstallationRef, nullable: true, resolve: (i) => i.installation }),
    };
  },
});

const InstallInput = builder.inputType('ConnectorInstallInput', {
  description: "Checked against the connector type's schemas. On a reinstall, fields omitted keep their values (credentials included).",
  fields: (t) => ({
    connectorName: t.string({ required: false }),
    displayName: t.string({ required: false }),
    connectionUrl: t.string({ required: false }),
    options: t.field({ type: 'JSONObject', required: false }),
    credentials: t.field({ type: 'JSONObject', required: false, description: 'Write-only; sealed at rest.' }),
    timeoutMs: t.int({ required: false }),
    maxRetries: t.int({ required: false }),
    enabled: t.boolean({ required: false }),
  }),
});

const InstallResultRef = builder.objectRef<{ item: CatalogueItem; created: boolean }>('ConnectorInstallResult').implement({
  fields: (t) => ({
    connector: t.field({ type: ConnectorRef, resolve: (r) => r.item }),
    created: t.exposeBoolean('created', { description: 'False when an installation was reconfigured.' }),
  }),
});

builder.queryFields((t) => ({
  connectors: t.field({ type: [ConnectorRef], authScopes: read, resolve: (_root, _args, ctx) => ctx.services.connectors.catalogue(ctx.actor) }),
  connector: t.field({
    type: ConnectorRef,
    authScopes: read,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.services.connectors.get(ctx.actor, String(id)),
  }),
  connectorHealth: t.field({
    type: HealthRef,
    authScopes: read,
    description: 'A live reachability check within the timeout (TCP connect, or any HTTPS answer). Keeps nothing: checkConnectorHealth does.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.services.connectors.checkHealth(ctx.actor, String(id), false),
  }),
}));

builder.mutationFields((t) => ({
  installConnector: t.field({
    type: InstallResultRef,
    authScopes: write,
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: InstallInput, required: true }) },
    resolve: (_root, { id, input }, ctx) => ctx.services.connectors.install(ctx.actor, String(id), input),
  }),
  checkConnectorHealth: t.field({
    type: HealthRef,
    authScopes: write,
    description: "The same live check, kept as the installation's health (health_status).",
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.services.connectors.checkHealth(ctx.actor, String(id), true),
  }),
  uninstallConnector: t.boolean({
    authScopes: write,
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => {
      await ctx.services.connectors.uninstall(ctx.actor, String(id));
      return true;
    },
  }),
}));
