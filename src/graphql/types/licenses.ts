import type { IssuedLicense, LicenseView } from '../../services/licenses.js';
import { SECRET, builder } from '../builder.js';
import { TierEnum } from './enums.js';
import { OrganizationRef } from './organization.js';

export const LicenseStatusEnum = builder.enumType('LicenseStatus', {
  values: ['valid', 'expiring', 'expired', 'invalid'] as const,
});

const unreadable = 'null only when status is invalid and the stored record cannot be read';

export const LicenseRef = builder.objectRef<LicenseView>('License').implement({
  description: 'An organization license, verified against the public key when read. The key itself is never shown here.',
  fields: (t) => ({
    licenseId: t.exposeString('licenseId'),
    orgId: t.exposeString('orgId'),
    tier: t.field({ type: TierEnum, nullable: true, description: unreadable, resolve: (l) => l.tier }),
    issuedAt: t.field({ type: 'DateTime', nullable: true, description: unreadable, resolve: (l) => l.issuedAt }),
    expiresAt: t.field({ type: 'DateTime', nullable: true, description: unreadable, resolve: (l) => l.expiresAt }),
    maxNodes: t.exposeInt('maxNodes', { nullable: true, description: unreadable }),
    permissions: t.exposeStringList('permissions'),
    status: t.field({ type: LicenseStatusEnum, resolve: (l) => l.status }),
    daysRemaining: t.exposeInt('daysRemaining'),
    keyPrefix: t.exposeString('keyPrefix'),
    reason: t.exposeString('reason', { nullable: true, description: 'Why the license is invalid or expired.' }),
  }),
});

builder.objectField(OrganizationRef, 'license', (t) =>
  t.field({
    type: LicenseRef,
    nullable: true,
    authScopes: { permission: 'license:read' },
    // The caller's own organization's: the service takes the actor, never the parent's id.
    resolve: (_org, _args, ctx) => ctx.services.licenses.current(ctx.actor),
  }),
);

builder.queryField('adminLicense', (t) =>
  t.field({
    type: LicenseRef,
    nullable: true,
    description: "Any organization's current license (operator only); null when it has none.",
    authScopes: { admin: true },
    args: { orgId: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => ctx.services.licenses.read(ctx.operator(), args.orgId),
  }),
);

const LicensePublicKey = builder.objectRef<{ pem: string; jwk: Record<string, unknown> }>('LicensePublicKey').implement({
  description: 'The Ed25519 key that verifies licenses offline.',
  fields: (t) => ({
    pem: t.exposeString('pem'),
    jwk: t.field({ type: 'JSONObject', resolve: (k) => k.jwk }),
  }),
});

builder.queryField('licensePublicKey', (t) =>
  t.field({
    type: LicensePublicKey,
    description: 'Public: the license verification key as SPKI PEM and JWK.',
    resolve: (_root, _args, ctx) => {
      const { pem, jwk } = ctx.services.licenses.publicKey();
      return { pem, jwk: jwk as Record<string, unknown> };
    },
  }),
);

const IssueLicenseInput = builder.inputType('IssueLicenseInput', {
  fields: (t) => ({
    tier: t.field({ type: TierEnum, required: false, description: "Default: the organization's tier." }),
    validityDays: t.int({
      required: false,
      description: "1 to 3650. Default: the organization's expiry while in the future, else 365 days.",
    }),
    maxNodes: t.int({ required: false, description: "0 to 1,000,000. Default: the organization's (the tier's default when the tier changes)." }),
    permissions: t.stringList({ required: false, description: "Features and compliance modules. Default: the tier's." }),
  }),
});

const IssuedLicenseRef = builder.objectRef<IssuedLicense>('IssuedLicense').implement({
  description: 'A license just issued: the only answer that carries the whole key.',
  fields: (t) => ({
    licenseKey: t.exposeString('licenseKey', { extensions: SECRET }),
    licenseId: t.exposeString('licenseId'),
    orgId: t.exposeString('orgId'),
    tier: t.field({ type: TierEnum, resolve: (l) => l.tier }),
    maxNodes: t.exposeInt('maxNodes'),
    permissions: t.exposeStringList('permissions'),
    issuedAt: t.field({ type: 'DateTime', resolve: (l) => l.issuedAt }),
    expiresAt: t.field({ type: 'DateTime', resolve: (l) => l.expiresAt }),
  }),
});

builder.mutationField('issueLicense', (t) =>
  t.field({
    type: IssuedLicenseRef,
    description: "Signs a new license for the organization and sets its tier, max_nodes and expiry (operator only).",
    authScopes: { admin: true },
    args: { orgId: t.arg.string({ required: true }), input: t.arg({ type: IssueLicenseInput, required: true }) },
    resolve: (_root, { orgId, input }, ctx) => ctx.services.licenses.issue(ctx.operator(), orgId, input),
  }),
);
