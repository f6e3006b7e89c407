import { type Config, missingAdminKeyAllowed } from '../config.js';
import type { Services } from '../services/index.js';
import { type HeaderReader, presentedCredential } from './credentials.js';
import type { RequestAuth } from './principal.js';
import { secretsEqual, sha256Hex } from './tokens.js';

/**
 * Turns a request's credentials into at most one principal. Each credential kind has one verifier;
 * a credential that does not verify leaves the request anonymous, with the reason kept for the refusal.
 */
export async function resolveAuth(
  services: Services,
  config: Config,
  header: HeaderReader,
  sessionCookie: string | undefined,
  where: { ip: string | null; userAgent: string | null },
): Promise<RequestAuth> {
  const presented = presentedCredential(header, sessionCookie);
  const anonymous = (rejection: string | null): RequestAuth => ({
    principal: { kind: 'anonymous' },
    presented: presented?.model ?? null,
    rejection,
    operatorWithoutKey: presented === null && missingAdminKeyAllowed(config.deploymentMode, config.environment),
  });
  if (!presented) return anonymous(null);

  switch (presented.model) {
    case 'admin_api_key': {
      // Compared in constant time; with no key configured, any key sent is wrong.
      if (config.adminApiKey && secretsEqual(presented.secret, config.adminApiKey)) {
        await services.credentials.adminAccepted(where.ip);
        return { ...anonymous(null), principal: { kind: 'admin', keyId: `op_${sha256Hex(config.adminApiKey).slice(0, 8)}` } };
      }
      await services.credentials.adminRefused({ type: 'anonymous', id: null, orgId: null, ...where });
      return anonymous('the admin API key is not valid');
    }
    case 'portal_session': {
      const result = await services.sessions.resolve(presented.secret);
      if ('rejected' in result) return anonymous(result.rejected);
      return { ...anonymous(null), principal: result };
    }
    case 'scim_token':
      return anonymous('SCIM tokens are not enabled on this deployment yet');
    case 'api_key': {
      const result = await services.apiKeys.verify(presented.secret);
      if ('rejected' in result) {
        const actor = { type: 'anonymous' as const, id: null, orgId: null, ...where };
        await services.credentials.apiKeyRefused(actor, result.rejected, result.orgId ?? null);
        return anonymous(result.rejected);
      }
      return { ...anonymous(null), principal: result };
    }
  }
}
