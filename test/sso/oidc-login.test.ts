import assert from 'node:assert/strict';
import { generateKeyPair, SignJWT, decodeJwt } from 'jose';
import { after, before, describe, it } from 'node:test';
import type { Harness } from '../helpers/harness.js';
import { MockOp, configureOidc, oidcLogin, startOidcLogin, atIdp, oidcCallback } from '../helpers/oidc-op.js';
import { ssoAudit, ssoHarness } from '../helpers/sso.js';

describe('probe', () => {
  let h: Harness; let owner: string; let op: MockOp;
  before(async () => {
    op = await MockOp.start();
    ({ h, cookie: owner } = await ssoHarness('acme', { outboundAllowHosts: [op.hostPort] }));
    await configureOidc(h, owner, op);
  });
  after(async () => { await h?.close(); await op?.stop(); });
  const show = async (label: string, res: any) => {
    const [a] = await ssoAudit(h, owner, '?outcome=failure');
    console.log(label, res.status, JSON.stringify(res.body), '\n   =>', a?.reason, a?.reference);
  };
  const base = { sub: 'u-1', email: 'ada@example.com', email_verified: true, name: 'Ada' };
  it('cases', async () => {
    op.claims({ ...base, nonce: 'other' }); await show('nonce', (await oidcLogin(h, 'acme')).res);
    op.claims({ ...base, aud: 'someone-else' }); await show('aud', (await oidcLogin(h, 'acme')).res);
    op.claims({ ...base, iss: 'https://evil.example' }); await show('iss', (await oidcLogin(h, 'acme')).res);
    const now = Math.floor(Date.now() / 1000);
    op.claims({ ...base, exp: now - 3600, iat: now - 7200, nbf: now - 7200 }); await show('exp', (await oidcLogin(h, 'acme')).res);
    op.claims({ ...base, email_verified: false }); await show('verified', (await oidcLogin(h, 'acme')).res);
    op.authorizeRedirect((r) => { r.url.searchParams.delete('code'); r.url.searchParams.set('error', 'access_denied'); });
    await show('denied', (await oidcLogin(h, 'acme')).res);
    {
      const start = await startOidcLogin(h, 'acme');
      const nonce = start.authorize.searchParams.get('nonce')!;
      const body = { ...base, iss: op.issuer, aud: 'axonflow-portal', nonce, iat: now, exp: now + 600 };
      const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const none = `${enc({ alg: 'none', typ: 'JWT' })}.${enc(body)}.`;
      op.tokenResponse((r) => { r.body.id_token = none; });
      await show('none', await oidcCallback(h, await atIdp(start.authorize), start.binding));
    }
    {
      const start = await startOidcLogin(h, 'acme');
      const nonce = start.authorize.searchParams.get('nonce')!;
      const body = { ...base, iss: op.issuer, aud: 'axonflow-portal', nonce, iat: now, exp: now + 600 };
      const { privateKey } = await generateKeyPair('RS256');
      const forged = await new SignJWT(body).setProtectedHeader({ alg: 'RS256', kid: 'not-in-jwks', typ: 'JWT' }).sign(privateKey);
      op.tokenResponse((r) => { r.body.id_token = forged; });
      await show('kid', await oidcCallback(h, await atIdp(start.authorize), start.binding));
    }
    {
      const start = await startOidcLogin(h, 'acme');
      const back = await atIdp(start.authorize);
      back.searchParams.set('state', 'x' + back.searchParams.get('state'));
      await show('state', await oidcCallback(h, back, start.binding));
      const s2 = await startOidcLogin(h, 'acme');
      const b2 = await atIdp(s2.authorize);
      await show('nocookie', await oidcCallback(h, b2, undefined));
      const s3 = await startOidcLogin(h, 'acme');
      await show('otherbrowser', await oidcCallback(h, b2, s3.binding));
      op.claims(base);
      const ok = await oidcCallback(h, b2, s2.binding); console.log('after other-browser, same login', ok.status);
      await show('replay', await oidcCallback(h, b2, s2.binding));
    }
    const t = await h.call('POST', '/api/v1/sso/config/test', { cookie: owner });
    console.log(JSON.stringify(t.body, null, 1));
    console.log(JSON.stringify((await h.call('GET', '/api/v1/sso/config', { cookie: owner })).body));
  });
  it('unallowed', async () => {
    const { h: h2, cookie } = await ssoHarness('acme');
    const r = await h2.call('POST', '/api/v1/sso/config', { cookie, body: { provider: 'oidc', oidc_issuer: op.issuer, oidc_audience: 'axonflow-portal', oidc_client_secret: 'mock-secret', enabled: true } });
    console.log(r.status, JSON.stringify(r.body));
    const r2 = await h2.call('POST', '/api/v1/sso/config', { cookie, body: { provider: 'oidc', oidc_issuer: op.issuer.replace('http:', 'https:'), oidc_audience: 'axonflow-portal', oidc_client_secret: 'mock-secret', enabled: true } });
    console.log(r2.status, JSON.stringify(r2.body));
    const r3 = await h2.call('GET', '/auth/oidc/acme/login');
    console.log(r3.status, JSON.stringify(r3.body));
    const r4 = await h2.call('POST', '/api/v1/sso/config/test', { cookie });
    console.log(r4.status, JSON.stringify(r4.body));
    await h2.close();
  });
});
