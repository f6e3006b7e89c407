import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Harness } from '../helpers/harness.js';
import { beat, heartbeat, listNodes, node } from './helpers.js';

describe('heartbeat input rules', () => {
  let h: Harness;
  let cookie: string;
  let key: string;
  let baseline: unknown;

  before(async () => {
    h = await Harness.start();
    await h.createOrg('acme', { tier: 'ENTERPRISE' });
    cookie = await h.login('acme');
    key = (await h.apiKey('acme', ['nodes:write'], cookie)).key;
    await beat(h, key, 'existing', { os: 'linux', cpu_cores: 4, memory_mb: 8192, region: 'us-east-1' });
    baseline = (await listNodes(h, cookie)).body;
  });
  after(() => h.close());

  const bad: [string, Record<string, unknown>, string][] = [
    ['node_id missing', { node_id: undefined }, 'node_id'],
    ['node_id empty', { node_id: '' }, 'node_id'],
    ['node_id 129 characters', { node_id: 'a'.repeat(129) }, 'node_id'],
    ['node_id with a space', { node_id: 'has space' }, 'node_id'],
    ['node_id with a slash', { node_id: 'a/b' }, 'node_id'],
    ['node_id not a string', { node_id: 12 }, 'node_id'],
    ['hostname empty', { hostname: '  ' }, 'hostname'],
    ['hostname 254 characters', { hostname: 'h'.repeat(254) }, 'hostname'],
    ['hostname missing', { hostname: undefined }, 'hostname'],
    ['version empty', { version: '' }, 'version'],
    ['version 65 characters', { version: 'v'.repeat(65) }, 'version'],
    ['role unknown', { role: 'worker' }, 'role'],
    ['role missing', { role: undefined }, 'role'],
    ['cpu_cores 0', { cpu_cores: 0 }, 'cpu_cores'],
    ['cpu_cores 4097', { cpu_cores: 4097 }, 'cpu_cores'],
    ['cpu_cores fractional', { cpu_cores: 1.5 }, 'cpu_cores'],
    ['cpu_cores a string', { cpu_cores: '8' }, 'cpu_cores'],
    ['memory_mb 0', { memory_mb: 0 }, 'memory_mb'],
    ['memory_mb over 16,777,216', { memory_mb: 16_777_217 }, 'memory_mb'],
    ['os 65 characters', { os: 'o'.repeat(65) }, 'os'],
    ['region 65 characters', { region: 'r'.repeat(65) }, 'region'],
    ['an unknown field', { status: 'active' }, 'status'],
    ['another unknown field', { org_id: 'other-org' }, 'org_id'],
  ];

  for (const [name, change, field] of bad) {
    it(`${name}: 400 naming ${field}, nothing written`, async () => {
      const body: Record<string, unknown> = node('existing', { version: '2.0.0' });
      for (const [k, v] of Object.entries(change)) {
        if (v === undefined) delete body[k];
        else body[k] = v;
      }
      const r = await heartbeat(h, key, body);
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.error.code, 'INVALID_INPUT');
      assert.equal(r.body.error.field, field);
      assert.match(r.body.error.message, new RegExp(field));
      assert.deepEqual((await listNodes(h, cookie)).body, baseline);
    });
  }

  it('a body that is not JSON: 400, nothing written', async () => {
    const r = await h.call('POST', '/api/v1/nodes/heartbeat', {
      rawBody: '{"node_id":',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    });
    assert.equal(r.status, 400);
    assert.deepEqual((await listNodes(h, cookie)).body, baseline);
  });

  it('bad input with no credential is refused for the credential first', async () => {
    const r = await h.call('POST', '/api/v1/nodes/heartbeat', { body: { node_id: '' } });
    assert.equal(r.status, 401);
  });

  it('the limits themselves are accepted', async () => {
    const r = await heartbeat(h, key, {
      node_id: `${'a'.repeat(120)}.-_:Z9`.slice(0, 128),
      hostname: 'h'.repeat(253),
      role: 'orchestrator',
      version: 'v'.repeat(64),
      os: 'o'.repeat(64),
      region: 'r'.repeat(64),
      cpu_cores: 4096,
      memory_mb: 16_777_216,
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const min = await heartbeat(h, key, { node_id: 'x', hostname: 'h', role: 'agent', version: '1', cpu_cores: 1, memory_mb: 1 });
    assert.equal(min.status, 200, JSON.stringify(min.body));
  });
});
