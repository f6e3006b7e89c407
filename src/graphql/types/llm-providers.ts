import { HEALTH_STATUSES, type Health, type LlmProvider } from '../../domain/providers.js';
import type { ProbeResult } from '../../services/providers/probe.js';
import type { ProviderStatus, Routing } from '../../services/providers/service.js';
import { builder } from '../builder.js';
import { countedConnection } from '../pagination.js';
import { RUNTIME_ACCESS } from '../runtime-access.js';

const { read, write } = RUNTIME_ACCESS.providers;

export const HealthStatusEnum = builder.enumType('HealthStatus', { values: HEALTH_STATUSES });

export const HealthRef = builder.objectRef<Health>('Health').implement({
  description: 'The outcome of the last real check; unknown until one ran.',
  fields: (t) => ({
    status: t.field({ type: HealthStatusEnum, resolve: (h) => h.status }),
    message: t.exposeString('message', { nullable: true }),
    latencyMs: t.exposeInt('latencyMs', { nullable: true }),
    lastChecked: t.field({ type: 'DateTime', nullable: true, resolve: (h) => h.lastChecked }),
  }),
});

const ProviderRef = builder.objectRef<LlmProvider>('LlmProvider').implement({
  description: 'An LLM endpoint the runtime may route to. Its API key is write-only: only whether one is set is shown.',
  fields: (t) => ({
    name: t.exposeString('name'),
    type: t.exposeString('type', { description: 'openai, anthropic, azure-openai, bedrock, gemini, ollama or custom.' }),
    endpoint: t.exposeString('endpoint', { nullable: true, description: "null: the type's public endpoint." }),
    model: t.exposeString('model', { nullable: true }),
    region: t.exposeString('region', { nullable: true }),
    enabled: t.exposeBoolean('enabled'),
    priority: t.exposeInt('priority'),
    weight: t.exposeInt('weight'),
    rateLimit: t.exposeInt('rateLimit', { nullable: true, description: 'Requests per minute; null: unlimited.' }),
    timeoutSeconds: t.exposeInt('timeoutSeconds'),
    hasApiKey: t.exposeBoolean('hasApiKey'),
    settings: t.field({ type: 'JSONObject', resolve: (p) => p.settings }),
    health: t.field({ type: HealthRef, resolve: (p) => p.health }),
    createdAt: t.field({ type: 'DateTime', resolve: (p) => p.createdAt }),
    updatedAt: t.field({ type: 'DateTime', resolve: (p) => p.updatedAt }),
  }),
});

const ProviderInput = builder.inputType('LlmProviderInput', {
  description: 'On create: name and type are required. On update: only the fields given change; the stored key stays unless apiKey is given (null removes it).',
  fields: (t) => ({
    name: t.string({ required: false }),
    type: t.string({ required: false }),
    endpoint: t.string({ required: false }),
    model: t.string({ required: false }),
    region: t.string({ required: false }),
    enabled: t.boolean({ required: false }),
    priority: t.int({ required: false }),
    weight: t.int({ required: false }),
    rateLimit: t.int({ required: false }),
    timeoutSeconds: t.int({ required: false }),
    apiKey: t.string({ required: false, description: 'Write-only; sealed at rest.' }),
    settings: t.field({ type: 'JSONObject', required: false }),
  }),
});

const RoutingRef = builder.objectRef<Routing>('LlmRouting').implement({
  fields: (t) => ({
    weights: t.field({ type: 'JSONObject', description: 'Enabled provider name -> weight.', resolve: (r) => r.weights }),
    ready: t.exposeBoolean('ready', { description: 'Some enabled provider has a weight above 0.' }),
  }),
});

const StatusRef = builder.objectRef<ProviderStatus>('LlmProviderStatus').implement({
  fields: (t) => ({
    total: t.exposeInt('total'),
    enabled: t.exposeInt('enabled'),
    healthy: t.exposeInt('healthy'),
    providers: t.field({ type: [ProviderRef], resolve: (s) => s.providers }),
    routing: t.field({ type: RoutingRef, resolve: (s) => s.routing }),
  }),
});

const ProbeRef = builder.objectRef<ProbeResult>('LlmProviderTest').implement({
  fields: (t) => ({
    status: t.field({ type: HealthStatusEnum, resolve: (r) => r.status }),
    message: t.exposeString('message', { nullable: true }),
    latencyMs: t.exposeInt('latencyMs', { nullable: true }),
    httpStatus: t.exposeInt('httpStatus', { nullable: true }),
    lastChecked: t.field({ type: 'DateTime', nullable: true, resolve: (r) => r.lastChecked }),
  }),
});

builder.queryFields((t) => ({
  llmProviders: t.connection(
    {
      type: ProviderRef,
      authScopes: read,
      args: { type: t.arg.string({ required: false }), enabled: t.arg.boolean({ required: false }) },
      resolve: (_root, args, ctx) => {
        const filter = { type: (args.type ?? undefined) as LlmProvider['type'] | undefined, enabled: args.enabled ?? undefined };
        return countedConnection(args, { defaultSize: 50, maxSize: 200 }, (page) => ctx.services.providers.list(ctx.actor, filter, page));
      },
    },
    { fields: (c) => ({ totalCount: c.int({ resolve: (conn) => conn.totalCount ?? 0 }) }) },
  ),
  llmProvider: t.field({
    type: ProviderRef,
    authScopes: read,
    args: { name: t.arg.string({ required: true }) },
    resolve: (_root, { name }, ctx) => ctx.services.providers.get(ctx.actor, name),
  }),
  llmRouting: t.field({ type: RoutingRef, authScopes: read, resolve: (_root, _args, ctx) => ctx.services.providers.routing(ctx.actor) }),
  llmProviderStatus: t.field({ type: StatusRef, authScopes: read, resolve: (_root, _args, ctx) => ctx.services.providers.status(ctx.actor) }),
}));

builder.mutationFields((t) => ({
  createLlmProvider: t.field({
    type: ProviderRef,
    authScopes: write,
    args: { input: t.arg({ type: ProviderInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.providers.create(ctx.actor, input),
  }),
  updateLlmProvider: t.field({
    type: ProviderRef,
    authScopes: write,
    args: { name: t.arg.string({ required: true }), input: t.arg({ type: ProviderInput, required: true }) },
    resolve: (_root, { name, input }, ctx) => ctx.services.providers.update(ctx.actor, name, input),
  }),
  deleteLlmProvider: t.boolean({
    authScopes: write,
    args: { name: t.arg.string({ required: true }) },
    resolve: async (_root, { name }, ctx) => {
      await ctx.services.providers.remove(ctx.actor, name);
      return true;
    },
  }),
  setLlmRouting: t.field({
    type: RoutingRef,
    authScopes: write,
    description: 'Replaces the weights: every enabled provider not named gets 0.',
    args: { weights: t.arg({ type: 'JSONObject', required: true }) },
    resolve: (_root, { weights }, ctx) => ctx.services.providers.setRouting(ctx.actor, weights),
  }),
  testLlmProvider: t.field({
    type: ProbeRef,
    authScopes: write,
    description: "Sends the provider a real, minimal request (its model list) and keeps the outcome as the provider's health.",
    args: { name: t.arg.string({ required: true }) },
    resolve: (_root, { name }, ctx) => ctx.services.providers.test(ctx.actor, name),
  }),
}));
