import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadProfiles } from './loader.js';

const profiles = loadProfiles();
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
