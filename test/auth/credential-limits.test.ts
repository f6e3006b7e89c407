import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_KEY, Harness } from '../helpers/harness.js';

describe('every credential path is limited and audited like the login', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start();
    await h.createOrg('acme');
  });
  after(() => h.close());

  it('admin key: ten refusals per address a minute, then 429 even for the right key', async () => {
    const statuses = [];
    for (let i = 0; i < 11; i++) {
      const r = await h.call('GET', '/api/v1/admin/organizations', { headers: { 'x-admin-api-key': `wrong-key-${i}-xxxxxxxx` }, ip: '203.0.113.50' });
      statuses.push(r.status);
    }
    assert.deepEqual(statuses, [...Array(10).fill(401), 429]);
    const right = await h.call('GET', '/api/v1/admin/organizations', { headers: { 'x-admin-api-key': ADMIN_KEY }, ip: '203.0.113.50' });
    assert.equal(right.status, 429, 'a guess landing during the lockout teaches nothing');
    assert.ok(Number(right.headers.get('retry-after')) >= 1);
    const elsewhere = await h.call('GET', '/api/v1/admin/organizations', { headers: { 'x-admin-api-key': ADMIN_KEY }, ip: '203.0.113.51' });
    assert.equal(elsewhere.status, 200);
    h.clock.advance(61_000);
    const later = await h.call('GET', '/api/v1/admin/organizations', { headers: { 'x-admin-api-key': ADMIN_KEY }, ip: '203.0.113.50' });
    assert.equal(later.status, 200);
    const audit = await h.admin('GET', '/api/v1/admin/audit?action=auth.admin_key_rejected');
    assert.equal(audit.body.events.length, 10);
    assert.equal(audit.body.events[0].ip, '203.0.113.50');
    assert.ok(!JSON.stringify(audit.body).includes('wrong-key-'), 'the refused key is not recorded');
    const throttled = await h.admin('GET', '/api/v1/admin/audit?action=auth.throttled');
    assert.equal(throttled.body.events.length, 1, 'the throttled refusals are one audit row for the window and address');
    assert.equal(throttled.body.events[0].ip, '203.0.113.50');
    assert.equal(throttled.body.events[0].details.throttle, 'admin-key');
  });

  it('admin key: the operator working in parallel never throttles itself', async () => {
    const results = await Promise.all(
      Array.from({ length: 25 }, () => h.call('GET', '/api/v1/admin/organizations', { headers: { 'x-admin-api-key': ADMIN_KEY }, ip: '203.0.113.55' })),
    );
    assert.deepEqual([...new Set(results.map((r) => r.status))], [200]);
  });

  it('admin key: parallel wrong guesses cannot slip past the limit', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        h.call('GET', '/api/v1/admin/organizations', { headers: { 'x-admin-api-key': `guess-${i}-xxxxxxxxxxx` }, ip: '203.0.113.60' }),
      ),
    );
    assert.equal(results.filter((r) => r.status === 401).length, 10);
    assert.equal(results.filter((r) => r.status === 429).length, 10);
  });

  it('runtime keys: refusals are audited in the key’s organization and limited per address', async () => {
    const cookie = await h.login('acme');
    const { key, id } = await h.apiKey('acme', ['nodes:write'], cookie);
    await h.call('DELETE', `/api/v1/keys/${id}`, { cookie });
    const beat = (k: string, ip: string) =>
      h.call('POST', '/api/v1/nodes/heartbeat', {
        headers: { authorization: `Bearer ${k}` },
        body: { node_id: 'n1', hostname: 'h', role: 'agent', version: '1' },
        ip,
      });
    assert.equal((await beat(key, '203.0.113.70')).status, 401);
    const audit = await h.admin('GET', '/api/v1/admin/audit?org_id=acme&action=auth.api_key_rejected');
    assert.equal(audit.body.events.length, 1);
    assert.match(audit.body.events[0].details.reason, /revoked/);
    const statuses = [];
    for (let i = 0; i < 31; i++) statuses.push((await beat(`axon_${'0'.repeat(16)}_${'x'.repeat(49)}`, '203.0.113.71')).status);
    assert.deepEqual(statuses.slice(-2), [401, 429]);
  });

  it('change-password: five wrong current passwords a minute, then 429', async () => {
    const cookie = await h.login('acme');
    const statuses = [];
    for (let i = 0; i < 6; i++) {
      const r = await h.call('POST', '/api/v1/auth/change-password', {
        cookie,
        body: { current_password: `not-it-${i}-xxxx`, new_password: 'a-brand-new-pass-1' },
      });
      statuses.push(r.status);
    }
    assert.deepEqual(statuses, [400, 400, 400, 400, 400, 429]);
  });
});
