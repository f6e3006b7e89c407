import type { Context as HonoContext, Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { DomainError, InvalidInput } from '../domain/errors.js';
import type { SsoProtocol } from '../domain/sso.js';
import { errorResponse } from '../http/error-response.js';
import type { MethodTable } from '../http/methods.js';
import type { AppEnv } from '../http/request-context.js';
import type { SsoFinish } from '../services/sso/login.js';
import { serviceProvider, serviceProviderMetadataXml } from '../services/sso/sp.js';

/**
 * The browser's side of SSO: leaving for the IdP and coming back. These are navigations, not API calls, so
 * they live outside /api (no CORS, no JSON-only rule: the ACS takes the IdP's cross-site form post by
 * design). What stops login CSRF is the binding cookie: a response or code only completes a login in the
 * browser that started it.
 */
const BINDING_COOKIE: Record<SsoProtocol, string> = { saml: 'axonflow_sso_saml', oidc: 'axonflow_sso_oidc' };
const BINDING_SECONDS = 600;

export function mountSsoFlows(app: Hono<AppEnv>, methods: MethodTable): void {
  const paths = {
    samlLogin: '/auth/saml/:org_id/login',
    samlCallback: '/auth/saml/:org_id/callback',
    samlMetadata: '/auth/saml/:org_id/metadata',
    oidcLogin: '/auth/oidc/:org_id/login',
    oidcCallback: '/auth/oidc/:org_id/callback',
  };
  for (const p of [paths.samlLogin, paths.samlMetadata, paths.oidcLogin, paths.oidcCallback]) methods.add('GET', p);
  methods.add('POST', paths.samlCallback);

  for (const protocol of ['saml', 'oidc'] as const) {
    app.get(`/auth/${protocol}/:org_id/login`, (c) =>
      answer(c, async () => {
        const ctx = c.get('ctx');
        const orgId = c.req.param('org_id') ?? '';
        const returnTo = c.req.query('return_to') ?? c.req.query('RelayState') ?? null;
        const start = await ctx.services.ssoLogin.begin(ctx.actor, protocol, orgId, ctx.requestMeta.origin, returnTo, getCookie(c, BINDING_COOKIE[protocol]) ?? null);
        setCookie(c, BINDING_COOKIE[protocol], start.binding, {
          httpOnly: true,
          // One path for every organization: the org id may be typed in any case, the IdP answers in its own.
          path: `/auth/${protocol}/`,
          maxAge: BINDING_SECONDS,
          // The SAML ACS is reached by the IdP's cross-site POST: a Lax cookie would not come with it.
          ...(protocol === 'saml' ? { sameSite: 'None', secure: true } : { sameSite: 'Lax', secure: ctx.requestMeta.secure }),
        });
        c.header('Cache-Control', 'no-store');
        return c.redirect(start.location, 302);
      }),
    );
  }

  app.post(paths.samlCallback, (c) =>
    answer(c, async () => {
      const ctx = c.get('ctx');
      const type = c.req.header('content-type') ?? '';
      if (!type.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
        throw new InvalidInput('must be application/x-www-form-urlencoded: the ACS takes the HTTP-POST binding (a form with SAMLResponse)', 'Content-Type');
      }
      const form = new URLSearchParams(await c.req.text());
      const finish = await ctx.services.ssoLogin.completeSaml(
        ctx.actor,
        c.req.param('org_id') ?? '',
        ctx.requestMeta.origin,
        form.get('SAMLResponse'),
        getCookie(c, BINDING_COOKIE.saml) ?? null,
        currentSession(c),
      );
      return signedIn(c, 'saml', finish);
    }),
  );

  app.get(paths.oidcCallback, (c) =>
    answer(c, async () => {
      const ctx = c.get('ctx');
      const finish = await ctx.services.ssoLogin.completeOidc(
        ctx.actor,
        c.req.param('org_id') ?? '',
        ctx.requestMeta.origin,
        new URL(c.req.url).searchParams,
        getCookie(c, BINDING_COOKIE.oidc) ?? null,
        currentSession(c),
      );
      return signedIn(c, 'oidc', finish);
    }),
  );

  app.get(paths.samlMetadata, (c) => {
    const sp = serviceProvider(c.get('ctx').requestMeta.origin, c.req.param('org_id') ?? '');
    return c.body(serviceProviderMetadataXml(sp), 200, { 'Content-Type': 'application/samlmetadata+xml; charset=utf-8' });
  });
}

function currentSession(c: HonoContext<AppEnv>): string | null {
  const p = c.get('ctx').principal;
  return p.kind === 'session' ? p.sessionId : null;
}

/** The same axonflow_session cookie as a password login, then a 303 to the portal page the login was for. */
function signedIn(c: HonoContext<AppEnv>, protocol: SsoProtocol, finish: SsoFinish): Response {
  const ctx = c.get('ctx');
  ctx.cookies.push({ value: finish.login.token, maxAgeSeconds: ctx.config.sessionAbsoluteSeconds });
  deleteCookie(c, BINDING_COOKIE[protocol], { path: `/auth/${protocol}/`, ...(protocol === 'saml' ? { secure: true, sameSite: 'None' } : {}) });
  c.header('Cache-Control', 'no-store');
  return c.redirect(`${ctx.requestMeta.origin}${finish.returnTo}`, 303);
}

async function answer(c: HonoContext<AppEnv>, run: () => Promise<Response>): Promise<Response> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof DomainError) {
      c.header('Cache-Control', 'no-store');
      return errorResponse(c, err);
    }
    throw err;
  }
}
