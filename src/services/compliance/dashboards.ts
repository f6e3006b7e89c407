import { type BucketCount, type DashboardSource, countByBucket } from '../../db/dashboards.js';
import { ASSESSMENT_STATUSES, type ComplianceModule, EXPORT_STATUSES, HITL_STATUSES, VIOLATION_SEVERITIES } from '../../domain/compliance.js';
import { InvalidInput } from '../../domain/errors.js';
import { type Actor, tenantOf } from '../actor.js';
import type { ServiceDeps } from '../deps.js';
import * as v from '../validate.js';

export const DASHBOARD_GRANULARITIES = ['day', 'week', 'month'] as const;
export type DashboardGranularity = (typeof DASHBOARD_GRANULARITIES)[number];

const DAY_MS = 86_400_000;
const DEFAULT_WINDOW_DAYS = 30;
/** Buckets one series may hold: a window of years by day is a report, not a dashboard. */
export const MAX_BUCKETS = 400;

export interface DashboardArgs {
  module: ComplianceModule;
  from?: string | null;
  to?: string | null;
  granularity?: DashboardGranularity | null;
}

export interface BucketPoint {
  /** Start of the bucket, ISO-8601 UTC. */
  bucket: string;
  count: number;
}

/** Counts of one breakdown value (a status, a severity) in the window, and per bucket. */
export interface BreakdownSeries {
  key: string;
  count: number;
  points: BucketPoint[];
}

export interface Breakdown {
  total: number;
  /** Every known value first (zeros included), then any other value found, by name. */
  byKey: BreakdownSeries[];
}

export interface ComplianceDashboard {
  module: ComplianceModule;
  from: string;
  to: string;
  granularity: DashboardGranularity;
  /** Bucket starts of the window, oldest first: the points of every series. */
  buckets: string[];
  exports: Breakdown;
  /** Conformity assessments by state: eu_ai_act only. */
  assessments: Breakdown | null;
  /** Human-oversight requests by status: hitl and eu_ai_act. */
  hitlDecisions: Breakdown | null;
  policyViolations: Breakdown;
}

function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The bucket a day (YYYY-MM-DD) falls in, as the bucket's first day. Weeks start on Monday (ISO 8601). */
function bucketOfDay(day: string, granularity: DashboardGranularity): string {
  if (granularity === 'day') return day;
  if (granularity === 'month') return `${day.slice(0, 7)}-01`;
  const ms = Date.parse(`${day}T00:00:00Z`);
  const weekday = (new Date(ms).getUTCDay() + 6) % 7; // Monday 0
  return dayOf(ms - weekday * DAY_MS);
}

function nextBucket(start: string, granularity: DashboardGranularity): string {
  const ms = Date.parse(`${start}T00:00:00Z`);
  if (granularity === 'day') return dayOf(ms + DAY_MS);
  if (granularity === 'week') return dayOf(ms + 7 * DAY_MS);
  const d = new Date(ms);
  return dayOf(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1));
}

/**
 * Compliance dashboards: what happened in a module over a window, counted in SQL per day or month (weeks are
 * folded from days) and broken down by status or severity. Each series covers every bucket touching the
 * window, zeros included; counts are exactly the rows whose time falls in [from, to).
 */
const HITL_EXPORT_TYPES = ['hitl_summary', 'decision_chain'];

export class DashboardService {
  constructor(private readonly deps: ServiceDeps) {}

  async dashboard(actor: Actor, args: DashboardArgs): Promise<ComplianceDashboard> {
    const orgId = tenantOf(actor);
    const granularity = args.granularity ?? 'day';
    if (!(DASHBOARD_GRANULARITIES as readonly string[]).includes(granularity)) {
      throw new InvalidInput(`must be one of ${DASHBOARD_GRANULARITIES.join(', ')}`, 'granularity');
    }
    const now = this.deps.clock.now().getTime();
    const given = v.period(args.from, args.to);
    const to = given.to ?? new Date(now).toISOString();
    const from = given.from ?? new Date(Date.parse(to) - DEFAULT_WINDOW_DAYS * DAY_MS).toISOString();
    if (from >= to) throw new InvalidInput('must be after from', 'to');

    // The buckets touching [from, to): the last is the one holding the instant just before `to`.
    const last = bucketOfDay(dayOf(Date.parse(to) - 1), granularity);
    const buckets: string[] = [];
    for (let b = bucketOfDay(from.slice(0, 10), granularity); b <= last; b = nextBucket(b, granularity)) {
      if (buckets.length === MAX_BUCKETS) {
        throw new InvalidInput(`gives more than ${MAX_BUCKETS} ${granularity} buckets up to ${to}: move it later or choose a coarser granularity`, 'from');
      }
      buckets.push(b);
    }

    const window = { from, to };
    const prefix = granularity === 'month' ? 7 : 10;
    const count = (source: DashboardSource) => countByBucket(this.deps.db, orgId, source, window, prefix);
    const module = args.module;
    const [exports, assessments, hitl, violations] = await Promise.all([
      // Oversight exports are EU AI Act exports (hitl_summary, decision_chain): the hitl dashboard counts those.
      count(module === 'hitl' ? { kind: 'exports', framework: 'eu_ai_act', types: HITL_EXPORT_TYPES } : { kind: 'exports', framework: module }),
      module === 'eu_ai_act' ? count({ kind: 'assessments' }) : null,
      module === 'eu_ai_act' || module === 'hitl' ? count({ kind: 'hitl', now: new Date(now).toISOString() }) : null,
      count({ kind: 'violations' }),
    ]);
    const breakdown = (cells: BucketCount[], known: readonly string[]) => breakdownOf(cells, known, buckets, granularity);
    return {
      module,
      from,
      to,
      granularity,
      buckets: buckets.map(iso),
      exports: breakdown(exports, EXPORT_STATUSES),
      assessments: assessments && breakdown(assessments, ASSESSMENT_STATUSES),
      hitlDecisions: hitl && breakdown(hitl, HITL_STATUSES),
      policyViolations: breakdown(violations, VIOLATION_SEVERITIES),
    };
  }
}

function iso(day: string): string {
  return `${day}T00:00:00.000Z`;
}

function breakdownOf(cells: BucketCount[], known: readonly string[], buckets: string[], granularity: DashboardGranularity): Breakdown {
  const index = new Map(buckets.map((b, i) => [b, i]));
  const keys = [...known, ...[...new Set(cells.map((c) => c.key))].filter((k) => !known.includes(k)).sort()];
  const series = new Map(keys.map((key) => [key, { key, count: 0, points: buckets.map((b) => ({ bucket: iso(b), count: 0 })) }]));
  let total = 0;
  for (const c of cells) {
    // A month's cell is YYYY-MM; a day's YYYY-MM-DD, folded into its week when weeks are asked for.
    const bucket = c.bucket.length === 7 ? `${c.bucket}-01` : bucketOfDay(c.bucket, granularity);
    const s = series.get(c.key)!;
    const i = index.get(bucket);
    if (i !== undefined) s.points[i].count += c.count;
    s.count += c.count;
    total += c.count;
  }
  return { total, byKey: [...series.values()] };
}
