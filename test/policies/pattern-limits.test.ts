import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MAX_REPEAT, PatternCache, patternProblem } from '../../src/services/policies/patterns.js';
import { Harness } from '../helpers/harness.js';

describe('pattern limits that keep one evaluation short', () => {
  let h: Harness;
  let cookie: string;
  before(async () => {
    ({ h, cookie } = await Harness.withOrgSession('acme'));
  });
  after(() => h.close());

  it(`counted repetition above ${MAX_REPEAT} is refused when saved, in either policy kind`, async () => {
    for (const pattern of ['\\w{1000}\\d{1000}', 'a{5,500}', 'x{101}']) {
      const r = await h.call('POST', '/api/v1/static-policies', { cookie, body: { name: `big ${pattern}`, pattern } });
      assert.equal(r.status, 400, pattern);
      assert.equal(r.body.error.field, 'pattern');
      assert.match(r.body.error.message, /more than 100 times/);
      const d = await h.call('POST', '/api/v1/dynamic-policies', {
        cookie,
        body: { name: `big ${pattern}`, type: 'content', conditions: [{ field: 'content', operator: 'regex', value: pattern }], actions: [{ type: 'log' }] },
      });
      assert.equal(d.status, 400, pattern);
      assert.equal(d.body.error.field, 'conditions[0].value');
    }
    assert.equal(patternProblem('x{100}'), null);
    assert.equal(patternProblem('\\{1000\\}'), null, 'escaped braces are literals');
    assert.equal((await h.runtime.database.db.selectFrom('static_policies').select('id').execute()).length, 0);
  });

  it('an escaped backslash before a count is still a count; a big group repeated counts once per repetition', () => {
    assert.match(patternProblem('\\\\{1000}') ?? '', /more than 100 times/);
    assert.match(patternProblem(`(?:${'[a-z]'.repeat(380)}){100}`) ?? '', /expands to more than 2000 matching steps/);
    assert.equal(patternProblem('(?:ab){100}'), null);
    assert.equal(patternProblem('[{]1000}'), null, 'a brace in a class is a literal');
  });

  it('a deadline already passed stops before the first pass over the text', () => {
    assert.equal(new PatternCache().matches('a', 'a'.repeat(10), performance.now() - 1, 10), null);
  });

  it('a dynamic regex condition reads at most 256 KiB of a context value', async () => {
    const p = await h.call('POST', '/api/v1/dynamic-policies', {
      cookie,
      body: { name: 'needle', type: 'content', conditions: [{ field: 'content', operator: 'regex', value: 'needle' }], actions: [{ type: 'warn' }] },
    });
    assert.equal(p.status, 201, JSON.stringify(p.body));
    const r = await h.call('POST', `/api/v1/dynamic-policies/${p.body.id}/test`, { cookie, body: { context: { content: `${'x'.repeat(300 * 1024)}needle` } } });
    assert.equal(r.status, 200, JSON.stringify(r.body).slice(0, 300));
    assert.equal(r.body.matched, false);
    assert.match(r.body.conditions[0].explanation, /longer than the 262144 characters/);
  });
});
