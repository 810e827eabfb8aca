import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fromHex, toHex } from '../bytes.js';
import { ProtocolError, ValidationError } from '../errors.js';
import {
  buildContactlessAtr,
  buildSsseAtr,
  historicalBytesFor,
  historicalMatchesCardId,
  parseAtr,
  parseSsseHistorical,
  regionFromHistorical,
  sameCardHistorical,
} from './atr.js';

// DESIGN §6 gives only the first 12 bytes of this identification code.
const WUXI_ID = '320200D156000005AD932A48C0FFEE01';
const WUXI_HISTORICAL = '0081544C9786843202AD932A48';
const DESIGN_BAS_ID = '639900D15600000500BF7C7A48FB4966';
const DESIGN_BAS_HISTORICAL = '00814E43238697159900BF7C7A';

describe('social security card ATR', () => {
  test('derives the historical bytes of the public example from its identification code', () => {
    assert.equal(toHex(historicalBytesFor(WUXI_ID)), WUXI_HISTORICAL);
  });

  test('matches the iReadCardBas example in vendor block, prefecture and issuer bytes', () => {
    const derived = toHex(historicalBytesFor(DESIGN_BAS_ID, '00814E43238697'));
    // Byte 7 is the province: the sample's historical bytes say 15, its identification code 63.
    assert.equal(derived.slice(0, 14), DESIGN_BAS_HISTORICAL.slice(0, 14));
    assert.equal(derived.slice(14, 16), '63');
    assert.equal(derived.slice(16), DESIGN_BAS_HISTORICAL.slice(16));
  });

  test('refuses a vendor block that is not 7 bytes', () => {
    assert.throws(() => historicalBytesFor(WUXI_ID, '0081544C97'), ValidationError);
  });

  test('builds 3B 6D 00 00 and the 13 historical bytes, and parses it back', () => {
    const atr = buildSsseAtr(fromHex(WUXI_HISTORICAL));
    assert.equal(toHex(atr), `3B6D0000${WUXI_HISTORICAL}`);
    const parsed = parseAtr(atr);
    assert.equal(parsed.ts, 0x3b);
    assert.equal(parsed.convention, 'direct');
    assert.equal(parsed.t0, 0x6d);
    assert.deepEqual(parsed.groups, [{ tb: 0, tc: 0 }]);
    assert.deepEqual(parsed.protocols, [0]);
    assert.equal(parsed.tck, undefined);
    assert.equal(toHex(parsed.historical), WUXI_HISTORICAL);
    assert.throws(() => buildSsseAtr(fromHex('0081')), ValidationError);
  });

  test('reads the region prefix and checks the historical bytes against the card', () => {
    const historical = fromHex(WUXI_HISTORICAL);
    assert.equal(regionFromHistorical(historical), '3202');
    assert.deepEqual(parseSsseHistorical(historical), {
      vendor: '0081544C978684',
      chipMaker: '0081',
      operatingSystem: '544C97',
      cardMaker: '8684',
      regionPrefix: '3202',
      issuerPrefix: 'AD932A48',
    });
    assert.equal(historicalMatchesCardId(historical, WUXI_ID), true);
    assert.equal(historicalMatchesCardId(historical, '330300D156000005AD932A48C0FFEE01'), false);
    assert.equal(historicalMatchesCardId(historical, '320200D156000005AD932A49C0FFEE01'), false);
    assert.throws(() => regionFromHistorical(fromHex('0081544C978684AB02AD932A48')), ProtocolError);
  });
});

describe('ISO/IEC 7816-3 ATR parsing', () => {
  test('follows the TD chain, lists the protocols and checks TCK', () => {
    // TA1 TC1 TD1(T=0), TD2(T=1), TA3 TB3 TD3(T=15), TA4, 11 historical bytes, TCK.
    const parsed = parseAtr(fromHex('3BDB960080B1FE451F830031C064C7FC100001900074'));
    assert.deepEqual(parsed.groups, [
      { ta: 0x96, tc: 0x00, td: 0x80 },
      { td: 0xb1 },
      { ta: 0xfe, tb: 0x45, td: 0x1f },
      { ta: 0x83 },
    ]);
    assert.deepEqual(parsed.protocols, [0, 1, 15]);
    assert.equal(toHex(parsed.historical), '0031C064C7FC1000019000');
    assert.equal(parsed.tck, 0x74);
  });

  test('rejects a wrong TCK', () => {
    assert.throws(
      () => parseAtr(fromHex('3BDB960080B1FE451F830031C064C7FC100001900075')),
      (e: unknown) => e instanceof ProtocolError && e.code === 'ATR_TCK',
    );
  });

  test('rejects truncation at every length, a bad TS and trailing bytes', () => {
    const atr = fromHex(`3B6D0000${WUXI_HISTORICAL}`);
    for (let n = 0; n < atr.length; n++) {
      assert.throws(() => parseAtr(atr.subarray(0, n)), ProtocolError, `length ${n}`);
    }
    assert.throws(() => parseAtr(fromHex(`3C6D0000${WUXI_HISTORICAL}`)), ProtocolError);
    assert.throws(() => parseAtr(fromHex(`3B6D0000${WUXI_HISTORICAL}00`)), ProtocolError);
  });

  test('accepts the inverse convention', () => {
    assert.equal(parseAtr(fromHex('3F00')).convention, 'inverse');
  });
});

describe('contactless ATR (PC/SC part 3)', () => {
  test('3B 8n 80 01, the historical bytes and TCK, parsed back by parseAtr', () => {
    const historical = fromHex('0081544CA386843202AD932A48');
    const atr = buildContactlessAtr(historical);
    assert.equal(toHex(atr.subarray(0, 4)), '3B8D8001');
    const parsed = parseAtr(atr);
    assert.deepEqual(parsed.historical, historical);
    assert.deepEqual(parsed.protocols, [0, 1]);
    assert.ok(sameCardHistorical(atr, buildSsseAtr(historical)));
    assert.equal(sameCardHistorical(atr, buildSsseAtr(fromHex('0081544CA386843202AD932A49'))), false);
    assert.equal(sameCardHistorical(atr, fromHex('3B')), false);
  });
});
