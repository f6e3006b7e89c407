import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_KEY, type ApiResult, Harness } from '../helpers/harness.js';
import { beat } from '../nodes/helpers.js';

// The operator's release catalogue: POST/GET /api/v1/admin/releases with the admin key. Versions compare as
// semantic versions, published versions never change, and what is published is what organizations see as
// latest and available.

const SEEDED_AGENT = ['1.0.0', '1.1.0', '2.0.0', '2.1.0'];

async function catalogue(h: Harness, service?: string): Promise<{ service: string; version: string; required_stop: boolean }[]> {
  const r = await h.admin('GET', `/api/v1/admin/releases${service ? `?service=${service}` : ''}`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.releases;
}

const versionsOf = (rows: { version: string }[]) => rows.map((r) => r.version);

function assertInvalid(r: ApiResult, field: string, message: RegExp): void {
  assert.equal(r.status, 400, JSON.stringify(r.body));
  assert.equal(r.body.error.code, 'INVALID_INPUT');
  assert.equal(r.body.error.field, field, JSON.stringify(r.body));
  assert.match(r.body.error.message, new RegExp(`^${field} `), 'the message starts with the field it is about');
  assert.match(r.body.error.message, message);
}

describe('release catalogue: publish and list with the admin key', () => {
  let h: Harness;
  let cookie: string;
  let nodeKey: string;

  before(async () => {
    h = await Harness.start();
    await h.createOrg('acme', { tier: 'ENTERPRISE' });
    cookie = await h.login('acme');
    nodeKey = (await h.apiKey('acme', ['nodes:write'], cookie)).key;
  });
  after(() => h.close());

  it('lists the seeded catalogue by service, then by version', async () => {
    const all = await catalogue(h);
    assert.deepEqual(
      all.map((r) => `${r.service}@${r.version}`),
      [
        'agent@1.0.0', 'agent@1.1.0', 'agent@2.0.0', 'agent@2.1.0',
        'customer-portal@1.0.0', 'customer-portal@1.1.0', 'customer-portal@1.2.0',
        'orchestrator@1.0.0', 'orchestrator@1.1.0', 'orchestrator@2.0.0', 'orchestrator@2.1.0',
      ],
    );
    const stop = all.find((r) => r.service === 'agent' && r.version === '2.0.0')!;
    assert.equal(stop.required_stop, true, '2.0.0 is the runtime required stop');
    assert.equal(all.filter((r) => r.required_stop).length, 2, 'only agent and orchestrator 2.0.0 are stops');
  });

  it('publishes a release: 201 with the release as stored', async () => {
    const r = await h.admin('POST', '/api/v1/admin/releases', { service: 'agent', version: '2.10.0', notes: 'Ten.' });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual(r.body, {
      service: 'agent',
      version: '2.10.0',
      notes: 'Ten.',
      required_stop: false,
      published_at: '2026-06-01T12:00:00.000Z',
    });
    assert.ok(versionsOf(await catalogue(h, 'agent')).includes('2.10.0'));
  });

  it('sorts by semantic version, not by text: 2.9.0 before 2.10.0 whatever the publishing order', async () => {
    h.clock.advance(60_000);
    const r = await h.admin('POST', '/api/v1/admin/releases', { service: 'agent', version: '2.9.0' });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.notes, null);
    assert.equal(r.body.published_at, '2026-06-01T12:01:00.000Z');
    assert.deepEqual(versionsOf(await catalogue(h, 'agent')), [...SEEDED_AGENT, '2.9.0', '2.10.0']);
  });

  it('makes 2.10.0 the latest an organization sees, and lists 2.9.0 then 2.10.0 as available from 2.1.0', async () => {
    await beat(h, nodeKey, 'agent-1', { role: 'agent', version: '2.1.0' });
    const r = await h.call('GET', '/api/v1/deployments/versions', { cookie });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const agent = r.body.services.find((s: any) => s.service === 'agent');
    assert.equal(agent.current, '2.1.0');
    assert.equal(agent.latest, '2.10.0', 'not 2.9.0, which sorts last as text');
    assert.deepEqual(versionsOf(agent.available), ['2.9.0', '2.10.0']);
  });

  it('filters the list with ?service=', async () => {
    const portal = await catalogue(h, 'customer-portal');
    assert.deepEqual(versionsOf(portal), ['1.0.0', '1.1.0', '1.2.0']);
    assert.ok(portal.every((r) => r.service === 'customer-portal'));
    const orchestrator = await catalogue(h, 'orchestrator');
    assert.deepEqual(versionsOf(orchestrator), SEEDED_AGENT, 'the agent releases published above are not the orchestrator\'s');
    const unknown = await h.admin('GET', '/api/v1/admin/releases?service=billing');
    assertInvalid(unknown, 'service', /must be one of agent, orchestrator, customer-portal/);
  });

  it('accepts a pre-release and orders it before its release', async () => {
    for (const version of ['2.2.0', '2.2.0-rc.1']) {
      const r = await h.admin('POST', '/api/v1/admin/releases', { service: 'orchestrator', version });
      assert.equal(r.status, 201, `${version}: ${JSON.stringify(r.body)}`);
    }
    assert.deepEqual(versionsOf(await catalogue(h, 'orchestrator')), [...SEEDED_AGENT, '2.2.0-rc.1', '2.2.0']);
  });

  it('shows a published required stop as the last version reachable, and refuses a trigger past it', async () => {
    for (const [version, stop] of [['1.3.0', true], ['1.4.0', false]] as const) {
      const r = await h.admin('POST', '/api/v1/admin/releases', { service: 'customer-portal', version, required_stop: stop, notes: stop ? 'Migrates sessions.' : null });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.equal(r.body.required_stop, stop);
    }
    await beat(h, nodeKey, 'portal-1', { role: 'customer-portal', version: '1.1.0' });
    const r = await h.call('GET', '/api/v1/deployments/versions', { cookie });
    const portal = r.body.services.find((s: any) => s.service === 'customer-portal');
    assert.equal(portal.latest, '1.4.0');
    assert.deepEqual(
      portal.available.map((a: any) => [a.version, a.required_stop]),
      [['1.2.0', false], ['1.3.0', true]],
      '1.4.0 is beyond the stop: not reachable yet',
    );
    const past = await h.call('POST', '/api/v1/deployments/upgrade', { cookie, body: { service: 'customer-portal', version: '1.4.0' } });
    assert.equal(past.status, 400, JSON.stringify(past.body));
    assert.match(past.body.error.message, /past the required stop 1\.3\.0/);
  });

  describe('bad input: 400 naming the field, and nothing published', () => {
    const cases: [string, Record<string, unknown>, string, RegExp][] = [
      ['not a semantic version', { service: 'agent', version: '2.1' }, 'version', /must be a semantic version/],
      ['a leading "v"', { service: 'agent', version: 'v2.2.0' }, 'version', /no leading "v"/],
      ['build metadata', { service: 'agent', version: '2.2.0+b1' }, 'version', /no build metadata/],
      ['an unknown service', { service: 'billing', version: '2.2.0' }, 'service', /must be one of agent, orchestrator, customer-portal/],
      ['a missing version', { service: 'agent' }, 'version', /is required/],
      ['an unknown body field', { service: 'agent', version: '2.2.0', channel: 'beta' }, 'channel', /is not a field this route takes/],
      ['notes over 10000 characters', { service: 'agent', version: '2.2.0', notes: 'n'.repeat(10_001) }, 'notes', /must be at most 10000 characters/],
      ['a non-boolean required_stop', { service: 'agent', version: '2.2.0', required_stop: 'yes' }, 'required_stop', /must be true or false/],
    ];
    for (const [what, body, field, message] of cases) {
      it(what, async () => {
        const before = await catalogue(h);
        const r = await h.admin('POST', '/api/v1/admin/releases', body);
        assertInvalid(r, field, message);
        assert.deepEqual(await catalogue(h), before, 'the catalogue is unchanged');
      });
    }
  });

  it('refuses to publish a version twice: 409, the first release unchanged', async () => {
    const before = await catalogue(h, 'agent');
    const r = await h.admin('POST', '/api/v1/admin/releases', { service: 'agent', version: '2.0.0', notes: 'Rewritten.', required_stop: false });
    assert.equal(r.status, 409, JSON.stringify(r.body));
    assert.equal(r.body.error.code, 'CONFLICT');
    assert.match(r.body.error.message, /agent 2\.0\.0 is already published/);
    const after = await catalogue(h, 'agent');
    assert.deepEqual(after, before);
    assert.equal(after.find((x) => x.version === '2.0.0')!.required_stop, true, 'the stop is still a stop');
    // The same version of another service is another release.
    const other = await h.admin('POST', '/api/v1/admin/releases', { service: 'customer-portal', version: '2.10.0' });
    assert.equal(other.status, 201, JSON.stringify(other.body));
  });

  describe('only the admin key opens the catalogue', () => {
    const publish = { service: 'agent', version: '3.0.0' };

    async function refusedEverywhere(opts: { cookie?: string; headers?: Record<string, string> }, presented: RegExp): Promise<void> {
      const before = await catalogue(h);
      for (const [method, body] of [['POST', publish], ['GET', undefined]] as const) {
        const r = await h.call(method, '/api/v1/admin/releases', { ...opts, body });
        assert.equal(r.status, 401, `${method}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error.code, 'UNAUTHENTICATED');
        assert.deepEqual(r.body.error.required_auth, ['admin_api_key'], method);
        assert.match(r.body.error.message, /needs the admin API key \(X-Admin-API-Key header\)/, method);
        assert.match(r.body.error.message, presented, method);
        assert.equal(JSON.stringify(r.body).includes('releases'), false, 'no catalogue in a refusal');
      }
      assert.deepEqual(await catalogue(h), before, '3.0.0 was not published');
    }

    it('no credential: 401 naming the admin API key', async () => {
      await refusedEverywhere({}, /no credential was presented/);
    });

    it("an organization owner's portal session: 401, the admin key is needed", async () => {
      await refusedEverywhere({ cookie }, /a portal session was presented/);
    });

    it("a runtime API key, even with '*': 401, the admin key is needed", async () => {
      const { key } = await h.apiKey('acme', ['*'], cookie);
      await refusedEverywhere({ headers: { authorization: `Bearer ${key}` } }, /a runtime API key was presented/);
    });

    it('a wrong admin key: 401, nothing published', async () => {
      const before = await catalogue(h);
      const r = await h.call('POST', '/api/v1/admin/releases', { body: publish, headers: { 'x-admin-api-key': `${ADMIN_KEY}x` }, ip: '192.0.2.77' });
      assert.equal(r.status, 401, JSON.stringify(r.body));
      assert.deepEqual(r.body.error.required_auth, ['admin_api_key']);
      assert.deepEqual(await catalogue(h), before);
    });

    it('the same on GraphQL: publishRelease and releases need the admin key', async () => {
      const mutation = await h.graphql(
        'mutation($input: PublishReleaseInput!) { publishRelease(input: $input) { version } }',
        { input: publish },
        { cookie },
      );
      assert.equal(mutation.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED', JSON.stringify(mutation));
      assert.ok(mutation.errors[0].extensions.requiredAuth.includes('admin_api_key'));
      assert.equal(mutation.data?.publishRelease ?? null, null);
      const query = await h.graphql('{ releases { version } }', {}, { cookie });
      assert.equal(query.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED', JSON.stringify(query));
      const asOperator = await h.graphql('query($s: String) { releases(service: $s) { version requiredStop } }', { s: 'agent' }, { headers: { 'x-admin-api-key': ADMIN_KEY } });
      assert.equal(asOperator.errors, undefined, JSON.stringify(asOperator.errors));
      assert.ok(asOperator.data.releases.some((r: any) => r.version === '2.0.0' && r.requiredStop === true));
      assert.ok(!asOperator.data.releases.some((r: any) => r.version === '3.0.0'));
    });
  });
});
