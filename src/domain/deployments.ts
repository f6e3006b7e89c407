/** What an upgrade is made of, and the only moves its status may make. Pure: no clock, no storage. */

export const DEPLOY_SERVICES = ['agent', 'orchestrator', 'customer-portal'] as const;
export type DeployService = (typeof DEPLOY_SERVICES)[number];

export const UPGRADE_STATUSES = ['PENDING', 'IN_PROGRESS', 'SUCCESS', 'FAILED', 'PARTIAL', 'CANCELLED'] as const;
export type UpgradeStatus = (typeof UPGRADE_STATUSES)[number];
export const ACTIVE_STATUSES: readonly UpgradeStatus[] = ['PENDING', 'IN_PROGRESS'];

// PENDING: accepted, no node told yet. IN_PROGRESS: the target version reached a node in a heartbeat answer.
// PENDING may still fail at its deadline (no targeted node came back) or be cancelled (nothing was sent).
const MOVES: Record<UpgradeStatus, readonly UpgradeStatus[]> = {
  PENDING: ['IN_PROGRESS', 'FAILED', 'CANCELLED'],
  IN_PROGRESS: ['SUCCESS', 'FAILED', 'PARTIAL'],
  SUCCESS: [],
  FAILED: [],
  PARTIAL: [],
  CANCELLED: [],
};

export function isFinal(status: UpgradeStatus): boolean {
  return MOVES[status].length === 0;
}

export function canMove(from: UpgradeStatus, to: UpgradeStatus): boolean {
  return MOVES[from].includes(to);
}

/** One service of an upgrade: the version its targeted nodes were asked to run, and what was observed of them. */
export interface ServiceProgress {
  service: DeployService;
  targetVersion: string;
  /** Nodes targeted: the service's active nodes when the upgrade was accepted. */
  desired: number;
  /** Targeted nodes whose heartbeat answer carried the target version. */
  delivered: number;
  /** Targeted nodes that have since reported the target version. */
  updated: number;
  /** Active nodes of the service now, targeted or not. */
  total: number;
}

export interface Transition {
  to: UpgradeStatus;
  reason: string;
}

/** "1 node", "3 nodes": the unit every reason counts in. */
export function countOfNodes(n: number): string {
  return `${n} node${n === 1 ? '' : 's'}`;
}

function shortfall(progress: ServiceProgress[]): string {
  return progress
    .filter((p) => p.updated < p.desired)
    .map((p) => `${p.service} ${p.updated} of ${p.desired} on ${p.targetVersion}`)
    .join(', ');
}

/**
 * The moves an observation calls for, in order (a heartbeat can both start and finish an upgrade: two moves,
 * none skipped). An observed completion wins over a deadline that passed in the same instant.
 */
export function transitionsFor(status: UpgradeStatus, progress: ServiceProgress[], deadlinePassed: boolean): Transition[] {
  const out: Transition[] = [];
  let at = status;
  const move = (to: UpgradeStatus, reason: string) => {
    if (!canMove(at, to)) return;
    out.push({ to, reason });
    at = to;
  };
  const delivered = progress.reduce((n, p) => n + p.delivered, 0);
  const desired = progress.reduce((n, p) => n + p.desired, 0);
  const updated = progress.reduce((n, p) => n + p.updated, 0);
  if (delivered > 0) move('IN_PROGRESS', `the target version reached ${countOfNodes(delivered)} in heartbeat answers`);
  if (at === 'IN_PROGRESS' && desired > 0 && updated === desired) {
    move('SUCCESS', `every targeted node (${desired}) reported its target version`);
  }
  if (deadlinePassed) {
    if (at === 'PENDING') move('FAILED', `no targeted node sent a heartbeat before the deadline (${countOfNodes(desired)} targeted)`);
    else if (updated === 0) move('FAILED', `no targeted node reported its target version before the deadline (${shortfall(progress)})`);
    else move('PARTIAL', `${updated} of ${countOfNodes(desired)} reported their target version before the deadline; not upgraded: ${shortfall(progress)}`);
  }
  return out;
}
