// The secret box alone: AES-256-GCM under the current key, older keys still opening what they sealed,
// the context bound as associated data, and every tampering refused.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { SecretBox, SecretBoxError, keyId } from '../../src/crypto/secret-box.js';

const CONTEXT = 'sso_configs.oidc_client_secret';
const SECRET = 'the-client-secret-4f1c';

describe('SecretBox', () => {
  const keyA = randomBytes(32);
  const keyB = randomBytes(32);

  it('opens what it sealed, and the sealed text is v1.<key id>.<iv>.<body> without the plaintext', () => {
    const box = new SecretBox(keyA);
    const sealed = box.seal(SECRET, CONTEXT);
    assert.equal(box.open(sealed, CONTEXT), SECRET);
    const parts = sealed.split('.');
    assert.equal(parts.length, 4);
    assert.equal(parts[0], 'v1');
    assert.equal(parts[1], keyId(keyA));
    assert.equal(parts[1], box.currentKeyId);
    assert.equal(Buffer.from(parts[2], 'base64url').length, 12, 'a 96-bit GCM nonce');
    assert.ok(!sealed.includes(SECRET));
    assert.ok(!sealed.includes(Buffer.from(SECRET).toString('base64url')));
  });

  it('round-trips empty, long and non-ASCII text', () => {
    const box = new SecretBox(keyA);
    for (const text of ['', 'x'.repeat(10_000), 'pässwörd 秘密 🔑']) assert.equal(box.open(box.seal(text, CONTEXT), CONTEXT), text);
  });

  it('opens a value sealed under key A with SecretBox(B, [A]), and reseals it under B', () => {
    const sealedA = new SecretBox(keyA).seal(SECRET, CONTEXT);
    const rotating = new SecretBox(keyB, [keyA]);
    assert.equal(rotating.open(sealedA, CONTEXT), SECRET);
    const sealedB = rotating.seal(SECRET, CONTEXT);
    assert.equal(sealedB.split('.')[1], keyId(keyB));
    assert.equal(new SecretBox(keyB).open(sealedB, CONTEXT), SECRET);
  });

  it('does not open a value of key A with SecretBox(B): the error names the key id and ENCRYPTION_KEYS_PREVIOUS', () => {
    const sealedA = new SecretBox(keyA).seal(SECRET, CONTEXT);
    assert.throws(
      () => new SecretBox(keyB).open(sealedA, CONTEXT),
      (err: Error) => {
        assert.ok(err instanceof SecretBoxError);
        assert.ok(err.message.includes(keyId(keyA)), err.message);
        assert.match(err.message, /ENCRYPTION_KEYS_PREVIOUS/);
        assert.ok(!err.message.includes(keyA.toString('hex')) && !err.message.includes(keyA.toString('base64')));
        return true;
      },
    );
  });

  it('refuses a value with any byte of its iv, ciphertext or tag flipped', () => {
    const box = new SecretBox(keyA);
    const sealed = box.seal(SECRET, CONTEXT);
    const [version, id, ivText, bodyText] = sealed.split('.');
    const flip = (b64: string, at: number) => {
      const bytes = Buffer.from(b64, 'base64url');
      bytes[at] ^= 0x01;
      return bytes.toString('base64url');
    };
    const body = Buffer.from(bodyText, 'base64url');
    const tampered = [
      [version, id, flip(ivText, 0), bodyText],
      [version, id, ivText, flip(bodyText, 0)], // the ciphertext
      [version, id, ivText, flip(bodyText, body.length - 1)], // the tag
    ].map((p) => p.join('.'));
    for (const t of tampered) {
      assert.throws(() => box.open(t, CONTEXT), (err: Error) => err instanceof SecretBoxError && /does not open/.test(err.message));
    }
  });

  it('refuses what is not a sealed value', () => {
    const box = new SecretBox(keyA);
    const sealed = box.seal(SECRET, CONTEXT);
    const [, id, ivText, bodyText] = sealed.split('.');
    for (const bad of [
      '',
      SECRET,
      'v2' + sealed.slice(2),
      `${sealed}.extra`,
      `v1.${id}.${ivText}.AAAA`, // shorter than a GCM tag
      sealed.split('.').slice(0, 3).join('.'),
      `v1.${id}.A.${bodyText}`, // an iv that decodes to no bytes at all
    ]) {
      assert.throws(() => box.open(bad, CONTEXT), SecretBoxError, bad);
    }
  });

  it('does not open in another context (a sealed value copied to another column)', () => {
    const box = new SecretBox(keyA);
    const sealed = box.seal(SECRET, CONTEXT);
    assert.throws(() => box.open(sealed, 'sso_login_requests.code_verifier'), (err: Error) => err instanceof SecretBoxError && /sealed for another place/.test(err.message));
    assert.throws(() => box.open(sealed, ''), SecretBoxError);
  });

  it('isStale is true for values of an older key and false for the current one', () => {
    const old = new SecretBox(keyA).seal(SECRET, CONTEXT);
    const rotating = new SecretBox(keyB, [keyA]);
    assert.equal(rotating.isStale(old), true);
    assert.equal(rotating.isStale(rotating.seal(SECRET, CONTEXT)), false);
    assert.equal(new SecretBox(keyA).isStale(old), false);
  });

  it('seals the same text twice to different values (a fresh nonce each time)', () => {
    const box = new SecretBox(keyA);
    const one = box.seal(SECRET, CONTEXT);
    const two = box.seal(SECRET, CONTEXT);
    assert.notEqual(one, two);
    assert.notEqual(one.split('.')[2], two.split('.')[2]);
    assert.equal(box.open(one, CONTEXT), box.open(two, CONTEXT));
  });

  it('accepts only 32-byte keys, current and previous', () => {
    assert.throws(() => new SecretBox(randomBytes(16)), SecretBoxError);
    assert.throws(() => new SecretBox(keyA, [randomBytes(31)]), SecretBoxError);
  });

  it('key ids are stable per key, differ between keys and reveal no key bytes', () => {
    assert.equal(keyId(keyA), keyId(Buffer.from(keyA)));
    assert.notEqual(keyId(keyA), keyId(keyB));
    assert.match(keyId(keyA), /^[0-9a-f]{16}$/);
    assert.ok(!keyA.toString('hex').includes(keyId(keyA)));
  });
});
