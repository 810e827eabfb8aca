import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type Tlv,
  arqcInputData,
  computeArpc,
  deriveSessionKey,
  deriveUdk,
  findTlv,
  parseBerTlv,
  staticDataToAuthenticate,
  verifyArqc,
  verifyDda,
  verifySda,
} from '@sscard/card-core';
import { apdu, send, testKeyset } from '../../testing/card-fixtures.js';
import { type CardDocument, parseCardDocument } from '../card-document.js';
import { createCard } from '../create-card.js';
import { demoCardDocuments, personalise } from '../personalise.js';
import type { SsseCard } from '../ssse/ssse-card.js';

const GEN3_DOC = demoCardDocuments()[1]!;
const [GEN2_FINANCIAL_DOC] = personalise(
  [{ ssn: demoCardDocuments()[0]!.holder.ssn, name: '张三', generation: 2, debit: true, serial: 9 }],
  { issueDate: '20240315' },
) as [CardDocument];

const SELECT_DEBIT = '00A4040008A00000033301010100';
const PDOL_DATA = Buffer.from(
  '28000000' +
    '000000010000' +
    '000000000000' +
    '0156' +
    '0000000000' +
    '0156' +
    '240601' +
    '00' +
    '11223344',
  'hex',
);
/** CDOL1 data: amount 100.00, no other amount, China, TVR 0, CNY, 2024-06-01, goods, UN. */
const CDOL1_DATA = Buffer.from(
  '000000010000' + '000000000000' + '0156' + '0000000000' + '0156' + '240601' + '00' + 'A1B2C3D4',
  'hex',
);
const AT = new Date('2024-06-01T00:00:00Z');

function tlvs(data: Buffer): Tlv[] {
  return parseBerTlv(data);
}
function value(nodes: Tlv[], tag: number): Buffer {
  const node = findTlv(nodes, tag);
  assert.ok(node, `tag ${tag.toString(16)} present`);
  return node.value;
}

function startTransaction(card: SsseCard): Tlv[] {
  assert.equal(send(card, SELECT_DEBIT).sw, '9000');
  const gpo = send(
    card,
    apdu('80A80000', Buffer.concat([Buffer.from([0x83, PDOL_DATA.length]), PDOL_DATA]), 0),
  );
  assert.equal(gpo.sw, '9000');
  return tlvs(gpo.data);
}

function readAfl(card: SsseCard, afl: Buffer) {
  const records: { sfi: number; record: Buffer; oda: boolean }[] = [];
  for (let i = 0; i < afl.length; i += 4) {
    const sfi = afl[i]! >> 3;
    for (let r = afl[i + 1]!; r <= afl[i + 2]!; r++) {
      const res = send(card, Buffer.from([0x00, 0xb2, r, (sfi << 3) | 4, 0x00]));
      assert.equal(res.sw, '9000');
      records.push({ sfi, record: res.data, oda: r - afl[i + 1]! < afl[i + 3]! });
    }
  }
  return records;
}

function arqcFields(data: Buffer, aip: Buffer, atc: Buffer, iad: Buffer) {
  return arqcInputData({
    amountAuthorised: data.subarray(0, 6),
    amountOther: data.subarray(6, 12),
    terminalCountryCode: data.subarray(12, 14),
    tvr: data.subarray(14, 19),
    transactionCurrencyCode: data.subarray(19, 21),
    transactionDate: data.subarray(21, 24),
    transactionType: data.subarray(24, 25),
    unpredictableNumber: data.subarray(25, 29),
    aip,
    atc,
    iad,
  });
}

function caKeys() {
  const ca = testKeyset().emv.ca;
  return [
    {
      rid: Buffer.from(ca.rid, 'hex'),
      index: Number.parseInt(ca.index, 16),
      modulus: Buffer.from(ca.key.modulus, 'hex'),
      exponent: Buffer.from(ca.key.exponent, 'hex'),
    },
  ];
}

describe('payment system environment', () => {
  test('answers SELECT PPSE with the directory entry of the debit application', () => {
    const card = createCard(GEN3_DOC, testKeyset());
    card.powerOn();
    const res = send(card, '00A404000E325041592E5359532E444446303100');
    assert.equal(res.sw, '9000');
    assert.equal(value(tlvs(res.data), 0x4f).toString('hex').toUpperCase(), 'A000000333010101');
  });

  test('selects the debit application by a partial AID and announces its PDOL', () => {
    const card = createCard(GEN3_DOC, testKeyset());
    card.powerOn();
    const res = send(card, '00A4040005A00000033300');
    assert.equal(res.sw, '9000');
    assert.equal(
      value(tlvs(res.data), 0x9f38).toString('hex').toUpperCase(),
      '9F66049F02069F03069F1A0295055F2A029A039C019F3704',
    );
  });

  test('a generation 2 card without the debit application answers 6A82', () => {
    const card = createCard(demoCardDocuments()[0]!, testKeyset());
    card.powerOn();
    assert.equal(send(card, SELECT_DEBIT).sw, '6A82');
  });
});

for (const [label, doc, alg] of [
  ['generation 3 (SM4)', GEN3_DOC, 'sm4'],
  ['financial generation 2 (3DES)', GEN2_FINANCIAL_DOC, '3des'],
] as const) {
  describe(`debit application on a ${label} card`, () => {
    test('answers GET PROCESSING OPTIONS in format 2 with AIP and AFL, 6700 for a PDOL of the wrong length', () => {
      const card = createCard(doc, testKeyset());
      card.powerOn();
      send(card, SELECT_DEBIT);
      assert.equal(send(card, apdu('80A80000', Buffer.from('8300', 'hex'), 0)).sw, '6700');
      const gpo = startTransaction(card);
      assert.equal(gpo[0]!.tag, 0x77);
      assert.equal(value(gpo, 0x82).toString('hex'), '7c00');
      assert.equal(value(gpo, 0x94).length % 4, 0);
    });

    test('offers SDA and DDA data that card-core verifies with the CA public key', () => {
      const card = createCard(doc, testKeyset());
      card.powerOn();
      const gpo = startTransaction(card);
      const records = readAfl(card, value(gpo, 0x94));
      const all = records.flatMap((r) => tlvs(r.record));
      const pan = value(all, 0x5a).toString('hex').toUpperCase().replace(/F+$/, '');
      assert.equal(pan, doc.applications.debit!.pan);
      const staticData = staticDataToAuthenticate(
        records.filter((r) => r.oda),
        value(all, 0x9f4a),
        value(gpo, 0x82),
      );
      const common = {
        caKeys: caKeys(),
        rid: Buffer.from('A000000333', 'hex'),
        caIndex: value(all, 0x8f)[0]!,
        issuerCertificate: value(all, 0x90),
        issuerRemainder: findTlv(all, 0x92)?.value,
        issuerExponent: value(all, 0x9f32),
        pan,
        staticData,
        at: AT,
      };
      const sda = verifySda({ ...common, signedStaticData: value(all, 0x93) });
      assert.equal(sda.ok, true, sda.ok ? '' : sda.message);

      const un = Buffer.from('0BADCAFE', 'hex');
      const auth = send(card, apdu('00880000', un, 0));
      assert.equal(auth.sw, '9000');
      const dda = verifyDda({
        ...common,
        iccCertificate: value(all, 0x9f46),
        iccRemainder: findTlv(all, 0x9f48)?.value,
        iccExponent: value(all, 0x9f47),
        signedDynamicData: value(tlvs(auth.data), 0x80),
        ddolData: un,
      });
      assert.equal(dda.ok, true, dda.ok ? '' : dda.message);
      const tampered = verifyDda({
        ...common,
        iccCertificate: value(all, 0x9f46),
        iccRemainder: findTlv(all, 0x9f48)?.value,
        iccExponent: value(all, 0x9f47),
        signedDynamicData: value(tlvs(auth.data), 0x80),
        ddolData: Buffer.from('00000000', 'hex'),
      });
      assert.equal(tampered.ok, false);
    });

    test('gives an ARQC the issuer verifies, accepts the ARPC and approves with a TC', () => {
      const card = createCard(doc, testKeyset());
      card.powerOn();
      send(card, SELECT_DEBIT);
      assert.equal(send(card, apdu('80AE8000', CDOL1_DATA, 0)).sw, '6985');
      const gpo = startTransaction(card);
      const first = tlvs(send(card, apdu('80AE8000', CDOL1_DATA, 0)).data);
      assert.equal(value(first, 0x9f27)[0], 0x80);
      const iad = value(first, 0x9f10);
      assert.equal(iad[2], 0x01, 'CVN 01');
      assert.equal(iad[7], alg === 'sm4' ? 0x04 : 0x01, 'algorithm byte 8');
      const atc = value(first, 0x9f36);
      const debit = doc.applications.debit!;
      const udk = deriveUdk(
        alg,
        Buffer.from(testKeyset().emv.acMasterKeys[alg], 'hex'),
        debit.pan,
        debit.psn,
      );
      const sk = deriveSessionKey(alg, udk, atc);
      const arqc = value(first, 0x9f26);
      assert.ok(verifyArqc(alg, sk, arqcFields(CDOL1_DATA, value(gpo, 0x82), atc, iad), arqc));

      const arc = Buffer.from('3030', 'hex');
      const arpc = computeArpc(alg, sk, arqc, arc);
      assert.equal(send(card, apdu('00820000', Buffer.concat([arpc, arc]))).sw, '9000');
      assert.equal(send(card, apdu('00820000', Buffer.concat([arpc, arc]))).sw, '6985');
      assert.equal(send(card, apdu('80AE8000', Buffer.concat([arc, CDOL1_DATA]), 0)).sw, '6A86');
      const second = tlvs(send(card, apdu('80AE4000', Buffer.concat([arc, CDOL1_DATA]), 0)).data);
      assert.equal(value(second, 0x9f27)[0], 0x40);
      assert.ok(
        verifyArqc(
          alg,
          sk,
          arqcFields(CDOL1_DATA, value(gpo, 0x82), atc, value(second, 0x9f10)),
          value(second, 0x9f26),
        ),
      );
      assert.equal(send(card, apdu('80AE4000', Buffer.concat([arc, CDOL1_DATA]), 0)).sw, '6985');
    });

    test('declines with an AAC after a wrong ARPC (6300)', () => {
      const card = createCard(doc, testKeyset());
      card.powerOn();
      startTransaction(card);
      send(card, apdu('80AE8000', CDOL1_DATA, 0));
      assert.equal(send(card, apdu('00820000', Buffer.from('00000000000000003030', 'hex'))).sw, '6300');
      const second = tlvs(
        send(card, apdu('80AE4000', Buffer.concat([Buffer.from('3030', 'hex'), CDOL1_DATA]), 0)).data,
      );
      assert.equal(value(second, 0x9f27)[0], 0x00);
      assert.equal(value(second, 0x9f10)[4]! & 0x08, 0x08, 'CVR: issuer authentication failed');
    });

    test('increments the ATC with every transaction', () => {
      const card = createCard(doc, testKeyset());
      card.powerOn();
      const atcs: number[] = [];
      for (let i = 0; i < 3; i++) {
        startTransaction(card);
        atcs.push(value(tlvs(send(card, apdu('80AE8000', CDOL1_DATA, 0)).data), 0x9f36).readUInt16BE(0));
      }
      assert.deepEqual(atcs, [atcs[0], atcs[0]! + 1, atcs[0]! + 2]);
      assert.equal(value(tlvs(send(card, '80CA9F3600').data), 0x9f36).readUInt16BE(0), atcs[2]);
    });

    test('refuses CDA and wrong CDOL lengths', () => {
      const card = createCard(doc, testKeyset());
      card.powerOn();
      startTransaction(card);
      assert.equal(send(card, apdu('80AE9000', CDOL1_DATA, 0)).sw, '6A86');
      assert.equal(send(card, apdu('80AE8000', CDOL1_DATA.subarray(1), 0)).sw, '6700');
    });
  });
}

test('an ARQC from a card with other AC keys does not verify with the issuer master key', () => {
  const forged = parseCardDocument({ ...GEN3_DOC, keyOverride: { ac: '22'.repeat(16) } });
  const card = createCard(forged, testKeyset());
  card.powerOn();
  const gpo = startTransaction(card);
  const first = tlvs(send(card, apdu('80AE8000', CDOL1_DATA, 0)).data);
  const debit = forged.applications.debit!;
  const udk = deriveUdk('sm4', Buffer.from(testKeyset().emv.acMasterKeys.sm4, 'hex'), debit.pan, debit.psn);
  const atc = value(first, 0x9f36);
  const sk = deriveSessionKey('sm4', udk, atc);
  assert.equal(
    verifyArqc(
      'sm4',
      sk,
      arqcFields(CDOL1_DATA, value(gpo, 0x82), atc, value(first, 0x9f10)),
      value(first, 0x9f26),
    ),
    false,
  );
});
