import type { SecretBox } from '../../crypto/secret-box.js';
import { type Executor, inTransaction } from '../../db/database.js';
import {
  countProviders,
  deleteProvider,
  findProvider,
  insertProvider,
  listProviders,
  type ProviderFilter,
  saveProvider,
  saveProviderHealth,
  setProviderWeights,
  type StoredProvider,
} from '../../db/llm-providers.js';
import { lockOrganization } from '../../db/organizations.js';
import { Conflict, InvalidInput, NotFound } from '../../domain/errors.js';
import { type LlmProvider, UNCHECKED } from '../../domain/providers.js';
import { newId } from '../../ids.js';
import type { OutboundClient } from '../../outbound/client.js';
import { type Actor, tenantOf } from '../actor.js';
import type { ServiceDeps } from '../deps.js';
import * as v from '../validate.js';
import * as check from './input.js';
import { baseUrl, type ProbeResult, probe } from './probe.js';

export const PROVIDER_KEY_CONTEXT = 'llm_providers.api_key';

export interface Routing {
  /** Enabled providers and their share of traffic. */
  weights: Record<string, number>;
  /** True when some enabled provider has a weight above zero: the runtime has somewhere to send a request. */
  ready: boolean;
}

export interface ProviderStatus {
  total: number;
  enabled: number;
  healthy: number;
  providers: LlmProvider[];
  routing: Routing;
}

/** Never the sealed key: what every face is given. */
function visible(p: StoredProvider): LlmProvider {
  const { sealedApiKey: _sealed, ...provider } = p;
  return provider;
}

function routingOf(providers: LlmProvider[]): Routing {
  const enabled = providers.filter((p) => p.enabled);
  return { weights: Object.fromEntries(enabled.map((p) => [p.name, p.weight])), ready: enabled.some((p) => p.weight > 0) };
}

/** The LLM providers an organization's runtime routes to: their settings, sealed keys, routing weights and health. */
export class ProviderService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly box: SecretBox,
    private readonly outbound: OutboundClient,
  ) {}

  private now(): string {
    return this.deps.clock.now().toISOString();
  }

  async list(actor: Actor, filter: ProviderFilter, page: { offset: number; limit: number }): Promise<{ items: LlmProvider[]; total: number }> {
    const orgId = tenantOf(actor);
    const [items, total] = await Promise.all([listProviders(this.deps.db, orgId, filter, page), countProviders(this.deps.db, orgId, filter)]);
    return { items: items.map(visible), total };
  }

  async get(actor: Actor, name: string): Promise<LlmProvider> {
    return visible(await this.stored(tenantOf(actor), name));
  }

  async create(actor: Actor, input: check.ProviderInput): Promise<LlmProvider> {
    const orgId = tenantOf(actor);
    const now = this.now();
    const type = check.providerType(input.type);
    const provider: StoredProvider = {
      id: newId('prv'),
      orgId,
      name: check.providerName(input.name),
      type,
      endpoint: check.endpoint(input.endpoint ?? null, type, (u) => this.outbound.allows(u)),
      model: check.model(input.model ?? null),
      region: check.region(input.region ?? null, type),
      enabled: input.enabled ?? true,
      priority: v.integer('priority', input.priority ?? 100, 0, 1000),
      weight: v.integer('weight', input.weight ?? 1, 0, check.MAX_WEIGHT),
      rateLimit: input.rateLimit == null ? null : v.integer('rateLimit', input.rateLimit, 1, 1_000_000),
      timeoutSeconds: v.integer('timeoutSeconds', input.timeoutSeconds ?? 30, 1, 300),
      hasApiKey: typeof input.apiKey === 'string',
      sealedApiKey: typeof input.apiKey === 'string' ? this.box.seal(check.apiKey(input.apiKey), PROVIDER_KEY_CONTEXT) : null,
      settings: check.settings(input.settings ?? {}),
      health: UNCHECKED,
      createdAt: now,
      updatedAt: now,
    };
    await inTransaction(this.deps.db, async (trx) => {
      if (!(await insertProvider(trx, provider))) throw new Conflict(`a provider named "${provider.name}" already exists`);
      await this.deps.audit.append(trx, actor, { action: 'llm_provider.created', orgId, targetType: 'llm_provider', targetId: provider.name, details: this.summary(provider) });
    });
    return visible(provider);
  }

  /**
   * Changes the fields the input carries and keeps the others, the stored key included, except where the key
   * would go: a kept key is never sent to another origin or type than the one it was given for.
   */
  async update(actor: Actor, name: string, input: check.ProviderInput): Promise<LlmProvider> {
    const orgId = tenantOf(actor);
    return inTransaction(this.deps.db, async (trx) => {
      // Read under the organization's lock: a concurrent routing change or key rotation is not written over.
      await lockOrganization(trx, orgId);
      const current = await this.stored(orgId, name, trx);
      const next = this.changed(current, input);
      if (!(await saveProvider(trx, next))) throw this.missing(name);
      await this.deps.audit.append(trx, actor, {
        action: 'llm_provider.updated',
        orgId,
        targetType: 'llm_provider',
        targetId: name,
        details: { ...this.summary(next), api_key: input.apiKey === undefined ? 'kept' : input.apiKey === null ? 'removed' : 'replaced' },
      });
      return visible(next);
    });
  }

  private changed(current: StoredProvider, input: check.ProviderInput): StoredProvider {
    if (input.name !== undefined && input.name !== current.name) throw new InvalidInput('cannot change: a provider is known by its name (create another and delete this one)', 'name');
    const type = input.type == null ? current.type : check.providerType(input.type);
    const sealedApiKey =
      input.apiKey === undefined ? current.sealedApiKey : input.apiKey === null ? null : this.box.seal(check.apiKey(input.apiKey), PROVIDER_KEY_CONTEXT);
    const next: StoredProvider = {
      ...current,
      type,
      endpoint: input.endpoint === undefined && type === current.type ? current.endpoint : check.endpoint(input.endpoint === undefined ? current.endpoint : input.endpoint, type, (u) => this.outbound.allows(u)),
      model: input.model === undefined ? current.model : check.model(input.model),
      region: input.region === undefined && type === current.type ? current.region : check.region(input.region === undefined ? current.region : input.region, type),
      enabled: input.enabled ?? current.enabled,
      priority: input.priority == null ? current.priority : v.integer('priority', input.priority, 0, 1000),
      weight: input.weight == null ? current.weight : v.integer('weight', input.weight, 0, check.MAX_WEIGHT),
      rateLimit: input.rateLimit === undefined ? current.rateLimit : input.rateLimit === null ? null : v.integer('rateLimit', input.rateLimit, 1, 1_000_000),
      timeoutSeconds: input.timeoutSeconds == null ? current.timeoutSeconds : v.integer('timeoutSeconds', input.timeoutSeconds, 1, 300),
      sealedApiKey,
      hasApiKey: sealedApiKey !== null,
      settings: input.settings == null ? current.settings : check.settings(input.settings),
      updatedAt: this.now(),
    };
    // The whole base URL, not only its origin: gateways tell their tenants apart by path.
    const redirected = next.type !== current.type || baseUrl(next) !== baseUrl(current);
    // Otherwise whoever may edit a provider could point it at their own host and have /test hand them the key.
    if (redirected && input.apiKey === undefined && current.sealedApiKey !== null) {
      throw new InvalidInput('must be given again (or null) when the endpoint or the type changes: a stored key is only sent where it was given for', 'apiKey');
    }
    const reached = (p: StoredProvider) => JSON.stringify([p.type, baseUrl(p), p.sealedApiKey, p.settings]);
    // What was checked is no longer what would be called.
    if (reached(next) !== reached(current)) next.health = UNCHECKED;
    return next;
  }

  async remove(actor: Actor, name: string): Promise<void> {
    const orgId = tenantOf(actor);
    await inTransaction(this.deps.db, async (trx) => {
      if (!(await deleteProvider(trx, orgId, name))) throw this.missing(name);
      await this.deps.audit.append(trx, actor, { action: 'llm_provider.deleted', orgId, targetType: 'llm_provider', targetId: name });
    });
  }

  async routing(actor: Actor): Promise<Routing> {
    return routingOf(await listProviders(this.deps.db, tenantOf(actor), {}));
  }

  /** Replaces the routing: each provider named gets its weight, every other one 0. */
  async setRouting(actor: Actor, weights: Record<string, unknown>): Promise<Routing> {
    const orgId = tenantOf(actor);
    const names = Object.keys(weights);
    if (names.length === 0) throw new InvalidInput('must name at least one enabled provider', 'weights');
    const wanted = new Map<string, number>();
    for (const name of names) {
      const w = weights[name];
      if (typeof w !== 'number') throw new InvalidInput(`must be a whole number from 0 to ${check.MAX_WEIGHT}`, `weights.${name}`);
      wanted.set(name, v.integer(`weights.${name}`, w, 0, check.MAX_WEIGHT));
    }
    if ([...wanted.values()].reduce((a, b) => a + b, 0) <= 0) throw new InvalidInput('must sum to more than 0: some provider has to take the traffic', 'weights');
    return inTransaction(this.deps.db, async (trx) => {
      await lockOrganization(trx, orgId);
      const providers = new Map((await listProviders(trx, orgId, {})).map((p) => [p.name, p]));
      for (const name of names) {
        const p = providers.get(name);
        if (!p) throw new InvalidInput('is not a provider of this organization', `weights.${name}`);
        if (!p.enabled) throw new InvalidInput('is disabled: enable it before routing traffic to it', `weights.${name}`);
      }
      await setProviderWeights(trx, orgId, wanted, this.now());
      await this.deps.audit.append(trx, actor, { action: 'llm_routing.updated', orgId, targetType: 'llm_routing', targetId: orgId, details: { weights: Object.fromEntries(wanted) } });
      return routingOf((await listProviders(trx, orgId, {})).map(visible));
    });
  }

  async status(actor: Actor): Promise<ProviderStatus> {
    const providers = (await listProviders(this.deps.db, tenantOf(actor), {})).map(visible);
    return {
      total: providers.length,
      enabled: providers.filter((p) => p.enabled).length,
      healthy: providers.filter((p) => p.enabled && p.health.status === 'healthy').length,
      providers,
      routing: routingOf(providers),
    };
  }

  /** A real, minimal request to the provider; the result is kept as its health. */
  async test(actor: Actor, name: string): Promise<ProbeResult> {
    const orgId = tenantOf(actor);
    const p = await this.stored(orgId, name);
    const key = p.sealedApiKey ? this.box.open(p.sealedApiKey, PROVIDER_KEY_CONTEXT) : null;
    const result = await probe(this.outbound, p, key, () => this.now());
    const { httpStatus, ...health } = result;
    await inTransaction(this.deps.db, async (trx) => {
      // Only onto the configuration it checked: a change meanwhile starts again from unknown.
      await saveProviderHealth(trx, orgId, p.id, p.updatedAt, health);
      await this.deps.audit.append(trx, actor, {
        action: 'llm_provider.tested',
        orgId,
        targetType: 'llm_provider',
        targetId: name,
        outcome: health.status === 'healthy' ? 'success' : 'failure',
        details: { status: health.status, http_status: httpStatus, latency_ms: health.latencyMs },
      });
    });
    return result;
  }

  private async stored(orgId: string, name: string, db: Executor = this.deps.db): Promise<StoredProvider> {
    const p = name.length <= 63 ? await findProvider(db, orgId, name) : null;
    if (!p) throw this.missing(name);
    return p;
  }

  private missing(name: string): NotFound {
    return new NotFound(`no LLM provider named "${name}" in this organization`);
  }

  /** What the audit trail keeps of a provider: never the key, only whether there is one. */
  private summary(p: StoredProvider): Record<string, unknown> {
    return { type: p.type, endpoint: p.endpoint, model: p.model, enabled: p.enabled, priority: p.priority, weight: p.weight, has_api_key: p.sealedApiKey !== null };
  }
}
