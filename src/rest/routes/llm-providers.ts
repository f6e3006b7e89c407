import { InvalidInput } from '../../domain/errors.js';
import { snakeKeys } from '../case.js';
import { PROVIDER_TYPES } from '../../domain/providers.js';
import { bodyFields, listBody, pageArgs, queryBool, queryEnum } from '../input.js';
import { route } from '../router.js';

const HEALTH = 'health { status message latencyMs lastChecked }';
const PROVIDER = `name type endpoint model region enabled priority weight rateLimit timeoutSeconds hasApiKey settings ${HEALTH} createdAt updatedAt`;
const BASE = '/api/v1/llm-providers';
// Free-form JSON the caller owns: its keys go in and come back as sent.
const OPAQUE = new Set(['settings', 'weights']);
const out = (v: unknown) => snakeKeys(v, OPAQUE);

export const llmProviderRoutes = [
  route('GET', BASE, {
    operation: `query($first: Int, $after: String, $type: String, $enabled: Boolean) {
      llmProviders(first: $first, after: $after, type: $type, enabled: $enabled) {
        totalCount pageInfo { hasNextPage endCursor } edges { node { ${PROVIDER} } } } }`,
    variables: (req) => ({ ...pageArgs(req, 200), type: queryEnum(req, 'type', PROVIDER_TYPES), enabled: queryBool(req, 'enabled') }),
    respond: (d) => ({ status: 200, body: listBody('providers', d.llmProviders, out) }),
  }),
  route('POST', BASE, {
    operation: `mutation($input: LlmProviderInput!) { createLlmProvider(input: $input) { ${PROVIDER} } }`,
    variables: (req) => ({ input: req.body }),
    opaque: OPAQUE,
    respond: (d) => ({ status: 201, body: out(d.createLlmProvider), headers: { location: `${BASE}/${d.createLlmProvider.name}` } }),
  }),
  route('GET', `${BASE}/routing`, {
    operation: 'query { llmRouting { weights ready } }',
    respond: (d) => ({ status: 200, body: out(d.llmRouting) }),
  }),
  route('PUT', `${BASE}/routing`, {
    operation: 'mutation($weights: JSONObject!) { setLlmRouting(weights: $weights) { weights ready } }',
    variables: (req) => {
      const { weights } = bodyFields(req, ['weights']);
      if (typeof weights !== 'object' || weights === null || Array.isArray(weights)) throw new InvalidInput('is required: an object of provider name -> weight', 'weights');
      return { weights };
    },
    opaque: OPAQUE,
    respond: (d) => ({ status: 200, body: out(d.setLlmRouting) }),
  }),
  route('GET', `${BASE}/status`, {
    operation: `query { llmProviderStatus { total enabled healthy routing { weights ready } providers { name type enabled weight ${HEALTH} } } }`,
    respond: (d) => ({ status: 200, body: out(d.llmProviderStatus) }),
  }),
  route('GET', `${BASE}/:name`, {
    operation: `query($name: String!) { llmProvider(name: $name) { ${PROVIDER} } }`,
    variables: (req) => ({ name: req.params.name }),
    respond: (d) => ({ status: 200, body: out(d.llmProvider) }),
  }),
  route('PUT', `${BASE}/:name`, {
    operation: `mutation($name: String!, $input: LlmProviderInput!) { updateLlmProvider(name: $name, input: $input) { ${PROVIDER} } }`,
    variables: (req) => ({ name: req.params.name, input: req.body }),
    opaque: OPAQUE,
    respond: (d) => ({ status: 200, body: out(d.updateLlmProvider) }),
  }),
  route('DELETE', `${BASE}/:name`, {
    operation: 'mutation($name: String!) { deleteLlmProvider(name: $name) }',
    variables: (req) => ({ name: req.params.name }),
    respond: () => ({ status: 204 }),
  }),
  route('GET', `${BASE}/:name/health`, {
    operation: `query($name: String!) { llmProvider(name: $name) { name ${HEALTH} } }`,
    variables: (req) => ({ name: req.params.name }),
    respond: (d) => ({ status: 200, body: { name: d.llmProvider.name, ...(snakeKeys(d.llmProvider.health) as object) } }),
  }),
  route('POST', `${BASE}/:name/test`, {
    operation: 'mutation($name: String!) { testLlmProvider(name: $name) { status message latencyMs httpStatus lastChecked } }',
    variables: (req) => ({ name: req.params.name, ...bodyFields(req, []) }),
    respond: (d, req) => ({ status: 200, body: { name: req.params.name, ...(snakeKeys(d.testLlmProvider) as object) } }),
  }),
];
