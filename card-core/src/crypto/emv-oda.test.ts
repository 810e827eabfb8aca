import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { fromHex, toHex } from '../bytes.js';
import { CryptoError, ValidationError } from '../errors.js';
import {
  type CaPublicKey,
  type DdaInput,
  ODA_CODES,
  recoverIssuerPublicKey,
  type SdaInput,
  staticDataToAuthenticate,
  verifyDda,
  verifySda,
} from './emv-oda.js';
import {
  buildIccCertificate,
  buildIssuerCertificate,
  signDynamicData,
  signStaticData,
} from './emv-oda-issuing.js';
import { generateRsaKey, publicKeyOf, type RsaPrivateKey, rsaRecover, rsaSign } from './rsa.js';

// Published vectors of lumag/emv-tools (test/sda-test.c, test/dda-test.c): the public test CA keys
// A000000003/01 and A000000004/05 with certificates and signed data of two test cards.
const SDA_VECTOR = {
  ca: {
    rid: fromHex('A000000003'),
    index: 1,
    exponent: fromHex('03'),
    modulus: fromHex(
      'C696034213D7D8546984579D1D0F0EA519CFF8DEFFC429354CF3A871A6F7183F1228DA5C7470C0553871' +
        '00CB935A712C4E2864DF5D64BA93FE7E63E71F25B1E5F5298575EBE1C63AA617706917911DC2A75AC28B251C7EF4' +
        '0F2365912490B939BCA2124A30A28F54402C34AECA331AB67E1E79B285DD5771B5D9FF79EA630B75',
    ),
  },
  issuerCertificate: fromHex(
    '3C5FEAD4DD7BCA44F93E90C44F76EDE54A3288ECDC78469FCB1225C03B2C04F2C2F412281A0822DF146492309' +
      '89FB1494070DAF8C9534A7881960148616ACE581788120D3506ACE4CEE564FB27EE53341C22F0B45B31873D05DE545E' +
      'FE33BCD29B2185D035A806AD08C6976F3505A19999930CA8A03EFA321C486061F7DCEC9F',
  ),
  issuerRemainder: fromHex('1EBCA30F00CE5962A8C6E130544B82891B236C65DE29317F364735DEE63F6598975835D5'),
  issuerExponent: fromHex('03'),
  signedStaticData: fromHex(
    '99A558B62B674AA5E7D2A57E5EF6A6F2258E5DA052D05B54E5C115FF1CECF94AA2DF8F39A01D71C619EB819DA5' +
      '2EF381E84979586AEA7855FFBEF40AA3A71CD3B04CFDF270AEC8158A2797F24FD613B748134661135CD290E45B04' +
      'A8E0CCC711AE042F159E73C89C2A7E65A4C2FD1D6106024AA27130B0ECEC0238F91659DE96',
  ),
  pan: '4276550013234599',
  // The records' data followed by the AIP 5C00 named by the SDA tag list.
  staticData: fromHex(
    '5F24030812315A0842765500132345995F3401019F0702FF009F0D05D040ACA8009F0E0500100000009F0F05D068BCF8005C00',
  ),
};

const DDA_VECTOR = {
  ca: {
    rid: fromHex('A000000004'),
    index: 5,
    exponent: fromHex('03'),
    modulus: fromHex(
      'B8048ABC30C90D976336543E3FD7091C8FE4800DF820ED55E7E94813ED00555B573FECA3D84AF6131A651D66CFF4' +
        '284FB13B635EDD0EE40176D8BF04B7FD1C7BACF9AC7327DFAA8AA72D10DB3B8E70B2DDD811CB4196525EA386ACC33C' +
        '0D9D4575916469C4E4F53E8E1C912CC618CB22DDE7C3568E90022E6BBA770202E4522A2DD623D180E215BD1D1507FE' +
        '3DC90CA310D27B3EFCCD8F83DE3052CAD1E48938C68D095AAC91B5F37E28BB49EC7ED597',
    ),
  },
  issuerCertificate: fromHex(
    '1714284F763B8586EE6D319951F7E63FA25076E50DC9D3200BA998D3A052ADBA9AB69AC6AD6ADD3CE09F0278F4074E' +
      'C4EE9B1D2268A3E953575E454E50CD860BF424C51C597712D2AA057089DD8673E51B1E1D7188034892077AC18A6AE2' +
      '3488BEA9DF3B1A83F2C0800CD7C5CDF2FDE0496F7BC39FB4BF363299BFA637B2EC33C507E36821EEC2075F0E420D38' +
      'A1C9F3127261BA316C987674FADB20EA7FEB75EE455D12146EA6F02E8B01EC2FA7A115',
  ),
  issuerRemainder: fromHex('6E63B7BC70ABDD09341B34C03286BA9BD83BA7936C5B7798FB22C5E53FF240A26DBD6415'),
  issuerExponent: fromHex('03'),
  iccCertificate: fromHex(
    'A42FBEB156B98DCB0554DA062ADCA5309A91F04FA2C7BD7102A8D73F16A3CFADE8AADF4F3FE2A2125CCDD77C6B9F78' +
      'B5B4371CE0805725B0F9C027AF147D91E1FFDB201E9C170CE777053A172AD526DCAFD33895E1A947305C5B167F2E7C' +
      '6F991581A652EE473154760C2ED774214E50DFECDD4CF294C974B89EBCA25B5AB3C0BEB50DFAF782AFDE1433D90CA2' +
      'A89D651E75D67EBC7C3E36F5A165EE6132612939C1ECD399E46074B996D93A88E01E0A',
  ),
  iccExponent: fromHex('03'),
  signedDynamicData: fromHex(
    '3D87F31056102D2512CFDE30900627C1263A76D1DAA821F50831E606C54544C258131EAEBE874DCB1A28CF82D3FF91' +
      '118260BC91113711D3B289FA41BE69C7A7B5C783E6F8F97FCE13F08B13FA44183E3718CEBF0C41473D2B0FF4DE44B6' +
      'A02D75ADB6D4962393FFDF4E69026CDF38FF',
  ),
  pan: '5285881254345653',
  staticData: fromHex(
    '5F25031405015F24031506305A0852858812543456535F3401018E0C00000000000000001E031F039F0702FF009F0D05' +
      'BC50BC00009F0E0500000000009F0F05BC70BC98009F4A01825F280206438C219F02069F03069F1A0295055F2A029A' +
      '039C019F37049F35019F45029F4C089F34038D0C910A8A0295059F37049F4C083900',
  ),
  unpredictableNumber: fromHex('00000000'),
};

/** What SDA and DDA both take from a vector: the CA key and the issuer certificate. */
function issuerOf(v: typeof SDA_VECTOR | typeof DDA_VECTOR) {
  return {
    caKeys: [v.ca],
    rid: v.ca.rid,
    caIndex: v.ca.index,
    issuerCertificate: v.issuerCertificate,
    issuerRemainder: v.issuerRemainder,
    issuerExponent: v.issuerExponent,
  };
}

function sdaInput(overrides: Partial<SdaInput> = {}): SdaInput {
  const v = SDA_VECTOR;
  return {
    ...issuerOf(v),
    signedStaticData: v.signedStaticData,
    pan: v.pan,
    staticData: v.staticData,
    at: new Date('2009-12-31T12:00:00Z'),
    ...overrides,
  };
}

function ddaInput(overrides: Partial<DdaInput> = {}): DdaInput {
  const v = DDA_VECTOR;
  return {
    ...issuerOf(v),
    iccCertificate: v.iccCertificate,
    iccExponent: v.iccExponent,
    signedDynamicData: v.signedDynamicData,
    ddolData: v.unpredictableNumber,
    pan: v.pan,
    staticData: v.staticData,
    at: new Date('2015-01-15T00:00:00Z'),
    ...overrides,
  };
}

function flip(data: Uint8Array, index: number): Buffer {
  const out = Buffer.from(data);
  out[index]! ^= 0x01;
  return out;
}

function failure(result: { ok: boolean; code?: string }): string | undefined {
  assert.equal(result.ok, false);
  return result.code;
}

describe('SDA with published test data', () => {
  test('verifies and returns the data authentication code and the issuer key fields', () => {
    const r = verifySda(sdaInput());
    assert.ok(r.ok, r.ok ? '' : r.message);
    assert.equal(toHex(r.dac), '3132');
    assert.equal(r.issuerKey.issuerIdentifier, '427655');
    assert.equal(r.issuerKey.expiry, '1209');
    assert.equal(r.issuerKey.modulus.length, 128);
  });

  test('fails with a precise code for each kind of bad input', () => {
    const v = SDA_VECTOR;
    assert.equal(failure(verifySda(sdaInput({ caIndex: 2 }))), ODA_CODES.caKeyUnknown);
    assert.equal(failure(verifySda(sdaInput({ rid: fromHex('A000000333') }))), ODA_CODES.caKeyUnknown);
    assert.equal(
      failure(verifySda(sdaInput({ issuerCertificate: flip(v.issuerCertificate, 40) }))),
      ODA_CODES.issuerCertInvalid,
    );
    assert.equal(
      failure(verifySda(sdaInput({ issuerCertificate: v.issuerCertificate.subarray(1) }))),
      ODA_CODES.issuerCertInvalid,
    );
    assert.equal(
      failure(verifySda(sdaInput({ issuerRemainder: flip(v.issuerRemainder, 0) }))),
      ODA_CODES.hashMismatch,
    );
    assert.equal(failure(verifySda(sdaInput({ issuerRemainder: undefined }))), ODA_CODES.dataMissing);
    assert.equal(
      failure(verifySda(sdaInput({ signedStaticData: flip(v.signedStaticData, 5) }))),
      ODA_CODES.staticDataInvalid,
    );
    assert.equal(failure(verifySda(sdaInput({ staticData: flip(v.staticData, 3) }))), ODA_CODES.hashMismatch);
    assert.equal(failure(verifySda(sdaInput({ at: new Date('2010-01-01T00:00:00Z') }))), ODA_CODES.expired);
    assert.equal(failure(verifySda(sdaInput({ pan: '5276550013234599' }))), ODA_CODES.issuerIdMismatch);
  });

  test('a wrong CA key of the same length does not recover the certificate', () => {
    const other: CaPublicKey = { ...SDA_VECTOR.ca, modulus: flip(SDA_VECTOR.ca.modulus, 127) };
    assert.equal(failure(verifySda(sdaInput({ caKeys: [other] }))), ODA_CODES.issuerCertInvalid);
  });

  test('the recover functions throw CryptoError with the same codes', () => {
    assert.throws(
      () =>
        recoverIssuerPublicKey(SDA_VECTOR.ca, {
          certificate: SDA_VECTOR.issuerCertificate,
          remainder: SDA_VECTOR.issuerRemainder,
          exponent: SDA_VECTOR.issuerExponent,
          pan: SDA_VECTOR.pan,
          at: new Date('2011-06-01T00:00:00Z'),
        }),
      (e: unknown) =>
        e instanceof CryptoError && e.code === ODA_CODES.expired && e.details?.object === 'issuerCertificate',
    );
    assert.throws(() => verifySda(sdaInput({ at: new Date('not a date') })), ValidationError);
  });
});

describe('DDA with published test data', () => {
  test('verifies and returns the ICC dynamic number', () => {
    const r = verifyDda(ddaInput());
    assert.ok(r.ok, r.ok ? '' : r.message);
    assert.equal(toHex(r.iccDynamicNumber), '7A33FB8C9546E1E7');
    assert.equal(r.iccKey.pan, DDA_VECTOR.pan);
    assert.equal(r.iccKey.expiry, '0615');
    assert.equal(r.iccKey.modulus.length, 112);
    assert.equal(r.issuerKey.modulus.length, 176);
  });

  test('fails with a precise code for each kind of bad input', () => {
    const v = DDA_VECTOR;
    assert.equal(failure(verifyDda(ddaInput({ ddolData: fromHex('00000001') }))), ODA_CODES.hashMismatch);
    assert.equal(
      failure(verifyDda(ddaInput({ signedDynamicData: flip(v.signedDynamicData, 50) }))),
      ODA_CODES.dynamicDataInvalid,
    );
    assert.equal(
      failure(verifyDda(ddaInput({ iccCertificate: flip(v.iccCertificate, 9) }))),
      ODA_CODES.iccCertInvalid,
    );
    assert.equal(
      failure(verifyDda(ddaInput({ staticData: v.staticData.subarray(0, -2) }))),
      ODA_CODES.hashMismatch,
    );
    assert.equal(failure(verifyDda(ddaInput({ pan: '5285881254345654' }))), ODA_CODES.panMismatch);
    assert.equal(failure(verifyDda(ddaInput({ at: new Date('2015-07-01T00:00:00Z') }))), ODA_CODES.expired);
    assert.equal(failure(verifyDda(ddaInput({ iccExponent: fromHex('010001') }))), ODA_CODES.hashMismatch);
    assert.equal(failure(verifyDda(ddaInput({ iccCertificate: Buffer.alloc(0) }))), ODA_CODES.dataMissing);
  });

  test('the certificate is valid through the last day of its expiry month', () => {
    assert.equal(verifyDda(ddaInput({ at: new Date('2015-06-30T23:59:59Z') })).ok, true);
  });
});

describe('issuing and verifying with generated keys', () => {
  let ca: RsaPrivateKey;
  let issuer: RsaPrivateKey;
  let icc: RsaPrivateKey;
  const rid = fromHex('A000000333');
  const pan = '6228480012345678901';
  const staticData = fromHex('5A0A6228480012345678901F5F24032712319F0702FF00');

  before(() => {
    ca = generateRsaKey(1408, 3);
    // Longer than NCA − 36 and NI − 42: both certificates need a remainder.
    issuer = generateRsaKey(1152, 65537);
    icc = generateRsaKey(1024, 3);
  });

  function issue() {
    const issuerCert = buildIssuerCertificate(ca, publicKeyOf(issuer), {
      issuerIdentifier: '622848',
      expiry: '1230',
      serial: fromHex('000001'),
    });
    const iccCert = buildIccCertificate(issuer, publicKeyOf(icc), pan, staticData, {
      expiry: '1229',
      serial: fromHex('000002'),
    });
    return { issuerCert, iccCert };
  }

  function input(overrides: Partial<DdaInput> = {}): DdaInput {
    const { issuerCert, iccCert } = issue();
    const un = fromHex('12345678');
    return {
      caKeys: (r, i) =>
        Buffer.compare(Buffer.from(r), rid) === 0 && i === 0x80 ? publicKeyOf(ca) : undefined,
      rid,
      caIndex: 0x80,
      issuerCertificate: issuerCert.certificate,
      issuerRemainder: issuerCert.remainder,
      issuerExponent: issuerCert.exponent,
      iccCertificate: iccCert.certificate,
      iccRemainder: iccCert.remainder,
      iccExponent: iccCert.exponent,
      signedDynamicData: signDynamicData(icc, un, fromHex('0102030405060708')),
      ddolData: un,
      pan,
      staticData,
      at: new Date('2026-03-01T00:00:00Z'),
      ...overrides,
    };
  }

  test('certificates carry remainders when the key does not fit', () => {
    const { issuerCert, iccCert } = issue();
    assert.equal(issuerCert.certificate.length, 176);
    assert.equal(issuerCert.remainder.length, 144 - (176 - 36));
    assert.equal(toHex(issuerCert.exponent), '010001');
    assert.equal(iccCert.remainder.length, 128 - (144 - 42));
  });

  test('DDA round trip recovers the ICC dynamic number', () => {
    const r = verifyDda(input());
    assert.ok(r.ok, r.ok ? '' : r.message);
    assert.equal(toHex(r.iccDynamicNumber), '0102030405060708');
    assert.deepEqual(r.iccKey.modulus, icc.modulus);
    assert.deepEqual(r.issuerKey.modulus, issuer.modulus);
    assert.equal(r.issuerKey.issuerIdentifier, '622848');
  });

  test('SDA round trip with exponent 3 keys that fit in their certificates', () => {
    const smallIssuer = generateRsaKey(1024, 3);
    const cert = buildIssuerCertificate(ca, publicKeyOf(smallIssuer), {
      issuerIdentifier: '622848',
      expiry: '1230',
      serial: fromHex('000003'),
    });
    assert.equal(cert.remainder.length, 0);
    const r = verifySda({
      caKeys: [{ ...publicKeyOf(ca), rid, index: 0x80 }],
      rid,
      caIndex: 0x80,
      issuerCertificate: cert.certificate,
      issuerExponent: cert.exponent,
      signedStaticData: signStaticData(smallIssuer, staticData, fromHex('DAC1')),
      pan,
      staticData,
      at: new Date('2030-12-31T00:00:00Z'),
    });
    assert.ok(r.ok, r.ok ? '' : r.message);
    assert.equal(toHex(r.dac), 'DAC1');
  });

  test('one flipped byte anywhere in a certificate or signature fails', () => {
    const good = input();
    for (const key of [
      'issuerCertificate',
      'iccCertificate',
      'signedDynamicData',
      'issuerRemainder',
      'iccRemainder',
    ] as const) {
      const value = good[key]!;
      for (const index of [0, value.length >> 1, value.length - 1]) {
        assert.equal(verifyDda({ ...good, [key]: flip(value, index) }).ok, false, `${key}[${index}]`);
      }
    }
  });

  test('fails for another card PAN, another unpredictable number and an unknown CA index', () => {
    const good = input();
    assert.equal(failure(verifyDda({ ...good, pan: '6228480012345678902' })), ODA_CODES.panMismatch);
    assert.equal(failure(verifyDda({ ...good, pan: '6228490012345678901' })), ODA_CODES.issuerIdMismatch);
    assert.equal(failure(verifyDda({ ...good, ddolData: fromHex('12345679') })), ODA_CODES.hashMismatch);
    assert.equal(failure(verifyDda({ ...good, caIndex: 0x81 })), ODA_CODES.caKeyUnknown);
    assert.equal(failure(verifyDda({ ...good, iccRemainder: undefined })), ODA_CODES.dataMissing);
    assert.equal(failure(verifyDda({ ...good, at: new Date('2030-01-01T00:00:00Z') })), ODA_CODES.expired);
  });

  test('refuses to certify a key longer than the signer key', () => {
    assert.throws(
      () =>
        buildIccCertificate(icc, publicKeyOf(issuer), pan, staticData, {
          expiry: '1229',
          serial: fromHex('000001'),
        }),
      CryptoError,
    );
  });

  test('raw RSA signs and recovers, and recovery rejects inputs of the wrong length or not below the modulus', () => {
    const block = Buffer.alloc(icc.modulus.length, 0x11);
    assert.deepEqual(rsaRecover(icc, rsaSign(icc, block)), block);
    assert.throws(() => rsaRecover(icc, block.subarray(1)), CryptoError);
    assert.throws(() => rsaRecover(icc, Buffer.alloc(icc.modulus.length, 0xff)), CryptoError);
  });
});

describe('static data to be authenticated', () => {
  test('takes template 70 values of SFI 1 to 10, whole records above, then the AIP', () => {
    const data = staticDataToAuthenticate(
      [
        { sfi: 2, record: fromHex('70055A03123456') },
        { sfi: 3, record: fromHex('7081039F0700') },
        { sfi: 11, record: fromHex('7003010203') },
      ],
      fromHex('82'),
      fromHex('7C00'),
    );
    assert.equal(toHex(data), '5A03123456' + '9F0700' + '7003010203' + '7C00');
  });

  test('fails when a record of SFI 1 to 10 is not a template 70 or the tag list names more than the AIP', () => {
    assert.throws(
      () => staticDataToAuthenticate([{ sfi: 1, record: fromHex('77035A0112') }]),
      (e: unknown) => e instanceof CryptoError && e.code === ODA_CODES.dataMissing,
    );
    assert.throws(() => staticDataToAuthenticate([{ sfi: 1, record: fromHex('70045A0112') }]), CryptoError);
    assert.throws(() => staticDataToAuthenticate([{ sfi: 1, record: fromHex('70035A0112FF') }]), CryptoError);
    assert.throws(() => staticDataToAuthenticate([], fromHex('829F36'), fromHex('7C00')), CryptoError);
    assert.throws(() => staticDataToAuthenticate([{ sfi: 31, record: fromHex('7000') }]), ValidationError);
  });
});
