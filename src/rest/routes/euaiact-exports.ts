import { EXPORT_STATUSES } from '../../domain/compliance.js';
import { snakeKeys } from '../case.js';
import { bodyFields, listBody, pageArgs, queryEnum } from '../input.js';
import { type Route, route } from '../router.js';

/** Every field of an export, for each framework's routes. */
export const EXPORT_FIELDS = `id framework exportType format status progress rows totalRows bytes sha256 manifest manifestSignature
  redactPii from to error requestedBy createdAt startedAt completedAt expiresAt downloadUrl`;

/** An export as REST shows it; the manifest is the signed document and keeps its own (already snake_case) keys. */
export function exportJson(e: Record<string, unknown>): Record<string, unknown> {
  const { manifest, ...rest } = e;
  return { ...(snakeKeys(rest) as Record<string, unknown>), manifest };
}

const BASE = '/api/v1/euaiact/export';

export const euAiActExportRoutes: Route[] = [
  route('GET', BASE, {
    operation: `query($first: Int, $after: String, $status: ExportStatus) {
      euAiActExports(first: $first, after: $after, status: $status) { totalCount pageInfo { hasNextPage endCursor } edges { node { ${EXPORT_FIELDS} } } } }`,
    variables: (req) => ({ ...pageArgs(req, 100), status: queryEnum(req, 'status', EXPORT_STATUSES) }),
    respond: (d) => ({ status: 200, body: listBody('exports', d.euAiActExports, exportJson) }),
  }),
  route('POST', BASE, {
    operation: `mutation($input: EuAiActExportInput!) { createEuAiActExport(input: $input) { ${EXPORT_FIELDS} } }`,
    variables: (req) => ({ input: bodyFields(req, ['exportType', 'format', 'from', 'to', 'redactPii']) }),
    // 202: queued, not done; Location is where it will show completed.
    respond: (d) => ({ status: 202, body: exportJson(d.createEuAiActExport), headers: { location: `${BASE}/${d.createEuAiActExport.id}` } }),
  }),
  route('GET', `${BASE}/:id`, {
    operation: `query($id: String!) { euAiActExport(id: $id) { ${EXPORT_FIELDS} } }`,
    variables: (req) => ({ id: req.params.id }),
    respond: (d) => ({ status: 200, body: exportJson(d.euAiActExport) }),
  }),
  route('GET', `${BASE}/:id/download`, {
    // The field decides who may see the export (module, grant, organization); the file follows from it.
    operation: `query($id: String!) { euAiActExport(id: $id) { id } }`,
    variables: (req) => ({ id: req.params.id }),
    respond: async (d, _req, ctx) => ({ status: 200, file: await ctx.services.exports.file(ctx.actor, 'eu_ai_act', d.euAiActExport.id) }),
  }),
];
