import { sql } from 'kysely';
import type { Executor } from './database.js';

/** What a dashboard counts: which table, which column says when, which column is the breakdown. */
export type DashboardSource =
  | { kind: 'exports'; framework: string }
  | { kind: 'assessments' }
  | { kind: 'hitl' }
  | { kind: 'violations' };

const SOURCES = {
  exports: { table: 'compliance_exports', time: 'created_at', key: 'status' },
  assessments: { table: 'conformity_assessments', time: 'created_at', key: 'status' },
  hitl: { table: 'hitl_requests', time: 'created_at', key: 'status' },
  violations: { table: 'policy_violations', time: 'occurred_at', key: 'severity' },
} as const;

/** One cell of a breakdown over time: a bucket key (a prefix of the ISO timestamp), a breakdown value, a count. */
export interface BucketCount {
  bucket: string;
  key: string;
  count: number;
}

/**
 * Counts rows of the organization in [from, to) grouped by bucket and breakdown value, in SQL. Timestamps are
 * ISO-8601 UTC text on both databases, so the bucket is a prefix of the text: 10 characters for a day, 7 for a
 * month. Every source table has an index starting with org_id.
 */
export async function countByBucket(
  db: Executor,
  orgId: string,
  source: DashboardSource,
  window: { from: string; to: string },
  prefixLength: 7 | 10,
): Promise<BucketCount[]> {
  const s = SOURCES[source.kind];
  const time = sql.ref(s.time);
  const framework = source.kind === 'exports' ? sql` and framework = ${source.framework}` : sql``;
  const { rows } = await sql<{ bucket: string; grp: string; n: number | string }>`
    select substr(${time}, 1, ${sql.raw(String(prefixLength))}) as bucket, ${sql.ref(s.key)} as grp, count(*) as n
    from ${sql.table(s.table)}
    where org_id = ${orgId} and ${time} >= ${window.from} and ${time} < ${window.to}${framework}
    group by 1, 2
    order by 1, 2`.execute(db);
  return rows.map((r) => ({ bucket: r.bucket, key: r.grp, count: Number(r.n) }));
}
