import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import {
  LICENSE_AUDIENCE,
  generateSigningKeyPem,
  keyPrefix,
  licenseStatus,
  loadSigningKey,
  publicKeyDocument,
  signLicense,
  verifyLicense,
  type LicensePayload,
} from '../../src/licenses/license-format.js';
import { verifyFromFiles } from '../../scripts/verify-license.js';

const DAY = 86_400_000;
const privateKey = loadSigningKey(generateSigningKeyPem());
const publicKey = createPublicKey(privateKey);

const basePayload: LicensePayload = {
  license_id: 'lic_01HZX',
  tier: 'ENTERPRISE',
  org_id: 'org_acme',
  permissions: ['sso', 'audit-export'],
  max_nodes: 25,
  issued_at: '2025-11-28T20:00:00.000Z',
  expires_at: '2026-11-28T20:00:00.000Z',
  aud: LICENSE_AUDIENCE,
};
const sample = signLicense(basePayload, privateKey);

// Bypasses signLicense's validation so we can test what the verifier does with signed garbage.
function signRaw(json: string, key: KeyObject = privateKey): string {
  const body = Buffer.from(json, 'utf8').toString('base64url');
  return `AXON-${body}.${sign(null, Buffer.from(body, 'ascii'), key).toString('base64url')}`;
}

function expectInvalid(key: string, reasonPattern?: RegExp): string {
  const result = verifyLicense(key, publicKey);
  assert.equal(result.ok, false, `expected rejection of ${JSON.stringify(key.slice(0, 60))}`);
  if (!result.ok && reasonPattern) assert.match(result.reason, reasonPattern);
  return result.ok ? '' : result.reason;
}

describe('signLicense / verifyLicense', () => {
  it('round-trips the payload and has the documented shape', () => {
    assert.match(sample, /^AXON-[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{86}$/);
    const result = verifyLicense(sample, publicKey);
    assert.deepEqual(result, { ok: true, payload: basePayload });
    const body = sample.slice(5, sample.indexOf('.'));
    assert.deepEqual(JSON.parse(Buffer.from(body, 'base64url').toString('utf8')), basePayload);
  });

  it('detects every single-character substitution', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const replacements = [...alphabet, '.', '=', ' '];
    let tried = 0;
    for (let i = 0; i < sample.length; i++) {
      for (const c of replacements) {
        if (c === sample[i]) continue;
        const mutated = sample.slice(0, i) + c + sample.slice(i + 1);
        assert.equal(verifyLicense(mutated, publicKey).ok, false, `position ${i} -> ${JSON.stringify(c)} verified`);
        tried++;
      }
    }
    assert.ok(tried > sample.length * 60);
  });

  it('rejects every truncation and surrounding whitespace', () => {
    for (let len = 0; len < sample.length; len++) expectInvalid(sample.slice(0, len));
    expectInvalid(` ${sample}`);
    expectInvalid(`${sample}\n`);
    expectInvalid(`${sample}.`);
    expectInvalid(`${sample}.${sample.split('.')[1]}`, /separator/);
  });

  it('rejects structural garbage with specific reasons', () => {
    expectInvalid('', /AXON- prefix/);
    expectInvalid(sample.slice(5), /AXON- prefix/);
    expectInvalid(`axon-${sample.slice(5)}`, /AXON- prefix/);
    expectInvalid(`${sample}${'A'.repeat(9000)}`, /8 KiB/);
    expectInvalid('AXON-!!!!.????', /base64url/);
    expectInvalid(`AXON-${sample.slice(5).replace('.', '.AAAA')}`, /signature/);
    // Non-canonical: trailing bits set in the last char of the signature.
    const [body, sig] = sample.slice(5).split('.');
    const last = sig[sig.length - 1];
    const sibling = 'AQgw'.includes(last) ? String.fromCharCode(last.charCodeAt(0) + 1) : 'A';
    expectInvalid(`AXON-${body}.${sig.slice(0, -1)}${sibling}`);
  });

  it('never throws for arbitrary strings', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.string().map((s) => `AXON-${s}`)), (s) => {
        assert.equal(verifyLicense(s, publicKey).ok, false);
      }),
      { numRuns: 500 },
    );
  });

  it('rejects a license from another signer, naming the signature', () => {
    const other = generateKeyPairSync('ed25519').privateKey;
    expectInvalid(signLicense(basePayload, other), /signature/);
  });

  it('checks the signature before parsing JSON', () => {
    const forged = signRaw('not json', generateKeyPairSync('ed25519').privateKey);
    expectInvalid(forged, /signature/);
    expectInvalid(signRaw('not json'), /not valid JSON/);
    expectInvalid(signRaw('[1,2]'), /not a JSON object/);
    expectInvalid(signRaw('null'), /not a JSON object/);
  });

  it('enforces the audience', () => {
    const foreign = signLicense({ ...basePayload, aud: 'some-other-product' }, privateKey);
    expectInvalid(foreign, /audience mismatch/);
    assert.equal(verifyLicense(foreign, publicKey, { audience: 'some-other-product' }).ok, true);
    assert.equal(verifyLicense(sample, publicKey, { audience: 'some-other-product' }).ok, false);
  });

  it('rejects validly signed payloads with bad fields, naming the field', () => {
    const cases: Array<[string, unknown]> = [
      ['tier', 'GOLD'],
      ['tier', undefined],
      ['org_id', 42],
      ['permissions', 'sso'],
      ['permissions', ['sso', 1]],
      ['max_nodes', -1],
      ['max_nodes', 1.5],
      ['max_nodes', '25'],
      ['issued_at', 'yesterday'],
      ['issued_at', '2025-02-31T00:00:00.000Z'],
      ['expires_at', 1790000000000],
      ['expires_at', '2020-01-01T00:00:00.000Z'],
      ['aud', null],
      ['license_id', undefined],
    ];
    for (const [field, value] of cases) {
      const bad = signRaw(JSON.stringify({ ...basePayload, [field]: value }));
      const reason = expectInvalid(bad);
      assert.ok(reason.includes(field), `${field}=${JSON.stringify(value)} gave "${reason}"`);
    }
  });

  it('refuses to sign an invalid payload', () => {
    assert.throws(() => signLicense({ ...basePayload, max_nodes: -3 }, privateKey), /max_nodes/);
  });
});

describe('licenseStatus', () => {
  const expires = Date.parse(basePayload.expires_at);
  const at = (msBeforeExpiry: number) => licenseStatus(basePayload, new Date(expires - msBeforeExpiry));

  it('classifies the 30-day boundary and expiry', () => {
    assert.deepEqual(at(30 * DAY), { status: 'valid', daysRemaining: 30 });
    assert.deepEqual(at(29.9 * DAY), { status: 'expiring', daysRemaining: 30 });
    assert.deepEqual(at(1), { status: 'expiring', daysRemaining: 1 });
    assert.deepEqual(at(0), { status: 'expired', daysRemaining: 0 });
    assert.deepEqual(at(-5 * DAY), { status: 'expired', daysRemaining: 0 });
    assert.deepEqual(at(100.5 * DAY), { status: 'valid', daysRemaining: 101 });
  });
});

describe('keys', () => {
  it('keyPrefix shows the first 16 characters', () => {
    assert.equal(keyPrefix(sample), sample.slice(0, 16));
    assert.equal(keyPrefix(sample).length, 16);
    assert.ok(keyPrefix(sample).startsWith('AXON-eyJ'));
  });

  it('publicKeyDocument JWK imports back and verifies', () => {
    const doc = publicKeyDocument(publicKey);
    assert.match(doc.pem, /^-----BEGIN PUBLIC KEY-----/);
    assert.equal(doc.jwk.kty, 'OKP');
    assert.equal(doc.jwk.crv, 'Ed25519');
    assert.equal(doc.jwk.use, 'sig');
    assert.equal(doc.jwk.alg, 'EdDSA');
    assert.match(String(doc.jwk.kid), /^[A-Za-z0-9_-]{22}$/);
    assert.equal('d' in doc.jwk, false);
    const imported = createPublicKey({ key: doc.jwk, format: 'jwk' });
    assert.equal(verifyLicense(sample, imported).ok, true);
    assert.deepEqual(publicKeyDocument(privateKey), doc);
    const otherDoc = publicKeyDocument(generateKeyPairSync('ed25519').publicKey);
    assert.notEqual(otherDoc.jwk.kid, doc.jwk.kid);
  });

  it('loadSigningKey accepts PEM and base64 PEM, rejects others', () => {
    const pem = generateSigningKeyPem();
    assert.match(pem, /^-----BEGIN PRIVATE KEY-----/);
    const fromPem = loadSigningKey(pem);
    const fromB64 = loadSigningKey(Buffer.from(pem).toString('base64'));
    assert.equal(fromPem.asymmetricKeyType, 'ed25519');
    assert.ok(fromPem.equals(fromB64));
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    assert.throws(() => loadSigningKey(rsa.export({ type: 'pkcs8', format: 'pem' }) as string), /Ed25519/);
    const spki = createPublicKey(fromPem).export({ type: 'spki', format: 'pem' }) as string;
    assert.throws(() => loadSigningKey(spki), /private key/);
    assert.throws(() => loadSigningKey('not a key'), /PEM/);
    assert.throws(() => loadSigningKey(''), /empty/);
  });
});

describe('verify-license CLI', () => {
  const doc = publicKeyDocument(publicKey);
  const now = new Date('2026-06-01T00:00:00.000Z');

  it('verifyFromFiles works with a PEM and with the published JSON document', () => {
    for (const text of [doc.pem, JSON.stringify(doc), JSON.stringify({ jwk: doc.jwk })]) {
      const out = verifyFromFiles(text, `${sample}\n`, now);
      assert.equal(out.valid, true);
      assert.equal(out.status, 'valid');
      assert.equal(out.daysRemaining, 181);
      assert.deepEqual(out.payload, basePayload);
    }
    const expired = verifyFromFiles(doc.pem, sample, new Date('2027-01-01T00:00:00.000Z'));
    assert.equal(expired.valid, false);
    assert.equal(expired.status, 'expired');
    const tampered = verifyFromFiles(doc.pem, sample.replace('AXON-eyJ', 'AXON-eyK'), now);
    assert.deepEqual(tampered.valid, false);
    assert.equal(tampered.status, 'invalid');
    assert.ok(tampered.reason);
    assert.throws(() => verifyFromFiles('{"nothing":1}', sample, now));
  });

  it('exits 0/1/2 as documented', () => {
    const script = fileURLToPath(new URL('../../scripts/verify-license.js', import.meta.url));
    const dir = mkdtempSync(join(tmpdir(), 'axon-lic-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const pemFile = join(dir, 'pub.pem');
    writeFileSync(pemFile, doc.pem);
    const run = (args: string[], input?: string) =>
      spawnSync(process.execPath, [script, ...args], { input, encoding: 'utf8' });

    // A far-future license so the exit code does not depend on today's date.
    const longLived = signLicense({ ...basePayload, expires_at: '2999-01-01T00:00:00.000Z' }, privateKey);
    const ok = run(['--public-key', pemFile, longLived]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).payload.org_id, 'org_acme');
    assert.equal(run(['--public-key', pemFile, '-'], `${longLived}\n`).status, 0);
    const expiredKey = signLicense({ ...basePayload, expires_at: '2001-01-01T00:00:00.000Z', issued_at: '2000-01-01T00:00:00.000Z' }, privateKey);
    assert.equal(run(['--public-key', pemFile, expiredKey]).status, 1);
    assert.equal(run(['--public-key', pemFile, `${longLived}x`]).status, 1);
    assert.equal(run([longLived]).status, 2);
    assert.equal(run(['--public-key', join(dir, 'missing.pem'), longLived]).status, 2);
  });
});
