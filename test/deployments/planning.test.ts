import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  type ServiceProgress,
  type UpgradeStatus,
  UPGRADE_STATUSES,
  canMove,
  isFinal,
  transitionsFor,
} from '../../src/domain/deployments.js';
import { InvalidInput } from '../../src/domain/errors.js';
import { ALLOWED } from './expected.js';
import { type Release, availableFrom, isCurrent, planTarget, resolveTarget } from '../../src/domain/releases.js';

const FINAL: UpgradeStatus[] = ['SUCCESS', 'FAILED', 'PARTIAL', 'CANCELLED'];

function progress(desired: number, delivered: number, updated: number, extra: Partial<ServiceProgress> = {}): ServiceProgress {
  return { service: 'agent', targetVersion: '2.0.0', desired, delivered, updated, total: desired, ...extra };
}

function to(moves: { to: UpgradeStatus }[]): UpgradeStatus[] {
  return moves.map((m) => m.to);
}

function release(version: string, requiredStop = false): Release {
  return { service: 'agent', version, notes: null, requiredStop, publishedAt: '2026-01-01T00:00:00.000Z', publishedBy: null };
}

/** The seeded agent catalogue (migration 014): 2.0.0 is a required stop. Deliberately not in version order. */
const SEEDED = [release('2.1.0'), release('1.0.0'), release('2.0.0', true), release('1.1.0')];

function versions(rs: Release[]): string[] {
  return rs.map((r) => r.version);
}

function refusal(fn: () => unknown): InvalidInput {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof InvalidInput, `expected InvalidInput, got ${String(err)}`);
    assert.equal(err.field, 'version');
    return err;
  }
  assert.fail('expected the plan to be refused');
}

describe('upgrade statuses: canMove and isFinal', () => {
  it('allows exactly the documented moves and nothing else (all 36 pairs)', () => {
    for (const from of UPGRADE_STATUSES) {
      for (const next of UPGRADE_STATUSES) {
        assert.equal(canMove(from, next), ALLOWED[from].includes(next), `${from} -> ${next}`);
      }
    }
  });

  it('no status moves to itself, and PENDING cannot jump to SUCCESS or PARTIAL', () => {
    for (const s of UPGRADE_STATUSES) assert.equal(canMove(s, s), false, s);
    assert.equal(canMove('PENDING', 'SUCCESS'), false);
    assert.equal(canMove('PENDING', 'PARTIAL'), false);
    assert.equal(canMove('IN_PROGRESS', 'PENDING'), false);
    assert.equal(canMove('IN_PROGRESS', 'CANCELLED'), false);
  });

  it('the final statuses are SUCCESS, FAILED, PARTIAL and CANCELLED', () => {
    assert.deepEqual(UPGRADE_STATUSES.filter(isFinal), FINAL);
  });
});

describe('transitionsFor: the moves an observation calls for', () => {
  it('nothing delivered and no deadline: stays PENDING', () => {
    assert.deepEqual(transitionsFor('PENDING', [progress(2, 0, 0)], false), []);
  });

  it('the version reached a node: PENDING -> IN_PROGRESS, with the count in the reason', () => {
    const moves = transitionsFor('PENDING', [progress(3, 1, 0)], false);
    assert.deepEqual(to(moves), ['IN_PROGRESS']);
    assert.match(moves[0].reason, /1 node\b/);
  });

  it('one heartbeat that both starts and finishes an upgrade makes two moves, none skipped', () => {
    assert.deepEqual(to(transitionsFor('PENDING', [progress(1, 1, 1)], false)), ['IN_PROGRESS', 'SUCCESS']);
  });

  it('IN_PROGRESS becomes SUCCESS only when every targeted node of every service reported', () => {
    assert.deepEqual(to(transitionsFor('IN_PROGRESS', [progress(2, 2, 2)], false)), ['SUCCESS']);
    assert.deepEqual(to(transitionsFor('IN_PROGRESS', [progress(2, 2, 1)], false)), []);
    const twoServices = [progress(2, 2, 2), progress(1, 1, 0, { service: 'customer-portal', targetVersion: '1.2.0' })];
    assert.deepEqual(to(transitionsFor('IN_PROGRESS', twoServices, false)), []);
    twoServices[1].updated = 1;
    assert.deepEqual(to(transitionsFor('IN_PROGRESS', twoServices, false)), ['SUCCESS']);
  });

  it('an upgrade that targets no node is never a SUCCESS', () => {
    assert.deepEqual(to(transitionsFor('IN_PROGRESS', [progress(0, 0, 0)], false)), []);
  });

  it('deadline while PENDING: FAILED, saying no targeted node came back', () => {
    const moves = transitionsFor('PENDING', [progress(2, 0, 0)], true);
    assert.deepEqual(to(moves), ['FAILED']);
    assert.match(moves[0].reason, /no targeted node sent a heartbeat before the deadline \(2 nodes targeted\)/);
  });

  it('deadline while IN_PROGRESS with no node on the target: FAILED, naming the shortfall', () => {
    const moves = transitionsFor('IN_PROGRESS', [progress(2, 2, 0)], true);
    assert.deepEqual(to(moves), ['FAILED']);
    assert.match(moves[0].reason, /agent 0 of 2 on 2\.0\.0/);
  });

  it('deadline while IN_PROGRESS with some nodes on the target: PARTIAL, saying how many', () => {
    const moves = transitionsFor('IN_PROGRESS', [progress(3, 3, 1)], true);
    assert.deepEqual(to(moves), ['PARTIAL']);
    assert.match(moves[0].reason, /^1 of 3 nodes reported/);
    assert.match(moves[0].reason, /agent 1 of 3 on 2\.0\.0/);
  });

  it('a completion observed in the same instant as the deadline wins', () => {
    assert.deepEqual(to(transitionsFor('IN_PROGRESS', [progress(2, 2, 2)], true)), ['SUCCESS']);
    assert.deepEqual(to(transitionsFor('PENDING', [progress(1, 1, 1)], true)), ['IN_PROGRESS', 'SUCCESS']);
  });

  it('a final status calls for no move, whatever is observed', () => {
    for (const s of FINAL) {
      assert.deepEqual(transitionsFor(s, [progress(2, 2, 2)], true), [], s);
      assert.deepEqual(transitionsFor(s, [progress(2, 1, 0)], false), [], s);
    }
  });

  it('property: every move is allowed from the one before, nothing follows a final status, SUCCESS only when all reported', () => {
    const service = fc
      .record({ desired: fc.integer({ min: 0, max: 5 }), deliveredExtra: fc.nat(5), updatedExtra: fc.nat(5) })
      .map(({ desired, deliveredExtra, updatedExtra }) => {
        const delivered = Math.min(desired, deliveredExtra);
        return progress(desired, delivered, Math.min(delivered, updatedExtra));
      });
    fc.assert(
      fc.property(fc.constantFrom(...UPGRADE_STATUSES), fc.array(service, { minLength: 1, maxLength: 3 }), fc.boolean(), (status, p, deadline) => {
        const moves = transitionsFor(status, p, deadline);
        let at = status;
        for (const m of moves) {
          assert.ok(ALLOWED[at].includes(m.to), `${at} -> ${m.to}`);
          assert.ok(m.reason.length > 0);
          at = m.to;
        }
        const desired = p.reduce((n, x) => n + x.desired, 0);
        const updated = p.reduce((n, x) => n + x.updated, 0);
        const delivered = p.reduce((n, x) => n + x.delivered, 0);
        if (to(moves).includes('SUCCESS')) assert.ok(desired > 0 && updated === desired, JSON.stringify(p));
        if (to(moves).includes('IN_PROGRESS')) assert.ok(delivered > 0);
        if (to(moves).includes('PARTIAL')) assert.ok(updated > 0 && updated < desired);
        // A deadline always ends an active upgrade; without one, nothing but an observed completion ends it.
        if (deadline && !isFinal(status)) assert.ok(isFinal(at), `${status} + deadline ended at ${at}`);
        if (!deadline && isFinal(at) && !isFinal(status)) assert.equal(at, 'SUCCESS');
        if (isFinal(status)) assert.equal(moves.length, 0);
      }),
      { numRuns: 500 },
    );
  });
});

describe('availableFrom: where a service can go from its lowest version', () => {
  it('lists the newer releases up to and including the first required stop', () => {
    assert.deepEqual(versions(availableFrom(SEEDED, '1.0.0')), ['1.1.0', '2.0.0']);
    assert.deepEqual(versions(availableFrom(SEEDED, '1.1.0')), ['2.0.0']);
  });

  it('past the stop, the releases after it; on the latest, nothing', () => {
    assert.deepEqual(versions(availableFrom(SEEDED, '2.0.0')), ['2.1.0']);
    assert.deepEqual(versions(availableFrom(SEEDED, '2.1.0')), []);
  });

  it('with no comparable version reported, every release, in version order: all of them can be planned', () => {
    // Nodes reporting only non-semantic versions have no lowest version, so no stop applies to them...
    for (const r of SEEDED) assert.equal(planTarget({ service: 'agent', releases: SEEDED, reported: ['dev-build'], requested: r.version, force: false }), r.version);
    // ...and what is listed as available from there is every release, as availableFrom documents.
    assert.deepEqual(versions(availableFrom(SEEDED, null)), ['1.0.0', '1.1.0', '2.0.0', '2.1.0']);
  });

  it('compares semantically: 2.10.0 is newer than 2.9.0', () => {
    const rs = [release('2.10.0'), release('2.9.0'), release('2.2.0'), release('2.1.0')];
    assert.deepEqual(versions(availableFrom(rs, '2.2.0')), ['2.9.0', '2.10.0']);
    assert.deepEqual(versions(availableFrom(rs, '2.9.0')), ['2.10.0']);
    assert.deepEqual(versions(availableFrom(rs, '2.10.0')), []);
  });

  it('stops at the first of several required stops', () => {
    const rs = [release('3.0.0', true), release('2.0.0', true), release('1.5.0'), release('2.5.0'), release('1.0.0')];
    assert.deepEqual(versions(availableFrom(rs, '1.0.0')), ['1.5.0', '2.0.0']);
    assert.deepEqual(versions(availableFrom(rs, '2.0.0')), ['2.5.0', '3.0.0']);
  });

  it('a prerelease comes before its release', () => {
    const rs = [release('2.2.0'), release('2.2.0-rc.1'), release('2.2.0-rc.10'), release('2.2.0-rc.2'), release('2.1.0')];
    assert.deepEqual(versions(availableFrom(rs, '2.1.0')), ['2.2.0-rc.1', '2.2.0-rc.2', '2.2.0-rc.10', '2.2.0']);
    assert.deepEqual(versions(availableFrom(rs, '2.2.0-rc.2')), ['2.2.0-rc.10', '2.2.0']);
    assert.deepEqual(versions(availableFrom(rs, '2.2.0')), []);
  });
});

describe('planTarget: the version a service is asked to move to', () => {
  const plan = (reported: string[], requested: string, force = false, releases = SEEDED) =>
    planTarget({ service: 'agent', releases, reported, requested, force });

  it('an exact published version within reach is the target', () => {
    assert.equal(plan(['1.0.0', '1.0.0'], '1.1.0'), '1.1.0');
    assert.equal(plan(['1.0.0'], '2.0.0'), '2.0.0');
    assert.equal(plan(['2.0.0'], '2.1.0'), '2.1.0');
  });

  it('"latest" is the semantically highest release: 2.10.0, not 2.9.0', () => {
    const rs = [release('2.9.0'), release('2.10.0'), release('2.2.0')];
    assert.equal(resolveTarget('agent', rs, 'latest'), '2.10.0');
    assert.equal(plan(['2.2.0'], 'latest', false, rs), '2.10.0');
    // A candidate of an older line does not outrank a release: 2.10.0 > 2.2.0 > 2.2.0-rc.1.
    assert.equal(plan(['2.2.0'], 'latest', false, [...rs, release('2.2.0-rc.1')]), '2.10.0');
  });

  it('an unpublished version is refused, listing the recent ones', () => {
    const err = refusal(() => plan(['1.0.0'], '1.2.0'));
    assert.match(err.message, /1\.2\.0 is not a published agent release \(latest: 1\.0\.0, 1\.1\.0, 2\.0\.0, 2\.1\.0\)/);
  });

  it('a service without releases has nothing to upgrade to', () => {
    assert.match(refusal(() => plan(['1.0.0'], 'latest', false, [])).message, /no published agent release/);
  });

  it('a jump past a required stop is refused, naming the stop, even with force', () => {
    const err = refusal(() => plan(['1.0.0'], '2.1.0'));
    assert.match(err.message, /past the required stop 2\.0\.0 .* upgrade to 2\.0\.0 first/);
    refusal(() => plan(['1.1.0'], 'latest', true));
  });

  it('the lowest node decides the stop: one node behind holds the whole service', () => {
    assert.match(refusal(() => plan(['2.0.0', '1.1.0', '2.0.0'], '2.1.0')).message, /required stop 2\.0\.0 for agent nodes on 1\.1\.0/);
  });

  it('a downgrade is refused unless forced', () => {
    assert.match(refusal(() => plan(['2.1.0'], '2.0.0')).message, /2\.0\.0 is a downgrade: agent nodes run 2\.1\.0/);
    assert.match(refusal(() => plan(['1.0.0', '2.0.0'], '1.1.0')).message, /downgrade/);
    assert.equal(plan(['2.1.0'], '2.0.0', true), '2.0.0');
  });

  it('a redeploy of what every node runs is refused unless forced; a mixed fleet is not a redeploy', () => {
    assert.match(refusal(() => plan(['2.0.0', '2.0.0'], '2.0.0')).message, /already runs on every agent node/);
    assert.equal(plan(['2.0.0', '2.0.0'], '2.0.0', true), '2.0.0');
    assert.equal(plan(['1.1.0', '2.0.0'], '2.0.0'), '2.0.0');
  });

  it('versions that are not semantic take no part in comparisons', () => {
    assert.equal(plan(['dev-build', '1.1.0'], '2.0.0'), '2.0.0');
    // Only "dev-build": no lowest version, so no stop applies, and it is not a redeploy.
    assert.equal(plan(['dev-build'], '2.1.0'), '2.1.0');
  });

  it('prereleases: a release candidate of the stop comes before the stop; the release after a candidate is an upgrade', () => {
    const rs = [...SEEDED, release('2.0.0-rc.1'), release('2.2.0-rc.1'), release('2.2.0')];
    assert.equal(plan(['1.1.0'], '2.0.0-rc.1', false, rs), '2.0.0-rc.1');
    // From the candidate, 2.0.0 itself is still ahead: it cannot be skipped.
    assert.match(refusal(() => plan(['2.0.0-rc.1'], '2.1.0', false, rs)).message, /required stop 2\.0\.0/);
    assert.equal(plan(['2.0.0-rc.1'], '2.0.0', false, rs), '2.0.0');
    assert.equal(plan(['2.2.0-rc.1'], '2.2.0', false, rs), '2.2.0');
    assert.match(refusal(() => plan(['2.2.0'], '2.2.0-rc.1', false, rs)).message, /downgrade/);
  });

  it('isCurrent: only when there are nodes and every one runs the target', () => {
    assert.equal(isCurrent([], '2.0.0'), false);
    assert.equal(isCurrent(['2.0.0', '2.0.0'], '2.0.0'), true);
    assert.equal(isCurrent(['2.0.0', '1.1.0'], '2.0.0'), false);
  });
});
