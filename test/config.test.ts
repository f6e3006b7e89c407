import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, loadConfig, missingAdminKeyAllowed } from '../src/config.js';
import { generateSigningKeyPem } from '../src/licenses/license-format.js';

const made: string[] = [];
const dataDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'axon-config-'));
  made.push(dir);
  return dir;
};
after(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));
const problems = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  assert.fail('expected a ConfigError');
};

describe('configuration', () => {
  it('production refuses to start without its secrets, naming each one', () => {
    const p = problems({ ENVIRONMENT: 'production', DATA_DIR: dataDir() });
    assert.ok(p.some((x) => x.includes('ADMIN_API_KEY') && x.includes('saas')), p.join('\n'));
    assert.ok(p.some((x) => x.startsWith('ENCRYPTION_KEY is required')), p.join('\n'));
    assert.ok(p.some((x) => x.startsWith('LICENSE_SIGNING_KEY is required')), p.join('\n'));
  });

  it('production enterprise mode does not need the admin key, but still needs the others', () => {
    const p = problems({ ENVIRONMENT: 'production', DEPLOYMENT_MODE: 'enterprise', DATA_DIR: dataDir() });
    assert.ok(!p.some((x) => x.includes('ADMIN_API_KEY')));
    assert.ok(p.some((x) => x.includes('ENCRYPTION_KEY')));
  });

  const productionSecrets = () => ({
    ENVIRONMENT: 'production',
    DATA_DIR: dataDir(),
    ENCRYPTION_KEY: 'ab'.repeat(32),
    LICENSE_SIGNING_KEY: Buffer.from(generateSigningKeyPem()).toString('base64'),
  });

  it('production without a key in enterprise or in-vpc mode says in one line that the admin API is open', () => {
    for (const mode of ['enterprise', 'in-vpc']) {
      const { config, notices } = loadConfig({ ...productionSecrets(), DEPLOYMENT_MODE: mode, ALLOWED_HOSTS: 'api.internal' });
      assert.equal(config.adminApiKey, null);
      const lines = notices.filter((n) => n.includes('admin API is open'));
      assert.equal(lines.length, 1, notices.join('\n'));
      assert.match(lines[0], new RegExp(`DEPLOYMENT_MODE=${mode}`));
    }
    const keyed = loadConfig({ ...productionSecrets(), DEPLOYMENT_MODE: 'enterprise', ALLOWED_HOSTS: 'api.internal', ADMIN_API_KEY: 'k'.repeat(24) });
    assert.deepEqual(keyed.notices, [], 'with a key nothing is open');
  });

  it('outside development needs the names it answers for: PUBLIC_URL or ALLOWED_HOSTS', () => {
    const p = problems({ ...productionSecrets(), ADMIN_API_KEY: 'a'.repeat(32) });
    assert.ok(p.some((x) => x.startsWith('PUBLIC_URL or ALLOWED_HOSTS is required')), p.join('\n'));
    const staging = problems({ ENVIRONMENT: 'staging', DATA_DIR: dataDir() });
    assert.ok(staging.some((x) => x.startsWith('PUBLIC_URL or ALLOWED_HOSTS is required')), staging.join('\n'));
    const hosts = loadConfig({ ...productionSecrets(), ADMIN_API_KEY: 'a'.repeat(32), ALLOWED_HOSTS: 'api.example.com, 10.0.0.5:8080' });
    assert.deepEqual(hosts.config.allowedHosts, ['api.example.com', '10.0.0.5:8080']);
    const bad = problems({ DATA_DIR: dataDir(), ALLOWED_HOSTS: 'https://api.example.com/' });
    assert.ok(bad.some((x) => x.startsWith('ALLOWED_HOSTS')), bad.join('\n'));
  });

  it('takes CORS_ORIGINS only as exact origins, never a wildcard', () => {
    const ok = loadConfig({ DATA_DIR: dataDir(), CORS_ORIGINS: 'https://portal.example.com, http://localhost:5173' });
    assert.deepEqual(ok.config.corsOrigins, ['https://portal.example.com', 'http://localhost:5173']);
    assert.deepEqual(loadConfig({ DATA_DIR: dataDir() }).config.corsOrigins, [], 'closed by default');
    for (const bad of ['*', 'https://portal.example.com/', 'https://*.example.com', 'portal.example.com', 'null']) {
      const p = problems({ DATA_DIR: dataDir(), CORS_ORIGINS: bad });
      assert.ok(p.some((x) => x.startsWith('CORS_ORIGINS')), `${bad}: ${p.join('\n')}`);
    }
  });

  it('takes SQLITE_LOCKING as exclusive (the default) or shared, for SQLite only', () => {
    const locking = (env: Record<string, string>) => {
      const { database } = loadConfig({ DATA_DIR: dataDir(), ...env }).config;
      return database.kind === 'sqlite' ? database.locking : 'not sqlite';
    };
    assert.equal(locking({}), undefined, 'unset: the database opens exclusive');
    assert.equal(locking({ SQLITE_LOCKING: 'shared' }), 'shared');
    assert.ok(problems({ DATA_DIR: dataDir(), SQLITE_LOCKING: 'none' }).some((x) => x.startsWith('SQLITE_LOCKING="none" is not one of exclusive, shared')));
    assert.ok(problems({ DATA_DIR: dataDir(), DATABASE_URL: 'postgres://db.example.com/x', SQLITE_LOCKING: 'shared' }).some((x) => x.startsWith('SQLITE_LOCKING is for')));
  });

  it('takes JOB_LEASE_SECONDS from 2 s to an hour, 30 by default', () => {
    assert.equal(loadConfig({ DATA_DIR: dataDir() }).config.jobLeaseSeconds, 30);
    assert.equal(loadConfig({ DATA_DIR: dataDir(), JOB_LEASE_SECONDS: '2' }).config.jobLeaseSeconds, 2);
    for (const bad of ['1', '3601', '2.5', 'soon']) {
      assert.ok(problems({ DATA_DIR: dataDir(), JOB_LEASE_SECONDS: bad }).some((x) => x.startsWith(`JOB_LEASE_SECONDS="${bad}" must be a whole number from 2 to 3600`)), bad);
    }
  });

  it('production refuses OUTBOUND_ALLOW_HOSTS entries on loopback or private addresses; development takes them', () => {
    const prod = { ...productionSecrets(), PUBLIC_URL: 'https://api.example.com', ADMIN_API_KEY: 'a'.repeat(32) };
    const found = problems({ ...prod, OUTBOUND_ALLOW_HOSTS: '127.0.0.1:9000, idp.example.com:443, 10.1.2.3:443' });
    assert.ok(found.some((p) => p.includes('127.0.0.1:9000')), found.join('\n'));
    assert.ok(found.some((p) => p.includes('10.1.2.3:443')), found.join('\n'));
    assert.ok(!found.some((p) => p.includes('idp.example.com')), found.join('\n'));
    assert.deepEqual(loadConfig({ DATA_DIR: dataDir(), OUTBOUND_ALLOW_HOSTS: '127.0.0.1:9000' }).config.outboundAllowHosts, ['127.0.0.1:9000']);
  });

  it('reads ENCRYPTION_KEYS_PREVIOUS as a list of 32-byte keys and names a bad entry', () => {
    const { config } = loadConfig({ DATA_DIR: dataDir(), ENCRYPTION_KEYS_PREVIOUS: `${'cd'.repeat(32)}, ${Buffer.alloc(32, 7).toString('base64')}` });
    assert.deepEqual(config.encryptionKeysPrevious, [Buffer.from('cd'.repeat(32), 'hex'), Buffer.alloc(32, 7)]);
    assert.ok(problems({ DATA_DIR: dataDir(), ENCRYPTION_KEYS_PREVIOUS: 'short' }).some((p) => p.startsWith('ENCRYPTION_KEYS_PREVIOUS: entry 1')));
  });

  it('production starts when every secret is given, and writes nothing to disk', () => {
    const dir = dataDir();
    const { config, notices } = loadConfig({
      ENVIRONMENT: 'production',
      DATA_DIR: dir,
      PUBLIC_URL: 'https://api.example.com',
      ADMIN_API_KEY: 'a'.repeat(32),
      ENCRYPTION_KEY: 'ab'.repeat(32),
      LICENSE_SIGNING_KEY: Buffer.from(generateSigningKeyPem()).toString('base64'),
    });
    assert.equal(config.adminApiKey, 'a'.repeat(32));
    assert.equal(config.encryptionKey.length, 32);
    assert.deepEqual(notices, []);
    assert.throws(() => statSync(join(dir, 'dev-secrets.json')));
  });

  it('development makes random secrets once, keeps them private, and says where', () => {
    const dir = dataDir();
    const first = loadConfig({ DATA_DIR: dir });
    const second = loadConfig({ DATA_DIR: dir });
    assert.match(first.config.adminApiKey!, /^adm_/);
    assert.equal(second.config.adminApiKey, first.config.adminApiKey);
    assert.deepEqual(second.config.encryptionKey, first.config.encryptionKey);
    assert.ok(first.notices.some((n) => n.includes('ADMIN_API_KEY') && n.includes(join(dir, 'dev-secrets.json'))));
    assert.equal(statSync(join(dir, 'dev-secrets.json')).mode & 0o777, 0o600);
    const other = loadConfig({ DATA_DIR: dataDir() });
    assert.notEqual(other.config.adminApiKey, first.config.adminApiKey);
    assert.ok(!readFileSync(join(dir, 'dev-secrets.json'), 'utf8').includes('undefined'));
  });

  it('names every bad variable in one error', () => {
    const p = problems({
      DATA_DIR: dataDir(),
      PORT: 'eighty',
      DEPLOYMENT_MODE: 'cloud',
      DATABASE_URL: 'mysql://x',
      TRUST_PROXY_HOPS: '-1',
      SESSION_IDLE_TIMEOUT_SECONDS: '999999',
      PUBLIC_URL: 'not a url',
      ADMIN_API_KEY: 'short',
    });
    for (const name of ['PORT', 'DEPLOYMENT_MODE', 'DATABASE_URL', 'TRUST_PROXY_HOPS', 'SESSION_IDLE_TIMEOUT_SECONDS', 'PUBLIC_URL', 'ADMIN_API_KEY']) {
      assert.ok(p.some((x) => x.startsWith(name)), `${name} missing from:\n${p.join('\n')}`);
    }
  });

  it('reads DATABASE_URL into the three database choices', () => {
    const dir = dataDir();
    assert.deepEqual(loadConfig({ DATA_DIR: dir }).config.database, { kind: 'sqlite', path: join(dir, 'axonflow.db') });
    assert.equal(loadConfig({ DATA_DIR: dir, DATABASE_URL: 'sqlite:/tmp/x.db' }).config.database.kind, 'sqlite');
    assert.deepEqual(loadConfig({ DATA_DIR: dir, DATABASE_URL: 'postgresql://u@h/db' }).config.database, {
      kind: 'postgres',
      url: 'postgresql://u@h/db',
    });
  });

  it('lets a missing admin key through only where the documented rule says so', () => {
    assert.equal(missingAdminKeyAllowed('saas', 'production'), false);
    assert.equal(missingAdminKeyAllowed('saas', 'development'), false);
    assert.equal(missingAdminKeyAllowed('saas', 'staging'), true);
    assert.equal(missingAdminKeyAllowed('enterprise', 'production'), true);
    assert.equal(missingAdminKeyAllowed('in-vpc', 'development'), true);
  });
});
