// SSO flows as a browser walks them: start the login, follow the redirect to the IdP, come back to us.
import { ManualClock } from '../../src/clock.js';
import type { Config } from '../../src/config.js';
import { type ApiResult, Harness } from './harness.js';
import { type AssertionOptions, TestIdp, readAuthnRequest } from './saml-idp.js';

export const ORIGIN = 'http://localhost';
export const acsUrl = (orgId: string) => `${ORIGIN}/auth/saml/${orgId}/callback`;
export const spEntityId = (orgId: string) => `${ORIGIN}/auth/saml/${orgId}/metadata`;

/** SSO needs the real time: IdP certificates and assertions are dated now, and node-saml reads Date.now(). */
export async function ssoHarness(orgId: string, overrides: Partial<Config> = {}): Promise<{ h: Harness; cookie: string }> {
  const h = await Harness.start(overrides, new ManualClock(new Date()));
  await h.createOrg(orgId);
  return { h, cookie: await h.login(orgId) };
}

export function cookieValue(res: ApiResult, name: string): string | undefined {
  for (const line of res.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const eq = pair.indexOf('=');
    if (pair.slice(0, eq).trim() === name) return pair.slice(eq + 1);
  }
  return undefined;
}

/** The IdP most suites configure for acme. */
export const acmeIdp = (): Promise<TestIdp> => TestIdp.create({ entityId: 'https://idp.example.com/acme', ssoUrl: 'https://idp.example.com/sso' });

export async function configureSaml(h: Harness, cookie: string, idp: TestIdp, extra: Record<string, unknown> = {}): Promise<ApiResult> {
  const r = await h.call('POST', '/api/v1/sso/config', {
    cookie,
    body: {
      provider: 'okta',
      idp_entity_id: idp.entityId,
      idp_sso_url: idp.ssoUrl,
      idp_certificate: idp.certificate.pem,
      enabled: true,
      ...extra,
    },
  });
  if (r.status !== 201) throw new Error(`configureSaml: ${r.status} ${JSON.stringify(r.body)}`);
  return r;
}

/**
 * Where most SSO suites start: acme, its owner's session and its IdP, configured (and enabled) with `config`
 * on top, or not configured at all with null.
 */
export async function samlOrg(config: Record<string, unknown> | null = {}): Promise<{ h: Harness; owner: string; idp: TestIdp }> {
  const { h, cookie: owner } = await ssoHarness('acme');
  const idp = await acmeIdp();
  if (config) await configureSaml(h, owner, idp, config);
  return { h, owner, idp };
}

export interface SamlStart {
  binding: string;
  requestId: string;
  location: string;
  relayState: string | null;
}

export async function startSamlLogin(h: Harness, orgId: string, query = ''): Promise<SamlStart> {
  const r = await h.call('GET', `/auth/saml/${orgId}/login${query}`, { ip: browserIp() });
  if (r.status !== 302) throw new Error(`startSamlLogin: ${r.status} ${JSON.stringify(r.body)}`);
  const location = r.headers.get('location')!;
  const req = readAuthnRequest(location);
  return { binding: cookieValue(r, 'axonflow_sso_saml')!, requestId: req.id, location, relayState: req.relayState };
}

/** What the IdP posts back for a login we started, with the assertion the test asks for. */
export function assertionFor(orgId: string, start: SamlStart, opts: Partial<AssertionOptions> = {}): AssertionOptions {
  return {
    destination: acsUrl(orgId),
    recipient: acsUrl(orgId),
    audience: spEntityId(orgId),
    inResponseTo: start.requestId,
    nameId: 'ada@example.com',
    attributes: { email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace' },
    ...opts,
  };
}

let browsers = 0;
/**
 * A client address of its own for each callback: failed callbacks are throttled per address, and suites that
 * try dozens of forgeries are not about that throttle (the throttle's own test sends from one address).
 */
export function browserIp(): string {
  browsers++;
  return `198.18.${(browsers >> 8) & 255}.${browsers & 255}`;
}

export function postAcs(h: Harness, orgId: string, xml: string, binding: string | undefined, extraForm = '', ip = browserIp()): Promise<ApiResult> {
  return h.call('POST', `/auth/saml/${orgId}/callback`, {
    ip,
    rawBody: `SAMLResponse=${encodeURIComponent(TestIdp.encode(xml))}${extraForm}`,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(binding ? { cookie: `axonflow_sso_saml=${binding}` } : {}),
    },
  });
}

/** The org's SSO login audit, newest first. */
export async function ssoAudit(h: Harness, cookie: string, query = ''): Promise<any[]> {
  const r = await h.call('GET', `/api/v1/sso/audit${query}`, { cookie });
  if (r.status !== 200) throw new Error(`ssoAudit: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.attempts;
}
