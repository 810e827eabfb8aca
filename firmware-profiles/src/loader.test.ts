import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildSsseAtr, historicalBytesFor } from '@sscard/card-core';
import { ProfileError } from './errors.js';
import { DEFAULT_PROFILES_DIR, loadProfiles } from './loader.js';

function copyOfShipped(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sscard-profiles-'));
  cpSync(DEFAULT_PROFILES_DIR, dir, { recursive: true });
  return dir;
}

const profiles = loadProfiles();
const CARD_ID = '320200D156000005AD932A4800000001';

test('the shipped profiles load and cover both card generations and the PSAM', () => {
  assert.equal(profiles.ssseOs(2).algorithm, '3des');
  assert.equal(profiles.ssseOs(3).algorithm, 'sm4');
  assert.equal(profiles.ssseOs(3).quirks.selectAidAnswer, '611E');
  assert.equal(profiles.psamOs().id, 'sscard-psam');
  assert.ok(profiles.serialReaders.length >= 2);
  assert.deepEqual(new Set(profiles.pinPads.map((p) => p.transport.kind)), new Set(['serial', 'hid']));
});

test('an ATR built from a generation profile matches that profile', () => {
  for (const generation of [2, 3] as const) {
    const os = profiles.ssseOs(generation);
    const atr = buildSsseAtr(historicalBytesFor(CARD_ID, os.vendorBlock));
    assert.equal(profiles.matchCardOs(atr)?.id, os.id);
  }
});

test('the public sample ATR is a generation 2 card', () => {
  const atr = Buffer.from('3B6D00000081544C9786843202AD932A48', 'hex');
  assert.equal(profiles.matchCardOs(atr)?.id, 'sscard-ssse-gen2');
});

test('a PSAM ATR matches the PSAM profile whatever its serial', () => {
  assert.equal(profiles.matchCardOs(Buffer.from('3B6800005053414D12345678', 'hex'))?.id, 'sscard-psam');
});

test('an unknown ATR matches nothing, and requireCardOs names it', () => {
  const atr = Buffer.from('3B8F8001804F0CA000000306030001000000006A', 'hex');
  assert.equal(profiles.matchCardOs(atr), undefined);
  assert.throws(() => profiles.requireCardOs(atr), { code: 'CARD_OS_UNKNOWN', message: /3B8F8001/ });
});

test('a profile with a bad field is rejected with the file and the field path', () => {
  const dir = copyOfShipped();
  try {
    const file = join(dir, 'serial-reader', 'sscard-stx-bcc.json');
    writeFileSync(
      file,
      JSON.stringify({
        ...JSON.parse(JSON.stringify(profiles.serialReader('sscard-stx-bcc'))),
        line: { baud: 115200, dataBits: 9, parity: 'none', stopBits: 1 },
      }),
    );
    assert.throws(
      () => loadProfiles(dir),
      (e: unknown) =>
        e instanceof ProfileError &&
        e.code === 'PROFILE_INVALID' &&
        e.message.includes('sscard-stx-bcc.json') &&
        e.details?.path === 'line.dataBits',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a profile that is not JSON is rejected naming the file', () => {
  const dir = copyOfShipped();
  try {
    writeFileSync(join(dir, 'card-os', 'broken.json'), '{ "id": ');
    assert.throws(() => loadProfiles(dir), { code: 'PROFILE_JSON', message: /broken\.json/ });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a profile whose id differs from its file name is rejected', () => {
  const dir = copyOfShipped();
  try {
    cpSync(join(dir, 'card-os', 'sscard-psam.json'), join(dir, 'card-os', 'other-psam.json'));
    assert.throws(() => loadProfiles(dir), { code: 'PROFILE_ID_MISMATCH', message: /other-psam\.json/ });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an ATR pattern whose mask length differs from its value is rejected at the mask', () => {
  const dir = copyOfShipped();
  try {
    const os = JSON.parse(JSON.stringify(profiles.psamOs()));
    os.atr = [{ value: '3B680000', mask: 'FFFF' }];
    writeFileSync(join(dir, 'card-os', 'sscard-psam.json'), JSON.stringify(os));
    assert.throws(
      () => loadProfiles(dir),
      (e: unknown) => e instanceof ProfileError && e.details?.path === 'atr.0.mask',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('looking up a missing profile lists the known ones', () => {
  assert.throws(() => profiles.serialReader('nope'), { code: 'PROFILE_NOT_FOUND' });
});
