/** Tables of this area; merged into Tables in ../tables.ts. */
export interface ApiKeysTable {
  id: string;
  org_id: string;
  name: string;
  /** What may be shown: "axon_" and the public id. */
  prefix: string;
  /** SHA-256 of the whole key, hex. The key itself is never stored. */
  digest: string;
  scopes: string;
  created_at: string;
  created_by: string | null;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
}

export interface ApiKeyTables {
  api_keys: ApiKeysTable;
}
