import type { DeployService } from '../domain/deployments.js';
import type { Release } from '../domain/releases.js';
import type { Executor } from './database.js';
import type { ReleasesTable } from './tables/deployments.js';

function toRelease(r: ReleasesTable): Release {
  return {
    service: r.service as DeployService,
    version: r.version,
    notes: r.notes,
    requiredStop: r.required_stop === 1,
    publishedAt: r.published_at,
    publishedBy: r.published_by,
  };
}

/** The catalogue is small (tens of versions per service): read whole, ordered by semantic version in code. */
export async function listReleases(db: Executor, service?: DeployService): Promise<Release[]> {
  let q = db.selectFrom('releases').selectAll();
  if (service) q = q.where('service', '=', service);
  return (await q.execute()).map(toRelease);
}

/** False when the service already has that version. */
export async function insertRelease(db: Executor, r: Release): Promise<boolean> {
  const result = await db
    .insertInto('releases')
    .values({
      service: r.service,
      version: r.version,
      notes: r.notes,
      required_stop: r.requiredStop ? 1 : 0,
      published_at: r.publishedAt,
      published_by: r.publishedBy,
    })
    .onConflict((oc) => oc.columns(['service', 'version']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
}
