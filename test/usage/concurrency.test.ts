import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Harness } from '../helpers/harness.js';
import { ingest, summary } from './helpers.js';

describe('usage ingest under concurrency', () => {
  let h: Harness;
  let cookie: string;
  let key: string;
  before(async () => {
    h = await Harness.start();
    await h.createOrg('acme');
    cookie = await h.login('acme');
    key = (await h.apiKey('acme', ['usage:write'], cookie)).key;
  });
  after(() => h.close());

  it('overlapping batches sent at once count each event once, and every rollup increment lands', async () => {
    // 6 batches of 300 drawn from 600 ids, sharing hours and dimensions: on PostgreSQL they race for the
    // same event keys and rollup rows.
    const event = (n: number) => ({
      event_id: `c-${n}`,
      type: n % 2 ? 'api_call' : 'llm_request',
      occurred_at: new Date(Date.parse('2026-06-01T00:00:00Z') + (n % 10) * 3_600_000).toISOString(),
      node_id: `n${n % 3}`,
      prompt_tokens: n,
    });
    const batches = Array.from({ length: 6 }, (_, b) => Array.from({ length: 300 }, (_, i) => event((b * 97 + i * 7) % 600)));
    const distinct = new Set(batches.flat().map((e) => e.event_id));
    const results = await Promise.all(batches.map((b) => ingest(h, key, b)));
    for (const r of results) assert.equal(r.status, 200, JSON.stringify(r.body));
    const accepted = results.reduce((s, r) => s + r.body.accepted, 0);
    assert.equal(accepted, distinct.size);
    assert.equal(results.reduce((s, r) => s + r.body.duplicates, 0), 6 * 300 - distinct.size);
    const totals = (await summary(h, cookie)).totals;
    assert.equal(totals.total_requests, distinct.size);
    const tokens = [...distinct].reduce((s, id) => s + Number(id.slice(2)), 0);
    assert.equal(totals.prompt_tokens, tokens);
  });
});
