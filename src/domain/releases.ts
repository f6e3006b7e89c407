import semver from 'semver';
import type { DeployService } from './deployments.js';
import { InvalidInput } from './errors.js';

/** A published version of one service. A required stop is one every upgrade must land on before going past it. */
export interface Release {
  service: DeployService;
  version: string;
  notes: string | null;
  requiredStop: boolean;
  publishedAt: string;
  publishedBy: string | null;
}

/** A version as the catalogue keeps it: semantic, without a leading "v" or build metadata. */
export function isCleanVersion(v: string): boolean {
  return semver.valid(v) === v && !v.includes('+');
}

export function byVersion(a: { version: string }, b: { version: string }): number {
  return semver.compare(a.version, b.version);
}

/** Versions nodes report may be anything; only semantic ones take part in comparisons. */
export function semanticOnly(versions: Iterable<string>): string[] {
  return [...versions].filter((v) => semver.valid(v) !== null).sort(semver.compare);
}

/**
 * Where a service can go from the lowest version its nodes run: the newer releases up to and including the
 * first required stop past it. With no comparable version reported, every release is listed.
 */
export function availableFrom(releases: Release[], from: string | null): Release[] {
  const newer = releases.filter((r) => from === null || semver.gt(r.version, from)).sort(byVersion);
  // Nothing to measure a stop against (planTarget applies none either).
  if (from === null) return newer;
  const stop = newer.findIndex((r) => r.requiredStop);
  return stop < 0 ? newer : newer.slice(0, stop + 1);
}

export interface PlanInput {
  service: DeployService;
  /** The service's releases, any order. */
  releases: Release[];
  /** Versions the targeted nodes report now. */
  reported: string[];
  requested: string;
  force: boolean;
}

/** "latest" or an exact published version of the service, as a version; refused with the recent ones listed. */
export function resolveTarget(service: DeployService, releases: Release[], requested: string): string {
  const sorted = [...releases].sort(byVersion);
  if (sorted.length === 0) throw new InvalidInput(`has no published ${service} release to upgrade to`, 'version');
  if (requested === 'latest') return sorted[sorted.length - 1].version;
  if (!sorted.some((r) => r.version === requested)) {
    const recent = sorted.slice(-5).map((r) => r.version).join(', ');
    throw new InvalidInput(`${requested} is not a published ${service} release (latest: ${recent})`, 'version');
  }
  return requested;
}

/** Every node of the service already runs the target: nothing to do unless a redeploy is forced. */
export function isCurrent(reported: string[], target: string): boolean {
  return reported.length > 0 && reported.every((v) => v === target);
}

/**
 * The version a service's nodes are asked to move to, or the reason they cannot be: an unpublished version,
 * a downgrade or a redeploy without force, or a jump past a required stop (never waived: a stop is where data
 * migrations run).
 */
export function planTarget(input: PlanInput): string {
  const { service, releases, force } = input;
  const sorted = [...releases].sort(byVersion);
  const target = resolveTarget(service, releases, input.requested);
  const reported = semanticOnly(input.reported);
  const lowest = reported[0] ?? null;
  const highest = reported.at(-1) ?? null;
  if (highest !== null && semver.lt(target, highest) && !force) {
    throw new InvalidInput(
      `${target} is a downgrade: ${service} nodes run ${highest}; force a new deployment to roll back`,
      'version',
    );
  }
  if (!force && isCurrent(input.reported, target)) {
    throw new InvalidInput(`${target} already runs on every ${service} node; force a new deployment to redeploy it`, 'version');
  }
  if (lowest !== null && semver.gt(target, lowest)) {
    const stop = sorted.find((r) => r.requiredStop && semver.gt(r.version, lowest) && semver.lt(r.version, target));
    if (stop) {
      throw new InvalidInput(
        `${target} is past the required stop ${stop.version} for ${service} nodes on ${lowest}: upgrade to ${stop.version} first`,
        'version',
      );
    }
  }
  return target;
}
