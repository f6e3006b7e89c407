import { sql } from 'kysely';
import type { Executor } from './database.js';
import { effectiveStatus } from './hitl.js';

/** What a dashboard counts: which table, which column says when, which column is the breakdown. */
export type DashboardSource =
  /** Exports of a framework, of the given export types only when `types` is set. */
  | { kind: 'exports'; framework: string; types?: readonly string[] }
  | { kind: 'assessments' }
  /** Oversight requests; a pending one past its expiry at `now` counts as expired, as every read shows it. */
  | { kind: 'hitl'; now: string }
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
  let filter = sql``;
  if (source.kind === 'exports') {
    filter = sql` and framework = ${source.framework}`;
    if (source.types) filter = sql`${filter} and export_type in (${sql.join(source.types)})`;
  }
  const key =
    source.kind === 'hitl'
      ? effectiveStatus(source.now)
      : sql.ref(s.key);
  const { rows } = await sql<{ bucket: string; grp: string; n: number | string }>`
    select substr(${time}, 1, ${sql.raw(String(prefixLength))}) as bucket, ${key} as grp, count(*) as n
    from ${sql.table(s.table)}
    where org_id = ${orgId} and ${time} >= ${window.from} and ${time} < ${window.to}${filter}
    group by 1, 2
    order by 1, 2`.execute(db);
  return rows.map((r) => ({ bucket: r.bucket, key: r.grp, count: Number(r.n) }));
}
