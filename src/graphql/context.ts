import DataLoader from 'dataloader';
import type { Clock } from '../clock.js';
import type { AdminPrincipal, Principal, RequestAuth, SessionPrincipal } from '../auth/principal.js';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import { type Organization, findOrganizations } from '../db/organizations.js';
import { type User, findUsersByIds } from '../db/users.js';
import type { Actor } from '../services/actor.js';
import { Unauthenticated } from '../services/errors.js';
import type { Services } from '../services/index.js';

export interface RequestMeta {
  id: string;
  ip: string | null;
  userAgent: string | null;
  /** Served over https (directly or through trusted proxies): cookies get Secure. */
  secure: boolean;
}

export interface CookieChange {
  name: string;
  value: string;
  maxAgeSeconds: number;
}

export interface Context {
  auth: RequestAuth;
  principal: Principal;
  actor: Actor;
  services: Services;
  config: Config;
  clock: Clock;
  request: RequestMeta;
  loaders: Loaders;
  /** Cookies the adapter writes onto the response (login, logout): the token never travels in a body. */
  cookies: CookieChange[];
  /** Work that must finish before the response leaves (audit of refusals). */
  pending: Promise<unknown>[];
  session(): SessionPrincipal;
  operator(): AdminPrincipal;
  /**
   * Where the deployment mode lets a request without a key act as the operator, the admin scope calls this
   * when it grants such a request an admin field: from then on the request is audited as the operator.
   */
  actAsOperatorWithoutKey(): boolean;
}

export interface Loaders {
  organization: DataLoader<string, Organization | null>;
  user: DataLoader<string, User | null>;
}

function byKey<K, V>(keys: readonly K[], rows: V[], key: (v: V) => K): (V | null)[] {
  const map = new Map(rows.map((r) => [key(r), r]));
  return keys.map((k) => map.get(k) ?? null);
}

/** Per request, never shared: a loader's cache must not outlive the principal that filled it. */
function createLoaders(database: Database): Loaders {
  const { db } = database;
  return {
    organization: new DataLoader(async (ids) => byKey(ids, await findOrganizations(db, ids), (o) => o.orgId)),
    user: new DataLoader(async (ids) => byKey(ids, await findUsersByIds(db, ids), (u) => u.id)),
  };
}

export function actorOf(principal: Principal, auth: RequestAuth, request: RequestMeta): Actor {
  const where = { ip: request.ip, userAgent: request.userAgent };
  switch (principal.kind) {
    case 'session':
      return { type: 'user', id: principal.userId, orgId: principal.orgId, ...where };
    case 'admin':
      return { type: 'operator', id: principal.keyId, orgId: null, ...where };
    case 'api_key':
      return { type: 'api_key', id: principal.keyId, orgId: principal.orgId, ...where };
    case 'scim':
      return { type: 'scim', id: principal.tokenId, orgId: principal.orgId, ...where };
    case 'anonymous':
      return { type: 'anonymous', id: null, orgId: null, ...where };
  }
}

export function createContext(deps: {
  auth: RequestAuth;
  services: Services;
  config: Config;
  clock: Clock;
  database: Database;
  request: RequestMeta;
}): Context {
  const { auth } = deps;
  const principal = auth.principal;
  const ctx: Context = {
    ...deps,
    principal,
    actor: actorOf(principal, auth, deps.request),
    loaders: createLoaders(deps.database),
    cookies: [],
    pending: [],
    session() {
      if (principal.kind !== 'session') throw new Unauthenticated('this needs a portal session', ['portal_session']);
      return principal;
    },
    operator() {
      if (principal.kind === 'admin') return principal;
      if (auth.operatorWithoutKey) return { kind: 'admin', keyId: null };
      throw new Unauthenticated('this needs the admin API key', ['admin_api_key']);
    },
    actAsOperatorWithoutKey() {
      if (!auth.operatorWithoutKey || principal.kind !== 'anonymous') return false;
      ctx.actor = { ...ctx.actor, type: 'operator', id: null };
      return true;
    },
  };
  return ctx;
}
