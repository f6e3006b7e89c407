// The request paths the bench drives and the statement-count check reads: one definition, so the figure
// and the regression signal speak of the same requests.

type Fetch = (url: string, init?: RequestInit) => Response | Promise<Response>;

export interface BenchPath {
  name: string;
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** True when the path may write (a heartbeat records the node); a read that writes is a regression. */
  writes: boolean;
}

export const ORGANIZATION_QUERY = `{ organization { orgId name license { licenseId status expiresAt maxNodes }
  apiKeys(first: 20) { edges { node { id name prefix scopes createdAt lastUsedAt } } } } }`;

async function call(fetch: Fetch, base: string, method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<Response> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status >= 300) throw new Error(`bench setup: ${method} ${path} answered ${res.status}: ${await res.text()}`);
  return res;
}

/** An organization with 20 keys (one of them a runtime key that heartbeats), and the paths over it. */
export async function setUpPaths(fetch: Fetch, base: string, adminKey: string): Promise<BenchPath[]> {
  await call(fetch, base, 'POST', '/api/v1/admin/organizations', { 'x-admin-api-key': adminKey }, {
    org_id: 'bench',
    name: 'Bench',
    password: 'bench-password-1',
  });
  const login = await call(fetch, base, 'POST', '/api/v1/auth/login', {}, { org_id: 'bench', password: 'bench-password-1' });
  const cookie = login.headers.getSetCookie()[0].split(';')[0];
  const runtime = (await (await call(fetch, base, 'POST', '/api/v1/keys', { cookie }, { name: 'runtime', scopes: ['nodes:write'] })).json()) as { key: string };
  for (let i = 1; i < 20; i++) await call(fetch, base, 'POST', '/api/v1/keys', { cookie }, { name: `key ${i}`, scopes: ['usage:write'] });
  return [
    { name: 'session check', method: 'GET', path: '/api/v1/auth/session', headers: { cookie }, writes: false },
    { name: 'keys list (20)', method: 'GET', path: '/api/v1/keys', headers: { cookie }, writes: false },
    {
      name: 'GraphQL org+license+keys',
      method: 'POST',
      path: '/graphql',
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ query: ORGANIZATION_QUERY }),
      writes: false,
    },
    {
      // The query the first measurements used: the GraphQL face's own cost, with little data behind it.
      name: 'GraphQL { organization { orgId name } }',
      method: 'POST',
      path: '/graphql',
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ organization { orgId name } }' }),
      writes: false,
    },
    {
      name: 'API-key heartbeat',
      method: 'POST',
      path: '/api/v1/nodes/heartbeat',
      headers: { 'x-api-key': runtime.key, 'content-type': 'application/json' },
      body: JSON.stringify({ node_id: 'bench-node-1', hostname: 'bench-1', role: 'agent', version: '1.0.0' }),
      writes: true,
    },
  ];
}
