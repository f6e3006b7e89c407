import { MAX_PAGE } from '../services/directory/index.js';
import { RESOURCE_TYPES, RESOURCE_TYPE_SCHEMA, SCHEMAS, SCHEMA_SCHEMA, SPC_SCHEMA, type SchemaDef } from './schemas.js';

type Json = Record<string, unknown>;

/** What this server does, and only that (RFC 7643 §5): patch, filter, sort and ETags; no bulk, no password change. */
export function serviceProviderConfig(base: string): Json {
  return {
    schemas: [SPC_SCHEMA],
    documentationUri: 'https://docs.getaxonflow.com/docs/enterprise/scim',
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_PAGE },
    changePassword: { supported: false },
    sort: { supported: true },
    etag: { supported: true },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'OAuth Bearer Token',
        description: 'A SCIM token (scim_...) made by a portal admin, sent as Authorization: Bearer',
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${base}/ServiceProviderConfig` },
  };
}

export function resourceTypes(base: string): Json[] {
  return RESOURCE_TYPES.map((t) => ({
    schemas: [RESOURCE_TYPE_SCHEMA],
    id: t.name,
    name: t.name,
    endpoint: t.endpoint,
    description: t.name === 'User' ? 'User Account' : 'Group',
    schema: t.schema.id,
    schemaExtensions: t.extensions.map((e) => ({ schema: e.id, required: false })),
    meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/${t.name}` },
  }));
}

function schemaResource(s: SchemaDef, base: string): Json {
  return {
    schemas: [SCHEMA_SCHEMA],
    id: s.id,
    name: s.name,
    description: s.description,
    attributes: s.attributes,
    meta: { resourceType: 'Schema', location: `${base}/Schemas/${s.id}` },
  };
}

export function schemas(base: string): Json[] {
  return SCHEMAS.map((s) => schemaResource(s, base));
}
