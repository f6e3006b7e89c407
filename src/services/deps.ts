import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { DB } from '../db/database.js';
import type { AuditService } from './audit.js';
import type { OrganizationService } from './organizations.js';

/** What every area's service may be built from. */
export interface ServiceDeps {
  db: DB;
  config: Config;
  clock: Clock;
  audit: AuditService;
  organizations: OrganizationService;
}
