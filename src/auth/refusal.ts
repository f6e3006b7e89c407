import { type AuthModel, type DomainError, Forbidden, Unauthenticated } from '../domain/errors.js';
import type { RequestAuth } from './principal.js';
import { MODEL_OF } from './principal.js';

const NEEDS: Record<AuthModel, string> = {
  portal_session: 'a portal session (log in with POST /api/v1/auth/login)',
  admin_api_key: 'the admin API key (X-Admin-API-Key header)',
  scim_token: 'a SCIM bearer token',
  api_key: 'a runtime API key (Authorization: Bearer axon_... or X-API-Key)',
};

const PRESENTED: Record<AuthModel, string> = {
  portal_session: 'a portal session was presented: portal sessions are accepted on portal routes and GraphQL',
  admin_api_key: 'the admin API key was presented: it is accepted only on /api/v1/admin routes and admin GraphQL fields',
  scim_token: 'a SCIM bearer token was presented: SCIM tokens are accepted only on /scim/v2',
  api_key: 'a runtime API key was presented: API keys are accepted only on runtime routes',
};

const NAME: Record<AuthModel, string> = {
  portal_session: 'portal session',
  admin_api_key: 'admin API key',
  scim_token: 'SCIM bearer token',
  api_key: 'API key',
};

export interface MissingGrant {
  model: AuthModel;
  /** The permission (session) or scope (API key) the field asked for, when the model alone was not enough. */
  grant?: string;
}

/**
 * The one place that words a refusal: 401 when no acceptable credential came (naming what the route
 * needs and what was presented instead), 403 when the right kind came without the permission.
 */
export function refusal(auth: RequestAuth, needed: MissingGrant[]): DomainError {
  const models = [...new Set(needed.map((n) => n.model))];
  if (models.length === 0) return new Forbidden('this operation is not allowed');
  const needs = `this route needs ${models.map((m) => NEEDS[m]).join(' or ')}`;
  const p = auth.principal;
  if (p.kind !== 'anonymous') {
    const model = MODEL_OF[p.kind];
    if (models.includes(model)) {
      const grants = needed.filter((n) => n.model === model && n.grant).map((n) => n.grant!);
      if (p.kind === 'session' && grants.length) {
        return new Forbidden(`your role (${p.role}) lacks the permission ${grants.join(' or ')}`, models);
      }
      if (p.kind === 'api_key' && grants.length) return new Forbidden(`this API key lacks the scope ${grants.join(' or ')}`, models);
      return new Forbidden(`this ${NAME[model]} may not do this`, models);
    }
    return new Unauthenticated(`${needs}; ${PRESENTED[model]}`, models);
  }
  if (auth.presented === 'unrecognised') {
    return new Unauthenticated(`${needs}; ${auth.rejection ?? 'an unrecognised credential'} was presented, which is no credential of this service`, models);
  }
  // A credential of another model is the wrong door whether or not it would verify.
  if (auth.presented && !models.includes(auth.presented)) {
    return new Unauthenticated(`${needs}; ${PRESENTED[auth.presented]}`, models);
  }
  if (auth.presented && auth.rejection) {
    return new Unauthenticated(`${needs}; the ${NAME[auth.presented]} presented was not accepted: ${auth.rejection}`, models, true);
  }
  return new Unauthenticated(`${needs}; no credential was presented`, models);
}
