import DataLoader from 'dataloader';
import type { Logger } from 'pino';
import type { Principal, RequestAuth, SessionPrincipal } from './auth/principal.js';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { ModuleState } from './domain/compliance.js';
import type { Organization } from './domain/organization.js';
import type { User } from './db/users.js';
import { Unauthenticated } from './domain/errors.js';
import type { Actor, OperatorActor } from './services/actor.js';
import type { Services } from './services/index.js';

// The per-request context every face shares: HTTP resolves the caller into it once, GraphQL fields and
// REST rows read it. It belongs to no face, so none of them has to import another to reach it.

export interface RequestMeta {
  id: string;
  ip: string | null;
  userAgent: string | null;
  /** Served over https (directly, through trusted proxies, or in production always): cookies get Secure. */
  secure: boolean;
  /** Where this service is reached: PUBLIC_URL, or the origin this request came to (its Host checked first). */
  origin: string;
}

/** A new value of the session cookie (the only cookie the service sets); '' with 0 clears it. */
export interface CookieChange {
  value: string;
  maxAgeSeconds: number;
}

export interface Loaders {
  /** The caller's own organization, read once per request. */
  ownOrganization(): Promise<Organization | null>;
  /** The compliance modules of the caller's organization (the module gate asks once per request). */
  modules(): Promise<ModuleState[]>;
  /** Users of the caller's organization by id; ids of another organization load as null. */
  user: DataLoader<string, User | null>;
}

export interface Context {
  auth: RequestAuth;
  principal: Principal;
  /** Who the principal is, for the audit trail: anonymous for a keyless caller (see operator()). */
  actor: Actor;
  services: Services;
  config: Config;
  clock: Clock;
  requestMeta: RequestMeta;
  log: Logger;
  loaders: Loaders;
  /** Cookies the adapter writes onto the response (login, logout): the token never travels in a body. */
  cookies: CookieChange[];
  /** Work that must finish before the response leaves (audit of refusals). */
  pending: Promise<unknown>[];
  session(): SessionPrincipal;
  /**
   * The operator acting on an admin field: the admin key's, or where the deployment lets a keyless request
   * through, the keyless operator. Computed, never stored: the same request stays anonymous everywhere else.
   */
  operator(): OperatorActor;
}

function actorOf(principal: Principal, meta: RequestMeta): Actor {
  const { ip, userAgent } = meta;
  switch (principal.kind) {
    case 'session':
      return { type: 'user', id: principal.userId, orgId: principal.orgId, ip, userAgent };
    case 'admin':
      return { type: 'operator', id: principal.keyId, orgId: null, ip, userAgent };
    case 'api_key':
      return { type: 'api_key', id: principal.keyId, orgId: principal.orgId, ip, userAgent };
    case 'scim':
      return { type: 'scim', id: principal.tokenId, orgId: principal.orgId, ip, userAgent };
    case 'anonymous':
      return { type: 'anonymous', id: null, orgId: null, ip, userAgent };
  }
}

function byKey<K, V>(keys: readonly K[], rows: V[], key: (v: V) => K): (V | null)[] {
  const map = new Map(rows.map((r) => [key(r), r]));
  return keys.map((k) => map.get(k) ?? null);
}

/** Per request, never shared: a loader's cache must not outlive the principal that filled it. */
function createLoaders(services: Services, principal: Principal, actor: Actor): Loaders {
  // A session's organization came with it, in the statement that checked the session: no second read.
  let own: Promise<Organization | null> | null = principal.kind === 'session' ? Promise.resolve(principal.organization) : null;
  let user: DataLoader<string, User | null> | null = null;
  let modules: Promise<ModuleState[]> | null = null;
  return {
    modules: () => (modules ??= services.modules.forTenant(actor)),
    ownOrganization: () => (own ??= actor.orgId ? services.organizations.own(actor) : Promise.resolve(null)),
    // Made on first use: most requests never load a user.
    get user() {
      return (user ??= new DataLoader(async (ids) => byKey(ids, actor.orgId ? await services.users.findMany(actor, ids) : [], (u) => u.id)));
    },
  };
}

export interface ContextDeps {
  auth: RequestAuth;
  services: Services;
  config: Config;
  clock: Clock;
  requestMeta: RequestMeta;
  log: Logger;
}

/**
 * One per request: REST and JSON POSTs to /graphql execute with it as their context value (yoga.fetch with
 * an object made from it). A class with its properties set once: it is built on every request, so it
 * costs no spreads or closures.
 */
class RequestContext implements Context {
  readonly auth: RequestAuth;
  readonly principal: Principal;
  readonly actor: Actor;
  readonly services: Services;
  readonly config: Config;
  readonly clock: Clock;
  readonly requestMeta: RequestMeta;
  readonly log: Logger;
  readonly loaders: Loaders;
  readonly cookies: CookieChange[] = [];
  readonly pending: Promise<unknown>[] = [];

  constructor(deps: ContextDeps) {
    this.auth = deps.auth;
    this.principal = deps.auth.principal;
    this.actor = actorOf(this.principal, deps.requestMeta);
    this.services = deps.services;
    this.config = deps.config;
    this.clock = deps.clock;
    this.requestMeta = deps.requestMeta;
    this.log = deps.log;
    this.loaders = createLoaders(deps.services, this.principal, this.actor);
  }

  session(): SessionPrincipal {
    if (this.principal.kind !== 'session') throw new Unauthenticated('this needs a portal session', ['portal_session']);
    return this.principal;
  }

  operator(): OperatorActor {
    if (this.principal.kind === 'admin') return { ...this.actor, type: 'operator', orgId: null };
    if (this.auth.operatorWithoutKey) return { ...this.actor, type: 'operator', id: null, orgId: null };
    throw new Unauthenticated('this needs the admin API key', ['admin_api_key']);
  }
}

export function createContext(deps: ContextDeps): Context {
  return new RequestContext(deps);
}
