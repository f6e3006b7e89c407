import { sql } from 'kysely';
import type { DB } from '../../src/db/database.js';
import type { AuditEventRow } from '../../src/db/tables.js';
import { canonicalJson, eventHash } from '../../src/services/audit.js';

/**
 * Appends n audit events to an organization's chain in batches, hashed and linked exactly as the audit service
 * does (so the chain still verifies): what a busy organization's log looks like, written in seconds.
 * details(i) gives each event's details.
 */
export async function seedAuditEvents(db: DB, orgId: string, n: number, details: (i: number) => Record<string, unknown> = (i) => ({ i })): Promise<void> {
  const head = await db.selectFrom('audit_heads').select(['seq', 'hash']).where('chain', '=', orgId).executeTakeFirst();
  let seq = Number(head?.seq ?? 0);
  let prev = head?.hash ?? '';
  const start = Date.parse('2026-01-01T00:00:00.000Z');
  const BATCH = 500;
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
    await db.insertInto('audit_events').values(rows).execute();
  }
  await db
    .insertInto('audit_heads')
    .values({ chain: orgId, seq, hash: prev })
    .onConflict((oc) => oc.column('chain').doUpdateSet({ seq: sql`excluded.seq`, hash: sql`excluded.hash` }))
    .execute();
}
