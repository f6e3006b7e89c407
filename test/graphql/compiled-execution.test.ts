import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GraphQLError, buildSchema, execute, parse } from 'graphql';
import { RUNS_BEFORE_COMPILING, compileOperation, located } from '../../src/graphql/compiled-execution.js';
import { Harness } from '../helpers/harness.js';

// A document that comes back is executed compiled (graphql-jit) rather than interpreted (graphql-js): the
// first run of each document below is interpreted, the later ones compiled. Every answer, refusals
// included, must be the same either way: same data, same words, same codes, same locations.
describe('documents executed compiled answer as interpreted ones do', () => {
  let h: Harness;
  let cookie: string;
  let viewer: string;
  before(async () => {
    h = await Harness.start();
    await h.createOrg('jit');
    cookie = await h.login('jit');
    viewer = (await h.userSession('jit', 'viewer', cookie)).cookie;
    for (let i = 0; i < 3; i++) await h.apiKey('jit', ['usage:write'], cookie);
  });
  after(() => h.close());

  /** Runs a document until it has run compiled twice; every answer must be the interpreted one's. */
  async function threeTimes(body: unknown, opts: { cookie?: string } = {}) {
    const answers = [];
    for (let i = 0; i < RUNS_BEFORE_COMPILING + 1; i++) {
      const r = await h.call('POST', '/graphql', { ...opts, body });
      answers.push({ status: r.status, body: r.body });
    }
    for (const later of answers.slice(1)) assert.deepEqual(later, answers[0], 'a compiled run differs from the interpreted one');
    return answers[0];
  }

  it('data: the organization with its license and keys', async () => {
    const a = await threeTimes({ query: '{ organization { orgId name tier license { status maxNodes } apiKeys(first: 5) { edges { node { name scopes createdAt } } } } }' }, { cookie });
    assert.equal(a.status, 200);
    assert.equal(a.body.data.organization.orgId, 'jit');
    assert.equal(a.body.data.organization.apiKeys.edges.length, 3);
  });

  it('a refusal of the whole query, with its code, required credential and location', async () => {
    const a = await threeTimes({ query: '{\r\n  organization { orgId }\r\n}' });
    const [e] = a.body.errors;
    assert.equal(e.extensions.code, 'UNAUTHENTICATED');
    assert.deepEqual(e.extensions.requiredAuth, ['portal_session']);
    assert.deepEqual(e.locations, [{ line: 2, column: 3 }]);
    assert.deepEqual(e.path, ['organization']);
  });

  it('a field refused to a role next to one it may read', async () => {
    const a = await threeTimes({ query: '{ viewer { __typename } organization { orgId users(first: 1) { edges { node { id } } } } }' }, { cookie: viewer });
    const codes = (a.body.errors ?? []).map((e: { extensions: { code: string } }) => e.extensions.code);
    assert.ok(a.body.data === null || a.body.data.viewer, JSON.stringify(a.body));
    for (const code of codes) assert.equal(code, 'FORBIDDEN');
  });

  it('a missing variable and a variable of the wrong type', async () => {
    const missing = await threeTimes({ query: 'query($id: ID!) { apiKey(id: $id) { id } }' }, { cookie });
    assert.match(missing.body.errors[0].message, /\$id/);
    const wrong = await threeTimes({ query: 'query($first: Int) { organization { apiKeys(first: $first) { edges { node { id } } } } }', variables: { first: 'ten' } }, { cookie });
    assert.match(wrong.body.errors[0].message, /\$first/);
  });

  it('a document with two operations runs the one named, each time', async () => {
    const query = 'query A { organization { orgId } } query B { deploymentConfig { mode } }';
    for (let i = 0; i < RUNS_BEFORE_COMPILING + 1; i++) {
      const a = await h.call('POST', '/graphql', { cookie, body: { query, operationName: 'A' } });
      assert.deepEqual(a.body.data, { organization: { orgId: 'jit' } });
      const b = await h.call('POST', '/graphql', { cookie, body: { query, operationName: 'B' } });
      assert.deepEqual(Object.keys(b.body.data), ['deploymentConfig']);
    }
  });

  it('a leaf that fails to serialize answers as under graphql-js: a bug is internal and never prints the value', async () => {
    const schema = buildSchema('scalar Secretive type Query { value: Secretive, count: Int }');
    const type = schema.getType('Secretive') as unknown as { serialize: (v: unknown) => unknown };
    type.serialize = (v) => {
      throw new TypeError(`bug while serializing ${String(v)}`);
    };
    const document = parse('{ value count }');
    const rootValue = { value: 'hunter2', count: 'many' };
    const compiled = located((await compileOperation(schema, document)!.query(rootValue, {}, {})) as never, document.loc?.source);
    const interpreted = (await execute({ schema, document, rootValue })) as { errors: GraphQLError[] };
    const [bug, count] = compiled.errors!;
    assert.doesNotMatch(bug.message, /hunter2/);
    assert.ok(bug.originalError && !(bug.originalError instanceof GraphQLError), 'an internal error: the mask hides and logs it');
    assert.deepEqual(bug.locations, interpreted.errors[0].locations);
    // A GraphQLError from the serializer is the caller's to read, in graphql-js's words.
    assert.equal(count.message, interpreted.errors[1].message);
    assert.deepEqual(count.locations, interpreted.errors[1].locations);
  });
});
