import type { Context as HonoContext, Hono } from 'hono';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Context } from '../context.js';
import { DomainError, Forbidden, NotFound, NotImplemented } from '../domain/errors.js';
import { authorizeScopes } from '../graphql/builder.js';
import { isJsonContentType } from '../http/boundary.js';
import { MethodNotAllowed, type MethodTable } from '../http/methods.js';
import type { AppEnv } from '../http/request-context.js';
import { MAX_PAGE, type ListQuery, type MemberChange, type VersionCheck } from '../services/directory/index.js';
import { resourceTypes, schemas, serviceProviderConfig } from './discovery.js';
import { SCIM_JSON, badRequest, scimError, scimErrorBody, scimJson } from './errors.js';
import { membersOf, normalizeResource } from './normalize.js';
import { applyPatch } from './patch.js';
import { parseAttributeList, project, wants } from './projection.js';
import { etagOf, renderGroup, renderUser } from './render.js';
import { ENTERPRISE_SCHEMA, GROUP_TYPE, LIST_SCHEMA, USER_TYPE } from './schemas.js';

const PREFIX = '/scim/v2';
const DEFAULT_COUNT = 100;
const GROUPS_WITH_MEMBERS = 20;
const EXTENSIONS = [ENTERPRISE_SCHEMA];

type Handler = (c: HonoContext<AppEnv>, ctx: Context, base: string) => Promise<Response>;

/** The base every location is built on: PUBLIC_URL where configured, else the request's own origin. */
function baseOf(c: HonoContext, config: Config): string {
  return `${config.publicUrl ?? new URL(c.req.url).origin}${PREFIX}`;
}

async function readBody(c: HonoContext): Promise<unknown> {
  const raw = new Uint8Array(await c.req.arrayBuffer());
  const type = c.req.header('content-type');
  if (raw.length === 0) throw badRequest('the request needs a JSON body', 'syntax');
  // SCIM clients send application/scim+json or application/json; a form or text body is not a SCIM request.
  if (type !== undefined && !isJsonContentType(type)) {
    throw badRequest(`the body must be JSON (Content-Type: ${SCIM_JSON} or application/json), not ${type.slice(0, 64)}`, 'syntax');
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    throw badRequest('the body is not valid UTF-8', 'syntax');
  }
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest('the body is not valid JSON', 'syntax');
  }
}

const idOf = (c: HonoContext) => c.req.param('id') ?? '';

function integerParam(raw: unknown, name: string): number | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*-?\d+\s*$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw badRequest(`${name} must be an integer, not ${JSON.stringify(String(raw).slice(0, 32))}`);
  return n;
}

function optionalString(raw: unknown, name: string): string | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'string') throw badRequest(`${name} must be a string`);
  return raw;
}

interface ListParams {
  query: ListQuery;
  attributes: string[];
  excluded: string[];
}

/** The list parameters of a GET query or a SearchRequest body, the same either way (RFC 7644 §3.4.3). */
function listParams(source: Record<string, unknown>): ListParams {
  const startIndex = integerParam(source.startIndex, 'startIndex') ?? 1;
  const count = integerParam(source.count, 'count') ?? DEFAULT_COUNT;
  return {
    query: {
      filter: optionalString(source.filter, 'filter'),
      sortBy: optionalString(source.sortBy, 'sortBy'),
      sortOrder: optionalString(source.sortOrder, 'sortOrder'),
      startIndex: Math.max(1, startIndex),
      count: Math.min(MAX_PAGE, Math.max(0, count)),
    },
    attributes: parseAttributeList(source.attributes, 'attributes'),
    excluded: parseAttributeList(source.excludedAttributes, 'excludedAttributes'),
  };
}

/** Query parameter names are matched case-insensitively, as clients differ (startindex, StartIndex). */
function queryOf(c: HonoContext): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const names: Record<string, string> = {
    filter: 'filter',
    sortby: 'sortBy',
    sortorder: 'sortOrder',
    startindex: 'startIndex',
    count: 'count',
    attributes: 'attributes',
    excludedattributes: 'excludedAttributes',
  };
  for (const [k, v] of new URL(c.req.url).searchParams) {
    const name = names[k.toLowerCase()];
    if (name) out[name] = v;
  }
  return out;
}

function searchBody(body: unknown): Record<string, unknown> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('a search needs a SearchRequest object as body', 'syntax');
  const out: Record<string, unknown> = {};
  const names = ['filter', 'sortBy', 'sortOrder', 'startIndex', 'count', 'attributes', 'excludedAttributes'];
  for (const [k, v] of Object.entries(body)) {
    const name = names.find((n) => n.toLowerCase() === k.toLowerCase());
    if (name) out[name] = v;
  }
  return out;
}

function listResponse(total: number, startIndex: number, resources: unknown[]): Record<string, unknown> {
  return { schemas: [LIST_SCHEMA], totalResults: total, startIndex, itemsPerPage: resources.length, Resources: resources };
}

/** If-Match on a write: a weak or strong ETag of the stored version, a list of them, or *. */
function versionCheck(c: HonoContext): VersionCheck | undefined {
  const header = c.req.header('if-match');
  if (header === undefined) return undefined;
  const tags = header.split(',').map((t) => t.trim());
  if (tags.includes('*')) return undefined;
  const versions = tags.map((t) => /^(?:W\/)?"(\d+)"$/.exec(t)?.[1]).filter((v): v is string => v !== undefined);
  return (version) => versions.includes(String(version));
}

function notModified(c: HonoContext, version: number): boolean {
  const header = c.req.header('if-none-match');
  if (!header) return false;
  return header.split(',').some((t) => t.trim() === '*' || t.trim().replace(/^W\//, '') === `"${version}"`);
}

function wrote(c: HonoContext, body: Record<string, unknown>, status: number, version: number, location?: string): Response {
  return scimJson(c, body, status, { ETag: etagOf(version), ...(location ? { Location: location } : {}) });
}

export interface ScimRouterDeps {
  config: Config;
  logger: Logger;
  methods: MethodTable;
}

/**
 * The SCIM 2.0 face: protocol translation over the directory service. Discovery is public; every other route
 * needs a SCIM token (asked as the `scim` scope, the one place authorization is declared), is rate limited
 * per token, and counts towards the token's sync health. Every answer, errors included, is SCIM JSON.
 */
export function mountScim(app: Hono<AppEnv>, deps: ScimRouterDeps): void {
  const { config, logger, methods } = deps;
  // Each route also goes into the service's one method table, which answers 405 with Allow below.
  const route = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, handler: (c: HonoContext<AppEnv>) => Response | Promise<Response>) => {
    app.on(method, `${PREFIX}${path}`, handler);
    methods.add(method, `${PREFIX}${path}`);
  };
  const discovery = (make: (base: string) => unknown) => (c: HonoContext<AppEnv>) => {
    // RFC 7644 §4: a filter on the discovery endpoints is not supported.
    if (new URL(c.req.url).searchParams.has('filter')) {
      return scimError(c, new Forbidden('filtering is not supported on discovery endpoints'));
    }
    return scimJson(c, make(baseOf(c, config)), 200);
  };
  const list = (items: Record<string, unknown>[]) => listResponse(items.length, 1, items);
  route('GET', '/ServiceProviderConfig', discovery(serviceProviderConfig));
  route('GET', '/ResourceTypes', discovery((b) => list(resourceTypes(b))));
  route('GET', '/Schemas', discovery((b) => list(schemas(b))));
  route('GET', '/ResourceTypes/:name', (c) => {
    const found = resourceTypes(baseOf(c, config)).find((t) => t.id === (c.req.param('name') ?? ''));
    return found ? scimJson(c, found, 200) : scimError(c, new NotFound(`no resource type ${(c.req.param('name') ?? '').slice(0, 64)}; there are User and Group`));
  });
  route('GET', '/Schemas/:id', (c) => {
    const found = schemas(baseOf(c, config)).find((s) => String(s.id).toLowerCase() === idOf(c).toLowerCase());
    return found ? scimJson(c, found, 200) : scimError(c, new NotFound(`no schema ${idOf(c).slice(0, 128)}`));
  });

  const guarded = (handler: Handler) => async (c: HonoContext<AppEnv>) => {
    const ctx = c.get('ctx');
    let failure: unknown = null;
    let response: Response;
    try {
      await authorizeScopes(ctx, { scim: true });
      if (ctx.principal.kind === 'scim') await ctx.services.scimTokens.admit(ctx.principal, ctx.actor);
      response = await handler(c, ctx, baseOf(c, config));
    } catch (err) {
      failure = err;
      if (!(err instanceof DomainError)) logger.error({ req_id: ctx.requestMeta.id, err: (err as Error).message, path: c.req.path }, 'SCIM request failed');
      response = scimError(c, err);
    }
    if (ctx.principal.kind === 'scim') {
      const body = failure instanceof DomainError ? scimErrorBody(failure) : null;
      await ctx.services.scimTokens
        .recordOutcome(ctx.principal.orgId, ctx.principal.tokenId, {
          status: response.status,
          scimType: body?.scimType ?? null,
          detail: body?.detail ?? (failure ? 'internal error' : null),
          request: `${c.req.method} ${c.req.path}`,
        })
        .catch((err: unknown) => logger.error({ req_id: ctx.requestMeta.id, err: (err as Error).message }, 'SCIM traffic not recorded'));
    }
    return response;
  };

  // Users --------------------------------------------------------------------------------------------
  const listUsers = async (c: HonoContext<AppEnv>, ctx: Context, base: string, params: ListParams) => {
    const { total, items } = await ctx.services.directory.listUsers(ctx.actor, params.query);
    const resources = items.map((u) => project(renderUser(u, base), params.attributes, params.excluded, EXTENSIONS));
    return scimJson(c, listResponse(total, params.query.startIndex, resources), 200);
  };
  route('GET', '/Users', guarded((c, ctx, base) => listUsers(c, ctx, base, listParams(queryOf(c)))));
  route('POST', '/Users/.search', guarded(async (c, ctx, base) => listUsers(c, ctx, base, listParams(searchBody(await readBody(c))))));
  route('POST', '/Users',
    guarded(async (c, ctx, base) => {
      const params = listParams(queryOf(c));
      const user = await ctx.services.directory.createUser(ctx.actor, normalizeResource(USER_TYPE, await readBody(c)));
      const body = renderUser(user, base);
      return wrote(c, project(body, params.attributes, params.excluded, EXTENSIONS), 201, user.version, String((body.meta as { location: string }).location));
    }),
  );
  route('GET', '/Users/:id',
    guarded(async (c, ctx, base) => {
      const params = listParams(queryOf(c));
      const user = await ctx.services.directory.getUser(ctx.actor, idOf(c));
      if (notModified(c, user.version)) return c.body(null, 304, { ETag: etagOf(user.version) });
      return wrote(c, project(renderUser(user, base), params.attributes, params.excluded, EXTENSIONS), 200, user.version);
    }),
  );
  route('PUT', '/Users/:id',
    guarded(async (c, ctx, base) => {
      const params = listParams(queryOf(c));
      const document = normalizeResource(USER_TYPE, await readBody(c));
      const user = await ctx.services.directory.updateUser(ctx.actor, idOf(c), () => document, versionCheck(c));
      return wrote(c, project(renderUser(user, base), params.attributes, params.excluded, EXTENSIONS), 200, user.version);
    }),
  );
  route('PATCH', '/Users/:id',
    guarded(async (c, ctx, base) => {
      const params = listParams(queryOf(c));
      const body = await readBody(c);
      const id = idOf(c);
      const user = await ctx.services.directory.updateUser(ctx.actor, id, (current) => applyPatch(USER_TYPE, current, body, { id }).document, versionCheck(c));
      return wrote(c, project(renderUser(user, base), params.attributes, params.excluded, EXTENSIONS), 200, user.version);
    }),
  );
  route('DELETE', '/Users/:id',
    guarded(async (c, ctx) => {
      await ctx.services.directory.deleteUser(ctx.actor, idOf(c), versionCheck(c));
      return c.body(null, 204);
    }),
  );

  // Groups -------------------------------------------------------------------------------------------
  const listGroups = async (c: HonoContext<AppEnv>, ctx: Context, base: string, params: ListParams) => {
    const withMembers = wants('members', params.attributes, params.excluded);
    // With their members, a page holds fewer groups (a client pages on by itemsPerPage): one list of
    // 200 groups of 10,000 would be two million rows in one answer.
    const query = withMembers ? { ...params.query, count: Math.min(params.query.count, GROUPS_WITH_MEMBERS) } : params.query;
    const { total, items } = await ctx.services.directory.listGroups(ctx.actor, query, { withMembers });
    const resources = items.map((g) => project(renderGroup(g, base), params.attributes, params.excluded, []));
    return scimJson(c, listResponse(total, params.query.startIndex, resources), 200);
  };
  route('GET', '/Groups', guarded((c, ctx, base) => listGroups(c, ctx, base, listParams(queryOf(c)))));
  route('POST', '/Groups/.search', guarded(async (c, ctx, base) => listGroups(c, ctx, base, listParams(searchBody(await readBody(c))))));
  route('POST', '/Groups',
    guarded(async (c, ctx, base) => {
      const params = listParams(queryOf(c));
      const body = await readBody(c);
      const group = await ctx.services.directory.createGroup(ctx.actor, normalizeResource(GROUP_TYPE, body), membersOf(body) ?? [], {
        withMembers: wants('members', params.attributes, params.excluded),
      });
      const rendered = renderGroup(group, base);
      return wrote(c, project(rendered, params.attributes, params.excluded, []), 201, group.version, String((rendered.meta as { location: string }).location));
    }),
  );
  route('GET', '/Groups/:id',
    guarded(async (c, ctx, base) => {
      const params = listParams(queryOf(c));
      const group = await ctx.services.directory.getGroup(ctx.actor, idOf(c), { withMembers: wants('members', params.attributes, params.excluded) });
      if (notModified(c, group.version)) return c.body(null, 304, { ETag: etagOf(group.version) });
      return wrote(c, project(renderGroup(group, base), params.attributes, params.excluded, []), 200, group.version);
    }),
  );
  route('PUT', '/Groups/:id',
    guarded(async (c, ctx, base) => {
      const params = listParams(queryOf(c));
      const body = await readBody(c);
      const document = normalizeResource(GROUP_TYPE, body);
      // A PUT without members leaves them be: a client that never sends them must not empty the group.
      const members = membersOf(body);
      const changes: MemberChange[] = members === undefined ? [] : [{ op: 'replace', ids: members }];
      const group = await ctx.services.directory.updateGroup(ctx.actor, idOf(c), () => ({ document, members: changes }), versionCheck(c), {
        withMembers: wants('members', params.attributes, params.excluded),
      });
      return wrote(c, project(renderGroup(group, base), params.attributes, params.excluded, []), 200, group.version);
    }),
  );
  route('PATCH', '/Groups/:id',
    guarded(async (c, ctx, base) => {
      const query = queryOf(c);
      const params = listParams(query);
      const body = await readBody(c);
      const id = idOf(c);
      // A group PATCH answers 204 (Okta and Entra expect nothing more) unless the caller asks for attributes.
      const answer = query.attributes !== undefined || query.excludedAttributes !== undefined;
      const group = await ctx.services.directory.updateGroup(ctx.actor, id, (current) => applyPatch(GROUP_TYPE, current, body, { id }), versionCheck(c), {
        withMembers: answer && wants('members', params.attributes, params.excluded),
      });
      if (!answer) return c.body(null, 204, { ETag: etagOf(group.version) });
      return wrote(c, project(renderGroup(group, base), params.attributes, params.excluded, []), 200, group.version);
    }),
  );
  route('DELETE', '/Groups/:id',
    guarded(async (c, ctx) => {
      await ctx.services.directory.deleteGroup(ctx.actor, idOf(c), versionCheck(c));
      return c.body(null, 204);
    }),
  );

  // What is not implemented says so, in SCIM's words.
  const notImplemented = (what: string) => guarded(async () => {
    throw new NotImplemented(what);
  });
  app.all(`${PREFIX}/Me`, notImplemented('/Me is not supported: a SCIM token acts for a directory, not for a user'));
  app.all(`${PREFIX}/Bulk`, notImplemented('bulk operations are not supported (ServiceProviderConfig says bulk.supported=false); send the operations one by one'));
  app.all(`${PREFIX}/*`, (c) => {
    const allowed = methods.allowed(c.req.path);
    if (allowed) {
      const err = new MethodNotAllowed(`${c.req.method} is not allowed on ${c.req.path}; it takes ${allowed.join(', ')}`);
      return scimJson(c, scimErrorBody(err), 405, { Allow: allowed.join(', ') });
    }
    return scimError(c, new NotFound(`no SCIM endpoint ${c.req.path.slice(0, 128)}; see ${PREFIX}/ResourceTypes`));
  });
}
