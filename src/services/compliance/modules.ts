import { type Executor } from '../../db/database.js';
import { operatorModules } from '../../db/modules.js';
import { COMPLIANCE_MODULES, type ComplianceModule, type ModuleSource, type ModuleState } from '../../domain/compliance.js';
import { ModuleNotEnabled } from '../../domain/errors.js';
import { type Actor, tenantOf } from '../actor.js';
import type { LicenseService } from '../licenses.js';

/**
 * Which compliance modules an organization has: those its license grants and those the operator enabled.
 * The module gate (a scope of the GraphQL schema) asks here, once per request.
 */
export class ModuleService {
  constructor(
    private readonly db: Executor,
    private readonly licenses: LicenseService,
  ) {}

  /** Every module with whether it is enabled and by what. orgId comes from a verified principal. */
  async statesOf(orgId: string): Promise<ModuleState[]> {
    const [licensed, operator] = await Promise.all([this.licenses.grantsOf(orgId), operatorModules(this.db, orgId)]);
    return COMPLIANCE_MODULES.map((module) => {
      const sources: ModuleSource[] = [];
      if (licensed.includes(module)) sources.push('license');
      if (operator.includes(module)) sources.push('operator');
      return { module, enabled: sources.length > 0, sources };
    });
  }

  forTenant(actor: Actor): Promise<ModuleState[]> {
    return this.statesOf(tenantOf(actor));
  }

  /** Throws ModuleNotEnabled unless the module is enabled for the organization. */
  static require(states: readonly ModuleState[], module: ComplianceModule, orgId: string): void {
    if (!states.some((s) => s.module === module && s.enabled)) throw new ModuleNotEnabled(module, orgId);
  }
}
