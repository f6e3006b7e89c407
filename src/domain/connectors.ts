import type { Health } from './providers.js';

export const CONNECTOR_TYPES = ['postgres', 'cassandra', 'salesforce', 'amadeus', 'slack', 'snowflake', 'custom'] as const;
export type ConnectorType = (typeof CONNECTOR_TYPES)[number];

/** A JSON Schema (draft 7 subset) for a connector's options or credentials. */
export type JsonSchema = Record<string, unknown>;

export interface CatalogueEntry {
  id: string;
  type: ConnectorType;
  displayName: string;
  description: string;
  /** URL schemes connection_url may use; the health check is a TCP connect for non-http ones. */
  schemes: string[];
  defaultPort: number | null;
  /** Used when connection_url is omitted; null: it is required. */
  defaultUrl: string | null;
  options: JsonSchema;
  credentials: JsonSchema;
}

export interface Installation {
  orgId: string;
  connectorId: string;
  connectorName: string;
  displayName: string;
  connectionUrl: string;
  options: Record<string, unknown>;
  hasCredentials: boolean;
  timeoutMs: number;
  maxRetries: number;
  enabled: boolean;
  health: Health;
  installedAt: string;
  updatedAt: string;
}

const text = (extra: JsonSchema = {}) => ({ type: 'string', minLength: 1, maxLength: 256, ...extra });
const secret = { type: 'string', minLength: 1, maxLength: 8192 };
const userPassword: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['username', 'password'],
  properties: { username: text(), password: secret },
};

/** The connector types the runtime ships, each with the schema its configuration is checked against. */
export const CONNECTOR_CATALOGUE: readonly CatalogueEntry[] = [
  {
    id: 'postgres',
    type: 'postgres',
    displayName: 'PostgreSQL',
    description: 'Read-only SQL access to a PostgreSQL database.',
    schemes: ['postgres', 'postgresql'],
    defaultPort: 5432,
    defaultUrl: null,
    options: {
      type: 'object',
      additionalProperties: false,
      properties: {
        database: text(),
        schema: text(),
        ssl_mode: { enum: ['disable', 'require', 'verify-ca', 'verify-full'], default: 'verify-full' },
        pool_size: { type: 'integer', minimum: 1, maximum: 100, default: 10 },
        read_only: { type: 'boolean', default: true },
      },
    },
    credentials: userPassword,
  },
  {
    id: 'cassandra',
    type: 'cassandra',
    displayName: 'Apache Cassandra',
    description: 'CQL access to a Cassandra keyspace.',
    schemes: ['cassandra'],
    defaultPort: 9042,
    defaultUrl: null,
    options: {
      type: 'object',
      additionalProperties: false,
      required: ['keyspace'],
      properties: {
        keyspace: text({ pattern: '^[A-Za-z][A-Za-z0-9_]{0,47}$' }),
        datacenter: text(),
        consistency: { enum: ['ONE', 'QUORUM', 'LOCAL_QUORUM', 'ALL'], default: 'LOCAL_QUORUM' },
      },
    },
    credentials: userPassword,
  },
  {
    id: 'salesforce',
    type: 'salesforce',
    displayName: 'Salesforce',
    description: 'CRM records through the Salesforce REST API (OAuth 2.0 client).',
    schemes: ['https'],
    defaultPort: null,
    defaultUrl: null,
    options: {
      type: 'object',
      additionalProperties: false,
      properties: { api_version: { type: 'string', pattern: '^v\\d{2,3}\\.\\d$', default: 'v61.0' }, sandbox: { type: 'boolean', default: false } },
    },
    credentials: {
      type: 'object',
      additionalProperties: false,
      required: ['client_id', 'client_secret'],
      properties: { client_id: text(), client_secret: secret, refresh_token: secret },
    },
  },
  {
    id: 'amadeus',
    type: 'amadeus',
    displayName: 'Amadeus',
    description: 'Travel search and booking through the Amadeus Self-Service APIs.',
    schemes: ['https'],
    defaultPort: null,
    defaultUrl: 'https://api.amadeus.com',
    options: {
      type: 'object',
      additionalProperties: false,
      properties: { environment: { enum: ['test', 'production'], default: 'production' } },
    },
    credentials: {
      type: 'object',
      additionalProperties: false,
      required: ['api_key', 'api_secret'],
      properties: { api_key: text(), api_secret: secret },
    },
  },
  {
    id: 'slack',
    type: 'slack',
    displayName: 'Slack',
    description: 'Post to and read from Slack channels with a bot token.',
    schemes: ['https'],
    defaultPort: null,
    defaultUrl: 'https://slack.com/api',
    options: {
      type: 'object',
      additionalProperties: false,
      properties: { default_channel: { type: 'string', pattern: '^#?[a-z0-9][a-z0-9_-]{0,79}$' } },
    },
    credentials: {
      type: 'object',
      additionalProperties: false,
      required: ['bot_token'],
      properties: { bot_token: { type: 'string', pattern: '^xoxb-[A-Za-z0-9-]{10,250}$' }, signing_secret: secret },
    },
  },
  {
    id: 'snowflake',
    type: 'snowflake',
    displayName: 'Snowflake',
    description: 'SQL access to a Snowflake warehouse.',
    schemes: ['https'],
    defaultPort: null,
    defaultUrl: null,
    options: {
      type: 'object',
      additionalProperties: false,
      required: ['warehouse', 'database'],
      properties: { warehouse: text(), database: text(), schema: text(), role: text() },
    },
    credentials: userPassword,
  },
  {
    id: 'custom',
    type: 'custom',
    displayName: 'Custom',
    description: 'Any HTTPS API or TCP service; options and credentials are the caller’s own (string credentials only).',
    schemes: ['https', 'tcp'],
    defaultPort: null,
    defaultUrl: null,
    options: { type: 'object', maxProperties: 50 },
    credentials: { type: 'object', maxProperties: 20, additionalProperties: secret },
  },
];
