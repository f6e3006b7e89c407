import { snakeKeys } from '../case.js';
import { queryEnum, queryString } from '../input.js';
import { type RestRequest, type Route, route } from '../router.js';
import { InvalidInput } from '../../domain/errors.js';
import { USAGE_GRANULARITIES, USAGE_GROUP_BY } from '../../services/usage.js';

const METRICS = 'apiCalls llmRequests totalRequests promptTokens completionTokens totalTokens estimatedCostUsd avgLatencyMs successRate';

function windowArgs(req: RestRequest) {
  return {
    from: queryString(req, 'from'),
    to: queryString(req, 'to'),
    groupBy: queryEnum(req, 'group_by', USAGE_GROUP_BY),
  };
}

/**
 * The batch body. Events travel as JSON objects (see UsageBatchInput); an item that is not an object
 * would otherwise get the type checker's generic wording, so the shape is said here, per item.
 */
function batchVariables(req: RestRequest) {
  const { events } = req.body;
  if (events !== undefined && !Array.isArray(events)) throw new InvalidInput('must be a list of event objects', 'events');
  const bad = (Array.isArray(events) ? events : []).flatMap((e, index) =>
    typeof e === 'object' && e !== null && !Array.isArray(e)
      ? []
      : [{ index, id: null, field: `events[${index}]`, problem: 'must be an object' }],
  );
  if (bad.length > 0) throw new InvalidInput(`holds ${bad.length} items that are not objects; nothing was stored (see details)`, 'events', bad);
  return { input: req.body };
}

/** The report as documented: snake_case, and groups only when group_by asked for them. */
function reportBody(report: Record<string, unknown>): Record<string, unknown> {
  const { groups, groupBy, ...rest } = report;
  return snakeKeys({ ...rest, ...(groupBy ? { groupBy, groups } : {}) }) as Record<string, unknown>;
}

export const usageRoutes: Route[] = [
  route('POST', '/api/v1/usage/events', {
    operation: `mutation($input: UsageBatchInput!) { ingestUsage(input: $input) { accepted duplicates } }`,
    variables: batchVariables,
    respond: (d) => ({ status: 200, body: d.ingestUsage }),
  }),
  route('GET', '/api/v1/usage/summary', {
    operation: `query($from: String, $to: String, $groupBy: UsageGroupBy) { organization { usage(from: $from, to: $to, groupBy: $groupBy) {
      from to groupBy totals { ${METRICS} } byType { type ${METRICS} } groups { key ${METRICS} } } } }`,
    variables: windowArgs,
    respond: (d) => ({ status: 200, body: reportBody(d.organization.usage) }),
  }),
  route('GET', '/api/v1/usage', {
    operation: `query($from: String, $to: String, $granularity: UsageGranularity, $groupBy: UsageGroupBy) {
      organization { usage(from: $from, to: $to, granularity: $granularity, groupBy: $groupBy) {
      from to granularity groupBy totals { ${METRICS} } byType { type ${METRICS} } groups { key ${METRICS} }
      series { bucket ${METRICS} } } } }`,
    variables: (req) => ({ ...windowArgs(req), granularity: queryEnum(req, 'granularity', USAGE_GRANULARITIES) }),
    respond: (d) => ({ status: 200, body: reportBody(d.organization.usage) }),
  }),
];
