/** Tables of this area; merged into Tables in ../tables.ts. */
export interface LicensesTable {
  id: string;
  org_id: string;
  /** 1, 2, 3... per organization: orders licenses issued within the same millisecond. */
  seq: number;
  /** The whole signed key. Signed data, not a credential: its columns below are copies for queries only. */
  license_key: string;
  tier: string;
  max_nodes: number;
  /** JSON array of permission names. */
  permissions: string;
  issued_at: string;
  expires_at: string;
  created_at: string;
  /** Actor type and id, e.g. "operator:adm_1234". */
  issued_by: string;
}

export interface LicenseTables {
  licenses: LicensesTable;
}
