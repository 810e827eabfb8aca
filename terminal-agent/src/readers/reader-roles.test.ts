import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { combineRoleResolvers, profileRoleResolver } from './reader-roles.js';

const profiles = {
  matchReader(name: string) {
    if (name.startsWith('Virtual PCD')) {
      return { role: name.endsWith(' 01') ? ('sam' as const) : ('user' as const), profile: { id: 'vpcd' } };
    }
    if (name.startsWith('Yubico')) return { role: 'ignore' as const, profile: { id: 'yubikey' } };
    return undefined;
  },
};

describe('reader roles', () => {
  it('takes the PSAM slot from the reader profile', () => {
    const roles = profileRoleResolver(profiles);
    assert.deepEqual(roles('Virtual PCD 00 01', 'pcsc'), { role: 'psam', profile: 'vpcd' });
    assert.deepEqual(roles('Virtual PCD 00 00', 'pcsc'), { role: 'user', profile: 'vpcd' });
  });
  it('ignores readers a profile says to leave alone and treats unknown readers as user slots', () => {
    const roles = profileRoleResolver(profiles);
    assert.equal(roles('Yubico YubiKey OTP+FIDO+CCID 00 00', 'pcsc').role, 'ignore');
    assert.equal(roles('ACME Reader 00 00', 'pcsc').role, 'user');
  });
  it('lets configuration override a profile', () => {
    const roles = combineRoleResolvers(
      [{ pattern: /^Virtual PCD 00 00$/, role: 'psam' }],
      profileRoleResolver(profiles),
    );
    assert.deepEqual(roles('Virtual PCD 00 00', 'pcsc'), { role: 'psam', profile: 'configuration' });
  });
});
