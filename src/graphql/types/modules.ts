import { COMPLIANCE_MODULES, type ModuleState } from '../../domain/compliance.js';
import { builder } from '../builder.js';
import { OrganizationRef } from './organization.js';

export const ComplianceModuleEnum = builder.enumType('ComplianceModule', { values: COMPLIANCE_MODULES });
const ModuleSourceEnum = builder.enumType('ModuleSource', {
  values: {
    license: { description: "The organization's current license includes it." },
    operator: { description: 'The operator enabled it (PATCH /api/v1/admin/organizations/{org_id} with modules).' },
  },
});

const ModuleStateRef = builder.objectRef<ModuleState>('ModuleState').implement({
  description: 'A compliance module of the organization: enabled when its license or the operator enables it.',
  fields: (t) => ({
    module: t.field({ type: ComplianceModuleEnum, resolve: (m) => m.module }),
    enabled: t.exposeBoolean('enabled'),
    sources: t.field({ type: [ModuleSourceEnum], resolve: (m) => m.sources }),
  }),
});

builder.objectField(OrganizationRef, 'modules', (t) =>
  t.field({
    type: [ModuleStateRef],
    description: 'Every compliance module, with whether it is enabled and where that comes from.',
    resolve: (o, _args, ctx) => (ctx.actor.orgId === o.orgId ? ctx.loaders.modules() : ctx.services.modules.statesOf(o.orgId)),
  }),
);
