import type { AuditEvent } from '../../db/audit.js';
import type { ChainVerification } from '../../services/audit.js';
import { InvalidInput } from '../../domain/errors.js';
import { builder } from '../builder.js';
import { offsetConnection } from '../pagination.js';
import { OrganizationRef } from './organization.js';

const AuditEventRef = builder.objectRef<AuditEvent>('AuditEvent').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    seq: t.exposeInt('seq'),
    orgId: t.exposeString('orgId', { nullable: true }),
    action: t.exposeString('action'),
    actorType: t.exposeString('actorType'),
    actorId: t.exposeString('actorId', { nullable: true }),
    targetType: t.exposeString('targetType', { nullable: true }),
    targetId: t.exposeString('targetId', { nullable: true }),
    outcome: t.exposeString('outcome'),
    ip: t.exposeString('ip', { nullable: true }),
    userAgent: t.exposeString('userAgent', { nullable: true }),
    details: t.field({ type: 'JSONObject', resolve: (e) => e.details }),
    createdAt: t.field({ type: 'DateTime', resolve: (e) => e.createdAt }),
    hash: t.exposeString('hash'),
  }),
});

builder.queryField('auditEvents', (t) =>
  t.connection({
    type: AuditEventRef,
    description: 'Audit events, newest first (operator only).',
    authScopes: { admin: true },
    args: {
      orgId: t.arg.string({ required: false }),
      action: t.arg.string({ required: false }),
      from: t.arg({ type: 'DateTime', required: false }),
      to: t.arg({ type: 'DateTime', required: false }),
    },
    resolve: (_root, args, ctx) => {
      if (args.from && args.to && args.from > args.to) throw new InvalidInput('must not be after to', 'from');
      return offsetConnection(args, { defaultSize: 50, maxSize: 500 }, (page) =>
        ctx.services.audit.list(
          ctx.operator(),
          { orgId: args.orgId, action: args.action, from: args.from?.toISOString(), to: args.to?.toISOString() },
          page,
        ),
      );
    },
  }),
);

builder.objectField(OrganizationRef, 'auditEvents', (t) =>
  t.connection({
    type: AuditEventRef,
    description: "The organization's own audit trail, newest first.",
    authScopes: { permission: 'audit:read' },
    args: {
      action: t.arg.string({ required: false }),
      from: t.arg({ type: 'DateTime', required: false }),
      to: t.arg({ type: 'DateTime', required: false }),
    },
    resolve: (_org, args, ctx) => {
      if (args.from && args.to && args.from > args.to) throw new InvalidInput('must not be after to', 'from');
      return offsetConnection(args, { defaultSize: 50, maxSize: 500 }, (page) =>
        ctx.services.audit.listOwn(ctx.actor, { action: args.action, from: args.from?.toISOString(), to: args.to?.toISOString() }, page),
      );
    },
  }),
);

const ChainVerificationRef = builder.objectRef<ChainVerification>('AuditChainVerification').implement({
  fields: (t) => ({
    chain: t.exposeString('chain'),
    valid: t.exposeBoolean('valid'),
    eventsChecked: t.exposeInt('eventsChecked'),
    brokenAtSeq: t.exposeInt('brokenAtSeq', { nullable: true }),
    reason: t.exposeString('reason', { nullable: true }),
  }),
});

builder.queryField('verifyAuditChain', (t) =>
  t.field({
    type: [ChainVerificationRef],
    description: "Walks one organization's hash chain, or every chain (operator only).",
    authScopes: { admin: true },
    args: { orgId: t.arg.string({ required: false }) },
    resolve: (_root, args, ctx) => ctx.services.audit.verify(ctx.operator(), args.orgId),
  }),
);
