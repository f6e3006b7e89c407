import { NODE_BANDS, NODE_ROLES, type NodeRole } from '../../domain/vocabulary.js';
import type { LicenseSummary } from '../../services/licenses.js';
import { NODE_STATUSES, type Node, type NodeUsage } from '../../services/nodes.js';
import { builder } from '../builder.js';
import { offsetConnection } from '../pagination.js';
import type { Context } from '../../context.js';
import { OrganizationRef } from './organization.js';

// GraphQL names cannot hold "-": customer-portal is customer_portal here (REST speaks the hyphenated value).
export const NodeRoleEnum = builder.enumType('NodeRole', {
  values: Object.fromEntries(NODE_ROLES.map((r) => [r.replace('-', '_'), { value: r }])) as Record<string, { value: NodeRole }>,
});
export const NodeStatusEnum = builder.enumType('NodeStatus', {
  description: 'active: a heartbeat within the last 5 minutes; stale: none since.',
  values: NODE_STATUSES,
});
export const NodeBandEnum = builder.enumType('NodeBand', {
  description: 'Active nodes against max_nodes: OK below 80%, CAUTION 80-89%, WARNING 90-99%, VIOLATION at 100% or more.',
  values: NODE_BANDS,
});

export const NodeRef = builder.objectRef<Node>('Node').implement({
  description: 'A runtime node of the organization, as its heartbeats describe it.',
  fields: (t) => ({
    nodeId: t.exposeString('nodeId'),
    hostname: t.exposeString('hostname'),
    role: t.field({ type: NodeRoleEnum, resolve: (n) => n.role }),
    version: t.exposeString('version'),
    os: t.exposeString('os', { nullable: true }),
    cpuCores: t.exposeInt('cpuCores', { nullable: true }),
    memoryMb: t.exposeInt('memoryMb', { nullable: true }),
    region: t.exposeString('region', { nullable: true }),
    firstSeenAt: t.field({ type: 'DateTime', resolve: (n) => n.firstSeenAt }),
    lastHeartbeatAt: t.field({ type: 'DateTime', resolve: (n) => n.lastHeartbeatAt }),
    status: t.field({ type: NodeStatusEnum, resolve: (n) => n.status }),
  }),
});

export const NodeUsageRef = builder.objectRef<NodeUsage>('NodeUsage').implement({
  description: 'Active nodes against the licensed limit. Over the limit alerts; it never stops a node.',
  fields: (t) => ({
    activeCount: t.exposeInt('activeCount'),
    maxNodes: t.exposeInt('maxNodes'),
    band: t.field({ type: NodeBandEnum, resolve: (u) => u.band }),
    bandChangedAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When the band last changed; null while it has been OK throughout.',
      resolve: (u) => u.bandChangedAt,
    }),
  }),
});

// One counts query per request, shared by nodeUsage and the connection's totalCount.
const usageByRequest = new WeakMap<Context, Promise<NodeUsage>>();
function usageOf(ctx: Context): Promise<NodeUsage> {
  let usage = usageByRequest.get(ctx);
  if (!usage) {
    usage = ctx.services.nodes.usage(ctx.actor);
    usageByRequest.set(ctx, usage);
  }
  return usage;
}

builder.objectField(OrganizationRef, 'nodes', (t) =>
  t.connection(
    {
      type: NodeRef,
      description: 'Runtime nodes, ordered by node id.',
      authScopes: { permission: 'nodes:read' },
      resolve: async (_org, args, ctx) => {
        const connection = await offsetConnection(args, { defaultSize: 100, maxSize: 500 }, (page) => ctx.services.nodes.list(ctx.actor, page));
        return { ...connection, totalCount: (await usageOf(ctx)).totalCount };
      },
    },
    {
      fields: (c) => ({
        totalCount: c.int({ resolve: (conn) => conn.totalCount ?? 0 }),
      }),
    },
  ),
);

builder.objectField(OrganizationRef, 'nodeUsage', (t) =>
  t.field({
    type: NodeUsageRef,
    nullable: true,
    authScopes: { permission: 'nodes:read' },
    resolve: (_org, _args, ctx) => usageOf(ctx),
  }),
);

const HeartbeatInput = builder.inputType('HeartbeatInput', {
  fields: (t) => ({
    nodeId: t.string({ required: true, description: '1 to 128 characters: letters, digits, ".", "_", ":" or "-".' }),
    hostname: t.string({ required: true }),
    role: t.field({ type: NodeRoleEnum, required: true }),
    version: t.string({ required: true }),
    os: t.string({ required: false }),
    cpuCores: t.int({ required: false }),
    memoryMb: t.int({ required: false }),
    region: t.string({ required: false }),
  }),
});

const HeartbeatLicenseRef = builder.objectRef<LicenseSummary>('HeartbeatLicense').implement({
  fields: (t) => ({
    status: t.exposeString('status', { description: 'valid, expiring, expired, invalid or missing.' }),
    expiresAt: t.field({ type: 'DateTime', nullable: true, resolve: (l) => l.expiresAt }),
    daysRemaining: t.exposeInt('daysRemaining'),
  }),
});

interface HeartbeatAck {
  node: Node;
  license: LicenseSummary;
  limits: NodeUsage;
  desiredVersion: string | null;
}

const HeartbeatAckRef = builder.objectRef<HeartbeatAck>('HeartbeatAck').implement({
  description: 'What the control plane wants the node to know.',
  fields: (t) => ({
    nodeId: t.string({ resolve: (a) => a.node.nodeId }),
    status: t.field({ type: NodeStatusEnum, resolve: (a) => a.node.status }),
    node: t.field({ type: NodeRef, resolve: (a) => a.node }),
    license: t.field({ type: HeartbeatLicenseRef, resolve: (a) => a.license }),
    limits: t.field({ type: NodeUsageRef, resolve: (a) => a.limits }),
    desiredVersion: t.exposeString('desiredVersion', {
      nullable: true,
      description: 'The version an upgrade asks this node to run; null when none does. Report it in the next heartbeat once running it.',
    }),
  }),
});

builder.mutationField('reportHeartbeat', (t) =>
  t.field({
    type: HeartbeatAckRef,
    description: 'A runtime node reports itself (every 2 minutes). Accepted over the node limit too.',
    authScopes: { runtime: 'nodes:write' },
    args: { input: t.arg({ type: HeartbeatInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const { node, usage } = await ctx.services.nodes.heartbeat(ctx.actor, input);
      // Asked here, not in NodeService, so the node, license and deployment services stay independent of each other.
      const license = await ctx.services.licenses.statusFor(ctx.actor);
      const desiredVersion = await ctx.services.deployments.observe(ctx.actor, node);
      return { node, license, limits: usage, desiredVersion };
    },
  }),
);
