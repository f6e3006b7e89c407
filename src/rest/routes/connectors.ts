import { snakeKeys } from '../case.js';
import { route } from '../router.js';

const INSTALLATION = `connectorName displayName connectionUrl options hasCredentials timeoutMs maxRetries enabled healthStatus
  health { status message latencyMs lastChecked } installedAt updatedAt`;
const CONNECTOR = `id connectorType displayName description schemes defaultUrl optionsSchema credentialsSchema installed installation { ${INSTALLATION} }`;
const BASE = '/api/v1/connectors';
// The caller's options and credentials, and the JSON Schemas, keep their keys as written.
const OPAQUE = new Set(['options', 'credentials']);

interface Item {
  id: string;
  connectorType: string;
  displayName: string;
  description: string;
  schemes: string[];
  defaultUrl: string | null;
  optionsSchema: object;
  credentialsSchema: object;
  installed: boolean;
  installation: Record<string, unknown> | null;
}

/** The documented connector shape: the catalogue entry, its installation's fields beside it (null until installed). */
function connectorJson(c: Item): Record<string, unknown> {
  const i = c.installation;
  return {
    id: c.id,
    connector_type: c.connectorType,
    display_name: i ? i.displayName : c.displayName,
    description: c.description,
    installed: c.installed,
    connector_name: i ? i.connectorName : null,
    connection_url: i ? i.connectionUrl : null,
    options: i ? i.options : null,
    has_credentials: i ? i.hasCredentials : false,
    timeout_ms: i ? i.timeoutMs : null,
    max_retries: i ? i.maxRetries : null,
    enabled: i ? i.enabled : false,
    health_status: i ? i.healthStatus : null,
    health: i ? snakeKeys(i.health) : null,
    installed_at: i ? i.installedAt : null,
    updated_at: i ? i.updatedAt : null,
    config_schema: { schemes: c.schemes, default_url: c.defaultUrl, options: c.optionsSchema, credentials: c.credentialsSchema },
  };
}

const health = (kind: 'query' | 'mutation', field: string) => ({
  operation: `${kind}($id: ID!) { ${field}(id: $id) { status message latencyMs lastChecked } }`,
  variables: (req: { params: Record<string, string> }) => ({ id: req.params.id }),
  respond: (d: any, req: { params: Record<string, string> }) => ({ status: 200, body: { id: req.params.id, ...(snakeKeys(d[field]) as object) } }),
});

export const connectorRoutes = [
  route('GET', BASE, {
    operation: `query { connectors { ${CONNECTOR} } }`,
    respond: (d) => ({ status: 200, body: { connectors: d.connectors.map(connectorJson) } }),
  }),
  route('GET', `${BASE}/:id`, {
    operation: `query($id: ID!) { connector(id: $id) { ${CONNECTOR} } }`,
    variables: (req) => ({ id: req.params.id }),
    respond: (d) => ({ status: 200, body: connectorJson(d.connector) }),
  }),
  route('POST', `${BASE}/:id/install`, {
    operation: `mutation($id: ID!, $input: ConnectorInstallInput!) { installConnector(id: $id, input: $input) { created connector { ${CONNECTOR} } } }`,
    variables: (req) => ({ id: req.params.id, input: req.body }),
    opaque: OPAQUE,
    respond: (d) => ({ status: d.installConnector.created ? 201 : 200, body: connectorJson(d.installConnector.connector) }),
  }),
  route('DELETE', `${BASE}/:id/uninstall`, {
    operation: 'mutation($id: ID!) { uninstallConnector(id: $id) }',
    variables: (req) => ({ id: req.params.id }),
    respond: () => ({ status: 204 }),
  }),
  // GET looks (any reader); POST looks and keeps what it saw as the connector's health_status (a write).
  route('GET', `${BASE}/:id/health`, health('query', 'connectorHealth')),
  route('POST', `${BASE}/:id/health`, health('mutation', 'checkConnectorHealth')),
];
