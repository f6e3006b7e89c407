import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { forbiddenAddressReason } from '../../src/outbound/address-policy.js';

describe('forbiddenAddressReason', () => {
  const refused: [string, RegExp][] = [
    ['127.0.0.1', /loopback/],
    ['127.255.255.254', /loopback/],
    ['0.0.0.0', /unspecified/],
    ['10.0.0.5', /private/],
    ['172.16.0.1', /private/],
    ['172.31.255.255', /private/],
    ['192.168.1.1', /private/],
    ['169.254.169.254', /link-local.*metadata/],
    ['169.254.1.1', /link-local/],
    ['100.64.0.1', /carrier-grade NAT/],
    ['100.100.100.200', /metadata/],
    ['::1', /loopback/],
    ['::', /unspecified/],
    ['::ffff:127.0.0.1', /loopback/],
    ['::ffff:7f00:1', /loopback/],
    ['::ffff:10.0.0.1', /private/],
    ['::ffff:169.254.169.254', /metadata/],
    ['64:ff9b::a00:1', /private/],
    ['64:ff9b::7f00:1', /loopback/],
    ['::7f00:1', /IPv4-compatible/],
    ['fe80::1', /link-local/],
    ['fc00::1', /unique-local/],
    ['fd00:ec2::254', /unique-local.*metadata/],
    ['224.0.0.1', /multicast/],
    ['ff02::1', /multicast/],
    ['255.255.255.255', /broadcast/],
    ['192.0.2.1', /reserved/],
    ['2001:db8::1', /reserved/],
    ['2002:7f00:1::', /6to4/],
    ['2001::1', /teredo/],
    ['not-an-ip', /not an IP address/],
  ];
  for (const [ip, reason] of refused) {
    it(`refuses ${ip}`, () => {
      const why = forbiddenAddressReason(ip);
      assert.ok(why !== null, `${ip} must be refused`);
      assert.match(why, reason);
    });
  }

  for (const ip of ['8.8.8.8', '1.1.1.1', '93.184.216.34', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808']) {
    it(`allows the public address ${ip}`, () => assert.equal(forbiddenAddressReason(ip), null));
  }
});
