import type { Release } from '../../domain/releases.js';
import { builder } from '../builder.js';

export const ReleaseRef = builder.objectRef<Release>('Release').implement({
  description: 'A published version of a service. A required stop is one every upgrade lands on before going past it.',
  fields: (t) => ({
    service: t.exposeString('service', { description: 'agent, orchestrator or customer-portal.' }),
    version: t.exposeString('version', { description: 'A semantic version; versions compare as such (2.10.0 is after 2.9.0).' }),
    notes: t.exposeString('notes', { nullable: true }),
    requiredStop: t.exposeBoolean('requiredStop'),
    publishedAt: t.field({ type: 'DateTime', resolve: (r) => r.publishedAt }),
  }),
});

const PublishReleaseInput = builder.inputType('PublishReleaseInput', {
  fields: (t) => ({
    service: t.string({ required: true, description: 'agent, orchestrator or customer-portal.' }),
    version: t.string({ required: true, description: 'A semantic version such as 2.2.0 or 2.2.0-rc.1.' }),
    notes: t.string({ required: false }),
    requiredStop: t.boolean({ required: false, description: 'Upgrades from below may not jump past it.' }),
  }),
});

builder.queryField('releases', (t) =>
  t.field({
    type: [ReleaseRef],
    description: 'The release catalogue, by service then version.',
    authScopes: { admin: true },
    args: { service: t.arg.string({ required: false }) },
    resolve: (_root, { service }, ctx) => ctx.services.releases.list(service),
  }),
);

builder.mutationField('publishRelease', (t) =>
  t.field({
    type: ReleaseRef,
    description: 'Publishes a version: organizations can upgrade to it from then on. A published version never changes.',
    authScopes: { admin: true },
    args: { input: t.arg({ type: PublishReleaseInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.releases.publish(ctx.operator(), input),
  }),
);
