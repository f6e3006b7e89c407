import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Harness } from '../helpers/harness.js';

// The bench gives the figures; this gives the regression signal. Each hot path has a statement budget, and
// a read path writes nothing: a path that starts issuing one more statement, or writing on a read, fails
// here whatever the machine's speed.
const isWrite = (statement: string) => /^\s*(insert|update|delete|replace)\b/i.test(statement);
const ORGANIZATION_QUERY = `{ organization { orgId name license { licenseId status expiresAt maxNodes }
  apiKeys(first: 20) { edges { node { id name prefix scopes createdAt lastUsedAt } } } } }`;

describe('statements per request on the hot paths', () => {
  let h: Harness;
  let cookie: string;
  let runtimeKey: string;
  before(async () => {
    h = await Harness.start();
    await h.createOrg('budget');
    cookie = await h.login('budget');
    runtimeKey = (await h.apiKey('budget', ['nodes:write'], cookie)).key;
    for (let i = 1; i < 20; i++) await h.apiKey('budget', ['usage:write'], cookie);
  });
  after(() => h.close());

  /** The statements of the second of two identical requests: the first may warm what is done once. */
  async function statementsOf(send: () => Promise<{ status: number }>): Promise<string[]> {
    assert.ok((await send()).status < 300);
    const start = h.queries.length;
    const res = await send();
    assert.ok(res.status < 300, `answered ${res.status}`);
    return h.queries.slice(start);
  }

  const cases: [string, number, () => Promise<{ status: number }>][] = [
    ['GET /api/v1/auth/session: the session, its user and organization in one statement', 1, () => h.call('GET', '/api/v1/auth/session', { cookie })],
    ['GET /api/v1/keys: the session, then the page of keys', 2, () => h.call('GET', '/api/v1/keys', { cookie })],
    ['GET /api/v1/license: the session, then the license', 2, () => h.call('GET', '/api/v1/license', { cookie })],
    ['POST /graphql, the organization with its license and keys', 3, () => h.call('POST', '/graphql', { cookie, body: { query: ORGANIZATION_QUERY } })],
    ['POST /graphql { organization { orgId name } }: the session brings the organization', 1, () => h.call('POST', '/graphql', { cookie, body: { query: '{ organization { orgId name } }' } })],
    ['GET /graphql (the same query over GET)', 1, () => h.call('GET', `/graphql?query=${encodeURIComponent('{ organization { orgId name } }')}`, { cookie, headers: { 'x-graphql-yoga-csrf': '1' } })],
  ];
  for (const [name, budget, send] of cases) {
    it(`${name}: ${budget}, and no write`, async () => {
      const statements = await statementsOf(send);
      assert.deepEqual(statements.filter(isWrite), [], 'a read path wrote');
      assert.equal(statements.length, budget, statements.join('\n'));
    });
  }

  it('an API-key heartbeat: the key; the node written and its band read in one transaction; the license; whether an upgrade runs', async () => {
    const heartbeat = () =>
      h.call('POST', '/api/v1/nodes/heartbeat', {
        headers: { 'x-api-key': runtimeKey },
        body: { node_id: 'budget-node-1', hostname: 'budget-1', role: 'agent', version: '1.0.0' },
      });
    const statements = await statementsOf(heartbeat);
    assert.equal(statements.filter(isWrite).length, 1, statements.join('\n'));
    assert.equal(statements.length, 7, statements.join('\n'));
  });

  it('a session seen within the last minute is not written back', async () => {
    const statements = await statementsOf(() => h.call('GET', '/api/v1/auth/session', { cookie }));
    assert.deepEqual(statements.filter(isWrite), []);
    // A minute later the session's last use is recorded once, and not again on the next request.
    h.clock.advance(61_000);
    const start = h.queries.length;
    await h.call('GET', '/api/v1/auth/session', { cookie });
    assert.equal(h.queries.slice(start).filter(isWrite).length, 1);
    const again = h.queries.length;
    await h.call('GET', '/api/v1/auth/session', { cookie });
    assert.equal(h.queries.slice(again).filter(isWrite).length, 0);
  });
});
