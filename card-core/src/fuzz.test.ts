import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import fc from 'fast-check';
import { fuzzInput, SeededRandom, seedFromName } from './testing/fuzz-mutators.js';
import {
  buildSsseAtr,
  commandFromHex,
  cvrFromIad,
  decodeBcd,
  decodeBcdDate,
  decodeField,
  decodeGbk,
  decodeRecord,
  type EmvCertificate,
  encodeBerTlv,
  encodeCommand,
  encodeDol,
  encodeGbk,
  encodeRecord,
  encodeResponse,
  encodeSimpleTlv,
  findTlv,
  formatCommand,
  formatReadCardBas,
  generateRsaKey,
  historicalBytesFor,
  iadAlgorithm,
  isValidCitizenId,
  parseAtr,
  parseBerTlv,
  parseCardIdCode,
  parseCommand,
  parseDol,
  parseReadCardBas,
  parseResponse,
  parseSimpleTlv,
  parseSsseHistorical,
  parseYuan,
  publicKeyOf,
  type RsaPrivateKey,
  recoverIccPublicKey,
  recoverIssuerPublicKey,
  recoverSignedDynamicData,
  recoverSignedStaticData,
  SSSE_FIELD_NAMES,
  SscardError,
  staticDataToAuthenticate,
  transceive,
  unpadMethod2,
  validateCitizenId,
} from './index.js';
import {
  buildIccCertificate,
  buildIssuerCertificate,
  signDynamicData,
  signStaticData,
} from './crypto/emv-oda-issuing.js';
import { FIELD_ARBITRARIES } from './testing/field-arbitraries.js';

/**
 * Feeds every parser of card-core random and mutated bytes (bit flips, truncation, insertion,
 * deletion, duplication, splicing and corrupted length bytes of valid encodings) and requires
 * that each call returns or throws an SscardError: a TypeError, a RangeError or a stack overflow
 * from hostile card data fails the test. Set SSCARD_FUZZ_SEED to explore other streams; a
 * failure names the seed, target and iteration, which replay it exactly.
 */

const BASE_SEED = Number(process.env.SSCARD_FUZZ_SEED ?? 20240611) >>> 0;
const MIN_TOTAL_INPUTS = 100_000;

let totalInputs = 0;

interface Target {
  name: string;
  seeds: readonly Uint8Array[];
  iterations: number;
  run(input: Buffer): unknown;
}

function fuzz(target: Target): void {
  const seed = seedFromName(target.name, BASE_SEED);
  const rng = new SeededRandom(seed);
  for (let i = 0; i < target.iterations; i++) {
    const input = fuzzInput(rng, target.seeds);
    try {
      target.run(input);
    } catch (e) {
      if (!(e instanceof SscardError)) {
        assert.fail(
          `${target.name} threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)} ` +
            `(seed ${BASE_SEED}, iteration ${i}, input ${input.toString('hex').toUpperCase()})`,
        );
      }
    }
  }
  totalInputs += target.iterations;
}

const latin1 = (b: Buffer): string => b.toString('latin1');
const utf8 = (b: Buffer): string => b.toString('utf8');
const ascii = (s: string): Buffer => Buffer.from(s, 'latin1');

function samples<T>(arb: fc.Arbitrary<T>, n: number): T[] {
  return fc.sample(arb, { numRuns: n, seed: BASE_SEED | 0 });
}

const SSSE_AID = '7378312E73682EC9E7BBE1B1A3D5CF';
const FCI = `6F1C840F${SSSE_AID}A5099F0801029F0C020001`;

const commandSeeds = [
  encodeCommand({ cla: 0, ins: 0x84, p1: 0, p2: 0 }),
  encodeCommand({ cla: 0, ins: 0x84, p1: 0, p2: 0, le: 8 }),
  encodeCommand({ cla: 0, ins: 0xa4, p1: 4, p2: 0, data: Buffer.from(SSSE_AID, 'hex') }),
  encodeCommand({ cla: 0, ins: 0x88, p1: 0, p2: 1, data: Buffer.alloc(8, 7), le: 256 }),
  encodeCommand({ cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 65536 }),
  encodeCommand({ cla: 0, ins: 0xd6, p1: 0, p2: 0, data: Buffer.alloc(300, 1) }),
  encodeCommand(
    { cla: 0x80, ins: 0xae, p1: 0x80, p2: 0, data: Buffer.alloc(29, 2), le: 4 },
    { extended: true },
  ),
];

const berSeeds = [
  Buffer.from(FCI, 'hex'),
  Buffer.from('770E8202180094080801010010010301', 'hex'),
  Buffer.from('BF0C059F4D020B0A', 'hex'),
  encodeBerTlv([
    { tag: 0x70, children: [{ tag: 0x5a, value: Buffer.from('6228480000000000001F', 'hex') }] },
    { tag: 0x9f10, value: Buffer.from('07010103A00000010A010000000000', 'hex') },
    { tag: 0x90, value: Buffer.alloc(200, 0xab) },
    { tag: 0xdf8101, value: Buffer.alloc(1) },
  ]),
  Buffer.from('70810300FF5A00', 'hex'),
];

const dolSeeds = [
  Buffer.from('9F66049F02069F03069F1A0295055F2A029A039C019F3704', 'hex'),
  encodeDol([
    { tag: 0x9f02, length: 6 },
    { tag: 0xdf8101, length: 200 },
  ]),
];

const simpleTlvSeeds = [
  encodeSimpleTlv([
    { tag: 0x02, value: Buffer.from([0x8a]) },
    { tag: 0x03, value: ascii('3.00') },
  ]),
  Buffer.concat([Buffer.from('0812', 'hex'), ascii('110101199001011234'), Buffer.alloc(4, 0xff)]),
  encodeSimpleTlv({ tag: 0x4e, value: Buffer.alloc(255, 0xb0) }),
];

describe('fuzz: protocol layer', () => {
  test('parseCommand returns or throws SscardError on any bytes', () => {
    fuzz({ name: 'parseCommand', seeds: commandSeeds, iterations: 20_000, run: parseCommand });
  });

  test('formatCommand never fails on any bytes', () => {
    fuzz({ name: 'formatCommand', seeds: commandSeeds, iterations: 4_000, run: formatCommand });
  });

  test('commandFromHex returns or throws SscardError on any text', () => {
    const seeds = commandSeeds.map((c) => ascii(c.toString('hex')));
    fuzz({ name: 'commandFromHex', seeds, iterations: 4_000, run: (b) => commandFromHex(latin1(b)) });
  });

  test('parseResponse returns or throws SscardError on any bytes', () => {
    const seeds = [encodeResponse(Buffer.alloc(0), 0x9000), encodeResponse(Buffer.from(FCI, 'hex'), 0x611e)];
    fuzz({ name: 'parseResponse', seeds, iterations: 4_000, run: parseResponse });
  });

  test('parseBerTlv and findTlv return or throw SscardError on any bytes', () => {
    fuzz({
      name: 'parseBerTlv',
      seeds: berSeeds,
      iterations: 30_000,
      run: (b) => findTlv(parseBerTlv(b), 0x9f0c),
    });
  });

  test('parseBerTlv output re-encodes to bytes that parse and encode to themselves', () => {
    fuzz({
      name: 'parseBerTlv round trip',
      seeds: berSeeds,
      iterations: 4_000,
      run: (b) => {
        // Padding is not data, so the first re-encoding may be shorter; after it, bytes are stable.
        const normal = encodeBerTlv(parseBerTlv(b));
        assert.deepEqual(encodeBerTlv(parseBerTlv(normal)), normal);
      },
    });
  });

  test('parseDol returns or throws SscardError on any bytes', () => {
    fuzz({ name: 'parseDol', seeds: dolSeeds, iterations: 10_000, run: parseDol });
  });

  test('parseSimpleTlv returns or throws SscardError on any bytes', () => {
    fuzz({ name: 'parseSimpleTlv', seeds: simpleTlvSeeds, iterations: 10_000, run: parseSimpleTlv });
  });

  test('transceive resolves or rejects with SscardError whatever the card answers', async () => {
    const responseSeeds = [
      Buffer.from('611E', 'hex'),
      Buffer.from('6100', 'hex'),
      Buffer.from('6C0B', 'hex'),
      Buffer.from(`${FCI}9000`, 'hex'),
      Buffer.from('63C2', 'hex'),
    ];
    const rng = new SeededRandom(seedFromName('transceive', BASE_SEED));
    const iterations = 3_000;
    for (let i = 0; i < iterations; i++) {
      const cmd = rng.pick(commandSeeds);
      let sent = 0;
      const transmit = async (): Promise<Buffer> => {
        sent++;
        return fuzzInput(rng, responseSeeds);
      };
      try {
        await transceive(transmit, cmd, { maxGetResponse: 1 + rng.below(8) });
      } catch (e) {
        if (!(e instanceof SscardError)) {
          assert.fail(`transceive threw ${String(e)} (seed ${BASE_SEED}, iteration ${i})`);
        }
      }
      // 1 + 1 re-send, then per GET RESPONSE 1 + 1 re-send: never more than 2 + 2 × 8.
      assert.ok(sent <= 18, `transceive sent ${sent} commands for one`);
    }
    totalInputs += iterations;
  });
});

describe('fuzz: social security records and identifiers', () => {
  const fieldRecords = SSSE_FIELD_NAMES.flatMap((name) =>
    samples(FIELD_ARBITRARIES[name], 3).map((value) => encodeRecord(name, value as never)),
  );

  test('decodeRecord returns or throws SscardError for every field on any bytes', () => {
    fuzz({
      name: 'decodeRecord',
      seeds: fieldRecords,
      iterations: 4_000,
      run: (b) => {
        for (const name of SSSE_FIELD_NAMES) {
          try {
            decodeRecord(name, b);
          } catch (e) {
            if (!(e instanceof SscardError)) throw e;
          }
        }
      },
    });
  });

  test('decodeField returns or throws SscardError for every field on any bytes', () => {
    fuzz({
      name: 'decodeField',
      seeds: fieldRecords.map((r) => r.subarray(2)),
      iterations: 4_000,
      run: (b) => {
        for (const name of SSSE_FIELD_NAMES) {
          try {
            decodeField(name, b);
          } catch (e) {
            if (!(e instanceof SscardError)) throw e;
          }
        }
      },
    });
  });

  const cardIds = samples(FIELD_ARBITRARIES.cardIdCode, 5);

  test('parseCardIdCode returns or throws SscardError on any bytes or text', () => {
    const seeds = cardIds.map((hex) => Buffer.from(hex, 'hex'));
    fuzz({ name: 'parseCardIdCode bytes', seeds, iterations: 4_000, run: parseCardIdCode });
    fuzz({
      name: 'parseCardIdCode text',
      seeds: cardIds.map(ascii),
      iterations: 4_000,
      run: (b) => parseCardIdCode(latin1(b)),
    });
  });

  test('validateCitizenId returns or throws SscardError on any text', () => {
    const seeds = samples(FIELD_ARBITRARIES.ssn, 5).map(ascii);
    fuzz({
      name: 'validateCitizenId',
      seeds,
      iterations: 8_000,
      run: (b) => {
        const text = latin1(b);
        isValidCitizenId(text);
        return validateCitizenId(text);
      },
    });
  });

  test('parseAtr and parseSsseHistorical return or throw SscardError on any bytes', () => {
    const historical = cardIds.map((id) => historicalBytesFor(id));
    const atrs = historical.map((h) => buildSsseAtr(h));
    atrs.push(
      Buffer.from('3B6800005053414D01020304', 'hex'),
      Buffer.from('3BFF9600008131FE4380318065B0846566FB12017882900085', 'hex'),
    );
    fuzz({ name: 'parseAtr', seeds: atrs, iterations: 8_000, run: parseAtr });
    fuzz({ name: 'parseSsseHistorical', seeds: historical, iterations: 4_000, run: parseSsseHistorical });
  });

  test('parseReadCardBas returns or throws SscardError on any text', () => {
    const seeds = [
      Buffer.from(
        '639900|111111198101011110|X00000019|639900D15600000500BF7C7A48FB4966|张三|00814E43238697159900BF7C7A|1.00|20101001|20201001|410100813475|DEV0001|',
        'utf8',
      ),
    ];
    try {
      seeds.push(
        Buffer.from(
          formatReadCardBas(parseReadCardBas(seeds[0]!.toString('utf8'))).replace('张三', '欧阳娜娜'),
          'utf8',
        ),
      );
    } catch (e) {
      if (!(e instanceof SscardError)) throw e;
    }
    fuzz({ name: 'parseReadCardBas', seeds, iterations: 6_000, run: (b) => parseReadCardBas(utf8(b)) });
  });

  test('decodeGbk, decodeBcd and decodeBcdDate return or throw SscardError on any bytes', () => {
    fuzz({
      name: 'decodeGbk',
      seeds: [encodeGbk('张三', 30), encodeGbk('欧阳娜娜'), Buffer.from('B0A1FEFE8140', 'hex')],
      iterations: 6_000,
      run: decodeGbk,
    });
    const bcd = [
      Buffer.from('20240229', 'hex'),
      Buffer.from('19491001', 'hex'),
      Buffer.from('330300', 'hex'),
    ];
    fuzz({ name: 'decodeBcd', seeds: bcd, iterations: 3_000, run: (b) => decodeBcd(b) });
    fuzz({ name: 'decodeBcdDate', seeds: bcd, iterations: 4_000, run: decodeBcdDate });
  });

  test('parseYuan returns or throws SscardError on any text', () => {
    const seeds = ['12.34', '-0.05', '90071992547409.91', '0'].map(ascii);
    fuzz({ name: 'parseYuan', seeds, iterations: 6_000, run: (b) => parseYuan(latin1(b)) });
  });
});

describe('fuzz: cryptographic parsers', () => {
  test('unpadMethod2 and the issuer application data readers return or throw SscardError', () => {
    fuzz({
      name: 'unpadMethod2',
      seeds: [Buffer.from('0102038000000000', 'hex'), Buffer.from('80000000000000000000000000000000', 'hex')],
      iterations: 4_000,
      run: (b) => {
        for (const block of [8, 16]) {
          try {
            unpadMethod2(b, block);
          } catch (e) {
            if (!(e instanceof SscardError)) throw e;
          }
        }
      },
    });
    fuzz({
      name: 'issuer application data',
      seeds: [Buffer.from('07010103A00000010A010000000000', 'hex')],
      iterations: 3_000,
      run: (b) => {
        try {
          cvrFromIad(b);
        } finally {
          iadAlgorithm(b);
        }
      },
    });
  });

  test('staticDataToAuthenticate returns or throws SscardError on any record', () => {
    fuzz({
      name: 'staticDataToAuthenticate',
      seeds: berSeeds,
      iterations: 4_000,
      run: (b) => staticDataToAuthenticate([{ sfi: 1 + (b.length % 30), record: b }]),
    });
  });

  describe('EMV certificate recovery', () => {
    const pan = '6228480000000000001';
    const at = new Date('2025-06-01T00:00:00Z');
    const staticData = Buffer.from(
      '5A0A6228480000000000001F5F24032912315F25031501015F280201565F3401019F0702FF00',
      'hex',
    );
    const un = Buffer.from('01020304', 'hex');
    let ca: RsaPrivateKey;
    let issuer: RsaPrivateKey;
    let icc: RsaPrivateKey;
    let issuerCert: EmvCertificate;
    let iccCert: EmvCertificate;
    let ssad: Buffer;
    let sdad: Buffer;

    before(() => {
      // Keys are generated for the run, never kept in source (CONTRIBUTING.md).
      ca = generateRsaKey(1024, 3);
      issuer = generateRsaKey(1024, 3);
      icc = generateRsaKey(768, 3);
      issuerCert = buildIssuerCertificate(ca, publicKeyOf(issuer), {
        issuerIdentifier: '622848',
        expiry: '1230',
        serial: Buffer.from('000001', 'hex'),
      });
      iccCert = buildIccCertificate(issuer, publicKeyOf(icc), pan, staticData, {
        expiry: '1230',
        serial: Buffer.from('000002', 'hex'),
      });
      ssad = signStaticData(issuer, staticData, Buffer.from('DAC1', 'hex'));
      sdad = signDynamicData(icc, un, Buffer.from('0102030405060708', 'hex'));
    });

    test('the unmutated certificates recover, so the fuzz starts from valid encodings', () => {
      const key = recoverIssuerPublicKey(publicKeyOf(ca), { ...issuerCert, pan, at });
      assert.deepEqual(key.modulus, issuer.modulus);
      const iccKey = recoverIccPublicKey(publicKeyOf(issuer), { ...iccCert, pan, staticData, at });
      assert.deepEqual(iccKey.modulus, icc.modulus);
      assert.equal(
        recoverSignedStaticData(publicKeyOf(issuer), ssad, staticData).dac.toString('hex'),
        'dac1',
      );
      assert.equal(recoverSignedDynamicData(publicKeyOf(icc), sdad, un).iccDynamicNumber.length, 8);
    });

    test('recoverIssuerPublicKey returns or throws SscardError on mutated certificates and remainders', () => {
      fuzz({
        name: 'recoverIssuerPublicKey certificate',
        seeds: [issuerCert.certificate],
        iterations: 1_500,
        run: (b) => recoverIssuerPublicKey(publicKeyOf(ca), { ...issuerCert, certificate: b, pan, at }),
      });
      fuzz({
        name: 'recoverIssuerPublicKey remainder',
        seeds: [issuerCert.remainder, issuerCert.exponent],
        iterations: 1_000,
        run: (b) => recoverIssuerPublicKey(publicKeyOf(ca), { ...issuerCert, remainder: b, pan, at }),
      });
    });

    test('recoverIccPublicKey returns or throws SscardError on mutated certificates', () => {
      fuzz({
        name: 'recoverIccPublicKey',
        seeds: [iccCert.certificate],
        iterations: 1_500,
        run: (b) =>
          recoverIccPublicKey(publicKeyOf(issuer), { ...iccCert, certificate: b, pan, staticData, at }),
      });
    });

    test('signed static and dynamic data recovery returns or throws SscardError on mutated signatures', () => {
      fuzz({
        name: 'recoverSignedStaticData',
        seeds: [ssad],
        iterations: 1_500,
        run: (b) => recoverSignedStaticData(publicKeyOf(issuer), b, staticData),
      });
      fuzz({
        name: 'recoverSignedDynamicData',
        seeds: [sdad],
        iterations: 1_500,
        run: (b) => recoverSignedDynamicData(publicKeyOf(icc), b, un),
      });
    });
  });
});

describe('fuzz: the same random bytes through every byte parser', () => {
  test('no parser fails on what another parser was given', () => {
    const parsers: Array<[string, (b: Buffer) => unknown]> = [
      ['parseCommand', parseCommand],
      ['parseResponse', parseResponse],
      ['parseBerTlv', (b) => parseBerTlv(b)],
      ['parseDol', parseDol],
      ['parseSimpleTlv', parseSimpleTlv],
      ['parseAtr', parseAtr],
      ['parseSsseHistorical', parseSsseHistorical],
      ['parseCardIdCode', parseCardIdCode],
      ['decodeGbk', decodeGbk],
      ['decodeBcdDate', decodeBcdDate],
      ['decodeRecord ssn', (b) => decodeRecord('ssn', b)],
      ['decodeRecord name', (b) => decodeRecord('name', b)],
    ];
    const seeds = [...commandSeeds, ...berSeeds, ...dolSeeds, ...simpleTlvSeeds];
    fuzz({
      name: 'every parser',
      seeds,
      iterations: 4_000,
      run: (b) => {
        for (const [name, parse] of parsers) {
          try {
            parse(b);
          } catch (e) {
            if (!(e instanceof SscardError)) {
              throw new Error(`${name}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
            }
          }
        }
      },
    });
  });
});

// Runs last: top-level tests of a file run in order, one after another.
test('fed at least 100,000 inputs to the parsers', () => {
  assert.ok(totalInputs >= MIN_TOTAL_INPUTS, `${totalInputs} inputs`);
});
