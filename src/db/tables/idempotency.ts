export interface IdempotencyKeysTable {
  /** Who sent it: keys are per caller, so two callers never see each other's answers. */
  scope: string;
  key: string;
  route: string;
  /** SHA-256 of method, path and body: the same key with another request is refused. */
  request_hash: string;
  state: string;
  status: number | null;
  /** The first answer with every secret removed; null while in flight. */
  body: string | null;
  /** JSON object of the answer's headers a replay repeats (Location); null when none. */
  headers: string | null;
  created_at: string;
  expires_at: string;
}

export interface IdempotencyTables {
  idempotency_keys: IdempotencyKeysTable;
}
