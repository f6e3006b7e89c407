import { UPGRADE_STATUSES, type ServiceProgress } from '../../domain/deployments.js';
import type { Upgrade, UpgradeEvent } from '../../db/upgrades.js';
import type { ServiceVersions } from '../../services/deployments/upgrades.js';
import * as v from '../../services/validate.js';
import { builder } from '../builder.js';
import { countedConnection } from '../pagination.js';
import { ReleaseRef } from './releases.js';

const read = { permission: 'deployments:read' } as const;
const manage = { permission: 'deployments:manage' } as const;
const ENDED_BADLY = new Set(['FAILED', 'PARTIAL']);
// Nodes take the version at one heartbeat and report it at the next: two intervals of 2 minutes.
const ESTIMATED_TIME = 'about 4 minutes';

const UpgradeStatusEnum = builder.enumType('UpgradeStatus', {
  description:
    'PENDING: accepted, no node told yet. IN_PROGRESS: a heartbeat answer carried the version to a node. SUCCESS: every ' +
    'targeted node reported it. FAILED or PARTIAL: the deadline passed with none or only some reporting it. CANCELLED: stopped while PENDING.',
  values: UPGRADE_STATUSES,
});

const ProgressRef = builder.objectRef<ServiceProgress>('UpgradeServiceProgress').implement({
  description: 'One service of an upgrade, as observed in heartbeats.',
  fields: (t) => ({
    service: t.exposeString('service'),
    targetVersion: t.exposeString('targetVersion'),
    desired: t.exposeInt('desired', { description: 'Nodes targeted: the active nodes of the service when the upgrade was accepted.' }),
    delivered: t.exposeInt('delivered', { description: 'Targeted nodes whose heartbeat answer carried the target version.' }),
    updated: t.exposeInt('updated', { description: 'Targeted nodes that have reported the target version since.' }),
    total: t.exposeInt('total', { description: 'Active nodes of the service now.' }),
  }),
});

function version(u: Upgrade): string {
  const targets = new Set(u.plan.map((p) => p.targetVersion));
  return targets.size === 1 ? [...targets][0] : u.requestedVersion;
}

const UpgradeRef = builder.objectRef<Upgrade>('Upgrade').implement({
  description: 'An upgrade of one or all services. Its status is what heartbeats showed, never what was asked.',
  fields: (t) => ({
    upgradeId: t.exposeString('upgradeId'),
    status: t.field({ type: UpgradeStatusEnum, resolve: (u) => u.status }),
    services: t.stringList({ resolve: (u) => u.plan.map((p) => p.service) }),
    version: t.string({ description: 'The target version; with services on different targets, the version asked for ("latest").', resolve: version }),
    requestedVersion: t.exposeString('requestedVersion'),
    forceNewDeployment: t.exposeBoolean('force'),
    message: t.exposeString('message'),
    reason: t.exposeString('reason', { nullable: true, description: 'Why the last status change happened.' }),
    errorMessage: t.string({ nullable: true, description: 'Why it ended FAILED or PARTIAL.', resolve: (u) => (ENDED_BADLY.has(u.status) ? u.reason : null) }),
    initiatedBy: t.exposeString('initiatedBy', { nullable: true }),
    progress: t.field({ type: [ProgressRef], resolve: (u) => u.progress }),
    successCount: t.int({ description: 'Targeted nodes that reported their target version.', resolve: (u) => u.progress.reduce((n, p) => n + p.updated, 0) }),
    failedCount: t.int({
      description: 'Targeted nodes that had not when the upgrade ended FAILED or PARTIAL; 0 otherwise.',
      resolve: (u) => (ENDED_BADLY.has(u.status) ? u.progress.reduce((n, p) => n + p.desired - p.updated, 0) : 0),
    }),
    estimatedTime: t.string({ description: 'Nodes take the version at one heartbeat and report it at the next.', resolve: () => ESTIMATED_TIME }),
    sequence: t.exposeInt('sequence', { description: 'The number of the last status change (the subscription resumes after it).' }),
    createdAt: t.field({ type: 'DateTime', resolve: (u) => u.createdAt }),
    startedAt: t.field({ type: 'DateTime', nullable: true, description: 'When it went IN_PROGRESS.', resolve: (u) => u.startedAt }),
    completedAt: t.field({ type: 'DateTime', nullable: true, resolve: (u) => u.completedAt }),
    deadlineAt: t.field({ type: 'DateTime', resolve: (u) => u.deadlineAt }),
  }),
});

const UpgradeEventRef = builder.objectRef<UpgradeEvent>('UpgradeEvent').implement({
  description: 'One status change of an upgrade, numbered from 1 (its acceptance as PENDING).',
  fields: (t) => ({
    upgradeId: t.exposeString('upgradeId'),
    sequence: t.exposeInt('sequence'),
    fromStatus: t.field({ type: UpgradeStatusEnum, nullable: true, resolve: (e) => e.fromStatus }),
    toStatus: t.field({ type: UpgradeStatusEnum, resolve: (e) => e.toStatus }),
    reason: t.exposeString('reason'),
    progress: t.field({ type: [ProgressRef], resolve: (e) => e.progress }),
    at: t.field({ type: 'DateTime', resolve: (e) => e.at }),
  }),
});

const ReportedVersionRef = builder.objectRef<{ version: string; count: number }>('ReportedVersion').implement({
  fields: (t) => ({ version: t.exposeString('version'), count: t.exposeInt('count') }),
});

const ServiceVersionsRef = builder.objectRef<ServiceVersions>('ServiceVersions').implement({
  description: 'What a service runs now and where it can go.',
  fields: (t) => ({
    service: t.exposeString('service'),
    reported: t.field({ type: [ReportedVersionRef], description: 'Versions its active nodes report, with how many report each.', resolve: (s) => s.reported }),
    current: t.exposeString('current', { nullable: true, description: 'The lowest version its active nodes run: where an upgrade starts.' }),
    latest: t.exposeString('latest', { nullable: true, description: 'The latest published version.' }),
    available: t.field({ type: [ReleaseRef], description: 'Versions reachable from current: up to and including the next required stop.', resolve: (s) => s.available }),
    upgradeRunning: t.exposeBoolean('upgradeRunning'),
    activeUpgradeId: t.exposeString('activeUpgradeId', { nullable: true }),
  }),
});

const TriggerUpgradeInput = builder.inputType('TriggerUpgradeInput', {
  fields: (t) => ({
    service: t.string({ required: true, description: 'agent, orchestrator, customer-portal or all.' }),
    version: t.string({ required: false, description: '"latest" (the default) or an exact published version.' }),
    forceNewDeployment: t.boolean({ required: false, description: 'Allows a downgrade or a redeploy of the running version; never a jump past a required stop.' }),
  }),
});

builder.queryFields((t) => ({
  deploymentVersions: t.field({
    type: [ServiceVersionsRef],
    authScopes: read,
    resolve: (_root, _args, ctx) => ctx.services.deployments.versions(ctx.actor),
  }),
  upgrade: t.field({
    type: UpgradeRef,
    authScopes: read,
    args: { upgradeId: t.arg.string({ required: true }) },
    resolve: (_root, { upgradeId }, ctx) => ctx.services.deployments.get(ctx.actor, upgradeId),
  }),
  upgrades: t.connection({
    type: UpgradeRef,
    authScopes: read,
    description: 'Upgrade history, newest first.',
    resolve: (_root, args, ctx) =>
      countedConnection(args, { defaultSize: 20, maxSize: 100 }, async (page) => {
        const [items, total] = await Promise.all([ctx.services.deployments.list(ctx.actor, page), ctx.services.deployments.count(ctx.actor)]);
        return { items, total };
      }),
  }, { fields: (c) => ({ totalCount: c.int({ resolve: (conn) => conn.totalCount ?? 0 }) }) }),
}));

builder.mutationFields((t) => ({
  triggerUpgrade: t.field({
    type: UpgradeRef,
    authScopes: manage,
    description: 'Accepts an upgrade (PENDING). Acceptance is not completion: follow its status, or subscribe to upgradeEvents.',
    args: { input: t.arg({ type: TriggerUpgradeInput, required: true }) },
    resolve: (_root, { input }, ctx) => {
      const session = ctx.session();
      return ctx.services.deployments.trigger(ctx.actor, { ...input, version: input.version ?? 'latest' }, session.email ?? session.name);
    },
  }),
  cancelUpgrade: t.field({
    type: UpgradeRef,
    authScopes: manage,
    description: 'Cancels an upgrade still PENDING (no node has been told); 409 once it is IN_PROGRESS or ended.',
    args: { upgradeId: t.arg.string({ required: true }) },
    resolve: (_root, { upgradeId }, ctx) => ctx.services.deployments.cancel(ctx.actor, upgradeId),
  }),
}));

builder.subscriptionField('upgradeEvents', (t) =>
  t.field({
    type: UpgradeEventRef,
    authScopes: read,
    description: 'The upgrade\'s status changes after afterSequence (default 0: all of them), each once, in order; the stream ends with the final one.',
    args: { upgradeId: t.arg.string({ required: true }), afterSequence: t.arg.int({ required: false }) },
    subscribe: (_root, { upgradeId, afterSequence }, ctx) => {
      const { sessionId } = ctx.session();
      return ctx.services.deployments.watch(ctx.actor, upgradeId, v.integer('afterSequence', afterSequence ?? 0, 0, 1_000_000), () =>
        ctx.services.sessions.stillAllows(sessionId, 'deployments:read'),
      );
    },
    resolve: (event) => event,
  }),
);
