import {
  accuracySource,
  assessmentSource,
  auditSource,
  decisionSource,
  decisionSummarySource,
  violationSource,
} from '../../db/export-sources.js';
import type { EuAiActExportType } from '../../domain/compliance.js';
import type { ExportSource } from '../../db/export-sources.js';

/** The EU AI Act's export types, each the record it is drawn from. */
export const EU_AI_ACT_EXPORTS: Record<EuAiActExportType, ExportSource> = {
  // Article 12 record-keeping: the organization's whole audit chain, with its hashes.
  full_audit: auditSource,
  // Article 43: the conformity assessments with their history and the exports attached as evidence.
  conformity_evidence: assessmentSource,
  // Article 14 human oversight: decisions per day, severity and outcome.
  hitl_summary: decisionSummarySource,
  // Every oversight request with who asked, who decided, when and why.
  decision_chain: decisionSource,
  policy_violations: violationSource,
  // Article 15 accuracy: success rates and latency per day, provider and model.
  accuracy_metrics: accuracySource,
};
