import type { Executor } from './database.js';

/** The modules the operator enabled for an organization, in name order. */
export async function operatorModules(db: Executor, orgId: string): Promise<string[]> {
  const rows = await db.selectFrom('org_modules').select('module').where('org_id', '=', orgId).orderBy('module').execute();
  return rows.map((r) => r.module);
}

/** Replaces the operator's list: modules no longer listed go, new ones come with who and when; kept ones keep theirs. */
export async function setOperatorModules(db: Executor, orgId: string, modules: readonly string[], by: string, now: string): Promise<void> {
  let removal = db.deleteFrom('org_modules').where('org_id', '=', orgId);
  if (modules.length > 0) removal = removal.where('module', 'not in', modules);
  await removal.execute();
  if (modules.length === 0) return;
  await db
    .insertInto('org_modules')
    .values(modules.map((module) => ({ org_id: orgId, module, enabled_at: now, enabled_by: by })))
    .onConflict((oc) => oc.columns(['org_id', 'module']).doNothing())
    .execute();
}
