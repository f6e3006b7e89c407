import { sql } from 'kysely';
import type { Condition, DynamicPolicy, DynamicType, PolicyAction, SortField } from '../domain/dynamic-policies.js';
import type { Executor } from './database.js';
import type { DynamicPoliciesTable } from './tables/runtime.js';

function toPolicy(r: DynamicPoliciesTable): DynamicPolicy {
  return {
    id: r.id,
    orgId: r.org_id,
    name: r.name,
    type: r.type as DynamicType,
    category: r.category,
    description: r.description,
    conditions: JSON.parse(r.conditions) as Condition[],
    actions: JSON.parse(r.actions) as PolicyAction[],
    priority: r.priority,
    enabled: r.enabled === 1,
    tags: JSON.parse(r.tags) as string[],
    version: r.version,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    deletedAt: r.deleted_at,
  };
}

function toRow(p: DynamicPolicy): DynamicPoliciesTable {
  return {
    id: p.id,
    org_id: p.orgId,
    name: p.name,
    name_lower: p.name.toLowerCase(),
    type: p.type,
    category: p.category,
    description: p.description,
    conditions: JSON.stringify(p.conditions),
    actions: JSON.stringify(p.actions),
    priority: p.priority,
    enabled: p.enabled ? 1 : 0,
    tags: JSON.stringify(p.tags),
    version: p.version,
    created_at: p.createdAt,
    updated_at: p.updatedAt,
    deleted_at: p.deletedAt,
  };
}

export interface DynamicPolicyQuery {
  search?: string;
  includeDeleted: boolean;
  type?: DynamicType;
  enabled?: boolean;
  sortBy: SortField;
  sortDir: 'asc' | 'desc';
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function filtered(db: Executor, orgId: string, q: DynamicPolicyQuery) {
  let s = db.selectFrom('dynamic_policies').where('org_id', '=', orgId);
  if (!q.includeDeleted) s = s.where('deleted_at', 'is', null);
  if (q.type) s = s.where('type', '=', q.type);
  if (q.enabled !== undefined) s = s.where('enabled', '=', q.enabled ? 1 : 0);
  if (q.search) {
    // lower() on both sides and an explicit escape: the same matching on SQLite and PostgreSQL.
    const like = `%${escapeLike(q.search.toLowerCase())}%`;
    s = s.where((eb) =>
      eb.or([
        sql<boolean>`name_lower like ${like} escape '\\'`,
        sql<boolean>`lower(category) like ${like} escape '\\'`,
        sql<boolean>`lower(coalesce(description, '')) like ${like} escape '\\'`,
      ]),
    );
  }
  return s;
}

const SORT_COLUMNS = { name: 'name_lower', priority: 'priority', created_at: 'created_at', updated_at: 'updated_at' } as const;

export async function listDynamicPolicies(db: Executor, orgId: string, q: DynamicPolicyQuery, page: { offset: number; limit: number }): Promise<DynamicPolicy[]> {
  const rows = await filtered(db, orgId, q).selectAll().orderBy(SORT_COLUMNS[q.sortBy], q.sortDir).orderBy('id', q.sortDir).offset(page.offset).limit(page.limit).execute();
  return rows.map(toPolicy);
}

export async function countDynamicPolicies(db: Executor, orgId: string, q: DynamicPolicyQuery): Promise<number> {
  const r = await filtered(db, orgId, q).select((eb) => eb.fn.countAll().as('n')).executeTakeFirst();
  return Number(r?.n ?? 0);
}

export async function effectiveDynamicPolicies(db: Executor, orgId: string, type: DynamicType | undefined): Promise<DynamicPolicy[]> {
  let q = db.selectFrom('dynamic_policies').selectAll().where('org_id', '=', orgId).where('deleted_at', 'is', null).where('enabled', '=', 1);
  if (type) q = q.where('type', '=', type);
  return (await q.orderBy('priority', 'desc').orderBy('id').execute()).map(toPolicy);
}

export async function findDynamicPolicy(db: Executor, orgId: string, id: string, withDeleted = false): Promise<DynamicPolicy | null> {
  let q = db.selectFrom('dynamic_policies').selectAll().where('org_id', '=', orgId).where('id', '=', id);
  if (!withDeleted) q = q.where('deleted_at', 'is', null);
  const r = await q.executeTakeFirst();
  return r ? toPolicy(r) : null;
}

export async function dynamicNameTaken(db: Executor, orgId: string, name: string, exceptId: string | null): Promise<boolean> {
  let q = db.selectFrom('dynamic_policies').select('id').where('org_id', '=', orgId).where('name_lower', '=', name.toLowerCase()).where('deleted_at', 'is', null);
  if (exceptId) q = q.where('id', '!=', exceptId);
  return (await q.executeTakeFirst()) !== undefined;
}

export async function insertDynamicPolicy(db: Executor, p: DynamicPolicy): Promise<void> {
  await db.insertInto('dynamic_policies').values(toRow(p)).execute();
}

/** Writes the whole policy if it is still at version `from` and not deleted. */
export async function saveDynamicPolicy(db: Executor, p: DynamicPolicy, from: number): Promise<boolean> {
  const { id, org_id, created_at: _c, ...rest } = toRow(p);
  const r = await db.updateTable('dynamic_policies').set(rest).where('org_id', '=', org_id).where('id', '=', id).where('version', '=', from).where('deleted_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}
