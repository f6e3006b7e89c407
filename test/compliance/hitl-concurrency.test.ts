import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type CallOptions, Harness } from '../helpers/harness.js';

// A decision is final and recorded once, whoever races for it: of an approve and a reject sent at the same
// moment (by two reviewers), one wins and the other is told the state it lost to.

const BASE = '/api/v1/hitl/queue';
const ROUNDS = 25;

describe('hitl: concurrent decisions', () => {
  let h: Harness;
  let alice: { cookie: string; userId: string };
  let bob: { cookie: string; userId: string };
  let runtime: CallOptions;

  before(async () => {
    h = await Harness.start();
    await h.createOrg('acme', { tier: 'ENTERPRISE' });
    const owner = await h.login('acme');
    alice = await h.userSession('acme', 'policy_admin', owner);
    bob = await h.userSession('acme', 'admin', owner);
    runtime = { headers: { authorization: `Bearer ${(await h.apiKey('acme', ['hitl:request'], owner)).key}` } };
  });
  after(() => h.close());

  const decisionsOf = async (id: string) =>
    (await h.runtime.database.db.selectFrom('audit_events').select(['action', 'actor_id']).where('target_id', '=', id).execute()).filter((e) =>
      ['hitl.approved', 'hitl.rejected'].includes(e.action),
    );

  it(`approve and reject at once, ${ROUNDS} times: exactly one wins each time, the loser gets 409 naming the winner's state`, async () => {
    const wins = { approved: 0, rejected: 0 };
    for (let i = 0; i < ROUNDS; i++) {
      const asked = await h.call('POST', BASE, { ...runtime, body: { request_id: `race-${i}`, severity: 'critical', reason: 'race', context: { i } } });
      assert.equal(asked.status, 201, JSON.stringify(asked.body));
      const id = asked.body.id;
      // Alternate who goes first in the array, so neither side always has the head start.
      const calls = [
        () => h.call('POST', `${BASE}/${id}/approve`, { cookie: alice.cookie, body: { comments: 'go' } }),
        () => h.call('POST', `${BASE}/${id}/reject`, { cookie: bob.cookie, body: { reason: 'not this time, sorry' } }),
      ];
      if (i % 2 === 1) calls.reverse();
      const [x, y] = await Promise.all(calls.map((c) => c()));
      const results = [x, y];
      const won = results.filter((r) => r.status === 200);
      const lost = results.filter((r) => r.status === 409);
      assert.equal(won.length, 1, `round ${i}: ${results.map((r) => `${r.status} ${JSON.stringify(r.body)}`).join(' | ')}`);
      assert.equal(lost.length, 1, `round ${i}`);
      const state = won[0].body.status as 'approved' | 'rejected';
      wins[state]++;
      assert.match(lost[0].body.error.message, new RegExp(`is already ${state}`), `round ${i}`);
      const stored = await h.runtime.database.db.selectFrom('hitl_requests').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      assert.equal(stored.status, state);
      assert.equal(stored.decided_by, state === 'approved' ? alice.userId : bob.userId, 'the winner is the one recorded');
      const events = await decisionsOf(id);
      assert.deepEqual(events, [{ action: state === 'approved' ? 'hitl.approved' : 'hitl.rejected', actor_id: stored.decided_by }], 'one decision event');
    }
    assert.equal(wins.approved + wins.rejected, ROUNDS);
    const verify = await h.admin('GET', '/api/v1/admin/audit/verify?org_id=acme');
    assert.equal(verify.body.valid, true, 'the audit chain stayed whole under the races');
  });

  it('the same request asked five times at once: one request, one 201, the others 200 with it', async () => {
    const body = { request_id: 'dup-1', severity: 'low', reason: 'retried by a flaky network', context: { a: 1 } };
    const results = await Promise.all(Array.from({ length: 5 }, () => h.call('POST', BASE, { ...runtime, body })));
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 200, 200, 200, 201], results.map((r) => JSON.stringify(r.body)).join('\n'));
    assert.equal(new Set(results.map((r) => r.body.id)).size, 1);
    const rows = await h.runtime.database.db.selectFrom('hitl_requests').select('id').where('request_id', '=', 'dup-1').execute();
    assert.equal(rows.length, 1);
    const events = await h.runtime.database.db.selectFrom('audit_events').select('action').where('target_id', '=', rows[0].id).orderBy('seq').execute();
    assert.deepEqual(events.map((e) => e.action), ['hitl.requested']);
  });

  it('a decision racing the expiry job: either the decision or the expiry, never both', async () => {
    for (let i = 0; i < 10; i++) {
      const expiresAt = new Date(h.clock.now().getTime() + 60_000).toISOString();
      const asked = await h.call('POST', BASE, { ...runtime, body: { request_id: `exp-${i}`, severity: 'high', reason: 'race', context: {}, expires_at: expiresAt } });
      const id = asked.body.id;
      h.clock.advance(60_000);
      const [decided] = await Promise.all([h.call('POST', `${BASE}/${id}/approve`, { cookie: alice.cookie, body: {} }), h.runtime.jobs.runDue()]);
      // At expires_at the request is expired: the approve is refused whoever writes the expiry.
      assert.equal(decided.status, 409, JSON.stringify(decided.body));
      const stored = await h.runtime.database.db.selectFrom('hitl_requests').select(['status', 'decided_by']).where('id', '=', id).executeTakeFirstOrThrow();
      assert.deepEqual(stored, { status: 'expired', decided_by: null });
      const events = await h.runtime.database.db.selectFrom('audit_events').select('action').where('target_id', '=', id).orderBy('seq').execute();
      assert.deepEqual(events.map((e) => e.action), ['hitl.requested', 'hitl.expired']);
    }
  });
});
