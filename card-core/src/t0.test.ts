import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fromHex, toHex } from './bytes.js';
import { ProtocolError, SscardError, ValidationError } from './errors.js';
import { getResponseClass, type Transmit, transceive } from './t0.js';

/**
 * A card that expects exactly these commands, in order, and answers each with the scripted
 * response. Any other command fails the test, so each test proves what was sent.
 */
function scriptedCard(
  script: Array<[command: string, response: string]>,
): Transmit & { remaining(): number } {
  let next = 0;
  const transmit = async (cmd: Buffer): Promise<Buffer> => {
    const step = script[next];
    assert.ok(step, `unexpected command ${toHex(cmd)} after the script ended`);
    assert.equal(toHex(cmd), step[0].replace(/\s+/g, ''), `command ${next + 1}`);
    next++;
    return fromHex(step[1]);
  };
  return Object.assign(transmit, { remaining: () => script.length - next });
}

const SELECT_SSSE = '00A404000F7378312E73682EC9E7BBE1B1A3D5CF';

function code(expected: string) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof SscardError, `expected an SscardError, got ${String(e)}`);
    assert.equal(e.code, expected);
    return true;
  };
}

describe('transceive', () => {
  test('returns a plain response as it came', async () => {
    const card = scriptedCard([['00B2072C0B', '070958303030303030313990 00']]);
    const res = await transceive(card, { cla: 0, ins: 0xb2, p1: 7, p2: 0x2c, le: 11 });
    assert.equal(res.sw, 0x9000);
    assert.equal(toHex(res.data), '0709583030303030303139');
    assert.equal(card.remaining(), 0);
  });

  test('fetches the FCI with GET RESPONSE when the select answers 611E', async () => {
    const fci = '6F1C840F7378312E73682EC9E7BBE1B1A3D5CFA5099F0801029F0C020001';
    const card = scriptedCard([
      [SELECT_SSSE, '611E'],
      ['00C000001E', `${fci}9000`],
    ]);
    const res = await transceive(card, fromHex(SELECT_SSSE));
    assert.equal(res.sw, 0x9000);
    assert.equal(toHex(res.data), fci);
    assert.equal(card.remaining(), 0);
  });

  test('concatenates the data of every part of a GET RESPONSE chain, 6100 asking for 256', async () => {
    const card = scriptedCard([
      ['00B0000000', `${'AA'.repeat(10)}6100`],
      ['00C0000000', `${'BB'.repeat(256)}6105`],
      ['00C0000005', 'CCCCCCCCCC9000'],
    ]);
    const res = await transceive(card, { cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 256 });
    assert.equal(res.sw, 0x9000);
    assert.equal(res.data.length, 10 + 256 + 5);
    assert.equal(toHex(res.data.subarray(0, 10)), 'AA'.repeat(10));
    assert.equal(toHex(res.data.subarray(10, 266)), 'BB'.repeat(256));
    assert.equal(toHex(res.data.subarray(266)), 'CCCCCCCCCC');
  });

  test('keeps the final status word of the chain, even an error', async () => {
    const card = scriptedCard([
      ['80A8000002830000', '6110'],
      ['00C0000010', '6581'],
    ]);
    const res = await transceive(card, fromHex('80A8000002830000'));
    assert.equal(res.sw, 0x6581);
    assert.equal(res.data.length, 0);
  });

  test('sends GET RESPONSE on the logical channel of the command, with 00 for a proprietary class', async () => {
    const card = scriptedCard([
      ['01A4040002EF05', '6102'],
      ['01C0000002', '01029000'],
    ]);
    assert.equal((await transceive(card, fromHex('01A4040002EF05'))).sw, 0x9000);
    assert.equal(getResponseClass(0x00), 0x00);
    assert.equal(getResponseClass(0x0c), 0x00); // secure messaging dropped
    assert.equal(getResponseClass(0x13), 0x03); // chaining dropped, channel 3 kept
    assert.equal(getResponseClass(0x6d), 0x4d); // further interindustry: channel 4+13, SM dropped
    assert.equal(getResponseClass(0x80), 0x00);
    assert.equal(getResponseClass(0x84), 0x00);
  });

  test('uses the GET RESPONSE class the caller names', async () => {
    const card = scriptedCard([
      ['A0A4000002 6F07', '610F'],
      ['A0C000000F', `${'00'.repeat(15)}9000`],
    ]);
    const res = await transceive(card, fromHex('A0A40000026F07'), { getResponseCla: 0xa0 });
    assert.equal(res.data.length, 15);
  });

  test('throws T0_CHAIN_TOO_LONG when the card never stops announcing data', async () => {
    const script: Array<[string, string]> = [['00B0000004', '0102030461FF']];
    for (let i = 0; i < 3; i++) script.push(['00C00000FF', `${'00'.repeat(255)}61FF`]);
    const card = scriptedCard(script);
    await assert.rejects(
      transceive(card, { cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 4 }, { maxGetResponse: 3 }),
      (e: unknown) => {
        assert.ok(e instanceof ProtocolError);
        assert.equal(e.code, 'T0_CHAIN_TOO_LONG');
        assert.deepEqual(e.details, { ins: 0xb0, maxGetResponse: 3, bytes: 4 + 3 * 255 });
        return true;
      },
    );
    assert.equal(card.remaining(), 0, 'exactly maxGetResponse GET RESPONSE commands were sent');
  });

  test('with maxGetResponse 0 refuses any chain', async () => {
    const card = scriptedCard([[SELECT_SSSE, '611E']]);
    await assert.rejects(
      transceive(card, fromHex(SELECT_SSSE), { maxGetResponse: 0 }),
      code('T0_CHAIN_TOO_LONG'),
    );
  });

  test('re-sends the command with the Le of 6Cxx', async () => {
    const card = scriptedCard([
      ['00B2080014', '6C0B'],
      ['00B208000B', '0709583030303030303139 9000'],
    ]);
    const res = await transceive(card, fromHex('00B2080014'));
    assert.equal(res.sw, 0x9000);
    assert.equal(res.data.length, 11);
  });

  test('adds an Le to a command that had none when the card answers 6Cxx, 6C00 meaning 256', async () => {
    const card = scriptedCard([
      ['00CA9F7F', '6C00'],
      ['00CA9F7F00', `${'11'.repeat(256)}9000`],
    ]);
    const res = await transceive(card, { cla: 0, ins: 0xca, p1: 0x9f, p2: 0x7f });
    assert.equal(res.data.length, 256);
  });

  test('throws when the card answers 6Cxx a second time', async () => {
    const card = scriptedCard([
      ['00B2080014', '6C0B'],
      ['00B208000B', '6C0A'],
    ]);
    await assert.rejects(transceive(card, fromHex('00B2080014')), code('T0_WRONG_LE_REPEATED'));
    assert.equal(card.remaining(), 0, 'no third attempt');
  });

  test('handles 6Cxx answered with 61xx, then follows the chain', async () => {
    const card = scriptedCard([
      ['00B2010C00', '6C20'],
      ['00B2010C20', '6120'],
      ['00C0000020', `${'22'.repeat(32)}9000`],
    ]);
    const res = await transceive(card, fromHex('00B2010C00'));
    assert.equal(res.data.length, 32);
  });

  test('re-sends a GET RESPONSE answered with 6Cxx', async () => {
    const card = scriptedCard([
      ['00A4040002EF05', '6110'],
      ['00C0000010', '6C08'],
      ['00C0000008', '01020304050607089000'],
    ]);
    const res = await transceive(card, fromHex('00A4040002EF05'));
    assert.equal(toHex(res.data), '0102030405060708');
  });

  test('in raw mode returns the first response without GET RESPONSE or re-send', async () => {
    const selects = scriptedCard([[SELECT_SSSE, '611E']]);
    assert.equal((await transceive(selects, fromHex(SELECT_SSSE), { raw: true })).sw, 0x611e);
    const wrongLe = scriptedCard([['00B2080014', '6C0B']]);
    assert.equal((await transceive(wrongLe, fromHex('00B2080014'), { raw: true })).sw, 0x6c0b);
  });

  test('throws a ProtocolError on a response shorter than a status word', async () => {
    await assert.rejects(
      transceive(scriptedCard([['00840000 08', '90']]), fromHex('0084000008')),
      code('RESPONSE_TOO_SHORT'),
    );
    const chain = scriptedCard([
      [SELECT_SSSE, '611E'],
      ['00C000001E', ''],
    ]);
    await assert.rejects(transceive(chain, fromHex(SELECT_SSSE)), code('RESPONSE_TOO_SHORT'));
  });

  test('refuses malformed command bytes before sending anything', async () => {
    const card = scriptedCard([]);
    await assert.rejects(transceive(card, fromHex('00A4040005EF05')), code('APDU_MALFORMED'));
  });

  test('passes errors of the transmit function through unchanged', async () => {
    class CardRemoved extends Error {}
    const removed = new CardRemoved('card removed');
    await assert.rejects(
      transceive(async () => Promise.reject(removed), fromHex('0084000008')),
      (e: unknown) => e === removed,
    );
  });

  test('refuses bad options', async () => {
    const card = scriptedCard([]);
    for (const maxGetResponse of [-1, 1.5]) {
      await assert.rejects(transceive(card, fromHex('0084000008'), { maxGetResponse }), ValidationError);
    }
    await assert.rejects(transceive(card, fromHex('0084000008'), { getResponseCla: 256 }), ValidationError);
  });
});
