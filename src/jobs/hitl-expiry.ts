import type { JobRunner } from './runner.js';

/** How often pending human-oversight requests past their expiry are written as expired. */
export const HITL_EXPIRY_EVERY_MS = 60_000;

/**
 * The periodic 'hitl.expiry' job: one run a minute across all instances. The work is the HITL service's (each
 * expiry is audited), handed in by server.ts: jobs/ knows no services. Readers already treat a pending request
 * past its expiry as expired; this writes it down and records the event.
 */
export function registerHitlExpiry(jobs: JobRunner, expireDue: () => Promise<unknown>): void {
  jobs.every('hitl.expiry', HITL_EXPIRY_EVERY_MS, async () => {
    await expireDue();
  });
}
