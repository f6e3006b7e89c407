/** Tables of deployments; merged into Tables in ../tables.ts. */
export interface ReleasesTable {
  service: string;
  version: string;
  notes: string | null;
  required_stop: number;
  published_at: string;
  published_by: string | null;
}

export interface UpgradesTable {
  upgrade_id: string;
  org_id: string;
  status: string;
  /** "latest" or the exact version asked for. */
  requested_version: string;
  force: number;
  /** JSON: [{ service, targetVersion }]. */
  plan: string;
  /** JSON: ServiceProgress[] as last observed. */
  progress: string;
  message: string;
  /** Why the last status change happened (the error message of a FAILED or PARTIAL one). */
  reason: string | null;
  initiated_by: string | null;
  /** The sequence number of the last event: one per status change. */
  sequence: number;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  deadline_at: string;
}

export interface UpgradeTargetsTable {
  upgrade_id: string;
  org_id: string;
  node_id: string;
  service: string;
  from_version: string;
  target_version: string;
  delivered_at: string | null;
  updated_at: string | null;
}

export interface UpgradeEventsTable {
  upgrade_id: string;
  sequence: number;
  org_id: string;
  from_status: string | null;
  to_status: string;
  reason: string;
  /** JSON: ServiceProgress[] at the change. */
  progress: string;
  at: string;
}

export interface DeploymentTables {
  releases: ReleasesTable;
  upgrades: UpgradesTable;
  upgrade_targets: UpgradeTargetsTable;
  upgrade_events: UpgradeEventsTable;
}
