import type { StoredSsoConfig } from '../../db/sso.js';
import type { OutboundClient } from '../../outbound/client.js';
import { inspectCertificate } from './certificates.js';
import { parseIdpMetadata } from './metadata.js';
import { ID_TOKEN_ALGORITHMS } from './oidc.js';

export interface SsoCheck {
  name: string;
  passed: boolean;
  reason: string;
}

const DAY_MS = 86_400_000;

/** What POST /sso/config/test answers: each thing the configuration points at, fetched and judged. */
export async function checkConfig(c: StoredSsoConfig, deps: { outbound: OutboundClient; now: Date }): Promise<SsoCheck[]> {
  return c.protocol === 'saml' ? samlChecks(c, deps) : oidcChecks(c, deps);
}

async function samlChecks(c: StoredSsoConfig, { outbound, now }: { outbound: OutboundClient; now: Date }): Promise<SsoCheck[]> {
  const checks: SsoCheck[] = [];
  const cert = inspectCertificate(c.idpCertificate ?? '', now);
  if (cert.info) {
    const days = Math.floor((Date.parse(cert.info.notAfter) - now.getTime()) / DAY_MS);
    checks.push({
      name: 'certificate',
      passed: cert.problem === null,
      reason: cert.problem ?? `valid from ${cert.info.notBefore} to ${cert.info.notAfter} (${days} days left${days < 30 ? '; renew it soon' : ''}); SHA-256 fingerprint ${cert.info.fingerprintSha256}`,
    });
  } else checks.push({ name: 'certificate', passed: false, reason: cert.problem });
  checks.push({ name: 'sso_url', passed: !!c.idpSsoUrl, reason: c.idpSsoUrl ? `logins are sent to ${c.idpSsoUrl}` : 'no SSO URL is set' });
  if (c.idpMetadataUrl) {
    try {
      const r = await outbound.getText(c.idpMetadataUrl, { accept: 'application/samlmetadata+xml, application/xml' });
      if (r.status !== 200) throw new Error(`it answered HTTP ${r.status}`);
      const meta = parseIdpMetadata(r.text, now);
      checks.push({ name: 'metadata', passed: true, reason: `read ${c.idpMetadataUrl}: entity ${meta.entityId}, ${meta.certificates.length} signing certificate(s)` });
      checks.push({
        name: 'metadata_entity_id',
        passed: meta.entityId === c.idpEntityId,
        reason: meta.entityId === c.idpEntityId ? 'the metadata names the configured entity id' : `the metadata names ${meta.entityId}, the configuration ${c.idpEntityId}`,
      });
      const pinned = cert.info ? meta.certificates.some((m) => m.fingerprintSha256 === cert.info!.fingerprintSha256) : false;
      checks.push({
        name: 'metadata_certificate',
        passed: pinned,
        reason: pinned ? 'the pinned certificate is among the IdP\'s signing certificates' : 'the IdP\'s metadata no longer lists the pinned certificate: it has rotated its key; update idp_certificate',
      });
    } catch (err) {
      checks.push({ name: 'metadata', passed: false, reason: `could not read ${c.idpMetadataUrl}: ${(err as Error).message}` });
    }
  }
  return checks;
}

async function oidcChecks(c: StoredSsoConfig, { outbound }: { outbound: OutboundClient; now: Date }): Promise<SsoCheck[]> {
  const checks: SsoCheck[] = [];
  const discoveryUrl = `${c.oidcIssuer!.replace(/\/$/, '')}/.well-known/openid-configuration`;
  let doc: Record<string, unknown>;
  try {
    const r = await outbound.getText(discoveryUrl, { accept: 'application/json' });
    if (r.status !== 200) throw new Error(`it answered HTTP ${r.status}`);
    const parsed: unknown = JSON.parse(r.text);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('it is not a JSON object');
    doc = parsed as Record<string, unknown>;
  } catch (err) {
    checks.push({ name: 'discovery', passed: false, reason: `could not read ${discoveryUrl}: ${(err as Error).message}` });
    return checks;
  }
  const issuerOk = doc.issuer === c.oidcIssuer;
  checks.push({ name: 'discovery', passed: issuerOk, reason: issuerOk ? `read ${discoveryUrl}` : `the document's issuer is ${JSON.stringify(doc.issuer)}, not exactly ${c.oidcIssuer}` });
  const endpoints = ['authorization_endpoint', 'token_endpoint'].filter((k) => typeof doc[k] !== 'string');
  checks.push({ name: 'endpoints', passed: endpoints.length === 0, reason: endpoints.length === 0 ? 'authorization and token endpoints are published' : `missing ${endpoints.join(', ')}` });
  const methods = doc.code_challenge_methods_supported as unknown;
  const pkce = Array.isArray(methods) && methods.includes('S256');
  checks.push({ name: 'pkce', passed: pkce || methods === undefined, reason: pkce ? 'S256 is supported' : methods === undefined ? 'the IdP does not say; PKCE S256 is sent anyway' : 'the IdP does not support S256' });
  const algs = doc.id_token_signing_alg_values_supported as unknown;
  const usable = Array.isArray(algs) && algs.some((a) => ID_TOKEN_ALGORITHMS.includes(a as string));
  checks.push({ name: 'id_token_algorithms', passed: usable, reason: usable ? `ID tokens can be signed with ${(algs as string[]).filter((a) => ID_TOKEN_ALGORITHMS.includes(a)).join(', ')}` : `the IdP offers ${JSON.stringify(algs)}; ${ID_TOKEN_ALGORITHMS.join(' or ')} is required` });
  const jwksUri = c.oidcJwksUri ?? (typeof doc.jwks_uri === 'string' ? doc.jwks_uri : null);
  if (!jwksUri) checks.push({ name: 'jwks', passed: false, reason: 'no jwks_uri is configured or published' });
  else {
    try {
      const r = await outbound.getText(jwksUri, { accept: 'application/json' });
      if (r.status !== 200) throw new Error(`it answered HTTP ${r.status}`);
      const keys = (JSON.parse(r.text) as { keys?: { kty?: string; use?: string; alg?: string }[] }).keys ?? [];
      const signing = keys.filter((k) => (k.kty === 'RSA' || k.kty === 'EC') && (k.use === undefined || k.use === 'sig'));
      checks.push({ name: 'jwks', passed: signing.length > 0, reason: signing.length > 0 ? `${signing.length} signing key(s) at ${jwksUri}` : `${jwksUri} holds no RSA or EC signing key` });
    } catch (err) {
      checks.push({ name: 'jwks', passed: false, reason: `could not read ${jwksUri}: ${(err as Error).message}` });
    }
  }
  checks.push({ name: 'client_secret', passed: true, reason: c.oidcClientSecretSet ? 'a client secret is stored (confidential client)' : 'no client secret: the login is a public client with PKCE' });
  return checks;
}
