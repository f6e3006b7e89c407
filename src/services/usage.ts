import { inTransaction } from '../db/database.js';
import { addToDaily, addToHourly, insertNewEvents, type UsageEventRow } from '../db/usage.js';
import { type Actor, tenantOf } from './actor.js';
import type { ServiceDeps } from './deps.js';
import { InvalidInput, type ItemProblem } from '../domain/errors.js';
import { DAY_MS, rollupsOf, validateEvent } from './usage-events.js';
import { type UsageReport, type UsageReportArgs, buildReport } from './usage-report.js';

export { USAGE_EVENT_TYPES } from './usage-events.js';
export {
  MAX_GROUPS,
  USAGE_GRANULARITIES,
  USAGE_GROUP_BY,
  type UsageMetrics,
  type UsageReport,
  type UsageReportArgs,
} from './usage-report.js';

/** Events per ingest call on the API. */
export const MAX_BATCH_EVENTS = 1000;
/** Beyond this many problems a rejected batch reports only the first problem of each bad event. */
const MAX_DETAILS = 1000;

export interface IngestResult {
  accepted: number;
  duplicates: number;
}

export class UsageService {
  constructor(private readonly deps: ServiceDeps) {}

  /**
   * Stores a batch: all or nothing. Every problem of every event is reported at once; a valid batch is
   * written in one transaction with its rollups, counting each event id once per organization, ever.
   * No audit event: usage is telemetry, not a change anyone made to the organization.
   */
  async ingest(actor: Actor, events: unknown[], limits: { maxEvents: number } = { maxEvents: MAX_BATCH_EVENTS }): Promise<IngestResult> {
    const orgId = tenantOf(actor);
    if (!Array.isArray(events) || events.length === 0) throw new InvalidInput('must hold at least one event', 'events');
    if (events.length > limits.maxEvents) {
      throw new InvalidInput(`must hold at most ${limits.maxEvents} events; split the batch (${events.length} sent)`, 'events');
    }
    const nowMs = this.deps.clock.now().getTime();
    const receivedAt = new Date(nowMs).toISOString();
    const latest = nowMs + DAY_MS;
    const rows: UsageEventRow[] = [];
    const problems: ItemProblem[][] = [];
    for (let i = 0; i < events.length; i++) {
      const r = validateEvent(events[i], i, latest);
      if (r.problems.length > 0) problems.push(r.problems);
      else if (r.event && problems.length === 0) rows.push({ org_id: orgId, ...r.event, received_at: receivedAt });
    }
    if (problems.length > 0) {
      const all = problems.flat();
      const details = all.length <= MAX_DETAILS ? all : problems.map((p) => p[0]);
      throw new InvalidInput(`holds ${problems.length} invalid events of ${events.length}; nothing was stored (see details)`, 'events', details);
    }

    // First occurrence wins inside a batch; sorted ids give concurrent batches one lock order.
    const unique = new Map<string, UsageEventRow>();
    for (const row of rows) if (!unique.has(row.event_id)) unique.set(row.event_id, row);
    const sorted = [...unique.values()].sort((a, b) => (a.event_id < b.event_id ? -1 : a.event_id > b.event_id ? 1 : 0));

    const accepted = await inTransaction(this.deps.db, async (trx) => {
      const inserted = await insertNewEvents(trx, sorted);
      if (inserted.size === 0) return 0;
      const { hourly, daily } = rollupsOf(sorted.filter((r) => inserted.has(r.event_id)));
      await addToHourly(trx, hourly);
      await addToDaily(trx, daily);
      return inserted.size;
    });
    return { accepted, duplicates: events.length - accepted };
  }

  report(actor: Actor, args: UsageReportArgs): UsageReport {
    return buildReport(this.deps, tenantOf(actor), args);
  }
}
