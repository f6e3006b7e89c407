import { snakeKeys } from '../case.js';
import { bodyFields, listBody, pageArgs, queryString } from '../input.js';
import type { Route } from '../router.js';
import { route } from '../router.js';

const BASE = '/api/v1/hitl/queue';
// The runtime's context is its own JSON: its keys stay as sent, in the body and in answers.
const OPAQUE = new Set(['context']);
const REQUEST_FIELDS = `id requestId severity reason context euAiActArticle status expiresAt requestedBy createdAt
  decision decidedBy decidedByEmail decidedAt comments decisionReason`;

const item = (r: unknown) => snakeKeys(r, OPAQUE);

interface Metrics {
  total: number;
  pending: number;
  decided: number;
  medianDecisionSeconds: number | null;
  approvalRate: number | null;
  byStatus: { status: string; count: number }[];
  bySeverity: { severity: string; count: number; pending: number }[];
}

function metricsJson(m: Metrics): Record<string, unknown> {
  return {
    total: m.total,
    pending: m.pending,
    decided: m.decided,
    median_decision_seconds: m.medianDecisionSeconds,
    approval_rate: m.approvalRate,
    by_status: Object.fromEntries(m.byStatus.map((s) => [s.status, s.count])),
    by_severity: Object.fromEntries(m.bySeverity.map((s) => [s.severity, { count: s.count, pending: s.pending }])),
  };
}

export const hitlRoutes: Route[] = [
  route('POST', BASE, {
    operation: `mutation($input: RequestHitlDecisionInput!) { requestHitlDecision(input: $input) { created request { ${REQUEST_FIELDS} } } }`,
    variables: (req) => ({ input: req.body }),
    opaque: OPAQUE,
    // 201 for a new request; a retry of the same one answers 200 with the first.
    respond: (d) => {
      const { created, request } = d.requestHitlDecision;
      return created ? { status: 201, body: item(request), headers: { location: `${BASE}/${request.id}` } } : { status: 200, body: item(request) };
    },
  }),
  route('GET', BASE, {
    operation: `query($status: HitlStatus, $first: Int, $after: String) { hitlQueue(status: $status, first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { ${REQUEST_FIELDS} } } } }`,
    variables: (req) => ({ status: queryString(req, 'status'), ...pageArgs(req, 100) }),
    respond: (d) => ({ status: 200, body: listBody('requests', d.hitlQueue, item) }),
  }),
  route('GET', `${BASE}/:id`, {
    operation: `query($id: ID!) { hitlRequest(id: $id) { ${REQUEST_FIELDS} } }`,
    variables: (req) => ({ id: req.params.id }),
    respond: (d) => ({ status: 200, body: item(d.hitlRequest) }),
  }),
  route('POST', `${BASE}/:id/approve`, {
    operation: `mutation($id: ID!, $comments: String) { approveHitlRequest(id: $id, comments: $comments) { ${REQUEST_FIELDS} } }`,
    // approved_by is taken for SDK compatibility and ignored: the decider is the session's user.
    variables: (req) => ({ id: req.params.id, comments: bodyFields(req, ['comments', 'approvedBy']).comments }),
    respond: (d) => ({ status: 200, body: item(d.approveHitlRequest) }),
  }),
  route('POST', `${BASE}/:id/reject`, {
    operation: `mutation($id: ID!, $reason: String!) { rejectHitlRequest(id: $id, reason: $reason) { ${REQUEST_FIELDS} } }`,
    // rejected_by likewise: taken, ignored.
    variables: (req) => ({ id: req.params.id, reason: bodyFields(req, ['reason', 'rejectedBy']).reason }),
    respond: (d) => ({ status: 200, body: item(d.rejectHitlRequest) }),
  }),
  route('POST', `${BASE}/:id/override`, {
    operation: `mutation($id: ID!, $input: OverrideHitlRequestInput!) { overrideHitlRequest(id: $id, input: $input) { ${REQUEST_FIELDS} } }`,
    variables: (req) => ({ id: req.params.id, input: req.body }),
    respond: (d) => ({ status: 200, body: item(d.overrideHitlRequest) }),
  }),
  route('GET', '/api/v1/hitl/metrics', {
    operation: `query { hitlMetrics { total pending decided medianDecisionSeconds approvalRate byStatus { status count } bySeverity { severity count pending } } }`,
    respond: (d) => ({ status: 200, body: metricsJson(d.hitlMetrics) }),
  }),
];
