/** Shared by the probes and the shutdown path: readiness turns 503 the moment draining starts. */
export interface Lifecycle {
  migrated: boolean;
  draining: boolean;
}
