import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  arqcInputData,
  cardMac,
  computeArpc,
  computeArqc,
  decipherPinBlock,
  deriveSessionKey,
  deriveUdk,
  encipherPinBlock,
  externalAuthCryptogram,
  internalAuthCryptogram,
  parseCardIdCode,
  pinVerificationValue,
  ssseCardKey,
} from '@sscard/card-core';
import { testIssuerKeyset } from '../testing/api-fixture.js';
import { HsmCore, HsmRefusal, terminalPinKey } from './hsm-core.js';
import { REQUESTS } from './protocol.js';
import { serviceKeysetFromIssuer } from './service-keyset.js';

const { keyset: issuer, keys } = testIssuerKeyset();
const serviceKeyset = serviceKeysetFromIssuer(issuer);
const core = new HsmCore(serviceKeyset);
const CARD = '330300D15600000500BF7C7A48FB4966';
const cardBytes = parseCardIdCode(CARD).bytes;
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();
const tpk = (terminalId: string, format: 0 | 4) =>
  terminalPinKey(Buffer.from(serviceKeyset.pin.terminalMasterKey, 'hex'), terminalId, format);

describe('HSM commands (what the card and the PIN pad compute, checked by the HSM)', () => {
  test('computes the EXTERNAL AUTHENTICATE cryptogram of the card key, for both algorithms', () => {
    for (const algorithm of ['3des', 'sm4'] as const) {
      const key = ssseCardKey(algorithm, keys.externalAuth[algorithm], cardBytes);
      const challenge = Buffer.from('0102030405060708', 'hex');
      const { cryptogram } = core.externalAuth({ algorithm, cardIdCode: CARD, challenge: hex(challenge) });
      assert.equal(cryptogram, hex(externalAuthCryptogram(algorithm, key, challenge)));
    }
  });

  test('verifies the card-present proof (INTERNAL AUTHENTICATE) and refuses another card’s answer', () => {
    for (const algorithm of ['3des', 'sm4'] as const) {
      const challenge = Buffer.alloc(algorithm === '3des' ? 8 : 16, 0x5a);
      const answer = internalAuthCryptogram(
        algorithm,
        ssseCardKey(algorithm, keys.internalAuth[algorithm], cardBytes),
        challenge,
      );
      const args = { algorithm, cardIdCode: CARD, challenge: hex(challenge), cryptogram: hex(answer) };
      assert.deepEqual(core.verifyInternalAuth(args), { verified: true });
      assert.deepEqual(core.verifyInternalAuth({ ...args, cardIdCode: `${CARD.slice(0, 31)}7` }), {
        verified: false,
      });
      const other = internalAuthCryptogram(
        algorithm,
        ssseCardKey(algorithm, keys.externalAuth[algorithm], cardBytes),
        challenge,
      );
      assert.deepEqual(core.verifyInternalAuth({ ...args, cryptogram: hex(other) }), { verified: false });
    }
  });

  test('verifies an ARQC and answers the ARPC only when it verifies', () => {
    for (const algorithm of ['3des', 'sm4'] as const) {
      const pan = '6231234567890123456';
      const sk = deriveSessionKey(
        algorithm,
        deriveUdk(algorithm, keys.acMasterKeys[algorithm], pan, '01'),
        7,
      );
      const data = arqcInputData({
        amountAuthorised: Buffer.from('000000012345', 'hex'),
        amountOther: Buffer.alloc(6),
        terminalCountryCode: Buffer.from('0156', 'hex'),
        tvr: Buffer.alloc(5),
        transactionCurrencyCode: Buffer.from('0156', 'hex'),
        transactionDate: Buffer.from('261207', 'hex'),
        transactionType: Buffer.from('01', 'hex'),
        unpredictableNumber: Buffer.from('11223344', 'hex'),
        aip: Buffer.from('7C00', 'hex'),
        atc: Buffer.from('0007', 'hex'),
        iad: Buffer.from(`07010103A00000${algorithm === '3des' ? '01' : '04'}`, 'hex'),
      });
      const arqc = computeArqc(algorithm, sk, data);
      const arc = Buffer.from('3030', 'hex');
      const args = { algorithm, pan, psn: '01', atc: '0007', data: hex(data), arqc: hex(arqc), arc: '3030' };
      assert.deepEqual(core.verifyArqc(args), {
        verified: true,
        arpc: hex(computeArpc(algorithm, sk, arqc, arc)),
      });
      assert.deepEqual(core.verifyArqc({ ...args, atc: '0008' }), { verified: false });
      assert.deepEqual(
        core.verifyArqc({
          ...args,
          data: hex(Buffer.concat([data.subarray(0, 5), Buffer.from([data[5]! ^ 1]), data.subarray(6)])),
        }),
        {
          verified: false,
        },
      );
    }
  });

  test('verifies a card’s TC or AAC with the session key of its ATC, and no other', () => {
    for (const algorithm of ['3des', 'sm4'] as const) {
      const pan = '6231234567890123457';
      const sk = deriveSessionKey(
        algorithm,
        deriveUdk(algorithm, keys.acMasterKeys[algorithm], pan, '01'),
        9,
      );
      const data = Buffer.from('000000012345000000000000015600000000000156261207011122334445', 'hex');
      const tc = computeArqc(algorithm, sk, data);
      const args = { algorithm, pan, psn: '01', atc: '0009', data: hex(data), cryptogram: hex(tc) };
      assert.deepEqual(core.verifyAc(args), { verified: true });
      assert.deepEqual(core.verifyAc({ ...args, atc: '000A' }), { verified: false });
      assert.deepEqual(core.verifyAc({ ...args, psn: '02' }), { verified: false });
      assert.deepEqual(core.verifyAc({ ...args, cryptogram: hex(Buffer.alloc(8, 0x5a)) }), {
        verified: false,
      });
    }
  });

  test('makes the PIN verification value of a zone-key PIN block, and refuses a block under another key', () => {
    const pan = '6231234567890123456';
    const pvk = Buffer.from(serviceKeyset.pin.verificationKey, 'hex');
    const zpk = Buffer.from(serviceKeyset.pin.zoneKey, 'hex');
    const { pvv } = core.zoneMakePvv({
      pinBlock: hex(encipherPinBlock(0, zpk, '802316', pan)),
      pan,
      pvki: 1,
    });
    assert.equal(pvv, pinVerificationValue(pvk, pan, 1, '802316'));
    assert.throws(
      () =>
        core.zoneMakePvv({
          pinBlock: hex(encipherPinBlock(0, tpk('B-0001', 0), '802316', pan)),
          pan,
          pvki: 1,
        }),
      (e: unknown) => e instanceof HsmRefusal && e.code === 'PIN_BLOCK_INVALID',
    );
  });

  test('translates a terminal’s format 0 and format 4 PIN blocks to the zone key, and refuses another terminal’s', () => {
    const pan = '6231234567890123456';
    const zpk = Buffer.from(serviceKeyset.pin.zoneKey, 'hex');
    for (const format of [0, 4] as const) {
      const block = encipherPinBlock(format, tpk('B-0001', format), '246810', pan);
      const out = core.translatePin({ terminalId: 'B-0001', format, pinBlock: hex(block), pan });
      assert.equal(out.format, 0);
      assert.equal(decipherPinBlock(0, zpk, Buffer.from(out.pinBlock, 'hex'), pan), '246810');
      assert.throws(
        () => core.translatePin({ terminalId: 'B-0002', format, pinBlock: hex(block), pan }),
        (e: unknown) => e instanceof HsmRefusal && e.code === 'PIN_BLOCK_INVALID',
      );
    }
  });

  test('makes a PIN verification value from a PIN block and verifies PIN blocks against it', () => {
    const pan = '6231234567890123456';
    const pvk = Buffer.from(serviceKeyset.pin.verificationKey, 'hex');
    const chosen = encipherPinBlock(4, tpk('B-0001', 4), '135790', pan);
    const { pvv } = core.makePvv({ terminalId: 'B-0001', format: 4, pinBlock: hex(chosen), pan, pvki: 1 });
    assert.equal(pvv, pinVerificationValue(pvk, pan, 1, '135790'));
    const entered = (pin: string) => hex(encipherPinBlock(0, tpk('B-0009', 0), pin, pan));
    const verify = (pin: string) =>
      core.verifyPin({ terminalId: 'B-0009', format: 0, pinBlock: entered(pin), pan, pvki: 1, pvv });
    assert.deepEqual(verify('135790'), { verified: true });
    // The PVV covers the first four digits of the PIN: a wrong one among them is refused.
    assert.deepEqual(verify('135890'), { verified: false });
  });

  test('MACs a RELOAD PIN command with the card’s PIN-reload key and the GET CHALLENGE as IV', () => {
    for (const algorithm of ['3des', 'sm4'] as const) {
      const key = ssseCardKey(algorithm, keys.pinReload[algorithm], cardBytes);
      const iv = Buffer.alloc(algorithm === '3des' ? 8 : 16);
      Buffer.from('A1A2A3A4A5A6A7A8', 'hex').copy(iv);
      const { mac } = core.pinReloadMac({
        algorithm,
        cardIdCode: CARD,
        challenge: 'A1A2A3A4A5A6A7A8',
        newPinBcd: '123456',
      });
      assert.equal(mac, hex(cardMac(algorithm, key, Buffer.from('123456', 'hex'), iv)));
    }
  });

  test('MACs a PIN UNBLOCK command over its header with the same key and IV', () => {
    for (const algorithm of ['3des', 'sm4'] as const) {
      const key = ssseCardKey(algorithm, keys.pinReload[algorithm], cardBytes);
      const iv = Buffer.alloc(algorithm === '3des' ? 8 : 16);
      Buffer.from('A1A2A3A4A5A6A7A8', 'hex').copy(iv);
      const { mac } = core.pinUnblockMac({ algorithm, cardIdCode: CARD, challenge: 'A1A2A3A4A5A6A7A8' });
      assert.equal(mac, hex(cardMac(algorithm, key, Buffer.from('8424000004', 'hex'), iv)));
      assert.equal(mac.length, 8);
    }
  });

  test('certifies checkpoints in a chain of MACs that only its key reproduces', () => {
    const first = core.makeCheckpoint(10, 'a'.repeat(64), '2026-12-07T12:00:00.000Z', undefined);
    const second = core.makeCheckpoint(20, 'b'.repeat(64), '2026-12-07T12:01:00.000Z', first);
    assert.equal(second.prevMac, first.mac);
    assert.deepEqual(core.checkMacs({ checkpoints: [first, second] }), { invalid: [] });
    const forged = { ...second, seq: 19 };
    const otherHsm = new HsmCore(serviceKeysetFromIssuer(issuer));
    assert.deepEqual(otherHsm.checkMacs({ checkpoints: [first, second] }), { invalid: [0, 1] });
    assert.deepEqual(core.checkMacs({ checkpoints: [first, forged] }), { invalid: [1] });
  });

  test('requests are checked by their schema before any key is touched', () => {
    assert.equal(
      REQUESTS['card.externalAuth'].safeParse({ algorithm: '3des', cardIdCode: CARD, challenge: '01' })
        .success,
      false,
    );
    assert.equal(
      REQUESTS['pin.verify'].safeParse({
        terminalId: 'x',
        format: 1,
        pinBlock: '00'.repeat(8),
        pan: '6231234567890123456',
        pvki: 1,
        pvv: '1234',
      }).success,
      false,
    );
    assert.equal(
      REQUESTS['emv.verifyArqc'].safeParse({
        algorithm: 'aes',
        pan: '1',
        psn: '00',
        atc: '0001',
        data: '00',
        arqc: '00'.repeat(8),
        arc: '3030',
      }).success,
      false,
    );
  });
});
