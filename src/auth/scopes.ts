/**
 * The one catalogue of runtime-key scopes: what a key may be given, and what a runtime field may ask for.
 * '*' is not a scope a field asks for; a key holding it has every scope.
 */
export const RUNTIME_SCOPES = [
  'nodes:write',
  'usage:write',
  'providers:read',
  'providers:write',
  'connectors:read',
  'connectors:write',
  'policies:read',
  'policies:write',
  'compliance:read',
  'compliance:export',
  /** The governed runtime asks a person to decide (human oversight). */
  'hitl:request',
] as const;
export type RuntimeScope = (typeof RUNTIME_SCOPES)[number];

export const ALL_SCOPES = '*';
/** What a key may be given: any scope of the catalogue, or '*'. */
export const GRANTABLE_SCOPES = [...RUNTIME_SCOPES, ALL_SCOPES] as const;
export type GrantableScope = (typeof GRANTABLE_SCOPES)[number];

export function isGrantableScope(value: string): value is GrantableScope {
  return (GRANTABLE_SCOPES as readonly string[]).includes(value);
}

export function keyHasScope(scopes: ReadonlySet<string>, scope: RuntimeScope): boolean {
  return scopes.has(scope) || scopes.has(ALL_SCOPES);
}
