import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Harness } from '../helpers/harness.js';

describe('smoke', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start();
  });
  after(() => h.close());
  it('creates an org and logs in', async () => {
    await h.createOrg('acme');
    const cookie = await h.login('acme');
    const r = await h.call('GET', '/api/v1/auth/session', { cookie });
    assert.equal(r.status, 200);
    assert.equal(r.body.org_id, 'acme');
  });
});
