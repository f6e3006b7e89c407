import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Harness } from '../helpers/harness.js';

const MIN = 60_000;

describe('portal sessions', () => {
  let h: Harness;
  before(async () => {
    // idle 30 min, absolute 24 h (the harness defaults)
    h = await Harness.start({ allowedHosts: ['localhost', 'portal.acme.example.com'] });
    await h.createOrg('acme');
  });
  after(() => h.close());

  const session = (cookie: string) => h.call('GET', '/api/v1/auth/session', { cookie });

  it('answers the session with role and permissions', async () => {
    const cookie = await h.login('acme');
    const r = await session(cookie);
    assert.equal(r.status, 200);
    assert.equal(r.body.authenticated, true);
    assert.equal(r.body.role, 'owner');
    assert.ok(r.body.permissions.includes('owners:manage'));
  });

  it('refuses two session cookies rather than pick one, and clears ours', async () => {
    const mine = await h.login('acme');
    const tossed = await h.login('acme');
    const r = await h.call('GET', '/api/v1/auth/session', { headers: { cookie: `axonflow_session=${tossed}; theme=dark; axonflow_session=${mine}` } });
    assert.equal(r.status, 401);
    assert.match(r.body.error.message, /two axonflow_session cookies were sent/);
    assert.equal(r.sessionCookie, '', 'the cookie is cleared so the next request carries one');
    // The other copy may have come from a parent domain or a deeper path: every copy this answer can reach is cleared.
    const cleared = r.headers.getSetCookie().filter((c) => c.startsWith('axonflow_session=;'));
    const scopes = cleared.map((c) => /Domain=([^;]+)/.exec(c)?.[1] ?? /Path=([^;]+)/.exec(c)?.[1]);
    assert.deepEqual(scopes, ['/', '/api', '/api/v1', '/api/v1/auth', '/api/v1/auth/session']);
    const named = await h.call('GET', '/api/v1/auth/session', {
      headers: { host: 'portal.acme.example.com', cookie: `axonflow_session=${tossed}; axonflow_session=${mine}` },
    });
    const domains = named.headers.getSetCookie().map((c) => /Domain=([^;]+)/.exec(c)?.[1]).filter(Boolean);
    assert.deepEqual(domains, ['portal.acme.example.com', 'acme.example.com', 'example.com']);
    assert.equal((await session(mine)).status, 200, 'each session is untouched on its own');
  });

  it('ends after the idle timeout, and activity keeps it alive', async () => {
    const cookie = await h.login('acme');
    h.clock.advance(25 * MIN);
    assert.equal((await session(cookie)).status, 200, 'used within the idle window');
    h.clock.advance(25 * MIN);
    assert.equal((await session(cookie)).status, 200, 'the last use restarted the idle window');
    h.clock.advance(31 * MIN);
    const dead = await session(cookie);
    assert.equal(dead.status, 401);
    assert.match(dead.body.error.message, /expired/);
    assert.equal(dead.sessionCookie, '', 'the dead cookie is cleared');
  });

  it('ends at the absolute lifetime however active it is', async () => {
    const cookie = await h.login('acme');
    for (let i = 0; i < 60; i++) {
      h.clock.advance(29 * MIN);
      const r = await session(cookie);
      if (r.status !== 200) {
        assert.ok(i * 29 * MIN >= 23 * 60 * MIN, `ended too early, after ${(i + 1) * 29} minutes`);
        assert.equal(r.status, 401);
        return;
      }
    }
    assert.fail('the session outlived its absolute lifetime');
  });

  it('gives a new token on every login; logging in again from a session ends that session', async () => {
    const a = await h.login('acme');
    const b = await h.login('acme');
    assert.notEqual(a, b);
    assert.equal((await session(a)).status, 200, 'another browser keeps its own session');
    const again = await h.call('POST', '/api/v1/auth/login', { cookie: a, body: { org_id: 'acme', password: 'acme-password-1' }, ip: '192.0.2.77' });
    assert.equal(again.status, 200);
    assert.notEqual(again.sessionCookie, a);
    assert.equal((await session(a)).status, 401, 'the session the login came with is dead');
    assert.equal((await session(again.sessionCookie!)).status, 200);
    assert.equal((await session(b)).status, 200);
  });

  it('logout ends the session server-side: replaying the cookie is 401', async () => {
    const cookie = await h.login('acme');
    const out = await h.call('POST', '/api/v1/auth/logout', { cookie });
    assert.equal(out.status, 200);
    assert.equal(out.sessionCookie, '', 'the cookie is cleared');
    const replay = await session(cookie);
    assert.equal(replay.status, 401);
    assert.deepEqual(replay.body.error.required_auth, ['portal_session']);
    const again = await h.call('POST', '/api/v1/auth/logout', { cookie });
    assert.equal(again.status, 401);
  });

  it('refuses a cross-origin cookie-authenticated change', async () => {
    const cookie = await h.login('acme');
    const r = await h.call('POST', '/api/v1/auth/logout', { cookie, headers: { origin: 'https://evil.example', host: 'localhost' } });
    assert.equal(r.status, 403);
    assert.equal((await session(cookie)).status, 200, 'the session survived');
  });

  it('changing the password ends every session, gives the caller a new token, and checks the current password', async () => {
    await h.createOrg('pwco');
    const keep = await h.login('pwco');
    const other = await h.login('pwco');
    const wrong = await h.call('POST', '/api/v1/auth/change-password', {
      cookie: keep,
      body: { current_password: 'not-the-password', new_password: 'brand-new-secret-9' },
    });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.error.field, 'current_password');
    const weak = await h.call('POST', '/api/v1/auth/change-password', {
      cookie: keep,
      body: { current_password: 'pwco-password-1', new_password: 'password' },
    });
    assert.equal(weak.status, 400);
    assert.equal(weak.body.error.field, 'new_password');
    const short = await h.call('POST', '/api/v1/auth/change-password', {
      cookie: keep,
      body: { current_password: 'pwco-password-1', new_password: 'short' },
    });
    assert.match(short.body.error.message, /at least 8/);
    const ok = await h.call('POST', '/api/v1/auth/change-password', {
      cookie: keep,
      body: { current_password: 'pwco-password-1', new_password: 'brand-new-secret-9' },
    });
    assert.equal(ok.status, 200);
    assert.ok(ok.sessionCookie && ok.sessionCookie !== keep, 'a new session token in the cookie');
    assert.equal((await session(ok.sessionCookie!)).status, 200, 'the caller carries on');
    assert.equal((await session(keep)).status, 401, 'the token seen before the change is dead');
    assert.equal((await session(other)).status, 401);
    const rows = await h.runtime.database.db.selectFrom('sessions').select('id').where('org_id', '=', 'pwco').execute();
    assert.equal(rows.length, 1, 'one session left: the renewed one');
    await assert.rejects(h.login('pwco'), /401/);
    assert.ok(await h.login('pwco', 'brand-new-secret-9'));
  });

  it('accepts a 128-character password and refuses 129', async () => {
    await h.createOrg('longpw');
    const cookie = await h.login('longpw');
    const long = 'Ω'.repeat(128);
    const ok = await h.call('POST', '/api/v1/auth/change-password', {
      cookie,
      body: { current_password: 'longpw-password-1', new_password: long },
    });
    assert.equal(ok.status, 200);
    assert.ok(await h.login('longpw', long), 'no truncation: the full password logs in');
    await assert.rejects(h.login('longpw', long.slice(0, 127)), /401/);
    const tooLong = await h.call('POST', '/api/v1/auth/change-password', {
      cookie: ok.sessionCookie,
      body: { current_password: long, new_password: 'x'.repeat(129) },
    });
    assert.equal(tooLong.status, 400);
  });

  it('suspending the org ends every session at once, and reactivating does not revive them', async () => {
    await h.createOrg('susp');
    const a = await h.login('susp');
    const b = await h.login('susp');
    const r = await h.admin('PATCH', '/api/v1/admin/organizations/susp', { status: 'SUSPENDED' });
    assert.equal(r.status, 200);
    assert.equal((await session(a)).status, 401);
    assert.equal((await session(b)).status, 401);
    const login = await h.call('POST', '/api/v1/auth/login', { body: { org_id: 'susp', password: 'susp-password-1' }, ip: '192.0.2.200' });
    assert.equal(login.status, 403);
    assert.match(login.body.error.message, /suspended/);
    await h.admin('PATCH', '/api/v1/admin/organizations/susp', { status: 'ACTIVE' });
    assert.equal((await session(a)).status, 401);
    assert.ok(await h.login('susp'));
  });

  it('the operator setting the org password ends the sessions opened with the old one', async () => {
    await h.createOrg('reset');
    const cookie = await h.login('reset');
    const r = await h.admin('POST', '/api/v1/admin/organizations/reset/password', { password: 'operator-set-pass-7' });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { org_id: 'reset', password_updated: true });
    assert.equal((await session(cookie)).status, 401);
    assert.ok(await h.login('reset', 'operator-set-pass-7'));
  });

  it('a garbage cookie is a clear 401, never a 500', async () => {
    for (const junk of ['x', 'a'.repeat(5000), '%%%', 'null']) {
      const r = await session(junk);
      assert.equal(r.status, 401, junk.slice(0, 10));
    }
  });
});

describe('the session cookie in production', () => {
  it('is always Secure, even over plain http behind a TLS-terminating proxy that says nothing', async () => {
    const h = await Harness.start({ environment: 'production', publicUrl: 'http://portal.internal' as string, trustProxyHops: 0 });
    try {
      await h.createOrg('acme');
      const r = await h.call('POST', '/api/v1/auth/login', { body: { org_id: 'acme', password: 'acme-password-1' } });
      assert.equal(r.status, 200);
      const cookie = r.headers.getSetCookie().find((c) => c.startsWith('axonflow_session='))!;
      assert.match(cookie, /; Secure/);
      assert.match(cookie, /HttpOnly/);
    } finally {
      await h.close();
    }
  });
});
