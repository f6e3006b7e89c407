import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createContext } from '../../src/context.js';
import { Forbidden, Unauthenticated } from '../../src/domain/errors.js';
import { authorizeScopes } from '../../src/graphql/builder.js';
import { createLogger } from '../../src/logger.js';
import { Harness } from '../helpers/harness.js';

describe('scope checks for adapters that have no field to run', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start();
  });
  after(() => h.close());

  const anonymousContext = () =>
    createContext({
      auth: { principal: { kind: 'anonymous' }, presented: null, rejection: null, operatorWithoutKey: false },
      services: h.runtime.services,
      config: h.config,
      clock: h.clock,
      requestMeta: { id: 'req-scopes-1', ip: null, userAgent: null, secure: false, origin: 'http://localhost' },
      log: createLogger('silent'),
    });

  it('fails closed on a scope function that throws or answers no scope map', async () => {
    const ctx = anonymousContext();
    await assert.rejects(authorizeScopes(ctx, () => { throw new Error('bug in a scope function'); }), Forbidden);
    await assert.rejects(authorizeScopes(ctx, () => null), Forbidden);
    await assert.rejects(authorizeScopes(ctx, async () => true), Forbidden);
  });

  it('asks a scope function with the arguments, and refuses with the usual wording', async () => {
    const ctx = anonymousContext();
    const seen: unknown[] = [];
    await assert.rejects(
      authorizeScopes(ctx, (_parent, args) => {
        seen.push(args);
        return { session: true };
      }, { userId: 'u1' }),
      (err: unknown) => err instanceof Unauthenticated && /needs a portal session/.test(err.message),
    );
    assert.deepEqual(seen, [{ userId: 'u1' }]);
    await authorizeScopes(ctx, undefined); // a public field: nothing to ask
  });
});

describe('a refusal whose audit row cannot be written', () => {
  it('is still a refusal, and the lost row is logged', async () => {
    const h = await Harness.start();
    try {
      await h.createOrg('acme');
      const owner = await h.login('acme');
      const viewer = await h.userSession('acme', 'viewer', owner);
      h.runtime.services.audit.record = async () => {
        throw new Error('disk full');
      };
      const r = await h.graphql('mutation { revokeApiKey(id: "key_x") { id } }', {}, { cookie: viewer.cookie });
      assert.equal(r.errors[0].extensions.code, 'FORBIDDEN');
      const line = h.logs.find((l) => l.msg === 'audit write failed');
      assert.ok(line, 'the failed audit write is in the log');
      assert.equal(line.field, 'Mutation.revokeApiKey');
      assert.match(String(line.err), /disk full/);
      assert.ok(line.req_id, 'with the request id');
    } finally {
      await h.close();
    }
  });
});
