import assert from 'node:assert/strict';
import {
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
} from 'graphql';
import { after, before, describe, it } from 'node:test';
import { permissionsOf } from '../../src/auth/permissions.js';
import { ROLES, type Role } from '../../src/domain/vocabulary.js';
import { getSchema } from '../../src/graphql/schema.js';
import { ADMIN_KEY, type CallOptions, Harness } from '../helpers/harness.js';

// Every root field and every protected object field of the schema, against every kind of credential. The
// expected answer is computed from the field's own declared authScopes, so a field added later is covered
// without anyone writing a test for it; whether those scopes are the right ones is checked against FAMILY,
// a table kept by hand, independent of the code under test.

type Model = 'portal_session' | 'admin_api_key' | 'api_key' | 'scim_token';
interface Credential {
  name: string;
  opts: () => CallOptions;
  /** What the server should see: a principal of this model (with its grants), or nothing valid. */
  principal: { model: Model; role?: Role; scopes?: string[] } | null;
  /** The model presented, valid or not: decides whether a refusal names it as the wrong door. */
  presented: Model | null;
}
type ScopeMap = Record<string, unknown>;

const schema = getSchema();
const declared = (f: GraphQLField<unknown, unknown>) => (f.extensions?.pothosOptions as { authScopes?: unknown } | undefined)?.authScopes;

/** Public on purpose, each with its reason in the README; a new field without scopes must be added here to pass. */
const PUBLIC = new Set([
  'Query.deploymentConfig',
  'Query.licensePublicKey',
  'Query.ssoAvailability',
  'Query.apiKeyScopes',
  'Mutation.login',
  'Mutation.requestPasswordReset',
  'Mutation.resetPassword',
]);

const PORTAL: Model[] = ['portal_session'];
const ADMIN: Model[] = ['admin_api_key'];
const RUNTIME: Model[] = ['api_key'];
const MANAGED: Model[] = ['portal_session', 'api_key'];
/** Which door each protected field is behind, decided here and not read from the code. */
const FAMILY: Record<string, Model[]> = {
  'Query.adminLicense': ADMIN,
  'Query.adminOrganization': ADMIN,
  'Query.auditEvents': ADMIN,
  'Query.organizations': ADMIN,
  'Query.verifyAuditChain': ADMIN,
  'Query.apiKey': PORTAL,
  'Query.organization': PORTAL,
  'Query.session': PORTAL,
  'Query.viewer': ['portal_session', 'admin_api_key', 'api_key'],
  'Mutation.addUser': PORTAL,
  'Mutation.changePassword': PORTAL,
  'Mutation.createApiKey': PORTAL,
  'Mutation.disableUser': PORTAL,
  'Mutation.enableUser': PORTAL,
  'Mutation.logout': PORTAL,
  'Mutation.removeUser': PORTAL,
  'Mutation.revokeApiKey': PORTAL,
  'Mutation.setUserRole': PORTAL,
  'Mutation.ingestUsage': RUNTIME,
  'Mutation.reportHeartbeat': RUNTIME,
  'Mutation.issueLicense': ADMIN,
  'Mutation.setOrganizationPassword': ADMIN,
  'Mutation.updateOrganization': ADMIN,
  'Mutation.upsertOrganization': ADMIN,
  'Organization.apiKeys': PORTAL,
  'Organization.auditEvents': PORTAL,
  'Organization.license': PORTAL,
  'Organization.nodeUsage': PORTAL,
  'Organization.nodes': PORTAL,
  'Organization.usage': PORTAL,
  'Organization.users': PORTAL,
  'Organization.scimTokens': PORTAL,
  'Organization.directoryUsers': PORTAL,
  'Organization.directoryGroups': PORTAL,
  'Query.scimRoles': PORTAL,
  'Query.scimGroupRoleMappings': PORTAL,
  'Mutation.createScimToken': PORTAL,
  'Mutation.revokeScimToken': PORTAL,
  'Mutation.mapScimGroupRole': PORTAL,
  'Query.ssoConfig': PORTAL,
  'Query.ssoServiceProvider': PORTAL,
  'Query.ssoProviders': PORTAL,
  'Query.ssoLoginAttempts': PORTAL,
  'Mutation.createSsoConfig': PORTAL,
  'Mutation.replaceSsoConfig': PORTAL,
  'Mutation.updateSsoConfig': PORTAL,
  'Mutation.deleteSsoConfig': PORTAL,
  'Mutation.testSsoConfig': PORTAL,
  'Mutation.fetchIdpMetadata': PORTAL,
  'Mutation.liftSsoEnforcement': ADMIN,
  'Organization.contactEmail': ['portal_session', 'admin_api_key'],
  'Organization.contactPhone': ['portal_session', 'admin_api_key'],
  // Runtime management: a session by role or an API key by scope.
  'Query.staticPolicies': MANAGED,
  'Query.staticPolicy': MANAGED,
  'Query.effectiveStaticPolicies': MANAGED,
  'Query.staticPolicyVersions': MANAGED,
  'Query.testStaticPolicies': MANAGED,
  'Query.llmProviders': MANAGED,
  'Query.llmProvider': MANAGED,
  'Query.llmRouting': MANAGED,
  'Query.llmProviderStatus': MANAGED,
  'Query.connectors': MANAGED,
  'Query.connector': MANAGED,
  'Query.connectorHealth': MANAGED,
  'Query.dynamicPolicies': MANAGED,
  'Query.dynamicPolicy': MANAGED,
  'Query.effectiveDynamicPolicies': MANAGED,
  'Query.dynamicPolicyVersions': MANAGED,
  'Query.dynamicPolicySchema': MANAGED,
  'Query.testDynamicPolicy': MANAGED,
  'Mutation.createStaticPolicy': MANAGED,
  'Mutation.updateStaticPolicy': MANAGED,
  'Mutation.toggleStaticPolicy': MANAGED,
  'Mutation.deleteStaticPolicy': MANAGED,
  'Mutation.overrideStaticPolicy': MANAGED,
  'Mutation.removeStaticPolicyOverride': MANAGED,
  'Mutation.createLlmProvider': MANAGED,
  'Mutation.updateLlmProvider': MANAGED,
  'Mutation.deleteLlmProvider': MANAGED,
  'Mutation.setLlmRouting': MANAGED,
  'Mutation.testLlmProvider': MANAGED,
  'Mutation.installConnector': MANAGED,
  'Mutation.checkConnectorHealth': MANAGED,
  'Mutation.uninstallConnector': MANAGED,
  'Mutation.createDynamicPolicy': MANAGED,
  'Mutation.updateDynamicPolicy': MANAGED,
  'Mutation.deleteDynamicPolicy': MANAGED,
  // Deployments: the release catalogue is the operator's; upgrades are the organization's (deployments:read / :manage).
  'Query.releases': ADMIN,
  'Mutation.publishRelease': ADMIN,
  'Query.deploymentVersions': PORTAL,
  'Query.upgrade': PORTAL,
  'Query.upgrades': PORTAL,
  'Subscription.upgradeEvents': PORTAL,
  'Mutation.triggerUpgrade': PORTAL,
  'Mutation.cancelUpgrade': PORTAL,
  'Query.euAiActExports': MANAGED,
  'Query.euAiActExport': MANAGED,
  'Mutation.createEuAiActExport': MANAGED,
  'Query.conformityAssessment': MANAGED,
  'Query.conformityAssessments': MANAGED,
  'Query.complianceDashboard': MANAGED,
  'Mutation.createConformityAssessment': MANAGED,
  'Mutation.updateConformityAssessment': MANAGED,
  'Mutation.submitConformityAssessment': MANAGED,
  'Mutation.approveConformityAssessment': PORTAL,
  'Mutation.rejectConformityAssessment': PORTAL,
  'Query.policyViolations': PORTAL,
  'Mutation.reportPolicyViolations': RUNTIME,
  'Query.hitlQueue': MANAGED,
  'Query.hitlRequest': MANAGED,
  'Query.hitlMetrics': MANAGED,
  'Mutation.requestHitlDecision': RUNTIME,
  'Mutation.approveHitlRequest': PORTAL,
  'Mutation.rejectHitlRequest': PORTAL,
  'Mutation.overrideHitlRequest': PORTAL,
};

function grants(map: ScopeMap, p: Credential['principal']): boolean {
  return Object.entries(map).every(([scope, param]) => {
    switch (scope) {
      case '$any':
        return Object.entries(param as ScopeMap).some(([s, v]) => grants({ [s]: v }, p));
      case '$all':
        return grants(param as ScopeMap, p);
      case 'session':
        return p?.model === 'portal_session';
      case 'permission':
        return p?.model === 'portal_session' && permissionsOf(p.role!).has(param as never);
      case 'admin':
        return p?.model === 'admin_api_key';
      case 'runtime':
        return p?.model === 'api_key' && (p.scopes!.includes('*') || p.scopes!.includes(param as string));
      case 'anyApiKey':
        return p?.model === 'api_key';
      case 'scim':
        return p?.model === 'scim_token';
      case 'module': {
        // Every module is enabled for the matrix's organizations: what is left is the grant.
        const g = param as { permission: string | null; scope: string | null };
        if (p?.model === 'portal_session') return g.permission !== null && permissionsOf(p.role!).has(g.permission as never);
        return p?.model === 'api_key' && g.scope !== null && (p.scopes!.includes('*') || p.scopes!.includes(g.scope));
      }
      default:
        throw new Error(`the matrix does not know the scope ${scope}: teach it`);
    }
  });
}

function modelsOf(map: ScopeMap): Set<Model> {
  const out = new Set<Model>();
  for (const [scope, param] of Object.entries(map)) {
    if (scope === '$any' || scope === '$all') for (const m of modelsOf(param as ScopeMap)) out.add(m);
    else if (scope === 'session' || scope === 'permission') out.add('portal_session');
    else if (scope === 'admin') out.add('admin_api_key');
    else if (scope === 'scim') out.add('scim_token');
    else if (scope === 'module') {
      const g = param as { permission: string | null; scope: string | null };
      if (g.permission) out.add('portal_session');
      if (g.scope) out.add('api_key');
    } else out.add('api_key');
  }
  return out;
}

/** A scope function asked with the arguments the matrix sends, as the field would ask it. */
async function scopeMapOf(scopes: unknown, args: Record<string, unknown>, p: Credential['principal']): Promise<ScopeMap> {
  if (typeof scopes !== 'function') return scopes as ScopeMap;
  const principal = p?.model === 'portal_session' ? { kind: 'session', role: p.role } : { kind: p ? 'other' : 'anonymous' };
  const ctx = { principal, session: () => principal, loaders: { user: { load: async () => null } }, services: { directory: { groupRole: async () => null } } };
  return (await scopes(undefined, args, ctx)) as ScopeMap;
}

function sample(type: GraphQLInputType): unknown {
  const t = getNullableType(type);
  if (isListType(t)) return [sample(t.ofType)];
  if (isEnumType(t)) return t.getValues()[0].value;
  if (isInputObjectType(t)) {
    return Object.fromEntries(Object.values(t.getFields()).filter((f) => isNonNullType(f.type)).map((f) => [f.name, sample(f.type)]));
  }
  switch ((t as { name: string }).name) {
    case 'Int':
    case 'Float':
      return 1;
    case 'Boolean':
      return true;
    case 'DateTime':
      return '2026-06-01T00:00:00Z';
    case 'JSONObject':
      return {};
    default:
      return 'matrix-x';
  }
}

function operationFor(f: GraphQLField<unknown, unknown>): { args: Record<string, unknown>; vars: string; call: string } {
  const required = f.args.filter((a) => isNonNullType(a.type));
  const args = Object.fromEntries(required.map((a) => [a.name, sample(a.type)]));
  const vars = required.length ? `(${required.map((a) => `$${a.name}: ${a.type.toString()}`).join(', ')})` : '';
  const pass = required.length ? `(${required.map((a) => `${a.name}: $${a.name}`).join(', ')})` : '';
  const selection = isObjectType(getNamedType(f.type)) ? ' { __typename }' : '';
  return { args, vars, call: `${f.name}${pass}${selection}` };
}

describe('GraphQL field matrix: every field x every credential, from the declared scopes', () => {
  let h: Harness;
  const credentials: Credential[] = [];
  const rootFields: [string, GraphQLField<unknown, unknown>][] = [];
  for (const root of [schema.getQueryType()!, schema.getMutationType()!, schema.getSubscriptionType()]) {
    for (const f of Object.values(root?.getFields() ?? {})) rootFields.push([root!.name, f]);
  }
  const organization = schema.getType('Organization') as GraphQLObjectType;
  const objectFields = Object.values(organization.getFields()).filter((f) => declared(f) !== undefined);

  before(async () => {
    h = await Harness.start();
    // PLUS: every compliance module comes with the license, so the module gate lets the grant decide.
    await h.createOrg('acme', { tier: 'PLUS' });
    await h.createOrg('globex', { tier: 'PLUS' });
    const owner = await h.login('acme');
    const key = (scopes: string[], extra: object = {}) =>
      h.call('POST', '/api/v1/keys', { cookie: owner, body: { name: 'matrix', scopes, ...extra } }).then((r) => r.body as { key: string; id: string });
    const all = await key(['*']);
    const unrelated = await key(['policies:read']);
    const revoked = await key(['*']);
    await h.call('DELETE', `/api/v1/keys/${revoked.id}`, { cookie: owner });
    const expiring = await key(['*'], { expires_at: new Date(h.clock.now().getTime() + 3_600_000).toISOString() });
    h.clock.advance(2 * 3_600_000);
    // Sessions are opened after the clock moved, so they are fresh; the expiring key is now expired.
    const ownerNow = await h.login('acme');
    for (const role of ROLES) {
      const cookie = role === 'owner' ? ownerNow : (await h.userSession('acme', role, ownerNow)).cookie;
      credentials.push({ name: `session (${role})`, opts: () => ({ cookie }), principal: { model: 'portal_session', role }, presented: 'portal_session' });
    }
    const other = await h.login('globex');
    const scim = await h.scimToken('acme', ownerNow);
    const ip = () => `198.51.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250) + 1}`;
    credentials.push(
      { name: "another org's session (owner)", opts: () => ({ cookie: other }), principal: { model: 'portal_session', role: 'owner' }, presented: 'portal_session' },
      { name: 'no credential', opts: () => ({}), principal: null, presented: null },
      { name: 'admin key', opts: () => ({ headers: { 'x-admin-api-key': ADMIN_KEY } }), principal: { model: 'admin_api_key' }, presented: 'admin_api_key' },
      { name: 'wrong admin key', opts: () => ({ headers: { 'x-admin-api-key': 'adm_wrong_0123456789' }, ip: ip() }), principal: null, presented: 'admin_api_key' },
      // A real token of the organization: it opens no GraphQL field, and every refusal says so.
      { name: 'SCIM token', opts: () => ({ headers: { authorization: `Bearer ${scim.token}` } }), principal: { model: 'scim_token' }, presented: 'scim_token' },
      { name: 'malformed SCIM token', opts: () => ({ headers: { authorization: 'Bearer scim_0123456789abcdefghijklmnop' }, ip: ip() }), principal: null, presented: 'scim_token' },
      { name: 'API key, every scope', opts: () => ({ headers: { 'x-api-key': all.key } }), principal: { model: 'api_key', scopes: ['*'] }, presented: 'api_key' },
      { name: 'API key, unrelated scope', opts: () => ({ headers: { 'x-api-key': unrelated.key } }), principal: { model: 'api_key', scopes: ['policies:read'] }, presented: 'api_key' },
      { name: 'revoked API key', opts: () => ({ headers: { authorization: `Bearer ${revoked.key}` }, ip: ip() }), principal: null, presented: 'api_key' },
      { name: 'expired API key', opts: () => ({ headers: { authorization: `Bearer ${expiring.key}` }, ip: ip() }), principal: null, presented: 'api_key' },
    );
  });
  after(() => h.close());

  /**
   * A subscription over server-sent events, its messages collected: with the matrix's made-up arguments the
   * stream ends at once (refused, or the thing to watch is not found), so it never waits.
   */
  async function subscribe(query: string, variables: Record<string, unknown>, opts: CallOptions) {
    const r = await h.call('POST', '/graphql', { ...opts, headers: { ...opts.headers, accept: 'text/event-stream' }, body: { query, variables } });
    if (typeof r.body !== 'string') return r.body;
    const messages = r.body.split('\n').filter((l) => l.startsWith('data: {')).map((l) => JSON.parse(l.slice(6)));
    assert.ok(messages.length > 0, `a subscription answers at least one message: ${r.status} ${r.body}`);
    return { errors: messages.flatMap((m) => m.errors ?? []), data: messages.find((m) => m.data)?.data };
  }

  /** Sends the operation and answers whether the field itself was refused, with the refusal. */
  async function ask(query: string, variables: Record<string, unknown>, cred: Credential, path: string[]) {
    const r = query.startsWith('subscription') ? await subscribe(query, variables, cred.opts()) : await h.graphql(query, variables, cred.opts());
    const refusal = (r.errors ?? []).find(
      (e: any) => ['UNAUTHENTICATED', 'FORBIDDEN'].includes(e.extensions?.code) && path.slice(0, e.path?.length).join('.') === e.path?.join('.'),
    );
    return { refusal, body: r };
  }

  function check(where: string, cred: Credential, allowed: boolean, models: Set<Model>, result: { refusal: any; body: any }) {
    const label = `${where} as ${cred.name}: ${JSON.stringify(result.body).slice(0, 300)}`;
    if (allowed) {
      assert.equal(result.refusal, undefined, label);
      return;
    }
    assert.ok(result.refusal, `expected a refusal: ${label}`);
    const expected = cred.principal && models.has(cred.principal.model) ? 'FORBIDDEN' : 'UNAUTHENTICATED';
    assert.equal(result.refusal.extensions.code, expected, label);
    assert.ok([...models].every((m) => result.refusal.extensions.requiredAuth.includes(m)), label);
    if (expected === 'UNAUTHENTICATED') {
      const said = String(result.refusal.message);
      if (cred.presented === null) assert.match(said, /no credential was presented/, label);
      else if (!models.has(cred.presented)) assert.match(said, /was presented: /, label);
      else assert.match(said, /was not accepted: /, label);
    }
  }

  it('declares scopes on every field but the listed public ones', () => {
    for (const [root, f] of rootFields) {
      const name = `${root}.${f.name}`;
      if (declared(f) === undefined) assert.ok(PUBLIC.has(name), `${name} has no authScopes and is not listed as public`);
      else assert.ok(!PUBLIC.has(name), `${name} is listed public but declares scopes`);
    }
  });

  it('opens each protected field to the door FAMILY says, and changes nothing with a read permission', async () => {
    const owner: Credential['principal'] = { model: 'portal_session', role: 'owner' };
    const protectedFields = [
      ...rootFields.filter(([r, f]) => !PUBLIC.has(`${r}.${f.name}`)).map(([r, f]) => [`${r}.${f.name}`, f] as const),
      ...objectFields.map((f) => [`Organization.${f.name}`, f] as const),
    ];
    assert.deepEqual(protectedFields.map(([n]) => n).sort(), Object.keys(FAMILY).sort(), 'FAMILY lists every protected field');
    for (const [name, f] of protectedFields) {
      const map = await scopeMapOf(declared(f), operationFor(f).args, owner);
      assert.deepEqual([...modelsOf(map)].sort(), [...FAMILY[name]].sort(), name);
      const permission = JSON.stringify(map).match(/"permission":"([^"]+)"/)?.[1];
      if (name.startsWith('Mutation.') && permission) assert.doesNotMatch(permission, /:read$/, `${name} changes things with ${permission}`);
    }
  });

  for (const [root, f] of rootFields.filter(([r, field]) => !PUBLIC.has(`${r}.${field.name}`))) {
    it(`${root}.${f.name}`, async () => {
      const { args, vars, call } = operationFor(f);
      const kind = root.toLowerCase();
      for (const cred of credentials) {
        const map = await scopeMapOf(declared(f), args, cred.principal);
        // logout would end the session the other fields are asked with: it gets a session of its own.
        let asked = cred;
        if (f.name === 'logout' && cred.principal?.model === 'portal_session') {
          const role = cred.principal.role!;
          const cookie = cred.name.startsWith('another')
            ? await h.login('globex')
            : role === 'owner'
              ? await h.login('acme')
              : (await h.userSession('acme', role)).cookie;
          asked = { ...cred, opts: () => ({ cookie }) };
        }
        check(`${root}.${f.name}`, cred, grants(map, cred.principal), modelsOf(map), await ask(`${kind}${vars} { ${call} }`, args, asked, [f.name]));
      }
    });
  }

  for (const f of objectFields) {
    it(`Organization.${f.name} (reached the way each credential can)`, async () => {
      const { args, vars, call } = operationFor(f);
      const orgScopes = declared(schema.getQueryType()!.getFields().organization) as ScopeMap;
      const adminScopes = declared(schema.getQueryType()!.getFields().adminOrganization) as ScopeMap;
      const viewerScopes = declared(schema.getQueryType()!.getFields().viewer) as ScopeMap;
      for (const cred of credentials) {
        const map = await scopeMapOf(declared(f), args, cred.principal);
        const [parent, path, rootMap] =
          cred.principal?.model === 'admin_api_key'
            ? ['adminOrganization(orgId: "acme")', ['adminOrganization', f.name], adminScopes]
            : cred.principal?.model === 'api_key'
              ? ['viewer { organization', ['viewer', 'organization', f.name], viewerScopes]
              : ['organization', ['organization', f.name], orgScopes];
        const close = parent.includes('{') ? ' }' : '';
        const result = await ask(`query${vars} { ${parent} { ${call} }${close} }`, args, cred, path);
        const rootAllowed = grants(rootMap, cred.principal);
        // Refused at the parent or at the field: either way the field's data never reaches this caller.
        if (!rootAllowed) {
          assert.ok(result.refusal, `${cred.name} reached Organization.${f.name}: ${JSON.stringify(result.body).slice(0, 300)}`);
          continue;
        }
        check(`Organization.${f.name}`, cred, grants(map, cred.principal), modelsOf(map), result);
      }
    });
  }
});
