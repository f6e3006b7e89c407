import { performance } from 'node:perf_hooks';
import { inTransaction, type Trx } from '../../db/database.js';
import { lockOrganization } from '../../db/organizations.js';
import { latestPolicyVersion, listPolicyVersions } from '../../db/policy-versions.js';
import {
  activeOverrides,
  applicableStaticPolicies,
  countStaticPolicies,
  findStaticPolicy,
  insertOverride,
  insertStaticPolicy,
  listStaticPolicies,
  removeOverride,
  saveStaticPolicy,
  staticPolicyExisted,
  staticPolicyNameTaken,
  type StaticPolicyFilter,
} from '../../db/static-policies.js';
import { Conflict, Forbidden, InvalidInput, NotFound } from '../../domain/errors.js';
import {
  type EffectiveStaticPolicy,
  type PolicyChange,
  type PolicyOverride,
  type PolicyVersion,
  type Severity,
  STATIC_ACTIONS,
  type StaticAction,
  type StaticPolicy,
  type StaticTier,
  SYSTEM_POLICIES,
} from '../../domain/policies.js';
import { newId } from '../../ids.js';
import { type Actor, tenantOf } from '../actor.js';
import type { ServiceDeps } from '../deps.js';
import * as fields from './fields.js';
import { EVALUATION_BUDGET_MS, PatternCache, patternProblem } from './patterns.js';
import { changedBy, commitPolicyChange, recordVersion } from './versions.js';

export interface StaticPolicyInput {
  name?: string | null;
  category?: string | null;
  tier?: StaticTier | null;
  tenantId?: string | null;
  description?: string | null;
  pattern?: string | null;
  severity?: Severity | null;
  action?: StaticAction | null;
  priority?: number | null;
  enabled?: boolean | null;
  tags?: string[] | null;
}

export interface OverrideInput {
  action?: StaticAction | null;
  enabled?: boolean | null;
  reason: string;
  expiresAt: Date;
}

/** A policy as listed: with the override in force for the caller's organization, if any. */
export type StaticPolicyView = StaticPolicy & { override: PolicyOverride | null };

export interface TextMatch {
  policy: StaticPolicy;
  action: StaticAction;
  overridden: boolean;
  ranges: [number, number][];
  count: number;
}

export interface TextVerdict {
  /** The strictest action of the policies that matched; 'allow' when none did. */
  action: StaticAction | 'allow';
  /** False when the time bound cut the evaluation short: the verdict is then 'block' (fail closed). */
  complete: boolean;
  policiesEvaluated: number;
  matches: TextMatch[];
  /** The text with every match of a redacting policy replaced, when one matched. */
  redactedText: string | null;
  elapsedMs: number;
}

export const MAX_TEST_TEXT = 256 * 1024;
const MAX_OVERRIDE_DAYS = 90;
const RANGES_REPORTED = 100;
const SYSTEM_BY_ID = new Map(SYSTEM_POLICIES.map((p) => [p.id, p]));

/** Pattern policies: the system tier (shipped, read-only), each organization's own and its tenants', and their overrides. */
export class StaticPolicyService {
  private readonly patterns = new PatternCache();

  constructor(private readonly deps: ServiceDeps) {}

  private now(): string {
    return this.deps.clock.now().toISOString();
  }

  async list(actor: Actor, filter: StaticPolicyFilter, page: { offset: number; limit: number }): Promise<{ items: StaticPolicyView[]; total: number }> {
    const orgId = tenantOf(actor);
    if (filter.category) filter = { ...filter, category: fields.category(filter.category) };
    const system = filter.tier && filter.tier !== 'system' ? [] : SYSTEM_POLICIES.filter((p) => (!filter.category || p.category === filter.category) && !filter.tenantId);
    const ownTiers = filter.tier === 'system' ? null : filter;
    const overrides = await activeOverrides(this.deps.db, orgId, this.now());
    // The shipped tier first, then the organization's rows: one ordering, paged across both.
    const visibleSystem = system.filter((p) => filter.enabled === undefined || p.enabled === filter.enabled).map((p) => this.view(p, overrides));
    const head = visibleSystem.slice(page.offset, page.offset + page.limit);
    const own = ownTiers
      ? await listStaticPolicies(this.deps.db, orgId, ownTiers, { offset: Math.max(0, page.offset - visibleSystem.length), limit: page.limit - head.length })
      : [];
    const total = visibleSystem.length + (ownTiers ? await countStaticPolicies(this.deps.db, orgId, ownTiers) : 0);
    return { items: [...head, ...own.map((p) => this.view(p, overrides))], total };
  }

  async get(actor: Actor, id: string): Promise<StaticPolicyView> {
    const orgId = tenantOf(actor);
    const policy = await this.find(orgId, id);
    return this.view(policy, await activeOverrides(this.deps.db, orgId, this.now(), policy.id));
  }

  async create(actor: Actor, input: StaticPolicyInput): Promise<StaticPolicyView> {
    const orgId = tenantOf(actor);
    const now = this.now();
    const tier = input.tier ?? 'organization';
    const policy = this.checked({
      id: newId('spol'),
      orgId,
      tier,
      tenantId: input.tenantId ?? null,
      name: fields.policyName(input.name),
      category: fields.category(input.category ?? 'custom'),
      description: fields.description(input.description ?? null),
      pattern: input.pattern ?? '',
      severity: input.severity ?? 'medium',
      action: input.action ?? 'block',
      priority: fields.priority(input.priority ?? 100),
      enabled: input.enabled ?? true,
      tags: fields.tags(input.tags ?? []),
      version: 1,
      createdAt: now,
      updatedAt: now,
      deletedAt: null,
    });
    await this.write(actor, orgId, 'created', async (trx) => {
      await this.nameFree(trx, orgId, policy.name, null);
      await insertStaticPolicy(trx, policy);
      return policy;
    });
    return { ...policy, override: null };
  }

  /** Changes the fields the input carries and keeps the others. */
  async update(actor: Actor, id: string, input: StaticPolicyInput): Promise<StaticPolicyView> {
    const orgId = tenantOf(actor);
    const current = await this.writable(orgId, id);
    const next = this.checked({
      ...current,
      tier: fields.present(input.tier, 'tier') ?? current.tier,
      tenantId: input.tenantId === undefined ? current.tenantId : input.tenantId,
      name: input.name === undefined ? current.name : fields.policyName(input.name),
      category: input.category === undefined ? current.category : fields.category(fields.present(input.category, 'category')!),
      description: input.description === undefined ? current.description : fields.description(input.description),
      pattern: fields.present(input.pattern, 'pattern') ?? current.pattern,
      severity: fields.present(input.severity, 'severity') ?? current.severity,
      action: fields.present(input.action, 'action') ?? current.action,
      priority: input.priority === undefined ? current.priority : fields.priority(fields.present(input.priority, 'priority')!),
      enabled: fields.present(input.enabled, 'enabled') ?? current.enabled,
      tags: input.tags === undefined ? current.tags : fields.tags(fields.present(input.tags, 'tags')!),
      version: current.version + 1,
      updatedAt: this.now(),
    });
    // Nothing changed: no new version, no audit event.
    const content = ({ version: _v, updatedAt: _u, ...rest }: StaticPolicy) => JSON.stringify(rest);
    if (content(current) === content(next)) return this.get(actor, id);
    await this.write(actor, orgId, 'updated', async (trx) => {
      if (next.name !== current.name) await this.nameFree(trx, orgId, next.name, id);
      return this.save(trx, next, current.version);
    });
    return this.get(actor, id);
  }

  /** Sets `enabled`, or flips it when no value is given. */
  async toggle(actor: Actor, id: string, enabled: boolean | null | undefined): Promise<StaticPolicyView> {
    const orgId = tenantOf(actor);
    const current = await this.writable(orgId, id);
    const next = { ...current, enabled: enabled ?? !current.enabled, version: current.version + 1, updatedAt: this.now() };
    await this.write(actor, orgId, 'toggled', (trx) => this.save(trx, next, current.version));
    return this.get(actor, id);
  }

  /** Soft: the policy stops applying and leaves the lists; its history stays. */
  async remove(actor: Actor, id: string): Promise<void> {
    const orgId = tenantOf(actor);
    const current = await this.writable(orgId, id);
    const now = this.now();
    await this.write(actor, orgId, 'deleted', async (trx) => {
      const gone = { ...current, version: current.version + 1, updatedAt: now, deletedAt: now };
      return this.save(trx, gone, current.version);
    });
  }

  async versions(actor: Actor, id: string, page: { offset: number; limit: number }): Promise<PolicyVersion[]> {
    const orgId = tenantOf(actor);
    if (!SYSTEM_BY_ID.has(id) && !(await staticPolicyExisted(this.deps.db, orgId, id))) throw this.missing(id);
    const own = await listPolicyVersions(this.deps.db, orgId, id, page);
    const shipped = SYSTEM_BY_ID.get(id);
    if (shipped) {
      // A system policy's versions here are this organization's overrides (1..n) over the one it shipped as (0).
      const recorded = await latestPolicyVersion(this.deps.db, orgId, id);
      if (page.offset <= recorded && page.offset + page.limit > recorded) {
        own.push({ policyId: id, version: 0, changeType: 'created', changedBy: 'system', snapshot: snapshotOf(shipped), createdAt: shipped.createdAt });
      }
    }
    return own;
  }

  async setOverride(actor: Actor, id: string, input: OverrideInput): Promise<StaticPolicyView> {
    const orgId = tenantOf(actor);
    const policy = await this.find(orgId, id);
    const now = this.deps.clock.now();
    if ((input.action ?? null) === null && (input.enabled ?? null) === null) {
      throw new InvalidInput('an override changes the action, enabled, or both: give at least one', 'action');
    }
    const reason = input.reason.trim();
    if (reason.length < 10 || reason.length > 500) throw new InvalidInput('must be 10 to 500 characters: say why the exception is needed', 'reason');
    const expires = input.expiresAt;
    if (expires.getTime() <= now.getTime()) throw new InvalidInput('must be in the future', 'expiresAt');
    if (expires.getTime() > now.getTime() + MAX_OVERRIDE_DAYS * 86_400_000) throw new InvalidInput(`must be at most ${MAX_OVERRIDE_DAYS} days ahead`, 'expiresAt');
    const override: PolicyOverride = {
      id: newId('ovr'),
      orgId,
      policyId: policy.id,
      action: input.action ?? null,
      enabled: input.enabled ?? null,
      reason,
      expiresAt: expires.toISOString(),
      createdBy: changedBy(actor),
      createdAt: now.toISOString(),
    };
    await this.overrideChange(actor, orgId, policy, 'override_set', async (trx) => {
      const active = (await activeOverrides(trx, orgId, override.createdAt, policy.id)).get(policy.id);
      if (active) throw new Conflict(`policy ${policy.id} already has an override until ${active.expiresAt}; remove it first (DELETE .../override)`);
      await insertOverride(trx, override);
      return override;
    });
    return this.get(actor, id);
  }

  async removeOverride(actor: Actor, id: string): Promise<StaticPolicyView> {
    const orgId = tenantOf(actor);
    const policy = await this.find(orgId, id);
    await this.overrideChange(actor, orgId, policy, 'override_removed', async (trx) => {
      const now = this.now();
      const active = (await activeOverrides(trx, orgId, now, policy.id)).get(policy.id);
      if (!active || !(await removeOverride(trx, orgId, active.id, now))) throw new NotFound(`policy ${policy.id} has no override in force`);
      return active;
    });
    return this.get(actor, id);
  }

  /** The policies that apply now (to a tenant, when one is named), in evaluation order, overrides folded in. */
  async effective(actor: Actor, tenantId: string | null): Promise<EffectiveStaticPolicy[]> {
    const orgId = tenantOf(actor);
    const [own, overrides] = await Promise.all([
      applicableStaticPolicies(this.deps.db, orgId, tenantId),
      activeOverrides(this.deps.db, orgId, this.now()),
    ]);
    return [...SYSTEM_POLICIES, ...own]
      .map((p) => this.effectiveOf(this.view(p, overrides)))
      .filter((e) => e.enabled)
      .sort((a, b) => b.policy.priority - a.policy.priority);
  }

  /** Which policies match a text, where, and what follows: the runtime's check, run here for the portal and SDKs. */
  async test(actor: Actor, text: string, tenantId: string | null): Promise<TextVerdict> {
    if (text.length > MAX_TEST_TEXT) throw new InvalidInput(`must be at most ${MAX_TEST_TEXT} characters`, 'text');
    const policies = await this.effective(actor, tenantId);
    const started = performance.now();
    const deadline = started + EVALUATION_BUDGET_MS;
    const matches: TextMatch[] = [];
    let evaluated = 0;
    let complete = true;
    for (const e of policies) {
      // A redacting policy keeps every range (the text is rewritten from them); the others report the first few.
      const found = this.patterns.matches(e.policy.pattern, text, deadline, e.action === 'redact' ? Number.MAX_SAFE_INTEGER : RANGES_REPORTED);
      if (!found) {
        complete = false;
        break;
      }
      evaluated++;
      if (found.count > 0) matches.push({ policy: e.policy, action: e.action, overridden: e.override !== null, ranges: found.ranges, count: found.count });
    }
    const rank = (a: StaticAction) => STATIC_ACTIONS.indexOf(a);
    const strictest = matches.reduce<StaticAction | 'allow'>((acc, m) => (acc === 'allow' || rank(m.action) < rank(acc) ? m.action : acc), 'allow');
    const redacting = matches.filter((m) => m.action === 'redact');
    return {
      action: complete ? strictest : 'block',
      complete,
      policiesEvaluated: evaluated,
      matches: matches.map((m) => ({ ...m, ranges: m.ranges.slice(0, RANGES_REPORTED) })),
      redactedText: complete && redacting.length > 0 ? redact(text, redacting.flatMap((m) => m.ranges)) : null,
      elapsedMs: Math.round((performance.now() - started) * 100) / 100,
    };
  }

  private view(policy: StaticPolicy, overrides: Map<string, PolicyOverride>): StaticPolicyView {
    return { ...policy, override: overrides.get(policy.id) ?? null };
  }

  private effectiveOf(p: StaticPolicyView): EffectiveStaticPolicy {
    const { override, ...policy } = p;
    return { policy, override, action: override?.action ?? policy.action, enabled: override?.enabled ?? policy.enabled };
  }

  private checked(p: StaticPolicy): StaticPolicy {
    if (p.tier === 'system') throw new Forbidden('system-tier policies ship with the service and are read-only; override one with POST .../override');
    const problem = patternProblem(p.pattern);
    if (problem) throw new InvalidInput(problem, 'pattern');
    if (p.tier === 'tenant') {
      if (!p.tenantId) throw new InvalidInput('is required for a tenant-tier policy', 'tenantId');
      if (!/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$/.test(p.tenantId)) throw new InvalidInput('must be 1 to 100 letters, digits, "_", ".", ":" or "-"', 'tenantId');
    } else if (p.tenantId) {
      throw new InvalidInput('is only for tenant-tier policies', 'tenantId');
    }
    return p;
  }

  private async find(orgId: string, id: string): Promise<StaticPolicy> {
    const shipped = SYSTEM_BY_ID.get(id);
    if (shipped) return shipped;
    const own = id.length <= 64 ? await findStaticPolicy(this.deps.db, orgId, id) : null;
    if (!own) throw this.missing(id);
    return own;
  }

  private async writable(orgId: string, id: string): Promise<StaticPolicy> {
    const p = await this.find(orgId, id);
    if (p.tier === 'system') throw new Forbidden(`${id} is a system-tier policy: it ships with the service and is read-only; override it with POST /api/v1/static-policies/${id}/override`);
    return p;
  }

  private async nameFree(trx: Trx, orgId: string, name: string, exceptId: string | null): Promise<void> {
    if (await staticPolicyNameTaken(trx, orgId, name, exceptId)) throw new Conflict(`a static policy named "${name}" already exists`);
  }

  private async save(trx: Trx, p: StaticPolicy, from: number): Promise<StaticPolicy> {
    if (!(await saveStaticPolicy(trx, p, from))) throw new Conflict(`policy ${p.id} changed meanwhile; read it again and retry`);
    return p;
  }

  /** A change of the organization's own policy: the row, its version snapshot and the audit event, together. */
  private write(actor: Actor, orgId: string, type: PolicyChange, apply: (trx: Trx) => Promise<StaticPolicy>): Promise<void> {
    const details = (p: StaticPolicy) => ({ name: p.name, tier: p.tier, action: p.action, enabled: p.enabled, version: p.version });
    return commitPolicyChange(this.deps, actor, { orgId, target: 'static_policy', type, details }, apply);
  }

  /** Overrides change what a policy does here: they are versions too (system policies have no row to bump). */
  private overrideChange(actor: Actor, orgId: string, policy: StaticPolicy, change: PolicyChange, apply: (trx: Trx) => Promise<PolicyOverride>): Promise<void> {
    return inTransaction(this.deps.db, async (trx) => {
      await lockOrganization(trx, orgId);
      const o = await apply(trx);
      // The snapshot is of the row as locked, not as read before: a concurrent update is in it.
      let current = policy;
      let version: number;
      if (policy.tier === 'system') {
        version = (await latestPolicyVersion(trx, orgId, policy.id)) + 1;
      } else {
        const fresh = await findStaticPolicy(trx, orgId, policy.id);
        if (!fresh) throw this.missing(policy.id);
        version = fresh.version + 1;
        current = await this.save(trx, { ...fresh, version, updatedAt: this.now() }, fresh.version);
      }
      await recordVersion(trx, actor, { orgId, policyId: policy.id, version, changeType: change, snapshot: { ...snapshotOf(current), version, override: withoutOrg(o) }, at: this.now() });
      await this.deps.audit.append(trx, actor, {
        action: `static_policy.${change}`,
        orgId,
        targetType: 'static_policy',
        targetId: policy.id,
        details: { tier: policy.tier, override_action: o.action, override_enabled: o.enabled, reason: o.reason, expires_at: o.expiresAt },
      });
    });
  }

  private missing(id: string): NotFound {
    return new NotFound(`no static policy ${id} in this organization`);
  }
}

/** The text with every range replaced by one marker; overlapping ranges become one. */
function redact(text: string, ranges: [number, number][]): string {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  let out = '';
  let at = 0;
  for (const [start, end] of sorted) {
    if (start < at) {
      at = Math.max(at, end);
      continue;
    }
    out += `${text.slice(at, start)}[REDACTED]`;
    at = end;
  }
  return out + text.slice(at);
}

function snapshotOf(p: StaticPolicy): Record<string, unknown> {
  return withoutOrg(p);
}

function withoutOrg<T extends { orgId: unknown }>(v: T): Omit<T, 'orgId'> {
  const { orgId: _org, ...rest } = v;
  return rest;
}
