/** Tables of this area; merged into Tables in ../tables.ts. */
export interface NodesTable {
  org_id: string;
  /** Chosen by the runtime node, unique within its organization only. */
  node_id: string;
  hostname: string;
  role: string;
  version: string;
  os: string | null;
  cpu_cores: number | null;
  memory_mb: number | null;
  region: string | null;
  first_seen_at: string;
  last_heartbeat_at: string;
}

/** The last band the service saw per organization: a change against it is what gets audited. */
export interface NodeBandsTable {
  org_id: string;
  band: string;
  changed_at: string;
}

export interface NodeTables {
  nodes: NodesTable;
  node_bands: NodeBandsTable;
}
