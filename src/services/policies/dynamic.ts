import type { Trx } from '../../db/database.js';
import {
  countDynamicPolicies,
  type DynamicPolicyQuery,
  dynamicNameTaken,
  effectiveDynamicPolicies,
  findDynamicPolicy,
  insertDynamicPolicy,
  listDynamicPolicies,
  saveDynamicPolicy,
} from '../../db/dynamic-policies.js';
import { findProvider } from '../../db/llm-providers.js';
import { listPolicyVersions } from '../../db/policy-versions.js';
import {
  ACTION_CONFIG_SCHEMAS,
  CONTEXT_FIELDS,
  DYNAMIC_TYPES,
  type DynamicPolicy,
  type DynamicType,
  OPERATORS_BY_KIND,
  type PolicyAction,
} from '../../domain/dynamic-policies.js';
import { Conflict, InvalidInput, NotFound } from '../../domain/errors.js';
import type { PolicyChange, PolicyVersion } from '../../domain/policies.js';
import { newId } from '../../ids.js';
import { type Actor, tenantOf } from '../actor.js';
import type { ServiceDeps } from '../deps.js';
import { type ConditionResult, checkActions, checkConditions, evaluateConditions } from './conditions.js';
import * as v from '../validate.js';
import * as fields from './fields.js';
import { PatternCache } from './patterns.js';
import { commitPolicyChange } from './versions.js';

export interface DynamicPolicyInput {
  name?: string | null;
  type?: string | null;
  category?: string | null;
  description?: string | null;
  conditions?: unknown;
  actions?: unknown;
  priority?: number | null;
  enabled?: boolean | null;
  tags?: string[] | null;
}

export interface DynamicPolicyPage {
  items: DynamicPolicy[];
  page: number;
  pageSize: number;
  total: number;
}

export interface DynamicPolicyTest {
  policy: DynamicPolicy;
  matched: boolean;
  conditions: ConditionResult[];
  /** The actions that would apply: the policy's, when every condition held and it is enabled. */
  actions: PolicyAction[];
}

/** The published schema: what a dynamic policy of each type may test, with which operators, and each action's config. */
export const DYNAMIC_POLICY_SCHEMA = {
  types: Object.fromEntries(DYNAMIC_TYPES.map((t) => [t, { fields: CONTEXT_FIELDS[t] }])),
  operators: OPERATORS_BY_KIND,
  actions: ACTION_CONFIG_SCHEMAS,
  semantics: 'A policy applies when all its conditions hold. contains, not_contains, in and not_in compare strings case-insensitively; equals is exact; regex is RE2.',
};

function sameContent(a: DynamicPolicy, b: DynamicPolicy): boolean {
  const content = ({ version: _v, updatedAt: _u, ...rest }: DynamicPolicy) => JSON.stringify(rest);
  return content(a) === content(b);
}

function policyType(value: unknown): DynamicType {
  if (typeof value !== 'string' || value === '') throw new InvalidInput(`is required: one of ${DYNAMIC_TYPES.join(', ')}`, 'type');
  if (!(DYNAMIC_TYPES as readonly string[]).includes(value)) throw new InvalidInput(`must be one of ${DYNAMIC_TYPES.join(', ')}`, 'type');
  return value as DynamicType;
}

/** Condition policies of each organization: checked against the published schema, versioned, soft-deleted. */
export class DynamicPolicyService {
  private readonly patterns = new PatternCache();

  constructor(private readonly deps: ServiceDeps) {}

  private now(): string {
    return this.deps.clock.now().toISOString();
  }

  async list(actor: Actor, query: DynamicPolicyQuery, page: number, pageSize: number): Promise<DynamicPolicyPage> {
    const orgId = tenantOf(actor);
    if (query.search !== undefined && query.search.length > 100) throw new InvalidInput('must be at most 100 characters', 'search');
    v.integer('page', page, 1, 100_000);
    v.integer('pageSize', pageSize, 1, 200);
    const [items, total] = await Promise.all([
      listDynamicPolicies(this.deps.db, orgId, query, { offset: (page - 1) * pageSize, limit: pageSize }),
      countDynamicPolicies(this.deps.db, orgId, query),
    ]);
    return { items, page, pageSize, total };
  }

  async get(actor: Actor, id: string): Promise<DynamicPolicy> {
    return this.find(tenantOf(actor), id);
  }

  async effective(actor: Actor, type: DynamicType | undefined): Promise<DynamicPolicy[]> {
    return effectiveDynamicPolicies(this.deps.db, tenantOf(actor), type);
  }

  async create(actor: Actor, input: DynamicPolicyInput): Promise<DynamicPolicy> {
    const orgId = tenantOf(actor);
    const now = this.now();
    const type = policyType(input.type);
    const policy: DynamicPolicy = {
      id: newId('dpol'),
      orgId,
      name: fields.policyName(input.name),
      type,
      category: fields.category(input.category ?? type),
      description: fields.description(input.description ?? null),
      conditions: checkConditions(type, input.conditions),
      actions: checkActions(input.actions),
      priority: fields.priority(input.priority ?? 100),
      enabled: input.enabled ?? true,
      tags: fields.tags(input.tags ?? []),
      version: 1,
      createdAt: now,
      updatedAt: now,
      deletedAt: null,
    };
    await this.write(actor, orgId, 'created', async (trx) => {
      await this.routesExist(trx, orgId, policy.actions);
      if (await dynamicNameTaken(trx, orgId, policy.name, null)) throw this.taken(policy.name);
      await insertDynamicPolicy(trx, policy);
      return policy;
    });
    return policy;
  }

  /** Changes the fields the input carries and keeps the others; conditions are checked against the (new) type. */
  async update(actor: Actor, id: string, input: DynamicPolicyInput): Promise<DynamicPolicy> {
    const orgId = tenantOf(actor);
    const current = await this.find(orgId, id);
    const type = input.type == null ? current.type : policyType(input.type);
    const next: DynamicPolicy = {
      ...current,
      name: input.name === undefined ? current.name : fields.policyName(input.name),
      type,
      category: input.category == null ? current.category : fields.category(input.category),
      description: input.description === undefined ? current.description : fields.description(input.description),
      conditions: checkConditions(type, input.conditions == null ? current.conditions : input.conditions),
      actions: input.actions == null ? current.actions : checkActions(input.actions),
      priority: input.priority == null ? current.priority : fields.priority(input.priority),
      enabled: input.enabled ?? current.enabled,
      tags: input.tags == null ? current.tags : fields.tags(input.tags),
      version: current.version + 1,
      updatedAt: this.now(),
    };
    // Nothing changed: no new version, no audit event.
    if (sameContent(current, next)) return current;
    await this.write(actor, orgId, 'updated', async (trx) => {
      if (input.actions != null) await this.routesExist(trx, orgId, next.actions);
      if (next.name.toLowerCase() !== current.name.toLowerCase() && (await dynamicNameTaken(trx, orgId, next.name, id))) throw this.taken(next.name);
      return this.save(trx, next, current.version);
    });
    return next;
  }

  async remove(actor: Actor, id: string): Promise<void> {
    const orgId = tenantOf(actor);
    const current = await this.find(orgId, id);
    const now = this.now();
    await this.write(actor, orgId, 'deleted', (trx) => this.save(trx, { ...current, version: current.version + 1, updatedAt: now, deletedAt: now }, current.version));
  }

  async versions(actor: Actor, id: string, page: { offset: number; limit: number }): Promise<PolicyVersion[]> {
    const orgId = tenantOf(actor);
    // A deleted policy's history stays readable.
    if (id.length > 64 || !(await findDynamicPolicy(this.deps.db, orgId, id, true))) throw this.missing(id);
    return listPolicyVersions(this.deps.db, orgId, id, page);
  }

  /** Evaluates one policy against a sample request context and says which conditions held. Changes nothing. */
  async test(actor: Actor, id: string, context: Record<string, unknown>): Promise<DynamicPolicyTest> {
    const policy = await this.find(tenantOf(actor), id);
    const conditions = evaluateConditions(policy.type, policy.conditions, context, this.patterns);
    const matched = conditions.every((c) => c.matched);
    return { policy, matched, conditions, actions: matched && policy.enabled ? policy.actions : [] };
  }

  /** A route action must name a provider of the organization (enabled or not: it may be enabled later). */
  private async routesExist(trx: Trx, orgId: string, actions: PolicyAction[]): Promise<void> {
    for (const [i, a] of actions.entries()) {
      if (a.type !== 'route') continue;
      const provider = await findProvider(trx, orgId, String(a.config.provider));
      if (!provider) throw new InvalidInput('is not an LLM provider of this organization', `actions[${i}].config.provider`);
    }
  }

  private async find(orgId: string, id: string): Promise<DynamicPolicy> {
    const p = id.length <= 64 ? await findDynamicPolicy(this.deps.db, orgId, id) : null;
    if (!p) throw this.missing(id);
    return p;
  }

  private async save(trx: Trx, p: DynamicPolicy, from: number): Promise<DynamicPolicy> {
    if (!(await saveDynamicPolicy(trx, p, from))) throw new Conflict(`policy ${p.id} changed meanwhile; read it again and retry`);
    return p;
  }

  private write(actor: Actor, orgId: string, type: PolicyChange, apply: (trx: Trx) => Promise<DynamicPolicy>): Promise<void> {
    const details = (p: DynamicPolicy) => ({ name: p.name, type: p.type, enabled: p.enabled, version: p.version, actions: p.actions.map((a) => a.type) });
    return commitPolicyChange(this.deps, actor, { orgId, target: 'dynamic_policy', type, details }, apply);
  }

  private taken(name: string): Conflict {
    return new Conflict(`a dynamic policy named "${name}" already exists`);
  }

  private missing(id: string): NotFound {
    return new NotFound(`no dynamic policy ${id.slice(0, 64)} in this organization`);
  }
}
