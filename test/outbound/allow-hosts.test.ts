import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAllowHosts } from '../../src/outbound/allow-hosts.js';

describe('parseAllowHosts', () => {
  it('is empty when unset or blank', () => {
    assert.deepEqual(parseAllowHosts(undefined, true), { hosts: [], problems: [] });
    assert.deepEqual(parseAllowHosts(' , ', true), { hosts: [], problems: [] });
  });

  it('accepts host:port entries, lower-cased and normalised the way URLs are', () => {
    const { hosts, problems } = parseAllowHosts(' IdP.Example.COM:8443 , 127.0.0.1:9000,[0:0::1]:8443, 127.1:80', false);
    assert.deepEqual(problems, []);
    assert.deepEqual(hosts, ['idp.example.com:8443', '127.0.0.1:9000', '[::1]:8443', '127.0.0.1:80']);
  });

  for (const bad of ['idp.example.com', 'idp.example.com:0', 'idp.example.com:65536', 'idp.example.com:http', 'https://idp.example.com:443', 'idp.example.com:443/path', 'user@idp.example.com:443', '::1:443', ':443']) {
    it(`names the malformed entry ${JSON.stringify(bad)}`, () => {
      const { hosts, problems } = parseAllowHosts(`good.example.com:443,${bad}`, false);
      assert.deepEqual(hosts, ['good.example.com:443']);
      assert.equal(problems.length, 1);
      assert.ok(problems[0].includes('OUTBOUND_ALLOW_HOSTS') && problems[0].includes(`"${bad}"`), problems[0]);
    });
  }

  it('production refuses loopback and private entries, naming the variable, the entry and why', () => {
    const { hosts, problems } = parseAllowHosts('127.0.0.1:9000,localhost:9000,[::1]:9000,10.1.2.3:443,169.254.169.254:80,idp.example.com:443', true);
    assert.deepEqual(hosts, ['idp.example.com:443']);
    assert.deepEqual(problems, [
      'OUTBOUND_ALLOW_HOSTS: "127.0.0.1:9000" is a loopback address; production may not reach it',
      'OUTBOUND_ALLOW_HOSTS: "localhost:9000" is a loopback name; production may not reach it',
      'OUTBOUND_ALLOW_HOSTS: "[::1]:9000" is a loopback address; production may not reach it',
      'OUTBOUND_ALLOW_HOSTS: "10.1.2.3:443" is a private address; production may not reach it',
      'OUTBOUND_ALLOW_HOSTS: "169.254.169.254:80" is a link-local (cloud metadata) address; production may not reach it',
    ]);
  });

  it('outside production the same loopback entries are accepted', () => {
    const { hosts, problems } = parseAllowHosts('127.0.0.1:9000,localhost:9000,[::1]:9000', false);
    assert.deepEqual(problems, []);
    assert.deepEqual(hosts, ['127.0.0.1:9000', 'localhost:9000', '[::1]:9000']);
  });
});
