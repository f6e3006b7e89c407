import { CompiledQuery, sql } from 'kysely';
import type { DB } from '../../src/db/database.js';
import type { AuditEventRow } from '../../src/db/tables.js';
import { canonicalJson, eventHash } from '../../src/services/audit.js';

const COLUMNS = ['id', 'chain', 'seq', 'org_id', 'action', 'actor_type', 'actor_id', 'target_type', 'target_id', 'outcome', 'ip', 'user_agent', 'details', 'created_at', 'prev_hash', 'hash'] as const;

/**
 * Appends n audit events to an organization's chain in batches, hashed and linked exactly as the audit service
 * does (so the chain still verifies): what a busy organization's log looks like, written in seconds.
 * details(i) gives each event's details. Nothing else may append to the chain meanwhile.
 *
 * A batch is one statement written here rather than through Kysely's builder (building a value node for each
 * of thousands of values a batch cost several times the hashing and the insert together); a full batch has
 * the same text every time, so SQLite keeps it prepared.
 * The tests and scripts/bench-exports.ts seed with it (a million rows for the benchmark).
 */
export async function seedAuditEvents(db: DB, orgId: string, n: number, details: (i: number) => Record<string, unknown> = (i) => ({ i })): Promise<void> {
  const head = await db.selectFrom('audit_heads').select(['seq', 'hash']).where('chain', '=', orgId).executeTakeFirst();
  let seq = Number(head?.seq ?? 0);
  let prev = head?.hash ?? '';
  const start = Date.parse('2026-01-01T00:00:00.000Z');
  // The dialect, from Kysely's own placeholder: ? on SQLite, $1.. on PostgreSQL.
  const postgres = db.selectFrom('audit_events').select('id').where('id', '=', '').compile().sql.includes('$1');
  const BATCH = postgres ? 10_000 : 2000;
  // SQLite: one multi-row VALUES statement a batch (2,000 rows of 16 parameters, within its bound of 32,766).
  // PostgreSQL: one column array a parameter, unnested, which it parses far faster than 64,000 parameters.
  const statements = new Map<number, string>();
  const sqliteInsert = (rows: number) => {
    let text = statements.get(rows);
    if (!text) {
      const tuple = `(${COLUMNS.map(() => '?').join(', ')})`;
      text = `insert into audit_events (${COLUMNS.join(', ')}) values ${Array.from({ length: rows }, () => tuple).join(', ')}`;
      statements.set(rows, text);
    }
    return text;
  };
  const pgInsert = `insert into audit_events (${COLUMNS.join(', ')}) select * from unnest(${COLUMNS.map((c, i) => `$${i + 1}::${c === 'seq' ? 'integer' : 'text'}[]`).join(', ')})`;
  for (let done = 0; done < n; done += BATCH) {
    const rows: AuditEventRow[] = [];
    for (let i = done; i < Math.min(n, done + BATCH); i++) {
      seq += 1;
      const row: Omit<AuditEventRow, 'hash'> = {
        id: `evt_seed_${orgId}_${seq}`,
        chain: orgId,
        seq,
        org_id: orgId,
        action: i % 3 === 0 ? 'api_key.created' : 'policy.updated',
        actor_type: 'user',
        actor_id: `usr_${i % 17}`,
        target_type: 'policy',
        target_id: `pol_${i % 101}`,
        outcome: 'success',
        ip: `10.0.${(i >> 8) & 255}.${i & 255}`,
        user_agent: 'seed/1.0',
        details: canonicalJson(details(i)),
        created_at: new Date(start + i * 1000).toISOString(),
        prev_hash: prev,
      };
      const hash = eventHash(row);
      rows.push({ ...row, hash });
      prev = hash;
    }
    const query = postgres
      ? CompiledQuery.raw(pgInsert, COLUMNS.map((c) => rows.map((r) => r[c])))
      : CompiledQuery.raw(sqliteInsert(rows.length), rows.flatMap((r) => COLUMNS.map((c) => r[c])));
    await db.executeQuery(query);
  }
  await db
    .insertInto('audit_heads')
    .values({ chain: orgId, seq, hash: prev })
    .onConflict((oc) => oc.column('chain').doUpdateSet({ seq: sql`excluded.seq`, hash: sql`excluded.hash` }))
    .execute();
}
