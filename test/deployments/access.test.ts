import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_KEY, type CallOptions, Harness } from '../helpers/harness.js';
import { beat } from '../nodes/helpers.js';

// Who may reach the deployments routes: a portal session (deployments:read to look, deployments:manage to
// trigger or cancel) for the organization's own upgrades, the admin key for the release catalogue, and nothing
// a page on another origin can make a browser send.

interface Row {
  method: 'GET' | 'POST';
  path: string;
  body?: Record<string, unknown>;
}

const TRIGGER = { service: 'agent', version: '2.0.0' };

async function sse(h: Harness, query: string, variables: Record<string, unknown>, opts: CallOptions): Promise<{ status: number; messages: any[]; raw: string }> {
  const r = await h.call('POST', '/graphql', { ...opts, headers: { ...opts.headers, accept: 'text/event-stream' }, body: { query, variables } });
  const raw = typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
  const messages = raw
    .split('\n')
    .filter((l) => l.startsWith('data: {'))
    .map((l) => JSON.parse(l.slice(6)));
  // A refusal may come as a plain JSON answer instead of a stream.
  if (messages.length === 0 && r.body && typeof r.body === 'object') messages.push(r.body);
  return { status: r.status, messages, raw };
}

const EVENTS = 'subscription($id: String!) { upgradeEvents(upgradeId: $id) { sequence toStatus } }';
const TRIGGER_GQL = 'mutation($input: TriggerUpgradeInput!) { triggerUpgrade(input: $input) { upgradeId status } }';

describe('deployments: who may do what', () => {
  let h: Harness;
  let ownerA: string;
  let viewerA: string;
  let ownerB: string;
  let keyA: string;
  let keyB: string;
  let scimA: string;
  let upgradeA: string;
  let portalRows: Row[];
  let adminRows: Row[];

  const statusOfA = async () => (await h.call('GET', `/api/v1/deployments/upgrade/${upgradeA}`, { cookie: ownerA })).body.status;
  const upgradesOf = async (cookie: string) => (await h.call('GET', '/api/v1/deployments/upgrades', { cookie })).body;
  const releases = async () => (await h.admin('GET', '/api/v1/admin/releases')).body.releases;

  before(async () => {
    h = await Harness.start();
    await h.createOrg('acme', { tier: 'ENTERPRISE' });
    await h.createOrg('globex', { tier: 'ENTERPRISE' });
    ownerA = await h.login('acme');
    ownerB = await h.login('globex');
    viewerA = (await h.userSession('acme', 'viewer', ownerA)).cookie;
    keyA = (await h.apiKey('acme', ['*'], ownerA)).key;
    keyB = (await h.apiKey('globex', ['nodes:write'], ownerB)).key;
    scimA = (await h.scimToken('acme', ownerA)).token;
    // Both organizations run a node called a1 on 1.1.0.
    await beat(h, keyA, 'a1', { version: '1.1.0' });
    await beat(h, keyB, 'a1', { version: '1.1.0' });
    const r = await h.call('POST', '/api/v1/deployments/upgrade', { cookie: ownerA, body: TRIGGER });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    upgradeA = r.body.upgrade_id;
    portalRows = [
      { method: 'GET', path: '/api/v1/deployments/versions' },
      { method: 'POST', path: '/api/v1/deployments/upgrade', body: { service: 'agent', version: '2.0.0', force_new_deployment: true } },
      { method: 'GET', path: `/api/v1/deployments/upgrade/${upgradeA}` },
      { method: 'POST', path: `/api/v1/deployments/upgrade/${upgradeA}/cancel` },
      { method: 'GET', path: '/api/v1/deployments/upgrades' },
    ];
    adminRows = [
      { method: 'POST', path: '/api/v1/admin/releases', body: { service: 'agent', version: '3.0.0' } },
      { method: 'GET', path: '/api/v1/admin/releases' },
    ];
  });
  after(() => h.close());

  /** Every row refused with 401 for this caller, naming what each family needs, and nothing changed. */
  async function refusedEverywhere(opts: CallOptions, presented: RegExp, skip: 'portal' | 'admin' | null = null): Promise<void> {
    const beforeReleases = await releases();
    const families: [Row[], string[], RegExp][] = [];
    if (skip !== 'portal') families.push([portalRows, ['portal_session'], /this route needs a portal session/]);
    if (skip !== 'admin') families.push([adminRows, ['admin_api_key'], /this route needs the admin API key/]);
    for (const [rows, model, needs] of families) {
      for (const row of rows) {
        const r = await h.call(row.method, row.path, { ...opts, body: row.body });
        const where = `${row.method} ${row.path}: ${JSON.stringify(r.body)}`;
        assert.equal(r.status, 401, where);
        assert.equal(r.body.error.code, 'UNAUTHENTICATED', where);
        assert.deepEqual(r.body.error.required_auth, model, where);
        assert.match(r.body.error.message, needs, where);
        assert.match(r.body.error.message, presented, where);
        assert.equal(JSON.stringify(r.body).includes('upgrade_id'), false, 'no upgrade data in a refusal');
      }
    }
    assert.equal(await statusOfA(), 'PENDING', "acme's upgrade was not cancelled");
    assert.equal((await upgradesOf(ownerA)).total, 1, 'no upgrade was triggered');
    assert.deepEqual(await releases(), beforeReleases, 'no release was published');
  }

  describe('credentials of the wrong kind', () => {
    it('no credential: 401 naming the portal session or the admin key', async () => {
      await refusedEverywhere({}, /no credential was presented/);
    });

    it("a runtime API key, even with '*': 401 naming portal_session", async () => {
      await refusedEverywhere({ headers: { authorization: `Bearer ${keyA}` } }, /a runtime API key was presented: API keys are accepted only on runtime routes/);
      await refusedEverywhere({ headers: { 'x-api-key': keyA } }, /a runtime API key was presented/, 'admin');
    });

    it('a SCIM token: 401, SCIM tokens are for /scim/v2 only', async () => {
      await refusedEverywhere({ headers: { authorization: `Bearer ${scimA}` } }, /a SCIM bearer token was presented: SCIM tokens are accepted only on \/scim\/v2/);
    });

    it('the admin key on the portal rows, a portal session on the admin rows: 401', async () => {
      await refusedEverywhere({ headers: { 'x-admin-api-key': ADMIN_KEY } }, /the admin API key was presented/, 'admin');
      await refusedEverywhere({ cookie: ownerA }, /a portal session was presented/, 'portal');
    });
  });

  describe('roles', () => {
    it('a viewer reads versions, the upgrade and the history', async () => {
      const v = await h.call('GET', '/api/v1/deployments/versions', { cookie: viewerA });
      assert.equal(v.status, 200, JSON.stringify(v.body));
      assert.equal(v.body.services.find((s: any) => s.service === 'agent').active_upgrade_id, upgradeA);
      const one = await h.call('GET', `/api/v1/deployments/upgrade/${upgradeA}`, { cookie: viewerA });
      assert.equal(one.status, 200, JSON.stringify(one.body));
      assert.equal(one.body.upgrade_id, upgradeA);
      assert.equal(one.body.status, 'PENDING');
      const list = await h.call('GET', '/api/v1/deployments/upgrades', { cookie: viewerA });
      assert.equal(list.status, 200);
      assert.deepEqual(list.body.upgrades.map((u: any) => u.upgrade_id), [upgradeA]);
    });

    it('a viewer gets 403 naming deployments:manage on trigger and cancel, and nothing changes', async () => {
      for (const row of portalRows.filter((r) => r.method === 'POST')) {
        const r = await h.call('POST', row.path, { cookie: viewerA, body: row.body });
        const where = `${row.path}: ${JSON.stringify(r.body)}`;
        assert.equal(r.status, 403, where);
        assert.equal(r.body.error.code, 'FORBIDDEN', where);
        assert.deepEqual(r.body.error.required_auth, ['portal_session'], where);
        assert.match(r.body.error.message, /your role \(viewer\) lacks the permission deployments:manage/, where);
      }
      // A body the route would refuse is still refused for the role first: who may call is decided before what was sent.
      const bad = await h.call('POST', '/api/v1/deployments/upgrade', { cookie: viewerA, body: { service: 'billing' } });
      assert.equal(bad.status, 403);
      assert.equal(await statusOfA(), 'PENDING');
      assert.equal((await upgradesOf(ownerA)).total, 1);
    });

    it('developers and policy admins read but may not trigger either', async () => {
      for (const role of ['developer', 'policy_admin']) {
        const { cookie } = await h.userSession('acme', role, ownerA);
        assert.equal((await h.call('GET', '/api/v1/deployments/versions', { cookie })).status, 200, role);
        const r = await h.call('POST', `/api/v1/deployments/upgrade/${upgradeA}/cancel`, { cookie });
        assert.equal(r.status, 403, role);
        assert.match(r.body.error.message, new RegExp(`your role \\(${role}\\) lacks the permission deployments:manage`));
      }
      assert.equal(await statusOfA(), 'PENDING');
    });
  });

  describe('organizations stay apart', () => {
    it("another organization's owner gets 404 for acme's upgrade, on GET and cancel", async () => {
      const get = await h.call('GET', `/api/v1/deployments/upgrade/${upgradeA}`, { cookie: ownerB });
      assert.equal(get.status, 404, JSON.stringify(get.body));
      assert.equal(get.body.error.code, 'NOT_FOUND');
      assert.match(get.body.error.message, new RegExp(`upgrade ${upgradeA} not found`));
      const cancel = await h.call('POST', `/api/v1/deployments/upgrade/${upgradeA}/cancel`, { cookie: ownerB });
      assert.equal(cancel.status, 404, JSON.stringify(cancel.body));
      assert.equal(cancel.body.error.code, 'NOT_FOUND');
      assert.equal(await statusOfA(), 'PENDING', 'still PENDING for acme');
      const gql = await h.graphql('query($id: String!) { upgrade(upgradeId: $id) { status } }', { id: upgradeA }, { cookie: ownerB });
      assert.equal(gql.errors?.[0]?.extensions?.code, 'NOT_FOUND', JSON.stringify(gql));
    });

    it("sees none of acme's upgrades in its history or versions", async () => {
      const list = await upgradesOf(ownerB);
      assert.equal(list.total, 0);
      assert.deepEqual(list.upgrades, []);
      const v = await h.call('GET', '/api/v1/deployments/versions', { cookie: ownerB });
      const agent = v.body.services.find((s: any) => s.service === 'agent');
      assert.equal(agent.upgrade_running, false);
      assert.equal(agent.active_upgrade_id, null);
      assert.deepEqual(agent.reported, [{ version: '1.1.0', count: 1 }], "its own a1 only, not acme's");
    });

    it("cannot follow acme's upgrade on the subscription", async () => {
      const r = await sse(h, EVENTS, { id: upgradeA }, { cookie: ownerB });
      assert.equal(r.messages.some((m) => m.data?.upgradeEvents), false, r.raw);
      assert.equal(r.messages[0]?.errors?.[0]?.extensions?.code, 'NOT_FOUND', r.raw);
    });

    it("globex's node a1 is never told acme's version, before or after acme's upgrade starts", async () => {
      assert.equal((await beat(h, keyB, 'a1', { version: '1.1.0' })).body.desired_version, null);
      assert.equal((await beat(h, keyA, 'a1', { version: '1.1.0' })).body.desired_version, '2.0.0', "acme's a1 is told");
      assert.equal(await statusOfA(), 'IN_PROGRESS');
      assert.equal((await beat(h, keyB, 'a1', { version: '1.1.0' })).body.desired_version, null, 'not a follower of another organization\'s upgrade');
      assert.equal((await beat(h, keyB, 'a2', { version: '1.1.0' })).body.desired_version, null, 'nor a newcomer of globex');
      // Globex's own upgrade is its own business: acme's active one does not block it.
      const own = await h.call('POST', '/api/v1/deployments/upgrade', { cookie: ownerB, body: { service: 'agent', version: '1.1.0', force_new_deployment: false } });
      assert.equal(own.status, 400, 'globex runs 1.1.0 already: refused for its own reason');
      assert.match(own.body.error.message, /already runs on every agent node/);
      const b = await h.call('POST', '/api/v1/deployments/upgrade', { cookie: ownerB, body: { service: 'agent', version: '1.0.0', force_new_deployment: true } });
      assert.equal(b.status, 202, JSON.stringify(b.body));
      assert.equal((await beat(h, keyB, 'a1', { version: '1.1.0' })).body.desired_version, '1.0.0');
      assert.equal((await beat(h, keyA, 'a1', { version: '1.1.0' })).body.desired_version, '2.0.0', "acme's a1 still gets acme's version");
    });
  });

  describe('the browser boundary', () => {
    let cookieC: string;
    let keyC: string;
    before(async () => {
      await h.createOrg('initech', { tier: 'ENTERPRISE' });
      cookieC = await h.login('initech');
      keyC = (await h.apiKey('initech', ['nodes:write'], cookieC)).key;
      await beat(h, keyC, 'c1', { version: '1.1.0' });
    });

    it('a foreign Origin or a form or text body with the session cookie triggers nothing', async () => {
      const json = JSON.stringify(TRIGGER);
      const attempts: [Record<string, string>, string][] = [
        [{ origin: 'https://evil.example', 'content-type': 'application/json' }, json],
        [{ origin: 'null', 'content-type': 'application/json' }, json],
        [{ 'content-type': 'application/x-www-form-urlencoded' }, 'service=agent&version=2.0.0'],
        [{ 'content-type': 'text/plain;charset=UTF-8' }, json],
      ];
      for (const [headers, rawBody] of attempts) {
        const r = await h.call('POST', '/api/v1/deployments/upgrade', { cookie: cookieC, rawBody, headers });
        assert.equal(r.status, 403, `${JSON.stringify(headers)}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error.code, 'FORBIDDEN');
        assert.match(r.body.error.message, /Origin|Content-Type: application\/json/);
      }
      assert.equal((await upgradesOf(cookieC)).total, 0, 'no upgrade was accepted');
      assert.equal((await beat(h, keyC, 'c1', { version: '1.1.0' })).body.desired_version, null);
      // The portal itself (same origin, JSON) is let through: the refusals were the boundary's.
      const own = await h.call('POST', '/api/v1/deployments/upgrade', { cookie: cookieC, rawBody: json, headers: { origin: 'http://localhost', 'content-type': 'application/json' } });
      assert.equal(own.status, 202, JSON.stringify(own.body));
    });

    it('a foreign Origin or a form post cannot cancel an upgrade', async () => {
      const { upgrades } = await upgradesOf(cookieC);
      const id = upgrades[0].upgrade_id;
      assert.equal(upgrades[0].status, 'PENDING');
      const attempts: Record<string, string>[] = [{ origin: 'https://evil.example', 'content-type': 'application/json' }, { 'content-type': 'application/x-www-form-urlencoded' }];
      for (const headers of attempts) {
        const r = await h.call('POST', `/api/v1/deployments/upgrade/${id}/cancel`, { cookie: cookieC, rawBody: headers['content-type'] === 'application/json' ? '{}' : 'x=1', headers });
        assert.equal(r.status, 403, `${JSON.stringify(headers)}: ${JSON.stringify(r.body)}`);
      }
      const still = await h.call('GET', `/api/v1/deployments/upgrade/${id}`, { cookie: cookieC });
      assert.equal(still.body.status, 'PENDING', 'not cancelled');
    });

    it('gives a foreign origin nothing to read', async () => {
      const r = await h.call('GET', '/api/v1/deployments/upgrades', { cookie: cookieC, headers: { origin: 'https://evil.example' } });
      assert.equal(r.headers.get('access-control-allow-origin'), null);
      assert.equal(r.headers.get('access-control-allow-credentials'), null);
    });
  });

  describe('GraphQL', () => {
    it('refuses triggerUpgrade with a runtime API key, naming the portal session', async () => {
      const before = (await upgradesOf(ownerA)).upgrades;
      const r = await h.graphql(TRIGGER_GQL, { input: { service: 'agent', version: '2.0.0', forceNewDeployment: true } }, { headers: { authorization: `Bearer ${keyA}` } });
      const e = r.errors?.[0];
      assert.equal(e?.extensions?.code, 'UNAUTHENTICATED', JSON.stringify(r));
      assert.ok(e.extensions.requiredAuth.includes('portal_session'));
      assert.match(e.message, /a runtime API key was presented/);
      assert.equal(r.data?.triggerUpgrade ?? null, null);
      assert.deepEqual((await upgradesOf(ownerA)).upgrades, before);
    });

    it('refuses triggerUpgrade and cancelUpgrade to a viewer, naming deployments:manage', async () => {
      const t = await h.graphql(TRIGGER_GQL, { input: { service: 'agent' } }, { cookie: viewerA });
      assert.equal(t.errors?.[0]?.extensions?.code, 'FORBIDDEN', JSON.stringify(t));
      assert.match(t.errors[0].message, /deployments:manage/);
      const c = await h.graphql('mutation($id: String!) { cancelUpgrade(upgradeId: $id) { status } }', { id: upgradeA }, { cookie: viewerA });
      assert.equal(c.errors?.[0]?.extensions?.code, 'FORBIDDEN', JSON.stringify(c));
      assert.match(c.errors[0].message, /deployments:manage/);
    });

    it('refuses the upgradeEvents subscription with no credential or a runtime key', async () => {
      const anonymous = await sse(h, EVENTS, { id: upgradeA }, {});
      assert.equal(anonymous.messages.some((m) => m.data?.upgradeEvents), false, anonymous.raw);
      const e = anonymous.messages[0]?.errors?.[0];
      assert.equal(e?.extensions?.code, 'UNAUTHENTICATED', anonymous.raw);
      assert.ok(e.extensions.requiredAuth.includes('portal_session'), anonymous.raw);
      assert.match(e.message, /no credential was presented/);
      const byKey = await sse(h, EVENTS, { id: upgradeA }, { headers: { authorization: `Bearer ${keyA}` } });
      assert.equal(byKey.messages.some((m) => m.data?.upgradeEvents), false, byKey.raw);
      assert.equal(byKey.messages[0]?.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED', byKey.raw);
    });
  });
});
