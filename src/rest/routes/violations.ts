import { InvalidInput } from '../../domain/errors.js';
import { snakeKeys } from '../case.js';
import { listBody, pageArgs, queryString } from '../input.js';
import { type RestRequest, type Route, route } from '../router.js';

const FIELDS = 'violationId policyId policyName policyType severity action occurredAt nodeId requestId details receivedAt';
/** A violation's details are the runtime's own JSON: their keys are kept as sent, both ways. */
const OPAQUE = new Set(['details']);

/** The batch body; an item that is not an object is named here, per item, rather than in the type checker's words. */
function batchVariables(req: RestRequest) {
  const { violations } = req.body;
  if (violations !== undefined && !Array.isArray(violations)) throw new InvalidInput('must be a list of violation objects', 'violations');
  const bad = (Array.isArray(violations) ? violations : []).flatMap((e, index) =>
    typeof e === 'object' && e !== null && !Array.isArray(e)
      ? []
      : [{ index, id: null, idName: 'violationId', field: `violations[${index}]`, problem: 'must be an object' }],
  );
  if (bad.length > 0) throw new InvalidInput(`holds ${bad.length} items that are not objects; nothing was stored (see details)`, 'violations', bad);
  return { input: req.body };
}

export const violationRoutes: Route[] = [
  route('POST', '/api/v1/policy-violations', {
    operation: `mutation($input: PolicyViolationBatchInput!) { reportPolicyViolations(input: $input) { accepted duplicates } }`,
    variables: batchVariables,
    opaque: OPAQUE,
    respond: (d) => ({ status: 200, body: d.reportPolicyViolations }),
  }),
  route('GET', '/api/v1/policy-violations', {
    operation: `query($from: String, $to: String, $severity: PolicyViolationSeverity, $first: Int, $after: String) {
      policyViolations(from: $from, to: $to, severity: $severity, first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { ${FIELDS} } } } }`,
    variables: (req) => ({ from: queryString(req, 'from'), to: queryString(req, 'to'), severity: queryString(req, 'severity'), ...pageArgs(req, 200) }),
    respond: (d) => ({ status: 200, body: listBody('violations', d.policyViolations, (n) => snakeKeys(n, OPAQUE)) }),
  }),
];
