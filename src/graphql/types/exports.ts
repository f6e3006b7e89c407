import { EU_AI_ACT_EXPORT_TYPES, EXPORT_FORMATS, EXPORT_STATUSES } from '../../domain/compliance.js';
import type { ExportView } from '../../services/compliance/exports.js';
import type { Context } from '../../context.js';
import { authorizeScopes, builder } from '../builder.js';
import { COMPLIANCE_ACCESS } from '../compliance-access.js';
import { countedConnection } from '../pagination.js';

export const ExportStatusEnum = builder.enumType('ExportStatus', { values: EXPORT_STATUSES });
export const ExportFormatEnum = builder.enumType('ExportFormat', { values: EXPORT_FORMATS });
const EuAiActExportTypeEnum = builder.enumType('EuAiActExportType', { values: EU_AI_ACT_EXPORT_TYPES });

/** Where each framework's REST download lives: a face's path, so it is spelt here and not in the service. */
const DOWNLOADS: Record<string, string> = { eu_ai_act: '/api/v1/euaiact/export' };

export const ComplianceExportRef = builder.objectRef<ExportView>('ComplianceExport').implement({
  description:
    'An export job and, once completed, its file: sha256 of the file and a manifest signed with the service Ed25519 key ' +
    '(GET /api/v1/license/public-key): the signature covers the RFC 8785 canonical JSON of manifest.',
  fields: (t) => ({
    id: t.exposeString('id'),
    framework: t.exposeString('framework'),
    exportType: t.exposeString('exportType'),
    format: t.field({ type: ExportFormatEnum, resolve: (e) => e.format }),
    status: t.field({ type: ExportStatusEnum, resolve: (e) => e.status }),
    progress: t.exposeInt('progress', { description: 'Percent of rows written, 0-100.' }),
    rows: t.exposeInt('rows', { description: 'Rows written so far (all of them once completed).' }),
    totalRows: t.exposeInt('totalRows', { nullable: true, description: 'Rows the period holds, counted when the export started.' }),
    bytes: t.exposeInt('bytes', { nullable: true }),
    sha256: t.exposeString('sha256', { nullable: true, description: 'Hex SHA-256 of the file.' }),
    manifest: t.field({ type: 'JSONObject', nullable: true, resolve: (e) => e.manifest }),
    manifestSignature: t.exposeString('signature', { nullable: true, description: 'Ed25519 signature of the canonical manifest, base64url.' }),
    redactPii: t.exposeBoolean('redactPii'),
    from: t.field({ type: 'DateTime', nullable: true, resolve: (e) => e.from }),
    to: t.field({ type: 'DateTime', nullable: true, resolve: (e) => e.to }),
    error: t.exposeString('error', { nullable: true }),
    requestedBy: t.exposeString('requestedBy'),
    createdAt: t.field({ type: 'DateTime', resolve: (e) => e.createdAt }),
    startedAt: t.field({ type: 'DateTime', nullable: true, resolve: (e) => e.startedAt }),
    completedAt: t.field({ type: 'DateTime', nullable: true, resolve: (e) => e.completedAt }),
    expiresAt: t.field({ type: 'DateTime', nullable: true, description: 'When the file is deleted (retention).', resolve: (e) => e.expiresAt }),
    downloadUrl: t.string({
      nullable: true,
      description: 'The REST path of the file, once completed.',
      resolve: (e) => (e.status === 'completed' && DOWNLOADS[e.framework] ? `${DOWNLOADS[e.framework]}/${e.id}/download` : null),
    }),
  }),
});

const EuAiActExportInput = builder.inputType('EuAiActExportInput', {
  fields: (t) => ({
    exportType: t.field({ type: EuAiActExportTypeEnum, required: true }),
    format: t.field({ type: ExportFormatEnum, required: true }),
    from: t.string({ required: false, description: 'YYYY-MM-DD or an ISO-8601 timestamp; default: from the beginning.' }),
    to: t.string({ required: false, description: 'YYYY-MM-DD (that day included) or an ISO-8601 timestamp (excluded); default: up to now.' }),
    redactPii: t.boolean({ required: false, description: 'Replace email addresses, phone numbers and IP addresses.' }),
  }),
});

const { read, export: write } = COMPLIANCE_ACCESS.euAiAct;

/**
 * A full_audit file is the organization's audit trail: reading or making one needs what reading the trail does
 * (a session with audit:read), or for a runtime key the export scope, beyond the module's read grant.
 */
const TRAIL_TYPES: ReadonlySet<string> = new Set(['full_audit']);
async function mayReadTrail(ctx: Context, exportType: string): Promise<void> {
  if (TRAIL_TYPES.has(exportType)) await authorizeScopes(ctx, { $any: { permission: 'audit:read', runtime: 'compliance:export' } });
}

builder.queryFields((t) => ({
  euAiActExports: t.connection(
    {
      type: ComplianceExportRef,
      authScopes: read,
      description: 'EU AI Act exports of the organization, newest first.',
      args: { status: t.arg({ type: ExportStatusEnum, required: false }) },
      resolve: (_root, args, ctx) =>
        countedConnection(args, { defaultSize: 20, maxSize: 100 }, (page) => ctx.services.exports.list(ctx.actor, 'eu_ai_act', args.status ?? null, page)),
    },
    { fields: (c) => ({ totalCount: c.int({ resolve: (conn) => conn.totalCount ?? 0 }) }) },
  ),
  euAiActExport: t.field({
    type: ComplianceExportRef,
    authScopes: read,
    args: { id: t.arg.string({ required: true }) },
    resolve: async (_root, { id }, ctx) => {
      const found = await ctx.services.exports.get(ctx.actor, 'eu_ai_act', id);
      await mayReadTrail(ctx, found.exportType);
      return found;
    },
  }),
}));

builder.mutationField('createEuAiActExport', (t) =>
  t.field({
    type: ComplianceExportRef,
    authScopes: write,
    description: 'Queues an export (status queued). Acceptance is not completion: follow its status until completed, then download it.',
    args: { input: t.arg({ type: EuAiActExportInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      await mayReadTrail(ctx, input.exportType);
      return ctx.services.exports.create(ctx.actor, 'eu_ai_act', input);
    },
  }),
);
