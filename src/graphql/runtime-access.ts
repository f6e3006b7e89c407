import type { Permission } from '../auth/permissions.js';
import type { RuntimeScope } from '../auth/scopes.js';

type Area = 'providers' | 'connectors' | 'policies';

/**
 * Runtime management is open to two doors: a portal session whose role has the area's permission, or a runtime
 * API key with the scope of the same name. Every field of the area takes its scopes from here.
 */
function access(area: Area, mode: 'read' | 'write') {
  const grant = `${area}:${mode}` as Permission & RuntimeScope;
  return { $any: { permission: grant, runtime: grant } };
}

export const RUNTIME_ACCESS = {
  providers: { read: access('providers', 'read'), write: access('providers', 'write') },
  connectors: { read: access('connectors', 'read'), write: access('connectors', 'write') },
  policies: { read: access('policies', 'read'), write: access('policies', 'write') },
} as const;
