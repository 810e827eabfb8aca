import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_PROFILES_DIR, loadProfiles } from './loader.js';
import { classifyReaders } from './reader-roles.js';

const profiles = loadProfiles();
const YUBIKEY = 'Yubico YubiKey OTP+FIDO+CCID 00 00';

test('vpcd slot 00 is the user card and slot 01 the SAM', () => {
  assert.equal(profiles.matchReader('Virtual PCD 00 00')?.role, 'user');
  assert.equal(profiles.matchReader('Virtual PCD 00 01')?.role, 'sam');
  assert.equal(profiles.matchReader('Virtual PCD #2 01 01')?.role, 'sam');
  assert.equal(profiles.matchReader('Virtual PCD 00 00')?.profile.quirks.extendedApdu, true);
});

test('vendor families take their slot roles from their profiles', () => {
  assert.equal(profiles.matchReader('Decard D8 00 01')?.role, 'sam');
  assert.equal(profiles.matchReader('Decard D8 00 00')?.role, 'user');
  assert.equal(profiles.matchReader('HD-100 CCID 00 02')?.role, 'contactless');
  assert.equal(profiles.matchReader('HD-100 CCID 00 02')?.profile.quirks.extendedApdu, false);
});

test('an unknown reader falls to the generic CCID profile as a user slot', () => {
  const match = profiles.matchReader('ACS ACR39U ICC Reader 00 00');
  assert.equal(match?.profile.id, 'generic-ccid');
  assert.equal(match?.role, 'user');
});

test('a security key is ignored because of its profile file alone', () => {
  const names = ['Virtual PCD 00 00', 'Virtual PCD 00 01', YUBIKEY, 'Windows Hello for Business 1 00 00'];
  const shipped = classifyReaders(profiles, names);
  assert.deepEqual(
    shipped.ignored.map((m) => m.name),
    [YUBIKEY, 'Windows Hello for Business 1 00 00'],
  );
  assert.deepEqual(
    shipped.user.map((m) => m.name),
    ['Virtual PCD 00 00'],
  );
  assert.deepEqual(
    shipped.sam.map((m) => m.name),
    ['Virtual PCD 00 01'],
  );

  // The same code without that one file offers the key as a card slot.
  const dir = mkdtempSync(join(tmpdir(), 'sscard-profiles-'));
  try {
    cpSync(DEFAULT_PROFILES_DIR, dir, { recursive: true });
    rmSync(join(dir, 'pcsc-reader', 'security-keys.json'));
    const without = classifyReaders(loadProfiles(dir), names);
    assert.ok(without.user.some((m) => m.name === YUBIKEY));
    assert.equal(without.ignored.length, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
