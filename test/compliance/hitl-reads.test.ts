import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Harness } from '../helpers/harness.js';

// What people write and what every read shows: reasons keep their line breaks, and a request past its expiry
// is expired in the queue, the metrics and the dashboard alike, before the expiry job has written it.

const BASE = '/api/v1/hitl/queue';

describe('hitl: prose and lapsed requests across reads', () => {
  let h: Harness;
  let owner: string;
  let runtime: { headers: Record<string, string> };
  before(async () => {
    h = await Harness.start();
    await h.createOrg('acme', { tier: 'ENTERPRISE' });
    owner = await h.login('acme');
    runtime = { headers: { authorization: `Bearer ${(await h.apiKey('acme', ['hitl:request'], owner)).key}` } };
  });
  after(() => h.close());

  it('a reason or comments of several lines are kept as written; other control characters are refused', async () => {
    const a = await h.call('POST', BASE, { ...runtime, body: { request_id: 'r-1', severity: 'low', reason: 'first line\nsecond line', context: {} } });
    assert.equal(a.status, 201, JSON.stringify(a.body));
    assert.equal(a.body.reason, 'first line\nsecond line');
    const rejected = await h.call('POST', `${BASE}/${a.body.id}/reject`, { cookie: owner, body: { reason: 'not enough context:\n\t- no amount\n\t- no customer' } });
    assert.equal(rejected.status, 200, JSON.stringify(rejected.body));
    assert.equal(rejected.body.decision_reason, 'not enough context:\n\t- no amount\n\t- no customer');
    const b = await h.call('POST', BASE, { ...runtime, body: { request_id: 'r-2', severity: 'low', reason: 'bell\u0007', context: {} } });
    assert.equal(b.status, 400);
    assert.equal(b.body.error.field, 'reason');
  });

  it('a pending request past its expiry is expired in the queue, the metrics and the dashboard before the job runs', async () => {
    const soon = new Date(h.clock.now().getTime() + 60_000).toISOString();
    const r = await h.call('POST', BASE, { ...runtime, body: { request_id: 'r-3', severity: 'high', reason: 'a person must look', context: {}, expires_at: soon } });
    assert.equal(r.status, 201);
    h.clock.set(new Date(h.clock.now().getTime() + 120_000));
    assert.equal((await h.call('GET', `${BASE}/${r.body.id}`, { cookie: owner })).body.status, 'expired');
    assert.equal((await h.call('GET', '/api/v1/hitl/metrics', { cookie: owner })).body.by_status.expired, 1);
    const d = (await h.call('GET', '/api/v1/hitl/dashboard', { cookie: owner })).body;
    const count = (key: string) => d.hitl_decisions.by_key.find((s: any) => s.key === key).count;
    assert.equal(count('expired'), 1);
    assert.equal(count('pending'), 0);
  });
});
