import { type Kysely, PostgresAdapter, sql } from 'kysely';

/**
 * Org ids become unique whatever their case. Rows that already differ only in case are never merged: they
 * stay two tenants, are left out of the index (so nothing else may join them) and are reported at every
 * start until an operator resolves them. On PostgreSQL the sort keys of lists get the "C" collation, so
 * lists come back in the same (bytewise) order as on SQLite, whatever the database's locale.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const { rows } = await sql<{ k: string }>`select lower(org_id) as k from organizations group by lower(org_id) having count(*) > 1`.execute(db);
  const except = rows.length ? sql` where lower(org_id) not in (${sql.join(rows.map((r) => sql.lit(r.k)))})` : sql``;
  await sql`create unique index organizations_org_id_ci on organizations (lower(org_id))${except}`.execute(db);

  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  for (const [table, column] of [
    ['organizations', 'org_id'],
    ['users', 'id'],
    ['api_keys', 'id'],
    ['nodes', 'node_id'],
    ['audit_heads', 'chain'],
  ] as const) {
    await sql`alter table ${sql.table(table)} alter column ${sql.ref(column)} type text collate "C"`.execute(db);
  }
}
