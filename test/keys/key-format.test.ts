import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { API_KEY_FORMAT } from '../../src/auth/token-format.js';

const newApiKeySecret = () => {
  const { publicId, secret } = API_KEY_FORMAT.newSecret();
  return { publicId, key: secret };
};
const parseApiKey = (key: string) => API_KEY_FORMAT.parse(key);
const keyDisplayPrefix = (id: string) => API_KEY_FORMAT.displayPrefix(id);
const keyRecordId = (id: string) => API_KEY_FORMAT.recordId(id);
import { ManualClock } from '../../src/clock.js';
import { ApiKeyService } from '../../src/services/api-keys.js';
import type { ServiceDeps } from '../../src/services/deps.js';

const FORMAT = /^axon_[0-9a-f]{16}_[A-Za-z0-9_-]{43}[0-9A-Za-z]{6}$/;
const keys = fc.constant(null).map(() => newApiKeySecret());
const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-';

describe('API key format', () => {
  it('a generated key is axon_, a 16-hex public id, a 256-bit base64url secret and a 6-char checksum', () => {
    const { publicId, key } = newApiKeySecret();
    assert.match(key, FORMAT);
    assert.equal(key.slice(5, 21), publicId);
    assert.equal(Buffer.from(key.slice(22, 65), 'base64url').length, 32);
    assert.ok(key.startsWith(`${keyDisplayPrefix(publicId)}_`));
    assert.equal(keyRecordId(publicId), `key_${publicId}`);
  });

  it('two keys never share a public id or a secret', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const { publicId, key } = newApiKeySecret();
      assert.ok(!seen.has(publicId) && !seen.has(key.slice(22, 65)));
      seen.add(publicId).add(key.slice(22, 65));
    }
  });

  it('accepts every generated key, returning its public id', () => {
    fc.assert(
      fc.property(keys, ({ publicId, key }) => {
        assert.deepEqual(parseApiKey(key), { ok: true, publicId });
      }),
      { numRuns: 500 },
    );
  });

  it('never throws, and rejects any arbitrary string', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' })), (s) => {
        const r = parseApiKey(s);
        assert.equal(r.ok, false);
      }),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(fc.string().map((s) => `axon_${s}`), (s) => {
        assert.equal(parseApiKey(s).ok, false);
      }),
    );
  });

  it('rejects well-formed strings whose checksum was not made for them', () => {
    const shaped = fc
      .tuple(
        fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 16, maxLength: 16 }),
        fc.string({ unit: fc.constantFrom(...ALPHABET), minLength: 43, maxLength: 43 }),
        fc.string({ unit: fc.constantFrom(...ALPHABET.slice(0, 62)), minLength: 6, maxLength: 6 }),
      )
      .map(([id, secret, sum]) => `axon_${id}_${secret}${sum}`);
    fc.assert(
      fc.property(shaped, (s) => {
        assert.match(s, FORMAT);
        const r = parseApiKey(s);
        assert.equal(r.ok, false);
        assert.match((r as { reason: string }).reason, /checksum/);
      }),
      { numRuns: 1000 },
    );
  });

  it('rejects every one-character change, truncation and extension of a generated key', () => {
    fc.assert(
      fc.property(keys, fc.nat(), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), ({ key }, i, c) => {
        const at = i % key.length;
        fc.pre(key[at] !== c);
        const changed = key.slice(0, at) + c + key.slice(at + 1);
        assert.equal(parseApiKey(changed).ok, false);
        assert.equal(parseApiKey(key.slice(0, at)).ok, false);
        assert.equal(parseApiKey(key + c).ok, false);
        assert.equal(parseApiKey(` ${key}`).ok, false);
      }),
      { numRuns: 2000 },
    );
  });

  it('a mistyped key is refused for its checksum before any database read', async () => {
    const { key } = newApiKeySecret();
    const at = 40;
    const typo = key.slice(0, at) + (key[at] === 'x' ? 'y' : 'x') + key.slice(at + 1);
    // Any use of the database fails the test: the checksum alone must decide.
    const db = new Proxy({}, { get: () => assert.fail('the database was touched') });
    const service = new ApiKeyService({ db, clock: new ManualClock('2026-06-01T00:00:00.000Z') } as unknown as ServiceDeps);
    const r = await service.verify(typo);
    assert.ok('rejected' in r);
    assert.match(r.rejected, /checksum/);
    const truncated = await service.verify(key.slice(0, 30));
    assert.ok('rejected' in truncated);
    assert.match(truncated.rejected, /malformed or truncated/);
    const garbage = await service.verify('sk-live-not-ours');
    assert.ok('rejected' in garbage);
    assert.match(garbage.rejected, /not an AxonFlow API key/);
  });
});
