import type { AuditEvent } from '../../db/audit.js';
import { InvalidInput } from '../../domain/errors.js';
import { PROVIDER_GUIDES, type ProviderGuide, type ServiceProviderInfo, type SsoConfig } from '../../domain/sso.js';
import type { SsoCheck } from '../../services/sso/checks.js';
import type { IdpMetadata } from '../../services/sso/metadata.js';
import { serviceProvider, serviceProviderMetadataXml } from '../../services/sso/sp.js';
import { builder } from '../builder.js';
import { offsetConnection } from '../pagination.js';

const SsoProtocolEnum = builder.enumType('SsoProtocol', { values: ['saml', 'oidc'] as const });

const ClaimMappingRef = builder.objectRef<SsoConfig['oidcClaimMapping']>('SsoClaimMapping').implement({
  description: 'Which ID-token claim carries each value.',
  fields: (t) => ({
    email: t.exposeString('email'),
    name: t.exposeString('name'),
    givenName: t.exposeString('givenName'),
    familyName: t.exposeString('familyName'),
  }),
});

export const SsoConfigRef = builder.objectRef<SsoConfig>('SsoConfig').implement({
  description: "An organization's identity provider. The OIDC client secret is write-only: only whether one is set is shown.",
  fields: (t) => ({
    orgId: t.exposeString('orgId'),
    protocol: t.field({ type: SsoProtocolEnum, resolve: (c) => c.protocol }),
    provider: t.exposeString('provider'),
    enabled: t.exposeBoolean('enabled'),
    enforceSso: t.exposeBoolean('enforceSso', { description: 'Password login is refused for this organization.' }),
    idpEntityId: t.exposeString('idpEntityId', { nullable: true }),
    idpSsoUrl: t.exposeString('idpSsoUrl', { nullable: true }),
    idpCertificate: t.exposeString('idpCertificate', { nullable: true, description: 'The pinned signing certificate (PEM; public).' }),
    idpMetadataUrl: t.exposeString('idpMetadataUrl', { nullable: true }),
    emailDomains: t.exposeStringList('emailDomains'),
    oidcIssuer: t.exposeString('oidcIssuer', { nullable: true }),
    oidcAudience: t.exposeString('oidcAudience', { nullable: true }),
    oidcJwksUri: t.exposeString('oidcJwksUri', { nullable: true }),
    oidcClaimMapping: t.field({ type: ClaimMappingRef, nullable: true, resolve: (c) => (c.protocol === 'oidc' ? c.oidcClaimMapping : null) }),
    oidcClientSecretSet: t.exposeBoolean('oidcClientSecretSet'),
    createdAt: t.field({ type: 'DateTime', resolve: (c) => c.createdAt }),
    updatedAt: t.field({ type: 'DateTime', resolve: (c) => c.updatedAt }),
  }),
});

const ClaimMappingInput = builder.inputType('SsoClaimMappingInput', {
  fields: (t) => ({
    email: t.string({ required: false }),
    name: t.string({ required: false }),
    givenName: t.string({ required: false }),
    familyName: t.string({ required: false }),
  }),
});

const SsoConfigInput = builder.inputType('SsoConfigInput', {
  description: 'A whole configuration. Fields of the other protocol are refused; everything is checked with field-level messages.',
  fields: (t) => ({
    protocol: t.string({ required: false, description: 'saml or oidc; inferred from provider and oidcIssuer when omitted.' }),
    provider: t.string({ required: false }),
    enabled: t.boolean({ required: false, description: 'Default false: test the configuration, then enable it.' }),
    enforceSso: t.boolean({ required: false }),
    idpEntityId: t.string({ required: false }),
    idpSsoUrl: t.string({ required: false }),
    idpCertificate: t.string({ required: false, description: 'PEM or the bare base64 body.' }),
    idpMetadataUrl: t.string({ required: false, description: 'Fills entity id, SSO URL and certificate when those are omitted.' }),
    emailDomains: t.stringList({ required: false, description: 'When set, only people with an email in these domains may log in.' }),
    oidcIssuer: t.string({ required: false }),
    oidcAudience: t.string({ required: false, description: 'The client id.' }),
    oidcJwksUri: t.string({ required: false }),
    oidcClaimMapping: t.field({ type: ClaimMappingInput, required: false }),
    oidcClientSecret: t.string({ required: false, description: 'Write-only. Omitted on a replacement: kept (same issuer); null: removed.' }),
  }),
});

const SsoCheckRef = builder.objectRef<SsoCheck>('SsoCheck').implement({
  fields: (t) => ({ name: t.exposeString('name'), passed: t.exposeBoolean('passed'), reason: t.exposeString('reason') }),
});

const CertificateRef = builder.objectRef<IdpMetadata['certificates'][number]>('IdpCertificate').implement({
  fields: (t) => ({
    pem: t.exposeString('pem'),
    subject: t.exposeString('subject'),
    issuer: t.exposeString('issuer'),
    notBefore: t.field({ type: 'DateTime', resolve: (c) => c.notBefore }),
    notAfter: t.field({ type: 'DateTime', resolve: (c) => c.notAfter }),
    fingerprintSha256: t.exposeString('fingerprintSha256'),
    problem: t.exposeString('problem', { nullable: true, description: 'Why it cannot be pinned (expired, weak key), if so.' }),
  }),
});

const IdpMetadataRef = builder.objectRef<IdpMetadata>('IdpMetadata').implement({
  fields: (t) => ({
    entityId: t.exposeString('entityId'),
    ssoUrl: t.exposeString('ssoUrl'),
    certificates: t.field({ type: [CertificateRef], resolve: (m) => m.certificates }),
  }),
});

const ServiceProviderRef = builder.objectRef<ServiceProviderInfo>('SsoServiceProvider').implement({
  description: 'What to enter in the identity provider.',
  fields: (t) => ({
    entityId: t.exposeString('entityId'),
    acsUrl: t.exposeString('acsUrl'),
    metadataUrl: t.exposeString('metadataUrl'),
    oidcRedirectUri: t.exposeString('oidcRedirectUri'),
    metadataXml: t.string({ resolve: (sp) => serviceProviderMetadataXml(sp) }),
  }),
});

const ProviderGuideRef = builder.objectRef<ProviderGuide>('SsoProviderGuide').implement({
  fields: (t) => ({
    id: t.exposeString('id'),
    name: t.exposeString('name'),
    protocols: t.field({ type: [SsoProtocolEnum], resolve: (g) => g.protocols }),
    setupHints: t.exposeStringList('setupHints'),
    samlEmailAttributes: t.exposeStringList('samlEmailAttributes'),
    samlNameAttributes: t.exposeStringList('samlNameAttributes'),
    metadataUrlExample: t.exposeString('metadataUrlExample', { nullable: true }),
    oidcIssuerExample: t.exposeString('oidcIssuerExample', { nullable: true }),
  }),
});

const LoginAttemptRef = builder.objectRef<AuditEvent>('SsoLoginAttempt').implement({
  description: 'One SSO login, from the audit trail. `reason` is for administrators; the browser was told only the reference.',
  fields: (t) => {
    const detail = (k: string) => (e: AuditEvent) => (typeof e.details[k] === 'string' ? (e.details[k] as string) : null);
    return {
      id: t.exposeID('id'),
      at: t.field({ type: 'DateTime', resolve: (e) => e.createdAt }),
      orgId: t.string({ resolve: (e) => e.orgId ?? '' }),
      protocol: t.string({ nullable: true, resolve: detail('protocol') }),
      outcome: t.exposeString('outcome'),
      subject: t.string({ nullable: true, resolve: detail('subject') }),
      email: t.string({ nullable: true, resolve: detail('email') }),
      reason: t.string({ nullable: true, resolve: detail('reason') }),
      reference: t.string({ nullable: true, resolve: detail('ref') }),
      userId: t.string({ nullable: true, resolve: (e) => (e.targetType === 'user' ? e.targetId : null) }),
      ip: t.exposeString('ip', { nullable: true }),
      userAgent: t.exposeString('userAgent', { nullable: true }),
    };
  },
});

/**
 * Which identity provider vouches for people decides who can sign in as whom, the owners included: choosing
 * it (create, replace, remove) takes owners:manage, so an admin's sso:configure cannot become an owner's
 * session. Admins still read, test, switch on and off, and watch the audit.
 */
const TRUST_ANCHOR = { permission: 'owners:manage' } as const;

const OUTCOMES = builder.enumType('SsoLoginOutcome', { values: ['success', 'failure'] as const });

builder.queryField('ssoConfig', (t) =>
  t.field({
    type: SsoConfigRef,
    nullable: true,
    authScopes: { permission: 'sso:configure' },
    resolve: (_root, _args, ctx) => ctx.services.ssoConfig.get(ctx.actor),
  }),
);

builder.queryField('ssoServiceProvider', (t) =>
  t.field({
    type: ServiceProviderRef,
    authScopes: { permission: 'sso:configure' },
    resolve: (_root, _args, ctx) => serviceProvider(ctx.requestMeta.origin, ctx.session().orgId),
  }),
);

builder.queryField('ssoProviders', (t) =>
  t.field({ type: [ProviderGuideRef], authScopes: { permission: 'sso:configure' }, resolve: () => [...PROVIDER_GUIDES] }),
);

builder.queryField('ssoLoginAttempts', (t) =>
  t.connection({
    type: LoginAttemptRef,
    description: "The organization's SSO logins, newest first.",
    authScopes: { permission: 'sso:configure' },
    args: {
      outcome: t.arg({ type: OUTCOMES, required: false }),
      from: t.arg({ type: 'DateTime', required: false }),
      to: t.arg({ type: 'DateTime', required: false }),
    },
    resolve: (_root, args, ctx) => {
      if (args.from && args.to && args.from > args.to) throw new InvalidInput('must not be after to', 'from');
      return offsetConnection(args, { defaultSize: 50, maxSize: 500 }, (page) =>
        ctx.services.audit.listOwn(ctx.actor, { action: 'auth.sso_login', outcome: args.outcome, from: args.from?.toISOString(), to: args.to?.toISOString() }, page),
      );
    },
  }),
);

builder.mutationField('createSsoConfig', (t) =>
  t.field({
    type: SsoConfigRef,
    authScopes: TRUST_ANCHOR,
    args: { input: t.arg({ type: SsoConfigInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.ssoConfig.create(ctx.actor, input),
  }),
);

builder.mutationField('replaceSsoConfig', (t) =>
  t.field({
    type: SsoConfigRef,
    description: 'Replaces the whole configuration, the protocol included (SAML <-> OIDC).',
    authScopes: TRUST_ANCHOR,
    args: { input: t.arg({ type: SsoConfigInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.ssoConfig.replace(ctx.actor, input),
  }),
);

builder.mutationField('updateSsoConfig', (t) =>
  t.field({
    type: SsoConfigRef,
    description: 'Switches the login on or off and enforcement with it.',
    authScopes: { permission: 'sso:configure' },
    args: { enabled: t.arg.boolean({ required: false }), enforceSso: t.arg.boolean({ required: false }) },
    resolve: (_root, args, ctx) => ctx.services.ssoConfig.update(ctx.actor, args),
  }),
);

builder.mutationField('deleteSsoConfig', (t) =>
  t.boolean({
    authScopes: TRUST_ANCHOR,
    resolve: async (_root, _args, ctx) => {
      await ctx.services.ssoConfig.remove(ctx.actor);
      return true;
    },
  }),
);

builder.mutationField('testSsoConfig', (t) =>
  t.field({
    type: [SsoCheckRef],
    description: 'Fetches and checks what the stored configuration points at (metadata, discovery, JWKS, certificate dates). Changes nothing.',
    authScopes: { permission: 'sso:configure' },
    resolve: (_root, _args, ctx) => ctx.services.ssoConfig.test(ctx.actor),
  }),
);

builder.mutationField('fetchIdpMetadata', (t) =>
  t.field({
    type: IdpMetadataRef,
    description: "Reads an IdP's SAML metadata from a URL (through the guarded outbound client).",
    authScopes: { permission: 'sso:configure' },
    args: { url: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => ctx.services.ssoConfig.fetchMetadata(ctx.actor, args.url),
  }),
);

builder.mutationField('liftSsoEnforcement', (t) =>
  t.field({
    type: SsoConfigRef,
    description: "Operator: turns an organization's SSO enforcement off, so its people can use passwords again (an IdP outage).",
    authScopes: { admin: true },
    args: { orgId: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => ctx.services.ssoConfig.liftEnforcement(ctx.operator(), args.orgId),
  }),
);
