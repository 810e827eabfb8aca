import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_PROFILES_DIR, loadProfiles } from '@sscard/firmware-profiles';
import { combineRoleResolvers, profileRoleResolver, readerRoleResolver } from './reader-roles.js';

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

  describe("the terminal's resolver, over the shipped profiles", () => {
    const YUBIKEY = 'Yubico YubiKey OTP+FIDO+CCID 00 00';
    const HELLO = 'Windows Hello for Business 1 00 00';
    const roleOf = (roles: ReturnType<typeof readerRoleResolver>, name: string) => roles(name, 'pcsc').role;

    it('takes vpcd slot 01 as the PSAM and ignores a security key because of its profile file alone', () => {
      const roles = readerRoleResolver({ ignore: [] }, loadProfiles());
      assert.equal(roleOf(roles, 'Virtual PCD 00 00'), 'user');
      assert.equal(roleOf(roles, 'Virtual PCD 00 01'), 'psam');
      assert.equal(roleOf(roles, 'HD-100 CCID 00 02'), 'contactless');
      assert.equal(roleOf(roles, YUBIKEY), 'ignore');
      assert.equal(roleOf(roles, HELLO), 'ignore');
      // The same code without that one file offers the key as a card slot.
      const dir = mkdtempSync(join(tmpdir(), 'sscard-profiles-'));
      try {
        cpSync(DEFAULT_PROFILES_DIR, dir, { recursive: true });
        rmSync(join(dir, 'pcsc-reader', 'security-keys.json'));
        assert.equal(roleOf(readerRoleResolver({ ignore: [] }, loadProfiles(dir)), YUBIKEY), 'user');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('lets the configuration ignore a reader, name the PSAM and name the card reader, in that order', () => {
      const roles = readerRoleResolver(
        { ignore: ['Virtual PCD 00 00'], psam: 'ACME', card: 'Virtual PCD 00 01' },
        loadProfiles(),
      );
      assert.deepEqual(roles('Virtual PCD 00 00', 'pcsc'), { role: 'ignore', profile: 'configuration' });
      assert.deepEqual(roles('ACME Reader 00 00', 'pcsc'), { role: 'psam', profile: 'configuration' });
      assert.deepEqual(roles('Virtual PCD 00 01', 'pcsc'), { role: 'user', profile: 'configuration' });
      assert.equal(
        roleOf(
          readerRoleResolver({ ignore: [], psam: 'Virtual', card: 'Virtual' }, loadProfiles()),
          'Virtual PCD 00 00',
        ),
        'psam',
      );
    });

    it('ignores every PC/SC reader outside readers.only, but never a configured serial reader', () => {
      const roles = readerRoleResolver(
        { ignore: [], card: 'Virtual PCD #4 00 00', only: ['Virtual PCD #4 00 00'] },
        loadProfiles(),
      );
      assert.deepEqual(roles('Virtual PCD #4 00 00', 'pcsc'), { role: 'user', profile: 'configuration' });
      // The counter's own reader entry has a PSAM slot it does not use, and the hall has other readers.
      assert.equal(roleOf(roles, 'Virtual PCD #4 00 01'), 'ignore');
      assert.equal(roleOf(roles, 'Virtual PCD 00 00'), 'ignore');
      assert.equal(roleOf(roles, 'Virtual PCD 00 01'), 'ignore');
      assert.equal(roles('sscard serial reader', 'serial').role, 'user');
    });

    it('makes a serial reader a user slot', () => {
      assert.deepEqual(readerRoleResolver({ ignore: [] }, loadProfiles())('sscard serial reader', 'serial'), {
        role: 'user',
      });
    });
  });
});
