import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from '../helpers/harness.js';
import { keyRows } from './fixtures.js';

describe('POST /api/v1/keys refuses bad input with 400 naming the field', () => {
  let h: Harness;
  let owner: string;

  before(async () => {
    h = await Harness.start();
    await h.createOrg('acme');
    owner = await h.login('acme');
  });
  after(() => h.close());

  const good = { name: 'ok', scopes: ['nodes:write'] };
  const cases: [string, unknown, string][] = [
    ['an unknown scope', { ...good, scopes: ['nodes:write', 'nodes:delete'] }, 'scopes'],
    ['empty scopes', { ...good, scopes: [] }, 'scopes'],
    ['missing scopes', { name: 'ok' }, 'scopes'],
    ['scopes not strings', { ...good, scopes: [1] }, 'scopes[0]'],
    ['an expiry in the past', { ...good, expires_at: '2026-06-01T11:59:59Z' }, 'expires_at'],
    ['an expiry of right now', { ...good, expires_at: '2026-06-01T12:00:00Z' }, 'expires_at'],
    ['an unparseable expires_at', { ...good, expires_at: 'next tuesday' }, 'expires_at'],
    ['a name over 200 characters', { ...good, name: 'n'.repeat(201) }, 'name'],
    ['an empty name', { ...good, name: '' }, 'name'],
    ['a blank name', { ...good, name: '   ' }, 'name'],
    ['a missing name', { scopes: ['nodes:write'] }, 'name'],
    ['a name with control characters', { ...good, name: 'a\u0000b' }, 'name'],
    ['an unknown body field', { ...good, owner_id: 'usr_x' }, 'owner_id'],
  ];

  for (const [label, body, field] of cases) {
    it(`${label} -> 400 on ${field}, nothing written`, async () => {
      const r = await h.call('POST', '/api/v1/keys', { cookie: owner, body });
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.error.code, 'INVALID_INPUT');
      assert.equal(r.body.error.field, field, JSON.stringify(r.body));
      assert.match(r.body.error.message, new RegExp(field.replace(/[[\]]/g, '\\$&')));
      assert.equal((await keyRows(h)).length, 0);
    });
  }

  it('names the valid scopes when one is unknown', async () => {
    const r = await h.call('POST', '/api/v1/keys', { cookie: owner, body: { ...good, scopes: ['root'] } });
    assert.equal(r.body.error.field, 'scopes');
    assert.match(r.body.error.message, /^scopes holds "root", which is not a scope/);
    assert.match(r.body.error.message, /usage:write/);
  });

  it('malformed JSON -> 400, nothing written', async () => {
    const r = await h.call('POST', '/api/v1/keys', {
      cookie: owner,
      rawBody: '{"name": "x", "scopes": [',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'INVALID_INPUT');
    assert.match(r.body.error.message, /not valid JSON/);
    assert.equal((await keyRows(h)).length, 0);
  });

  it('a JSON body sent as text/plain with the cookie -> 403 (a form could send it), nothing written', async () => {
    const r = await h.call('POST', '/api/v1/keys', {
      cookie: owner,
      rawBody: JSON.stringify(good),
      headers: { 'content-type': 'text/plain' },
    });
    assert.equal(r.status, 403);
    assert.match(r.body.error.message, /Content-Type: application\/json/);
    assert.equal((await keyRows(h)).length, 0);
  });

  it('a body that is not an object -> 400, nothing written', async () => {
    const r = await h.call('POST', '/api/v1/keys', { cookie: owner, body: [good] });
    assert.equal(r.status, 400);
    assert.equal((await keyRows(h)).length, 0);
  });

  // Last: it is the one case that writes.
  it('a name of exactly 200 characters is fine', async () => {
    const r = await h.call('POST', '/api/v1/keys', { cookie: owner, body: { ...good, name: 'n'.repeat(200) } });
    assert.equal(r.status, 201);
    assert.equal((await keyRows(h)).length, 1);
  });
});
