import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Harness } from '../helpers/harness.js';

describe('portal login', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start();
    await h.createOrg('acme', { contact_email: 'ops@acme.example.com' });
    await h.createOrg('globex');
  });
  after(() => h.close());

  it('logs in with the organization password and sets a safe cookie, never a token in the body', async () => {
    const r = await h.call('POST', '/api/v1/auth/login', { body: { org_id: 'acme', password: 'acme-password-1' }, ip: '192.0.2.1' });
    assert.equal(r.status, 200);
    assert.equal(r.body.org_id, 'acme');
    assert.equal(r.body.email, 'ops@acme.example.com');
    assert.equal(r.body.name, 'acme Inc');
    assert.ok(Date.parse(r.body.expires_at) > h.clock.now().getTime());
    const cookie = r.headers.getSetCookie().find((c) => c.startsWith('axonflow_session='))!;
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Lax/);
    assert.match(cookie, /Path=\//);
    assert.doesNotMatch(cookie, /Secure/, 'plain http in tests: no Secure flag');
    assert.ok(r.sessionCookie!.length >= 43, 'at least 256 bits of token');
    assert.ok(!JSON.stringify(r.body).includes(r.sessionCookie!));
  });

  it('over GraphQL, answers with the new session and its own organization, whoever was logged in before', async () => {
    const globex = await h.login('globex');
    const query = 'mutation($i: LoginInput!) { login(input: $i) { orgId organization { orgId name } } }';
    const anonymous = await h.graphql(query, { i: { orgId: 'acme', password: 'acme-password-1' } }, { ip: '192.0.2.9' });
    assert.deepEqual(anonymous.data.login, { orgId: 'acme', organization: { orgId: 'acme', name: 'acme Inc' } });
    const switching = await h.graphql(query, { i: { orgId: 'acme', password: 'acme-password-1' } }, { cookie: globex, ip: '192.0.2.10' });
    assert.deepEqual(switching.data.login.organization, { orgId: 'acme', name: 'acme Inc' });
  });

  it('marks the cookie Secure behind an https proxy', async () => {
    const r = await h.call('POST', '/api/v1/auth/login', {
      body: { org_id: 'acme', password: 'acme-password-1' },
      headers: { 'x-forwarded-proto': 'https' },
      ip: '192.0.2.2',
    });
    assert.equal(r.status, 200);
    assert.match(r.headers.getSetCookie().join(';'), /Secure/);
  });

  it('gives one generic answer for unknown org, unknown user and wrong password', async () => {
    const attempts = [
      { org_id: 'nope', password: 'whatever-123' },
      { org_id: 'acme', password: 'wrong-password-1' },
      { org_id: 'acme', email: 'ghost@acme.example.com', password: 'acme-password-1' },
    ];
    const answers = [];
    for (const [i, body] of attempts.entries()) {
      const r = await h.call('POST', '/api/v1/auth/login', { body, ip: `192.0.2.${10 + i}` });
      answers.push({ status: r.status, body: r.body, cookie: r.sessionCookie });
    }
    assert.equal(answers[0].status, 401);
    assert.deepEqual(answers[1], answers[0]);
    assert.deepEqual(answers[2], answers[0]);
    assert.equal(answers[0].cookie, undefined);
    assert.equal(answers[0].body.error.message, 'invalid organization, email or password');
  });

  it('takes similar time for an unknown org and a wrong password (one hash check either way)', async () => {
    const time = async (body: object, ip: string) => {
      const t = performance.now();
      await h.call('POST', '/api/v1/auth/login', { body, ip });
      return performance.now() - t;
    };
    const unknown: number[] = [];
    const wrong: number[] = [];
    for (let i = 0; i < 4; i++) {
      unknown.push(await time({ org_id: `ghost-${i}`, password: 'whatever-123' }, `192.0.2.${30 + i}`));
      wrong.push(await time({ org_id: 'globex', password: `wrong-pass-${i}` }, `192.0.2.${40 + i}`));
    }
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    // The unknown path must not be a fast path: it verifies a dummy hash of the same cost.
    assert.ok(median(unknown) > median(wrong) * 0.5, `unknown ${median(unknown)} ms vs wrong ${median(wrong)} ms`);
  });

  it('records failed and successful logins in the audit trail without the password', async () => {
    await h.createOrg('audited');
    await h.call('POST', '/api/v1/auth/login', { body: { org_id: 'audited', password: 'wrong-password-77' }, ip: '192.0.2.77' });
    await h.call('POST', '/api/v1/auth/login', { body: { org_id: 'audited', password: 'audited-password-1' }, ip: '192.0.2.78' });
    const failed = await h.admin('GET', '/api/v1/admin/audit?org_id=audited&action=auth.login_failed');
    assert.equal(failed.status, 200);
    assert.equal(failed.body.events.length, 1);
    assert.equal(failed.body.events[0].ip, '192.0.2.77');
    assert.equal(failed.body.events[0].outcome, 'failure');
    assert.ok(!JSON.stringify(failed.body).includes('wrong-password-77'));
    const ok = await h.admin('GET', '/api/v1/admin/audit?org_id=audited&action=auth.login');
    assert.equal(ok.body.events.length, 1);
    assert.equal(ok.body.events[0].actor_type, 'user');
  });

  it('refuses bad login bodies with 400 naming the field', async () => {
    const cases: [unknown, string][] = [
      [{ password: 'x-password-1' }, 'org_id'],
      [{ org_id: 'acme' }, 'password'],
      [{ org_id: 5, password: 'x-password-1' }, 'org_id'],
      [{ org_id: 'acme', password: 'x-password-1', remember: true }, 'remember'],
    ];
    for (const [body, field] of cases) {
      const r = await h.call('POST', '/api/v1/auth/login', { body, ip: '192.0.2.60' });
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.error.code, 'INVALID_INPUT');
      assert.equal(r.body.error.field, field);
    }
  });

  it('limits attempts per client IP: the 6th in a minute is 429 with Retry-After', async () => {
    const statuses = [];
    for (let i = 0; i < 6; i++) {
      const r = await h.call('POST', '/api/v1/auth/login', { body: { org_id: `ip-probe-${i}`, password: 'wrong-pass-1' }, ip: '192.0.2.99' });
      statuses.push(r.status);
      if (r.status === 429) {
        const retry = Number(r.headers.get('retry-after'));
        assert.ok(retry >= 1 && retry <= 60, `Retry-After ${retry}`);
      }
    }
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429]);
    h.clock.advance(61_000);
    const later = await h.call('POST', '/api/v1/auth/login', { body: { org_id: 'acme', password: 'acme-password-1' }, ip: '192.0.2.99' });
    assert.equal(later.status, 200, 'the window passes');
  });

  it('holds the per-address limit under 20 parallel attempts, and audits the throttling once', async () => {
    await h.createOrg('racer');
    const throttledRows = async () =>
      (await h.runtime.database.db.selectFrom('audit_events').select('id').where('action', '=', 'auth.throttled').where('ip', '=', '198.18.0.9').execute()).length;
    const results = await Promise.all(
      Array.from({ length: 20 }, () => h.call('POST', '/api/v1/auth/login', { body: { org_id: 'racer', password: 'wrong-pass-1' }, ip: '198.18.0.9' })),
    );
    const statuses = results.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 401).length, 5, `exactly five attempts got through: ${statuses.join(',')}`);
    assert.equal(statuses.filter((s) => s === 429).length, 15);
    assert.equal(await throttledRows(), 1, 'one audit row for the window, not fifteen');
    const limited = results.find((r) => r.status === 429)!;
    const retry = Number(limited.headers.get('retry-after'));
    assert.match(limited.body.error.message, new RegExp(`retry in ${retry} seconds?$`), 'the message says what Retry-After says');
  });

  it("does not let one address's failures lock the account's owner out from another", async () => {
    await h.createOrg('owned');
    for (let i = 0; i < 6; i++) {
      await h.call('POST', '/api/v1/auth/login', { body: { org_id: 'owned', password: 'wrong-pass-1' }, ip: '198.18.4.4' });
    }
    const attacker = await h.call('POST', '/api/v1/auth/login', { body: { org_id: 'owned', password: 'owned-password-1' }, ip: '198.18.4.4' });
    assert.equal(attacker.status, 429, 'the guessing address waits, right password or not');
    const owner = await h.call('POST', '/api/v1/auth/login', { body: { org_id: 'OWNED ', password: 'owned-password-1' }, ip: '198.18.5.5' });
    assert.equal(owner.status, 200, 'the owner elsewhere logs in, whatever case and spacing they typed');
    assert.equal(owner.body.org_id, 'owned');
  });

  // One account's attempts from several addresses, each under the per-address limit: A 4, B 3, C 3 failures.
  async function pastTheCeiling(orgId: string, password: string) {
    const attempt = (ip: string, pw = 'wrong-pass-1') => h.call('POST', '/api/v1/auth/login', { body: { org_id: orgId, password: pw }, ip });
    const seen: (number | string)[] = [];
    for (const [ip, n] of [['198.19.0.1', 4], ['198.19.0.2', 3], ['198.19.0.3', 3]] as const) {
      for (let i = 0; i < n; i++) seen.push((await attempt(ip)).status);
    }
    // Past the ceiling an address that failed takes the next slot: 1 s, then 2 s ...
    seen.push((await attempt('198.19.0.3')).status);
    const paced = await attempt('198.19.0.3');
    seen.push(paced.status, paced.headers.get('retry-after')!, paced.body.error?.message);
    h.clock.advance(1000);
    seen.push((await attempt('198.19.0.2')).status);
    const doubled = await attempt('198.19.0.2');
    seen.push(doubled.status, doubled.headers.get('retry-after')!);
    // While a guessing address waits, an address that never failed on the account goes straight through.
    seen.push((await attempt('198.19.9.9', password)).status);
    return seen;
  }

  it("paces an account's failing addresses past the ceiling, and lets its owner in from elsewhere meanwhile", async () => {
    await h.createOrg('spread');
    const seen = await pastTheCeiling('spread', 'spread-password-1');
    const spaced = 'too many recent login attempts for this organization and email; attempts are spaced out; retry in 1 second';
    assert.deepEqual(seen, [...Array(10).fill(401), 401, 429, '1', spaced, 401, 429, '2', 200]);
    const keys = (await h.runtime.database.db.selectFrom('rate_limits').select('key').execute()).map((r) => r.key);
    assert.ok(keys.every((k) => !k.includes('spread')), 'accounts are counted under keyed buckets, not their names');
  });

  it('throttles an org that does not exist exactly like one that does: the throttle reveals nothing', async () => {
    await h.createOrg('real');
    h.clock.advance(900_000); // a fresh window for the account counters
    const real = await pastTheCeiling('real', 'wrong-again-1');
    h.clock.advance(900_000);
    const ghost = await pastTheCeiling('ghost-org', 'wrong-again-1');
    assert.deepEqual(ghost, real);
    assert.ok(real.includes(429), 'both were paced');
  });

  it('holds the account ceiling under parallel attempts from many addresses', async () => {
    await h.createOrg('swarm');
    h.clock.advance(900_000);
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        h.call('POST', '/api/v1/auth/login', { body: { org_id: 'swarm', password: 'wrong-pass-1' }, ip: `198.20.${Math.floor(i / 250)}.${(i % 250) + 1}` }),
      ),
    );
    const statuses = results.map((r) => r.status);
    // 50 from addresses that never failed, then one per slot: the slots are 30 s apart by now.
    assert.equal(statuses.filter((x) => x === 401).length, 51, statuses.join(','));
    assert.equal(statuses.filter((x) => x === 429).length, 9);
  });

  it('does not count successful logins against the limit', async () => {
    await h.createOrg('busy');
    for (let i = 0; i < 8; i++) {
      const r = await h.call('POST', '/api/v1/auth/login', { body: { org_id: 'busy', password: 'busy-password-1' }, ip: '198.18.2.1' });
      assert.equal(r.status, 200, `login ${i + 1}`);
    }
  });

  it('uses X-Forwarded-For only through the trusted hops', async () => {
    // One trusted hop: the last XFF entry is the client; entries before it are the client's own claims.
    for (let i = 0; i < 5; i++) {
      await h.call('POST', '/api/v1/auth/login', {
        body: { org_id: `spoof-${i}`, password: 'wrong-pass-1' },
        headers: { 'x-forwarded-for': `10.9.9.${i}, 198.18.3.3` },
      });
    }
    const r = await h.call('POST', '/api/v1/auth/login', {
      body: { org_id: 'spoof-x', password: 'wrong-pass-1' },
      headers: { 'x-forwarded-for': '10.9.9.200, 198.18.3.3' },
    });
    assert.equal(r.status, 429, 'rotating the spoofable part does not reset the limit');
  });

  it('logs in a portal user by email, case-insensitively', async () => {
    const owner = await h.login('acme');
    const added = await h.graphql(
      'mutation($i: AddUserInput!) { addUser(input: $i) { initialPassword user { id email } } }',
      { i: { email: 'Dev@Acme.example.com', name: 'Dev', role: 'developer' } },
      { cookie: owner },
    );
    const password = added.data.addUser.initialPassword;
    const r = await h.call('POST', '/api/v1/auth/login', {
      body: { org_id: 'acme', email: 'dev@acme.example.com', password },
      ip: '192.0.2.120',
    });
    assert.equal(r.status, 200);
    assert.equal(r.body.role, 'developer');
    const s = await h.call('GET', '/api/v1/auth/session', { cookie: r.sessionCookie });
    assert.equal(s.body.email, 'Dev@Acme.example.com');
    assert.ok(s.body.permissions.includes('keys:manage'));
    assert.ok(!s.body.permissions.includes('users:manage'));
  });

  it('answers SSO availability like an org without SSO, for known and unknown orgs alike', async () => {
    const known = await h.call('GET', '/api/v1/auth/sso/availability?org_id=acme');
    const unknown = await h.call('GET', '/api/v1/auth/sso/availability?org_id=nobody');
    assert.equal(known.status, 200);
    assert.deepEqual(known.body, { sso_enabled: false, sso_provider: null, enforce_sso: false, sso_login_url: null });
    assert.deepEqual(unknown.body, known.body);
    const missing = await h.call('GET', '/api/v1/auth/sso/availability');
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error.field, 'org_id');
  });
});

describe('password reset by mail', () => {
  it('answers 501 with a way forward while no mail transport is configured, whatever the org', async () => {
    const h = await Harness.start();
    try {
      await h.createOrg('acme');
      const known = await h.call('POST', '/api/v1/auth/forgot-password', { body: { org_id: 'acme', email: 'a@acme.example.com' } });
      const unknown = await h.call('POST', '/api/v1/auth/forgot-password', { body: { org_id: 'nobody' } });
      assert.equal(known.status, 501);
      assert.deepEqual(unknown.body, known.body, 'no org enumeration');
      assert.equal(known.body.error.code, 'NOT_IMPLEMENTED');
      assert.match(known.body.error.message, /mail transport/);
      const reset = await h.call('POST', '/api/v1/auth/reset-password', { body: { token: 'x', new_password: 'whatever-long-1' } });
      assert.equal(reset.status, 501);
      const bad = await h.call('POST', '/api/v1/auth/forgot-password', { body: { email: 'a@acme.example.com' } });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.field, 'org_id');
    } finally {
      await h.close();
    }
  });
});
