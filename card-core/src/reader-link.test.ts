import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { encodeCommand } from './apdu.js';
import { fromHex, toHex } from './bytes.js';
import { SscardError } from './errors.js';
import { CLA_CHAINING, planCommand, type ReaderLink, UNLIMITED_LINK } from './reader-link.js';
import { type Transmit, transceive } from './t0.js';

/** A TPDU-level CCID reader with short APDUs only, as most social security card readers are. */
const SHORT: ReaderLink = {
  extendedApdu: false,
  maxCommandApdu: 261,
  maxResponseApdu: 258,
  hostGetResponse: true,
};

function scripted(script: Array<[command: string, response: string]>): Transmit & { remaining(): number } {
  let next = 0;
  const transmit = async (cmd: Buffer): Promise<Buffer> => {
    const step = script[next];
    assert.ok(step, `unexpected command ${toHex(cmd)} after the script ended`);
    assert.equal(toHex(cmd), step[0], `command ${next + 1}`);
    next++;
    return fromHex(step[1]);
  };
  return Object.assign(transmit, { remaining: () => script.length - next });
}

const hexOf = (plan: ReturnType<typeof planCommand>) => plan.parts.map((p) => toHex(encodeCommand(p)));

describe('planCommand: one place decides how a command fits the reader', () => {
  test('an extended command goes as it is to a reader that carries it', () => {
    const cmd = { cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 1000 };
    assert.deepEqual(hexOf(planCommand(cmd, UNLIMITED_LINK)), ['00B00000' + '0003E8']);
  });

  test('an extended Le goes to a short-only reader as Le 00, the rest to come by GET RESPONSE', () => {
    assert.deepEqual(hexOf(planCommand({ cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 1000 }, SHORT)), [
      '00B0000000',
    ]);
  });

  test('data longer than a short APDU are chained when the card takes chaining, with CLA b5 on all but the last part', () => {
    const data = Buffer.alloc(300, 0xab);
    const plan = planCommand({ cla: 0x00, ins: 0xd6, p1: 0, p2: 0, data, le: 256 }, SHORT, {
      chaining: true,
    });
    assert.equal(plan.parts.length, 2);
    assert.equal(plan.parts[0]!.cla, CLA_CHAINING);
    assert.equal(plan.parts[0]!.le, undefined);
    assert.equal(plan.parts[1]!.cla, 0x00);
    assert.equal(plan.parts[1]!.le, 256);
    assert.deepEqual(Buffer.concat(plan.parts.map((p) => Buffer.from(p.data!))), data);
    for (const part of plan.parts) assert.ok(encodeCommand(part).length <= SHORT.maxCommandApdu);
  });

  test('and refused with LINK_APDU_TOO_LONG when it does not: no extended APDU reaches a reader that cannot carry it', () => {
    assert.throws(
      () => planCommand({ cla: 0, ins: 0xd6, p1: 0, p2: 0, data: Buffer.alloc(300) }, SHORT),
      (e: unknown) => e instanceof SscardError && e.code === 'LINK_APDU_TOO_LONG',
    );
  });

  test('a reader with a small command buffer gets chained parts that fit it', () => {
    const small: ReaderLink = { ...SHORT, maxCommandApdu: 64 };
    const plan = planCommand({ cla: 0x80, ins: 0xe2, p1: 0, p2: 0, data: Buffer.alloc(130, 1) }, small, {
      chaining: true,
    });
    assert.deepEqual(
      plan.parts.map((p) => [p.cla, p.data!.length]),
      [
        [0x90, 59],
        [0x90, 59],
        [0x80, 12],
      ],
    );
  });

  test("an Le beyond the reader's response buffer is lowered to it", () => {
    const small: ReaderLink = { ...SHORT, maxResponseApdu: 66 };
    assert.deepEqual(hexOf(planCommand({ cla: 0, ins: 0xb2, p1: 1, p2: 0x34, le: 256 }, small)), [
      '00B2013440',
    ]);
  });
});

describe('transceive over a reader link', () => {
  test('GET RESPONSE asks for no more than the reader returns; the card hands out the rest in turn', async () => {
    const small: ReaderLink = { ...SHORT, maxResponseApdu: 66 };
    const a = '11'.repeat(64);
    const b = '22'.repeat(36);
    const card = scripted([
      ['00A404000F7378312E73682EC9E7BBE1B1A3D5CF', '6164'],
      ['00C0000040', `${a}6124`],
      ['00C0000024', `${b}9000`],
    ]);
    const res = await transceive(card, fromHex('00A404000F7378312E73682EC9E7BBE1B1A3D5CF'), { link: small });
    assert.equal(toHex(res.data), (a + b).toUpperCase());
    assert.equal(card.remaining(), 0);
  });

  test('a reader that fetches 61xx itself gets no GET RESPONSE from the host', async () => {
    const card = scripted([['00A404000F7378312E73682EC9E7BBE1B1A3D5CF', '6F1E9000']]);
    const res = await transceive(card, fromHex('00A404000F7378312E73682EC9E7BBE1B1A3D5CF'), {
      link: { ...SHORT, hostGetResponse: false },
    });
    assert.equal(res.sw, 0x9000);
    assert.equal(card.remaining(), 0);
  });

  test('a chained part the card refuses ends the command with its status word', async () => {
    const card = scripted([[`10D60000FF${'00'.repeat(255)}`, '6883']]);
    const res = await transceive(
      card,
      { cla: 0, ins: 0xd6, p1: 0, p2: 0, data: Buffer.alloc(300) },
      {
        link: SHORT,
        chaining: true,
      },
    );
    assert.equal(res.sw, 0x6883);
  });

  test('a 6Cxx naming more than the reader returns is LINK_RESPONSE_TOO_LONG, not a second wrong Le', async () => {
    const card = scripted([['00B2013440', '6C80']]);
    await assert.rejects(
      transceive(
        card,
        { cla: 0, ins: 0xb2, p1: 1, p2: 0x34, le: 256 },
        { link: { ...SHORT, maxResponseApdu: 66 } },
      ),
      (e: unknown) => e instanceof SscardError && e.code === 'LINK_RESPONSE_TOO_LONG',
    );
  });

  test('an extended read goes to a short-only reader as Le 00 and GET RESPONSE', async () => {
    const card = scripted([
      ['00B0000000', `${'33'.repeat(256)}6100`],
      ['00C0000000', `${'44'.repeat(256)}9000`],
    ]);
    const res = await transceive(card, { cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 512 }, { link: SHORT });
    assert.equal(res.data.length, 512);
  });
});
