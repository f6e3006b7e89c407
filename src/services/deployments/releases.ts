import { inTransaction } from '../../db/database.js';
import { insertRelease, listReleases } from '../../db/releases.js';
import { DEPLOY_SERVICES, type DeployService } from '../../domain/deployments.js';
import { Conflict, InvalidInput } from '../../domain/errors.js';
import { type Release, byVersion, isCleanVersion } from '../../domain/releases.js';
import type { OperatorActor } from '../actor.js';
import type { ServiceDeps } from '../deps.js';
import * as v from '../validate.js';

export interface PublishReleaseInput {
  service: string;
  version: string;
  notes?: string | null;
  requiredStop?: boolean | null;
}

/** `alsoAccepted` names what the caller takes besides a service (an upgrade takes "all"), for the message. */
export function deployService(field: string, value: string, alsoAccepted?: string): DeployService {
  if (!(DEPLOY_SERVICES as readonly string[]).includes(value)) {
    throw new InvalidInput(`must be one of ${DEPLOY_SERVICES.join(', ')}${alsoAccepted ? ` or ${alsoAccepted}` : ''}`, field);
  }
  return value as DeployService;
}

/** The operator's catalogue of published versions, shared by every organization. */
export class ReleaseService {
  constructor(private readonly deps: ServiceDeps) {}

  async list(service?: string | null): Promise<Release[]> {
    const releases = await listReleases(this.deps.db, service ? deployService('service', service) : undefined);
    return releases.sort((a, b) => a.service.localeCompare(b.service) || byVersion(a, b));
  }

  async publish(operator: OperatorActor, input: PublishReleaseInput): Promise<Release> {
    const service = deployService('service', input.service);
    const version = v.text('version', input.version, { max: 64 });
    if (!isCleanVersion(version)) {
      throw new InvalidInput('must be a semantic version such as 2.1.0 or 2.2.0-rc.1 (no leading "v", no build metadata)', 'version');
    }
    const release: Release = {
      service,
      version,
      notes: v.optionalText('notes', input.notes, 10_000),
      requiredStop: input.requiredStop ?? false,
      publishedAt: this.deps.clock.now().toISOString(),
      publishedBy: operator.id,
    };
    return inTransaction(this.deps.db, async (trx) => {
      if (!(await insertRelease(trx, release))) throw new Conflict(`${service} ${version} is already published; a published version never changes`);
      await this.deps.audit.append(trx, operator, {
        action: 'releases.published',
        orgId: null,
        targetType: 'release',
        targetId: `${service}@${version}`,
        details: { service, version, required_stop: release.requiredStop },
      });
      return release;
    });
  }
}
