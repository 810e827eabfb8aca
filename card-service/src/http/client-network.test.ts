import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clientNetwork } from './client-network.js';

test('IPv6 peers are counted per /64, IPv4 and IPv4-mapped peers per address', () => {
  assert.equal(clientNetwork('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
  assert.equal(clientNetwork('2001:0db8:0001:0002:ffff:ffff:ffff:ffff'), '2001:db8:1:2::/64');
  assert.equal(clientNetwork('2001:db8::1'), '2001:db8:0:0::/64');
  assert.equal(clientNetwork('fe80::1%eth0'), 'fe80:0:0:0::/64');
  assert.equal(clientNetwork('::1'), '0:0:0:0::/64');
  assert.equal(clientNetwork('64:ff9b::192.0.2.33'), '64:ff9b:0:0::/64');
  assert.equal(clientNetwork('::ffff:203.0.113.7'), '203.0.113.7');
  assert.equal(clientNetwork('203.0.113.7'), '203.0.113.7');
});
