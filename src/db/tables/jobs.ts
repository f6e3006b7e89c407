/** Tables of this area; merged into Tables in ../tables.ts. */

/** One background job (src/jobs/runner.ts). */
export interface JobsTable {
  /** job_... */
  id: string;
  kind: string;
  /** Unique within its kind: one job per (kind, key), re-enqueued rather than duplicated. */
  key: string;
  /** JSON. */
  payload: string;
  /** 'queued' | 'running' | 'done' | 'failed' */
  status: string;
  /** When a queued job is due. */
  run_at: string;
  /** Claims so far, a lapsed lease included; back to 0 when the job is rescheduled or replaced. */
  attempts: number;
  /** The runner holding the lease while running; null otherwise. */
  lease_owner: string | null;
  lease_expires_at: string | null;
  /** Why the last attempt failed (or why the job did). */
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

export interface JobTables {
  jobs: JobsTable;
}
