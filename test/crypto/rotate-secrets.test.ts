import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SecretBox } from '../../src/crypto/secret-box.js';
import { rotateSecrets } from '../../src/services/secret-rotation.js';
import { CLIENT_SECRET_CONTEXT } from '../../src/services/sso/sealed.js';
import type { Harness } from '../helpers/harness.js';
import { ssoHarness } from '../helpers/sso.js';

describe('rotate-secrets: every sealed secret re-sealed under the current key', () => {
  let h: Harness;
  let owner: string;
  before(async () => {
    ({ h, cookie: owner } = await ssoHarness('acme'));
    const r = await h.call('POST', '/api/v1/sso/config', {
      cookie: owner,
      body: { provider: 'oidc', oidc_issuer: 'https://idp.example.com', oidc_audience: 'portal', oidc_client_secret: 'the-client-secret' },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  });
  after(() => h.close());

  const sealed = async () =>
    (await h.runtime.database.db.selectFrom('sso_configs').select('oidc_client_secret').where('org_id', '=', 'acme').executeTakeFirstOrThrow()).oidc_client_secret!;

  it('re-seals under the new key what the old key sealed, once, and the new key alone then opens it', async () => {
    const oldKey = h.config.encryptionKey;
    const newKey = randomBytes(32);
    const before = await sealed();
    assert.ok(before.startsWith('v1.') && !before.includes('the-client-secret'));

    const rotating = new SecretBox(newKey, [oldKey]);
    assert.deepEqual(await rotateSecrets(h.runtime.database.db, rotating), { resealed: 1, current: 0, keyId: rotating.currentKeyId });
    const afterRotation = await sealed();
    assert.notEqual(afterRotation, before);
    assert.equal(new SecretBox(newKey).open(afterRotation, CLIENT_SECRET_CONTEXT), 'the-client-secret');
    assert.throws(() => new SecretBox(oldKey).open(afterRotation, CLIENT_SECRET_CONTEXT), /neither ENCRYPTION_KEY nor listed in ENCRYPTION_KEYS_PREVIOUS/);

    // Run again: nothing left to do.
    assert.deepEqual(await rotateSecrets(h.runtime.database.db, rotating), { resealed: 0, current: 1, keyId: rotating.currentKeyId });
  });
});
