import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fromHex, toHex } from '../bytes.js';
import { CryptoError, ValidationError } from '../errors.js';
import { encrypt } from './cipher.js';
import {
  adjustDesParity,
  arqcInputData,
  computeArpc,
  computeArqc,
  cvrFromIad,
  deriveSessionKey,
  deriveUdk,
  iadAlgorithm,
  verifyArpc,
  verifyArqc,
} from './emv-keys.js';

const kcv = (key: Uint8Array) => toHex(encrypt('3des', key, Buffer.alloc(8), { mode: 'ecb' })).slice(0, 4);

// A published PBOC online transaction: issuer MK-AC, PAN 6228000100001, PSN 01, ATC 0240.
const PBOC = {
  imkAc: fromHex('F0C34A8124CEE0A91A0B034AA97D6EAC'),
  pan: '6228000100001',
  psn: '01',
  fields: {
    amountAuthorised: fromHex('000000000001'),
    amountOther: fromHex('000000000000'),
    terminalCountryCode: fromHex('0156'),
    tvr: fromHex('0080046000'),
    transactionCurrencyCode: fromHex('0156'),
    transactionDate: fromHex('140701'),
    transactionType: fromHex('00'),
    unpredictableNumber: fromHex('1E78EEBC'),
    aip: fromHex('7D00'),
    atc: fromHex('0240'),
    iad: fromHex('07000103A04002010A010000001000D1F61152'),
  },
  data: '000000000001000000000000015600800460000156140701001E78EEBC7D00024003A04002',
  arqc: '5D016C91005E7CC2',
  arc: Buffer.from('01', 'ascii'),
  arpc: '21415243527CE78F',
};

describe('PBOC keys and application cryptograms (3DES)', () => {
  test('reproduces a published ARQC and ARPC from the issuer master key', () => {
    const data = arqcInputData(PBOC.fields);
    assert.equal(toHex(data), PBOC.data);
    const udk = deriveUdk('3des', PBOC.imkAc, PBOC.pan, PBOC.psn);
    const sk = deriveSessionKey('3des', udk, PBOC.fields.atc);
    assert.equal(toHex(computeArqc('3des', sk, data)), PBOC.arqc);
    assert.equal(verifyArqc('3des', sk, data, fromHex(PBOC.arqc)), true);
    assert.equal(toHex(computeArpc('3des', sk, fromHex(PBOC.arqc), PBOC.arc)), PBOC.arpc);
    assert.equal(verifyArpc('3des', sk, fromHex(PBOC.arqc), PBOC.arc, fromHex(PBOC.arpc)), true);
  });

  test('derives the published session key from a card master key and ATC 000E', () => {
    const udk = fromHex('0D2E3CB0BC1F9E03AED58F663A2F9679');
    assert.equal(toHex(deriveSessionKey('3des', udk, 0x000e)), 'C3D3F062E9992B4E923D338D66193526');
    assert.deepEqual(deriveSessionKey('3des', udk, fromHex('000E')), deriveSessionKey('3des', udk, 14));
  });

  test('derives the EMV option A card master key of published check values, with odd parity', () => {
    const imk = fromHex('0123456789ABCDEFFEDCBA9876543210');
    const withPsn = deriveUdk('3des', imk, '12345678901234567', '45');
    assert.equal(kcv(withPsn), 'FF08');
    for (const b of withPsn) assert.equal(countBits(b) % 2, 1);
    // ARPC method 1 under the ICC master key (pyemv vectors).
    assert.equal(
      toHex(computeArpc('3des', withPsn, fromHex('19C1FBC83EBDC0D5'), fromHex('0000'))),
      '78A372523FA35A03',
    );
    const noPsn = deriveUdk('3des', imk, '12345678901234567');
    assert.equal(
      toHex(computeArpc('3des', noPsn, fromHex('8698A7319324FD93'), fromHex('0000'))),
      'BEA11C8F4A47EF6F',
    );
  });

  test('rejects a cryptogram over changed data or under another ATC', () => {
    const udk = deriveUdk('3des', PBOC.imkAc, PBOC.pan, PBOC.psn);
    const data = arqcInputData(PBOC.fields);
    const arqc = fromHex(PBOC.arqc);
    const changed = arqcInputData({ ...PBOC.fields, amountAuthorised: fromHex('000000000002') });
    assert.equal(verifyArqc('3des', deriveSessionKey('3des', udk, 0x0240), changed, arqc), false);
    assert.equal(verifyArqc('3des', deriveSessionKey('3des', udk, 0x0241), data, arqc), false);
    assert.equal(verifyArqc('3des', deriveSessionKey('3des', udk, 0x0240), data, arqc), true);
  });
});

describe('PBOC keys and application cryptograms (SM4)', () => {
  const imk = fromHex('0123456789ABCDEFFEDCBA9876543210');

  test('derives the UDK as SM4(IMK, Y‖¬Y) and the session key from the ATC in one block', () => {
    const udk = deriveUdk('sm4', imk, '6228000100001', '01');
    assert.deepEqual(udk, encrypt('sm4', imk, fromHex('0622800010000101F9DD7FFFEFFFFEFE'), { mode: 'ecb' }));
    const sk = deriveSessionKey('sm4', udk, 0x0240);
    assert.deepEqual(sk, encrypt('sm4', udk, fromHex('0000000000000240000000000000FDBF'), { mode: 'ecb' }));
  });

  test('the ARQC is 8 bytes of the SM4 CBC-MAC and verifies only for the same data', () => {
    const sk = deriveSessionKey('sm4', deriveUdk('sm4', imk, '6228000100001', '01'), 0x0240);
    const data = arqcInputData(PBOC.fields);
    const arqc = computeArqc('sm4', sk, data);
    assert.equal(arqc.length, 8);
    assert.equal(verifyArqc('sm4', sk, data, arqc), true);
    assert.equal(verifyArqc('sm4', sk, data.subarray(1), arqc), false);
  });

  test('the ARPC depends on the response code and verifies on the card side', () => {
    const sk = deriveSessionKey('sm4', deriveUdk('sm4', imk, '6228000100001', '01'), 1);
    const arqc = fromHex('0102030405060708');
    const approved = computeArpc('sm4', sk, arqc, Buffer.from('00'));
    assert.equal(approved.length, 8);
    assert.notDeepEqual(computeArpc('sm4', sk, arqc, Buffer.from('05')), approved);
    assert.equal(verifyArpc('sm4', sk, arqc, Buffer.from('00'), approved), true);
    assert.equal(verifyArpc('sm4', sk, arqc, Buffer.from('05'), approved), false);
  });
});

describe('EMV inputs', () => {
  test('reads the CVR and the algorithm from PBOC issuer application data', () => {
    assert.equal(toHex(cvrFromIad(PBOC.fields.iad)), '03A04002');
    assert.equal(iadAlgorithm(PBOC.fields.iad), '3des');
    assert.equal(iadAlgorithm(fromHex('07000103A04002040A01')), 'sm4');
    assert.throws(() => iadAlgorithm(fromHex('07000103A04002090A01')), ValidationError);
    assert.throws(() => cvrFromIad(fromHex('0700')), ValidationError);
  });

  test('rejects fields of the wrong length, bad PANs, PSNs and ATCs', () => {
    assert.throws(() => arqcInputData({ ...PBOC.fields, tvr: fromHex('00') }), ValidationError);
    assert.throws(() => deriveUdk('3des', PBOC.imkAc, '62280001', '01'), ValidationError);
    assert.throws(() => deriveUdk('3des', PBOC.imkAc, PBOC.pan, '1'), ValidationError);
    assert.throws(() => deriveSessionKey('3des', PBOC.imkAc, 0x10000), ValidationError);
    assert.throws(() => computeArpc('3des', PBOC.imkAc, fromHex('01'), fromHex('0000')), CryptoError);
  });

  test('parity adjustment sets odd parity and keeps the key bits', () => {
    assert.equal(toHex(adjustDesParity(fromHex('0000FEFF'))), '0101FEFE');
  });
});

function countBits(b: number): number {
  let n = 0;
  for (let v = b; v !== 0; v >>= 1) n += v & 1;
  return n;
}
