import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import { AuditService } from './audit.js';
import { OrganizationService } from './organizations.js';
import { RateLimiter } from './rate-limits.js';
import { SessionService } from './sessions.js';
import { UserService } from './users.js';

export interface Services {
  audit: AuditService;
  organizations: OrganizationService;
  users: UserService;
  sessions: SessionService;
  rateLimiter: RateLimiter;
}

export function createServices(database: Database, config: Config, clock: Clock): Services {
  const { db } = database;
  const audit = new AuditService(db, clock);
  const rateLimiter = new RateLimiter(db, clock);
  return {
    audit,
    rateLimiter,
    organizations: new OrganizationService(db, clock, audit),
    users: new UserService(db, clock, audit),
    sessions: new SessionService(db, config, clock, audit, rateLimiter),
  };
}
