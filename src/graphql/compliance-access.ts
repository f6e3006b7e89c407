import type { ComplianceModule } from '../domain/compliance.js';
import type { ModuleGrant } from './builder.js';

/**
 * Who may call a compliance module's fields, and the module they belong to: the module gate (builder.ts) judges
 * the credential's kind, then whether the organization has the module, then the grant. Every compliance field
 * takes its scopes from here.
 */
function gate(module: ComplianceModule, permission: ModuleGrant['permission'], scope: ModuleGrant['scope']) {
  return { module: { module, permission, scope } };
}

function moduleAccess(module: ComplianceModule) {
  return {
    /** Reads: a session with compliance:read, or a runtime key with that scope. */
    read: gate(module, 'compliance:read', 'compliance:read'),
    /** Exports and assessments: a session with compliance:export, or a runtime key with that scope. */
    export: gate(module, 'compliance:export', 'compliance:export'),
  };
}

export const COMPLIANCE_ACCESS = {
  euAiAct: {
    ...moduleAccess('eu_ai_act'),
    /** A person approving or rejecting a conformity assessment: portal sessions only, never a key. */
    decide: gate('eu_ai_act', 'compliance:export', null),
  },
  hitl: {
    ...moduleAccess('hitl'),
    /** The governed runtime asking for a decision: runtime keys only. */
    request: gate('hitl', null, 'hitl:request'),
    /** A person deciding: portal sessions only, never a key. */
    review: gate('hitl', 'hitl:review', null),
  },
  sebi: moduleAccess('sebi'),
  rbi: moduleAccess('rbi'),
  masFeat: moduleAccess('mas_feat'),
} as const;
