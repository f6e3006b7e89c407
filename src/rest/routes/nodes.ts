import { snakeKeys } from '../case.js';
import { listBody, pageArgs } from '../input.js';
import { type Route, route } from '../router.js';

const NODE_FIELDS = 'nodeId hostname role version os cpuCores memoryMb region firstSeenAt lastHeartbeatAt status';

export const nodeRoutes: Route[] = [
  route('POST', '/api/v1/nodes/heartbeat', {
    operation: `mutation($input: HeartbeatInput!) { reportHeartbeat(input: $input) {
      nodeId status license { status expiresAt daysRemaining } limits { activeCount maxNodes band } desiredVersion } }`,
    variables: (req) => ({ input: { ...req.body, role: typeof req.body.role === 'string' ? req.body.role.replace('-', '_') : req.body.role } }),
    respond: (d) => ({ status: 200, body: snakeKeys(d.reportHeartbeat) }),
  }),
  route('GET', '/api/v1/nodes', {
    operation: `query($first: Int, $after: String) { organization {
      nodes(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { ${NODE_FIELDS} } } }
      nodeUsage { activeCount maxNodes band bandChangedAt } } }`,
    variables: (req) => pageArgs(req, 500),
    respond: (d) => ({
      status: 200,
      body: { ...listBody('nodes', d.organization.nodes, (n: { role: string }) => snakeKeys({ ...n, role: n.role.replace('_', '-') })), ...(snakeKeys(d.organization.nodeUsage) as object) },
    }),
  }),
];
