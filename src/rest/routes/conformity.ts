import { snakeKeys } from '../case.js';
import { bodyFields, listBody, pageArgs, queryString } from '../input.js';
import { type Route, route } from '../router.js';

const FIELDS = `id systemName assessmentType riskLevel description status evidenceExportIds
  evidence { id framework exportType status sha256 completedAt }
  createdBy createdAt updatedAt submittedBy submittedAt decidedBy decidedAt comments rejectionReason`;
const BASE = '/api/v1/euaiact/conformity';
const INPUT_FIELDS = ['systemName', 'assessmentType', 'riskLevel', 'description', 'evidenceExportIds'];

export const conformityRoutes: Route[] = [
  route('GET', BASE, {
    operation: `query($status: ConformityAssessmentStatus, $first: Int, $after: String) {
      conformityAssessments(status: $status, first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { ${FIELDS} } } } }`,
    variables: (req) => ({ status: queryString(req, 'status'), ...pageArgs(req, 100) }),
    respond: (d) => ({ status: 200, body: listBody('assessments', d.conformityAssessments, snakeKeys) }),
  }),
  route('POST', BASE, {
    operation: `mutation($input: CreateConformityAssessmentInput!) { createConformityAssessment(input: $input) { ${FIELDS} } }`,
    variables: (req) => ({ input: bodyFields(req, INPUT_FIELDS) }),
    respond: (d) => ({ status: 201, body: snakeKeys(d.createConformityAssessment), headers: { location: `${BASE}/${d.createConformityAssessment.id}` } }),
  }),
  route('GET', `${BASE}/:id`, {
    operation: `query($id: String!) { conformityAssessment(id: $id) { ${FIELDS} } }`,
    variables: (req) => ({ id: req.params.id }),
    respond: (d) => ({ status: 200, body: snakeKeys(d.conformityAssessment) }),
  }),
  route('PATCH', `${BASE}/:id`, {
    operation: `mutation($id: String!, $input: UpdateConformityAssessmentInput!) { updateConformityAssessment(id: $id, input: $input) { ${FIELDS} } }`,
    variables: (req) => ({ id: req.params.id, input: bodyFields(req, INPUT_FIELDS) }),
    respond: (d) => ({ status: 200, body: snakeKeys(d.updateConformityAssessment) }),
  }),
  route('POST', `${BASE}/:id/submit`, {
    operation: `mutation($id: String!) { submitConformityAssessment(id: $id) { ${FIELDS} } }`,
    variables: (req) => ({ id: req.params.id, ...bodyFields(req, []) }),
    respond: (d) => ({ status: 200, body: snakeKeys(d.submitConformityAssessment) }),
  }),
  route('POST', `${BASE}/:id/approve`, {
    operation: `mutation($id: String!, $comments: String) { approveConformityAssessment(id: $id, comments: $comments) { ${FIELDS} } }`,
    variables: (req) => ({ id: req.params.id, ...bodyFields(req, ['comments']) }),
    respond: (d) => ({ status: 200, body: snakeKeys(d.approveConformityAssessment) }),
  }),
  route('POST', `${BASE}/:id/reject`, {
    operation: `mutation($id: String!, $reason: String!) { rejectConformityAssessment(id: $id, reason: $reason) { ${FIELDS} } }`,
    variables: (req) => ({ id: req.params.id, ...bodyFields(req, ['reason']) }),
    respond: (d) => ({ status: 200, body: snakeKeys(d.rejectConformityAssessment) }),
  }),
];
