import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  type CommandApdu,
  commandCase,
  commandDataIsSecret,
  commandFromHex,
  encodeCommand,
  encodeResponse,
  formatCommand,
  formatResponse,
  needsExtendedLength,
  parseCommand,
  parseResponse,
  swToHex,
} from './apdu.js';
import { fromHex, toHex } from './bytes.js';
import { ProtocolError, ValidationError } from './errors.js';
import { commandApdu } from './testing/apdu-arbitraries.js';

const SELECT_SSSE = '00A404000F7378312E73682EC9E7BBE1B1A3D5CF';

function hex(cmd: CommandApdu, extended?: boolean): string {
  return toHex(encodeCommand(cmd, extended === undefined ? {} : { extended }));
}

function isCode(code: string, type: typeof ProtocolError | typeof ValidationError = ProtocolError) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof type, `expected ${type.name}, got ${String(e)}`);
    assert.equal((e as ProtocolError).code, code);
    return true;
  };
}

describe('encodeCommand', () => {
  test('writes the four short cases', () => {
    assert.equal(hex({ cla: 0x00, ins: 0x84, p1: 0, p2: 0 }), '00840000');
    assert.equal(hex({ cla: 0x00, ins: 0x84, p1: 0, p2: 0, le: 8 }), '0084000008');
    assert.equal(hex({ cla: 0x00, ins: 0xa4, p1: 2, p2: 0, data: fromHex('EF05') }), '00A4020002EF05');
    assert.equal(
      hex({ cla: 0x00, ins: 0x88, p1: 0, p2: 1, data: fromHex('0102030405060708'), le: 8 }),
      '00880001080102030405060708' + '08',
    );
  });

  test('writes Le 256 as 00 in short form', () => {
    assert.equal(hex({ cla: 0, ins: 0xb2, p1: 1, p2: 0x2c, le: 256 }), '00B2012C00');
  });

  test('treats empty data as no data', () => {
    assert.equal(hex({ cla: 0, ins: 0xb0, p1: 0, p2: 0, data: Buffer.alloc(0), le: 4 }), '00B0000004');
    assert.equal(commandCase({ cla: 0, ins: 0xb0, p1: 0, p2: 0, data: Buffer.alloc(0) }), 1);
  });

  test('switches to extended length when the data exceeds 255 bytes', () => {
    const data = Buffer.alloc(256, 0xab);
    const bytes = encodeCommand({ cla: 0, ins: 0xd6, p1: 0, p2: 0, data });
    assert.equal(toHex(bytes.subarray(0, 7)), '00D60000000100');
    assert.equal(bytes.length, 7 + 256);
    const withLe = encodeCommand({ cla: 0, ins: 0xd6, p1: 0, p2: 0, data, le: 16 });
    assert.equal(toHex(withLe.subarray(-2)), '0010');
  });

  test('switches to extended length when Le exceeds 256, and writes 65536 as 0000', () => {
    assert.equal(hex({ cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 257 }), '00B00000000101');
    assert.equal(hex({ cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 65536 }), '00B00000000000');
    assert.equal(
      hex({ cla: 0, ins: 0x2a, p1: 0x9e, p2: 0x9a, data: fromHex('AA'), le: 65536 }),
      '002A9E9A000001AA0000',
    );
  });

  test('writes extended fields on request even for short lengths', () => {
    assert.equal(hex({ cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 4 }, true), '00B00000000004');
    assert.equal(hex({ cla: 0, ins: 0xa4, p1: 2, p2: 0, data: fromHex('EF05') }, true), '00A40200000002EF05');
    assert.equal(hex({ cla: 0, ins: 0x84, p1: 0, p2: 0 }, true), '00840000');
  });

  test('refuses header bytes outside 0..255', () => {
    for (const bad of [-1, 256, 1.5, Number.NaN]) {
      assert.throws(
        () => encodeCommand({ cla: bad, ins: 0, p1: 0, p2: 0 }),
        isCode('APDU_FIELD_RANGE', ValidationError),
      );
      assert.throws(
        () => encodeCommand({ cla: 0, ins: 0, p1: 0, p2: bad }),
        isCode('APDU_FIELD_RANGE', ValidationError),
      );
    }
  });

  test('refuses Le outside 1..65536, including 0', () => {
    for (const bad of [0, -1, 65537, 2.5]) {
      assert.throws(
        () => encodeCommand({ cla: 0, ins: 0xb0, p1: 0, p2: 0, le: bad }),
        isCode('APDU_LE_RANGE', ValidationError),
      );
    }
  });

  test('refuses data longer than 65535 bytes or not bytes', () => {
    assert.throws(
      () => encodeCommand({ cla: 0, ins: 0xd6, p1: 0, p2: 0, data: Buffer.alloc(65536) }),
      isCode('APDU_DATA_RANGE', ValidationError),
    );
    assert.throws(
      () => encodeCommand({ cla: 0, ins: 0xd6, p1: 0, p2: 0, data: [1, 2] as unknown as Uint8Array }),
      isCode('APDU_DATA_TYPE', ValidationError),
    );
  });

  test('tells which commands need extended length', () => {
    assert.equal(needsExtendedLength({ cla: 0, ins: 0, p1: 0, p2: 0, le: 256 }), false);
    assert.equal(needsExtendedLength({ cla: 0, ins: 0, p1: 0, p2: 0, le: 257 }), true);
    assert.equal(needsExtendedLength({ cla: 0, ins: 0, p1: 0, p2: 0, data: Buffer.alloc(255) }), false);
    assert.equal(needsExtendedLength({ cla: 0, ins: 0, p1: 0, p2: 0, data: Buffer.alloc(256) }), true);
  });
});

describe('parseCommand', () => {
  test('reads the SSSE application select as case 3 short', () => {
    const cmd = commandFromHex(SELECT_SSSE);
    assert.equal(cmd.case, 3);
    assert.equal(cmd.extended, false);
    assert.equal(cmd.ins, 0xa4);
    assert.equal(cmd.p1, 0x04);
    assert.equal(toHex(cmd.data), '7378312E73682EC9E7BBE1B1A3D5CF');
    assert.equal(cmd.le, undefined);
  });

  test('reads every short case', () => {
    assert.deepEqual(commandFromHex('00840000'), {
      cla: 0,
      ins: 0x84,
      p1: 0,
      p2: 0,
      data: Buffer.alloc(0),
      extended: false,
      case: 1,
    });
    const c2 = commandFromHex('00B2072C0B');
    assert.equal(c2.case, 2);
    assert.equal(c2.le, 11);
    assert.equal(commandFromHex('00B2080000').le, 256);
    const c4 = commandFromHex('0088000108 0102030405060708 00');
    assert.equal(c4.case, 4);
    assert.equal(c4.le, 256);
    assert.equal(toHex(c4.data), '0102030405060708');
  });

  test('reads every extended case', () => {
    const c2 = commandFromHex('00B00000 000000');
    assert.equal(c2.case, 2);
    assert.equal(c2.extended, true);
    assert.equal(c2.le, 65536);
    assert.equal(commandFromHex('00B00000 000101').le, 257);
    const c3 = commandFromHex('00D60000 000002 ABCD');
    assert.equal(c3.case, 3);
    assert.equal(c3.extended, true);
    assert.equal(toHex(c3.data), 'ABCD');
    const c4 = commandFromHex('002A9E9A 000001 AA 0000');
    assert.equal(c4.case, 4);
    assert.equal(c4.le, 65536);
  });

  test('refuses fewer than four bytes', () => {
    for (const bad of ['', '00', '00A404'])
      assert.throws(() => commandFromHex(bad), isCode('APDU_MALFORMED'));
  });

  test('refuses a body that does not match Lc', () => {
    for (const bad of [
      '00A4040002EF', // one data byte short
      '00A4040002EF050000', // two bytes after the data
      '00A4040000EF', // 00 then one byte: neither short Lc nor an extended field
    ]) {
      assert.throws(() => commandFromHex(bad), isCode('APDU_MALFORMED'), bad);
    }
  });

  test('refuses inconsistent extended lengths', () => {
    for (const bad of [
      '00D60000 0000', // marker and one byte
      '00D60000 000000 AB', // extended Lc of zero with data
      '00D60000 000003 ABCD', // Lc says 3, 2 present
      '00D60000 000002 ABCD 00', // one Le byte after extended data
      '00D60000 000002 ABCD 000000', // three Le bytes
    ]) {
      assert.throws(() => commandFromHex(bad), isCode('APDU_MALFORMED'), bad);
    }
  });

  test('copies the data so the caller may wipe the input', () => {
    const bytes = fromHex('0020000003123456');
    const cmd = parseCommand(bytes);
    bytes.fill(0);
    assert.equal(toHex(cmd.data), '123456');
  });

  test('commandFromHex refuses text that is not hex', () => {
    assert.throws(() => commandFromHex('00A4XX00'), isCode('HEX_INVALID', ValidationError));
  });

  test('round-trips every command through encode and parse', () => {
    fc.assert(
      fc.property(commandApdu(), fc.boolean(), (cmd, forceExtended) => {
        const parsed = parseCommand(encodeCommand(cmd, { extended: forceExtended }));
        assert.equal(parsed.cla, cmd.cla);
        assert.equal(parsed.ins, cmd.ins);
        assert.equal(parsed.p1, cmd.p1);
        assert.equal(parsed.p2, cmd.p2);
        assert.equal(toHex(parsed.data), toHex(cmd.data ?? Buffer.alloc(0)));
        assert.equal(parsed.le, cmd.le);
        assert.equal(parsed.case, commandCase(cmd));
        const expectExtended = parsed.case !== 1 && (forceExtended || needsExtendedLength(cmd));
        assert.equal(parsed.extended, expectExtended);
      }),
      { numRuns: 500 },
    );
  });

  test('re-encodes every parsed command to the same bytes', () => {
    fc.assert(
      fc.property(commandApdu(), fc.boolean(), (cmd, forceExtended) => {
        const bytes = encodeCommand(cmd, { extended: forceExtended });
        const parsed = parseCommand(bytes);
        assert.deepEqual(encodeCommand(parsed, { extended: parsed.extended }), bytes);
      }),
      { numRuns: 300 },
    );
  });
});

describe('responses', () => {
  test('splits data from the status word', () => {
    const res = parseResponse(fromHex('0812313131313131313938313031303131313130 9000'));
    assert.equal(res.sw, 0x9000);
    assert.equal(res.data.length, 20);
    assert.deepEqual(parseResponse(fromHex('6A82')), { data: Buffer.alloc(0), sw: 0x6a82 });
  });

  test('refuses a response shorter than SW1 SW2', () => {
    assert.throws(() => parseResponse(Buffer.alloc(0)), isCode('RESPONSE_TOO_SHORT'));
    assert.throws(() => parseResponse(fromHex('90')), isCode('RESPONSE_TOO_SHORT'));
  });

  test('refuses input that is not bytes', () => {
    assert.throws(() => parseResponse('9000' as unknown as Uint8Array), isCode('RESPONSE_MALFORMED'));
    assert.throws(() => parseCommand('00A40400' as unknown as Uint8Array), isCode('APDU_MALFORMED'));
  });

  test('refuses a response longer than 65536 data bytes', () => {
    assert.throws(() => parseResponse(Buffer.alloc(65539)), isCode('RESPONSE_TOO_LONG'));
    assert.equal(parseResponse(Buffer.alloc(65538)).data.length, 65536);
  });

  test('encodes data and status word, refusing bad status words', () => {
    assert.equal(toHex(encodeResponse(fromHex('0102'), 0x9000)), '01029000');
    assert.equal(toHex(encodeResponse(Buffer.alloc(0), 0x63c2)), '63C2');
    for (const bad of [-1, 0x10000, 1.5]) {
      assert.throws(() => encodeResponse(Buffer.alloc(0), bad), isCode('SW_RANGE', ValidationError));
    }
    assert.throws(
      () => encodeResponse(Buffer.alloc(65537), 0x9000),
      isCode('APDU_DATA_RANGE', ValidationError),
    );
  });

  test('round-trips any response', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 0, max: 0xffff }), (data, sw) => {
        const res = parseResponse(encodeResponse(data, sw));
        assert.equal(res.sw, sw);
        assert.equal(toHex(res.data), toHex(data));
      }),
    );
  });

  test('writes status words as four hex digits', () => {
    assert.equal(swToHex(0x9000), '9000');
    assert.equal(swToHex(0x6a82), '6A82');
    assert.equal(swToHex(0x0001), '0001');
  });
});

describe('log formatting', () => {
  test('shows a command field by field', () => {
    assert.equal(formatCommand(commandFromHex('00A4020002EF05')), '00 A4 02 00 | 02 | EF 05');
    assert.equal(formatCommand(fromHex('00B2072C0B')), '00 B2 07 2C | 0B');
    assert.equal(formatCommand(fromHex('0084000008')), '00 84 00 00 | 08');
    assert.equal(formatCommand({ cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 256 }), '00 B0 00 00 | 00');
  });

  test('shows extended length fields after the 00 marker', () => {
    assert.equal(formatCommand({ cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 65536 }), '00 B0 00 00 | 00 | 00 00');
    assert.equal(formatCommand(fromHex('00B00000000004')), '00 B0 00 00 | 00 | 00 04');
  });

  test('never shows the PIN of VERIFY or the data of a PIN change or record update', () => {
    const verify = formatCommand(fromHex('0020000003123456'));
    assert.equal(verify, '00 20 00 00 | 03 | <3 bytes hidden>');
    assert.ok(!verify.includes('12 34 56'));
    const change = formatCommand(fromHex('805E010007123456FF654321'));
    assert.ok(!change.includes('12 34 56') && !change.includes('65 43 21'));
    const update = formatCommand(fromHex('00DC01040A08083131303130313139'));
    assert.ok(update.includes('<10 bytes hidden>'));
    assert.equal(commandDataIsSecret({ ins: 0xa4 }), false);
    assert.equal(commandDataIsSecret({ ins: 0x20 }), true);
  });

  test('hides the data of exactly the instructions that carry PINs, keys or personalisation writes', () => {
    // VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER and PUT DATA with their odd forms, PIN
    // management, WRITE/UPDATE BINARY, PUT KEY, UPDATE and APPEND RECORD.
    const secret = [0x20, 0x21, 0x24, 0x25, 0x2c, 0x2d, 0x5e, 0xd0, 0xd6, 0xd8, 0xda, 0xdb, 0xdc, 0xe2];
    for (let ins = 0; ins < 256; ins++) {
      assert.equal(commandDataIsSecret({ ins }), secret.includes(ins), `INS ${ins.toString(16)}`);
    }
  });

  test('shows malformed bytes without throwing, still hiding a PIN', () => {
    assert.equal(formatCommand(fromHex('00A404')), 'malformed command: 00 A4 04');
    const verify = formatCommand(fromHex('00200000051234'));
    assert.equal(verify, 'malformed command: 00 20 00 00 <3 bytes hidden>');
  });

  test('shows response data only on request, because it may hold an ID number', () => {
    const res = parseResponse(
      Buffer.concat([fromHex('0812'), Buffer.from('110101199001011234'), fromHex('9000')]),
    );
    assert.equal(formatResponse(res), '<20 bytes> | 90 00');
    assert.ok(formatResponse(res, { showData: true }).startsWith('08 12 31 31'));
    assert.equal(formatResponse(parseResponse(fromHex('6A83'))), '6A 83');
  });
});
