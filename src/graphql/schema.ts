import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { builder } from './builder.js';
import './types/enums.js';
import './types/organization.js';
import './types/session.js';
import './types/users.js';
import './types/viewer.js';
import './types/audit.js';
import './types/api-keys.js';
import './types/licenses.js';
import './types/nodes.js';
import './types/usage.js';
import './types/deployment.js';
import './types/scim.js';
import './types/directory.js';
import './types/sso.js';
import './types/static-policies.js';
import './types/llm-providers.js';
import './types/connectors.js';
import './types/dynamic-policies.js';
import './types/releases.js';
import './types/upgrades.js';
import './types/modules.js';
import './types/conformity.js';
import './types/violations.js';
import './types/dashboards.js';
import './types/exports.js';
import './types/hitl.js';

let built: GraphQLSchema | null = null;

/** Built once per process: schema building is start-up work, never request work. */
export function getSchema(): GraphQLSchema {
  built ??= builder.toSchema();
  return built;
}

export function printedSchema(): string {
  return printSchema(lexicographicSortSchema(getSchema())) + '\n';
}
