import assert from 'node:assert/strict';
import { SignJWT, generateKeyPair } from 'jose';
import { after, afterEach, before, describe, it } from 'node:test';
import type { ApiResult, Harness } from '../helpers/harness.js';
import {
  AUDIENCE,
  CLIENT_SECRET,
  MockOp,
  atIdp,
  configureOidc,
  oidcCallback,
  oidcLogin,
  redirectUri,
  startOidcLogin,
} from '../helpers/oidc-op.js';
import { ORIGIN, cookieValue, ssoAudit, ssoHarness } from '../helpers/sso.js';

const nowS = () => Math.floor(Date.now() / 1000);
const person = (sub: string, extra: Record<string, unknown> = {}) => ({
  sub,
  email: `${sub}@example.com`,
  email_verified: true,
  name: `Person ${sub}`,
  ...extra,
});

/**
 * A refused callback: 401, no session, the browser told only a reference; the org's newest failed SSO
 * login in the audit is this one, with the precise reason.
 */
async function refused(h: Harness, owner: string, res: ApiResult, reason: RegExp): Promise<any> {
  assert.equal(res.status, 401, JSON.stringify(res.body));
  assert.equal(res.sessionCookie, undefined, 'no session cookie is set');
  assert.equal(res.body.error.code, 'UNAUTHENTICATED');
  const message: string = res.body.error.message;
  const ref = /\(reference (ssofail_[A-Za-z0-9_-]+)\)/.exec(message)?.[1];
  assert.ok(ref, `the browser is given a reference: ${message}`);
  const [attempt] = await ssoAudit(h, owner, '?outcome=failure');
  assert.ok(attempt, 'the failure is audited');
  assert.equal(attempt.protocol, 'oidc');
  assert.equal(attempt.outcome, 'failure');
  assert.equal(attempt.reference, ref);
  assert.match(attempt.reason, reason);
  const shown = JSON.stringify(res.body).replace(ref, '');
  assert.doesNotMatch(shown, reason, 'the browser is not told why');
  assert.ok(!shown.includes(attempt.reason));
  return attempt;
}

/** An ID token for the login `authorize` started, right in every claim, signed by a key the IdP does not publish (or by none). */
async function forgedIdToken(op: MockOp, authorize: URL, sub: string, how: 'unsigned' | 'unknown-key'): Promise<string> {
  const t = nowS();
  const claims = { iss: op.issuer, aud: AUDIENCE, nonce: authorize.searchParams.get('nonce')!, iat: t, exp: t + 600, ...person(sub) };
  if (how === 'unsigned') {
    const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`;
  }
  const { privateKey } = await generateKeyPair('RS256');
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: 'not-in-the-jwks' }).sign(privateKey);
}

let op: MockOp;
before(async () => {
  op = await MockOp.start();
});
after(async () => {
  await op?.stop();
});

describe('OIDC login: the happy path', () => {
  let h: Harness;
  let owner: string;
  before(async () => {
    ({ h, cookie: owner } = await ssoHarness('acme', { outboundAllowHosts: [op.hostPort] }));
    await configureOidc(h, owner, op);
  });
  afterEach(() => op.reset());
  after(() => h?.close());

  it('sends the browser to the IdP with PKCE S256, state, nonce and our exact redirect URI, and back with a session cookie', async () => {
    const start = await startOidcLogin(h, 'acme', '?return_to=/dashboard');
    const a = start.authorize;
    assert.equal(`${a.origin}${a.pathname}`, `${op.issuer}/authorize`);
    assert.equal(a.searchParams.get('response_type'), 'code');
    assert.equal(a.searchParams.get('client_id'), AUDIENCE);
    assert.equal(a.searchParams.get('redirect_uri'), redirectUri('acme'));
    assert.ok(a.searchParams.get('scope')!.split(' ').includes('openid'), a.href);
    assert.equal(a.searchParams.get('code_challenge_method'), 'S256');
    assert.match(a.searchParams.get('code_challenge')!, /^[A-Za-z0-9_-]{43}$/, 'a base64url SHA-256');
    assert.match(a.searchParams.get('state')!, /^[A-Za-z0-9_-]{22,}$/);
    assert.match(a.searchParams.get('nonce')!, /^[A-Za-z0-9_-]{22,}$/);
    assert.notEqual(a.searchParams.get('state'), a.searchParams.get('nonce'));
    // The binding cookie: this browser's, for the callback only, sent on the IdP's top-level redirect back.
    assert.match(start.setCookie, /; HttpOnly/i);
    assert.match(start.setCookie, /; Path=\/auth\/oidc\/(;|$)/i);
    assert.match(start.setCookie, /; SameSite=Lax/i);
    assert.match(start.setCookie, /; Max-Age=600/i);

    op.claims(person('ada-1', { email: 'ada@example.com', name: 'Ada Lovelace' }));
    const back = await atIdp(a);
    assert.equal(`${back.origin}${back.pathname}`, redirectUri('acme'));
    assert.ok(back.searchParams.get('code'));
    assert.equal(back.searchParams.get('state'), a.searchParams.get('state'));

    const res = await oidcCallback(h, back, start.binding);
    assert.equal(res.status, 303, JSON.stringify(res.body));
    assert.equal(res.headers.get('location'), `${ORIGIN}/dashboard`);
    assert.ok(res.sessionCookie);
    assert.equal(cookieValue(res, 'axonflow_sso_oidc'), '', 'the binding cookie is cleared');
    const session = await h.call('GET', '/api/v1/auth/session', { cookie: res.sessionCookie });
    assert.equal(session.status, 200);
    assert.equal(session.body.org_id, 'acme');
    assert.equal(session.body.email, 'ada@example.com');
    assert.equal(session.body.name, 'Ada Lovelace');
    assert.equal(session.body.role, 'viewer');
    const [attempt] = await ssoAudit(h, owner);
    assert.equal(attempt.outcome, 'success');
    assert.equal(attempt.protocol, 'oidc');
    assert.equal(attempt.subject, 'ada-1');
    assert.equal(attempt.email, 'ada@example.com');
    assert.ok(attempt.user_id);
  });

  it('a second login of the same subject updates the name and keeps the user', async () => {
    op.claims(person('grace-1', { email: 'grace@example.com', name: 'Grace Hopper' }));
    const first = await oidcLogin(h, 'acme');
    assert.equal(first.res.status, 303, JSON.stringify(first.res.body));
    const [one] = await ssoAudit(h, owner, '?outcome=success');

    op.claims(person('grace-1', { email: 'grace@example.com', name: 'Rear Admiral Grace Hopper' }));
    const second = await oidcLogin(h, 'acme');
    assert.equal(second.res.status, 303, JSON.stringify(second.res.body));
    const [two] = await ssoAudit(h, owner, '?outcome=success');
    assert.notEqual(two.id, one.id);
    assert.equal(two.subject, 'grace-1');
    assert.equal(two.user_id, one.user_id);
    const session = await h.call('GET', '/api/v1/auth/session', { cookie: second.res.sessionCookie });
    assert.equal(session.body.email, 'grace@example.com');
    assert.equal(session.body.name, 'Rear Admiral Grace Hopper');
  });

  it('reads the person from the claims oidc_claim_mapping names', async () => {
    const mapped = await h.call('PUT', '/api/v1/sso/config', {
      cookie: owner,
      body: { provider: 'oidc', oidc_issuer: op.issuer, oidc_audience: AUDIENCE, email_domains: ['example.com'], enabled: true, oidc_claim_mapping: { email: 'upn', name: 'display_name' } },
    });
    assert.equal(mapped.status, 200, JSON.stringify(mapped.body));
    assert.deepEqual(mapped.body.oidc_claim_mapping, { email: 'upn', name: 'display_name', given_name: 'given_name', family_name: 'family_name' });
    op.claims(person('mapped-1', { email: 'not-this@example.com', upn: 'hedy@example.com', display_name: 'Hedy Lamarr', name: 'Not This' }));
    const { res } = await oidcLogin(h, 'acme');
    assert.equal(res.status, 303, JSON.stringify(res.body));
    const session = await h.call('GET', '/api/v1/auth/session', { cookie: res.sessionCookie });
    assert.equal(session.body.email, 'hedy@example.com');
    assert.equal(session.body.name, 'Hedy Lamarr');
    const back = await h.call('PUT', '/api/v1/sso/config', {
      cookie: owner,
      body: { provider: 'oidc', oidc_issuer: op.issuer, oidc_audience: AUDIENCE, email_domains: ['example.com'], enabled: true },
    });
    assert.equal(back.status, 200);
  });

  it('the configuration test passes every check, and the client secret is never shown', async () => {
    const t = await h.call('POST', '/api/v1/sso/config/test', { cookie: owner });
    assert.equal(t.status, 200, JSON.stringify(t.body));
    assert.equal(t.body.passed, true, JSON.stringify(t.body.checks));
    const names = t.body.checks.map((c: { name: string }) => c.name);
    for (const name of ['discovery', 'endpoints', 'pkce', 'id_token_algorithms', 'jwks', 'client_secret']) assert.ok(names.includes(name), `${name} in ${names}`);
    assert.ok(t.body.checks.every((c: { passed: boolean }) => c.passed));
    assert.ok(!JSON.stringify(t.body).includes(CLIENT_SECRET));

    const g = await h.call('GET', '/api/v1/sso/config', { cookie: owner });
    assert.equal(g.status, 200);
    assert.equal(g.body.oidc_issuer, op.issuer);
    assert.equal(g.body.oidc_client_secret_set, true);
    assert.ok(!('oidc_client_secret' in g.body));
    const json = JSON.stringify(g.body);
    assert.ok(!json.includes(CLIENT_SECRET), json);
    assert.ok(!/sealed|secret"\s*:\s*"/i.test(json), json);
  });
});

/** The suite's configuration again (client secret and email_domains), after a test replaced it. */
function configureBack(h: Harness, owner: string): Promise<ApiResult> {
  return h.call('PUT', '/api/v1/sso/config', {
    cookie: owner,
    body: { provider: 'oidc', oidc_issuer: op.issuer, oidc_audience: AUDIENCE, oidc_client_secret: CLIENT_SECRET, email_domains: ['example.com'], enabled: true },
  });
}

describe('OIDC login: what is refused', () => {
  let h: Harness;
  let owner: string;
  before(async () => {
    ({ h, cookie: owner } = await ssoHarness('acme', { outboundAllowHosts: [op.hostPort] }));
    await configureOidc(h, owner, op);
  });
  afterEach(() => op.reset());
  after(() => h?.close());

  it('a tampered state matches no login', async () => {
    const start = await startOidcLogin(h, 'acme');
    const back = await atIdp(start.authorize);
    back.searchParams.set('state', `${back.searchParams.get('state')}x`);
    await refused(h, owner, await oidcCallback(h, back, start.binding), /state matches no login/);
  });

  it('a callback without the binding cookie, or with another browser\'s, is refused; the browser that started it can still finish', async () => {
    const start = await startOidcLogin(h, 'acme');
    op.claims(person('bind-1'));
    const back = await atIdp(start.authorize);
    await refused(h, owner, await oidcCallback(h, back, undefined), /no binding cookie/);
    const other = await startOidcLogin(h, 'acme');
    await refused(h, owner, await oidcCallback(h, back, other.binding), /started by another browser/);
    const res = await oidcCallback(h, back, start.binding);
    assert.equal(res.status, 303, JSON.stringify(res.body));
    assert.ok(res.sessionCookie);
  });

  it('the same callback twice: the second is a replay', async () => {
    op.claims(person('replay-1'));
    const { start, back, res } = await oidcLogin(h, 'acme');
    assert.equal(res.status, 303, JSON.stringify(res.body));
    await refused(h, owner, await oidcCallback(h, back, start.binding), /completed before \(replay\)/);
  });

  it('an ID token with another nonce', async () => {
    op.claims(person('nonce-1', { nonce: 'not-the-one-we-sent' }));
    await refused(h, owner, (await oidcLogin(h, 'acme')).res, /nonce/);
  });

  it('an ID token for another audience', async () => {
    op.claims(person('aud-1', { aud: 'someone-else' }));
    await refused(h, owner, (await oidcLogin(h, 'acme')).res, /\baud\b|audience/);
  });

  it('an ID token from another issuer', async () => {
    op.claims(person('iss-1', { iss: 'https://evil.example' }));
    await refused(h, owner, (await oidcLogin(h, 'acme')).res, /\biss\b|issuer/);
  });

  it('an expired ID token', async () => {
    const t = nowS();
    op.claims(person('exp-1', { iat: t - 7200, nbf: t - 7200, exp: t - 3600 }));
    await refused(h, owner, (await oidcLogin(h, 'acme')).res, /\bexp\b|expired/);
  });

  it('an unsigned ID token (alg none) in the token response', async () => {
    const start = await startOidcLogin(h, 'acme');
    const token = await forgedIdToken(op, start.authorize, 'none-1', 'unsigned');
    op.tokenResponse((r) => {
      r.body.id_token = token;
    });
    const attempt = await refused(h, owner, await oidcCallback(h, await atIdp(start.authorize), start.binding), /alg/);
    assert.equal(attempt.subject, null);
  });

  it('an ID token signed with a key the IdP does not publish', async () => {
    const start = await startOidcLogin(h, 'acme');
    const token = await forgedIdToken(op, start.authorize, 'kid-1', 'unknown-key');
    op.tokenResponse((r) => {
      r.body.id_token = token;
    });
    const attempt = await refused(h, owner, await oidcCallback(h, await atIdp(start.authorize), start.binding), /kid|key/);
    assert.match(attempt.reason, /"not-in-the-jwks"/);
  });

  it('an email the IdP says is not verified', async () => {
    op.claims(person('unverified-1', { email_verified: false }));
    const attempt = await refused(h, owner, (await oidcLogin(h, 'acme')).res, /not verified/);
    assert.equal(attempt.subject, 'unverified-1');
    assert.equal(attempt.email, 'unverified-1@example.com');
  });

  it('a first login outside email_domains, or with no email_domains at all, creates nobody (the issuer may vouch for anyone)', async () => {
    op.claims(person('outsider-1', { email: 'eve@elsewhere.example' }));
    await refused(h, owner, (await oidcLogin(h, 'acme')).res, /email domain elsewhere\.example is not one of the configured email_domains/);
    const cleared = await h.call('PUT', '/api/v1/sso/config', {
      cookie: owner,
      body: { provider: 'oidc', oidc_issuer: op.issuer, oidc_audience: AUDIENCE, email_domains: [], enabled: true },
    });
    assert.equal(cleared.status, 200, JSON.stringify(cleared.body));
    op.claims(person('newcomer-1'));
    await refused(h, owner, (await oidcLogin(h, 'acme')).res, /create users only for email_domains, and none are configured/);
    assert.equal((await configureBack(h, owner)).status, 200);
  });

  it('the IdP answers error=access_denied', async () => {
    op.authorizeRedirect((r) => {
      r.url.searchParams.delete('code');
      r.url.searchParams.set('error', 'access_denied');
      r.url.searchParams.set('error_description', 'the user said no');
    });
    const { back, res } = await oidcLogin(h, 'acme');
    assert.equal(back.searchParams.get('error'), 'access_denied');
    await refused(h, owner, res, /access_denied/);
  });

  it('the token endpoint refuses the code: the audit names its OAuth error', async () => {
    op.tokenResponse((r) => {
      r.statusCode = 400;
      r.body = { error: 'invalid_grant', error_description: 'the code has expired' };
    });
    await refused(h, owner, (await oidcLogin(h, 'acme')).res, /HTTP 400 error=invalid_grant: the code has expired/);
  });

  it('a token response without an id_token', async () => {
    op.tokenResponse((r) => {
      delete r.body.id_token;
    });
    await refused(h, owner, (await oidcLogin(h, 'acme')).res, /id_token/);
  });
});

describe('OIDC login: the IdP cannot be reached at the callback', () => {
  let h: Harness;
  let owner: string;
  let gone: MockOp;
  before(async () => {
    gone = await MockOp.start();
    ({ h, cookie: owner } = await ssoHarness('acme', { outboundAllowHosts: [gone.hostPort] }));
    await configureOidc(h, owner, gone);
  });
  after(async () => {
    await h?.close();
    await gone?.stop();
  });

  it('the audit says why discovery failed, not just that it did', async () => {
    const start = await startOidcLogin(h, 'acme');
    const back = await atIdp(start.authorize);
    // A new client secret is a new client: the callback discovers again, and the IdP is gone by then.
    const put = await h.call('PUT', '/api/v1/sso/config', {
      cookie: owner,
      body: { provider: 'oidc', oidc_issuer: gone.issuer, oidc_audience: AUDIENCE, oidc_client_secret: 'rotated-secret', enabled: true },
    });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    await gone.stop();
    await refused(h, owner, await oidcCallback(h, back, start.binding), /discovery failed.*ECONNREFUSED/);
  });
});

describe('OIDC configuration: an issuer on loopback that OUTBOUND_ALLOW_HOSTS does not list', () => {
  let h: Harness;
  let owner: string;
  before(async () => {
    ({ h, cookie: owner } = await ssoHarness('acme'));
  });
  after(() => h?.close());

  it('over http it cannot be saved: 400 naming oidc_issuer, https required', async () => {
    const r = await h.call('POST', '/api/v1/sso/config', {
      cookie: owner,
      body: { provider: 'oidc', oidc_issuer: op.issuer, oidc_audience: AUDIENCE, oidc_client_secret: CLIENT_SECRET, enabled: true },
    });
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.equal(r.body.error.code, 'INVALID_INPUT');
    assert.equal(r.body.error.field, 'oidc_issuer');
    assert.match(r.body.error.message, /https/);
    assert.equal((await h.call('GET', '/api/v1/sso/config', { cookie: owner })).status, 404);
  });

  it('over https it is saved (the address is judged when fetched), but nothing ever reaches it', async () => {
    const issuer = op.issuer.replace(/^http:/, 'https:');
    const r = await h.call('POST', '/api/v1/sso/config', {
      cookie: owner,
      body: { provider: 'oidc', oidc_issuer: issuer, oidc_audience: AUDIENCE, oidc_client_secret: CLIENT_SECRET, enabled: true },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const t = await h.call('POST', '/api/v1/sso/config/test', { cookie: owner });
    assert.equal(t.status, 200);
    assert.equal(t.body.passed, false);
    const discovery = t.body.checks.find((c: { name: string }) => c.name === 'discovery');
    assert.equal(discovery.passed, false);
    assert.match(discovery.reason, /127\.0\.0\.1 is a loopback address/);
    const login = await h.call('GET', '/auth/oidc/acme/login');
    assert.equal(login.status, 502, JSON.stringify(login.body));
    assert.equal(login.body.error.code, 'UPSTREAM_FAILED');
    assert.equal(login.headers.get('location'), null);
    assert.equal(cookieValue(login, 'axonflow_sso_oidc'), undefined);
    // The browser is told a reference; the admin reads why under it.
    const ref = /reference (ssofail_[\w-]+)/.exec(login.body.error.message)![1];
    const audit = await h.call('GET', '/api/v1/sso/audit?outcome=failure', { cookie: owner });
    const entry = audit.body.attempts.find((a: { reference: string }) => a.reference === ref);
    assert.match(entry.reason, /127\.0\.0\.1 is a loopback address/);
    assert.doesNotMatch(login.body.error.message, /loopback/);
  });
});
