/** Regulated-workflow vocabulary: the modules an organization can have, and the states their records move through. */

export const COMPLIANCE_MODULES = ['eu_ai_act', 'hitl', 'mas_feat', 'rbi', 'sebi'] as const;
export type ComplianceModule = (typeof COMPLIANCE_MODULES)[number];

export function isComplianceModule(value: string): value is ComplianceModule {
  return (COMPLIANCE_MODULES as readonly string[]).includes(value);
}

/** Where an enabled module comes from: the organization's license, or the operator's own list. */
export type ModuleSource = 'license' | 'operator';

export interface ModuleState {
  module: ComplianceModule;
  enabled: boolean;
  sources: ModuleSource[];
}

/** Export jobs: queued -> running -> completed | failed; a completed file past its retention is expired. */
export const EXPORT_STATUSES = ['queued', 'running', 'completed', 'failed', 'expired'] as const;
export type ExportStatus = (typeof EXPORT_STATUSES)[number];

export const EXPORT_FORMATS = ['json', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const EU_AI_ACT_EXPORT_TYPES = [
  'full_audit',
  'conformity_evidence',
  'hitl_summary',
  'decision_chain',
  'policy_violations',
  'accuracy_metrics',
] as const;
export type EuAiActExportType = (typeof EU_AI_ACT_EXPORT_TYPES)[number];

export const ASSESSMENT_TYPES = ['self_assessment', 'third_party', 'notified_body', 'market_surveillance'] as const;
export type AssessmentType = (typeof ASSESSMENT_TYPES)[number];
export const RISK_LEVELS = ['unacceptable', 'high', 'limited', 'minimal'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];
export const ASSESSMENT_STATUSES = ['draft', 'submitted', 'approved', 'rejected'] as const;
export type AssessmentStatus = (typeof ASSESSMENT_STATUSES)[number];

export const HITL_SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type HitlSeverity = (typeof HITL_SEVERITIES)[number];
export const HITL_STATUSES = ['pending', 'approved', 'rejected', 'expired', 'overridden'] as const;
export type HitlStatus = (typeof HITL_STATUSES)[number];

export const VIOLATION_SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type ViolationSeverity = (typeof VIOLATION_SEVERITIES)[number];
