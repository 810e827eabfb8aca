import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { defaultProfiles } from './loader.js';
import type { Framing } from './schema/common.js';
import { type DecodeEvent, encodeFrame, FrameDecoder } from './serial-framing.js';

const profiles = defaultProfiles();
const stx = profiles.serialReader('sscard-stx-bcc').framing;
const crc = profiles.serialReader('sscard-len-crc16').framing;
const framings: [string, Framing][] = [
  ['stx-bcc', stx],
  ['len-crc16', crc],
];

const selectAid = { code: 0x12, data: Buffer.from('00A404000F7378312E73682EC9E7BBE1B1A3D5CF', 'hex') };

function frames(events: DecodeEvent[]) {
  return events.filter((e) => e.type === 'frame').map((e) => e.frame);
}

test('stx-bcc encodes STX, big-endian length of code + data, code, data, BCC, ETX', () => {
  const wire = encodeFrame(stx, { code: 0x13, data: Buffer.from([0xaa]) });
  assert.equal(wire.toString('hex'), '0200021' + '3aa' + (0x00 ^ 0x02 ^ 0x13 ^ 0xaa).toString(16) + '03');
});

test('len-crc16 encodes length, code, data and the CRC-16/CCITT-FALSE of them, big-endian', () => {
  const wire = encodeFrame(crc, { code: 0xa4, data: Buffer.alloc(0) });
  assert.equal(wire.subarray(0, 3).toString('hex'), '0001a4');
  assert.equal(wire.length, 5);
  assert.notEqual(wire.readUInt16BE(3), 0);
});

for (const [name, framing] of framings) {
  test(`${name}: a frame split at every byte boundary decodes once`, () => {
    const wire = encodeFrame(framing, selectAid);
    for (let cut = 1; cut < wire.length; cut++) {
      const decoder = new FrameDecoder(framing);
      const first = decoder.push(wire.subarray(0, cut));
      assert.deepEqual(frames(first), []);
      const second = decoder.push(wire.subarray(cut));
      assert.deepEqual(frames(second), [selectAid]);
      assert.equal(decoder.pending, 0);
    }
  });

  test(`${name}: garbage before a frame is reported and skipped`, () => {
    const decoder = new FrameDecoder(framing);
    const events = decoder.push(
      Buffer.concat([Buffer.from([0xff, 0x55, 0x00]), encodeFrame(framing, selectAid)]),
    );
    assert.equal(events[0]?.type, 'garbage');
    assert.deepEqual(frames(events), [selectAid]);
  });

  test(`${name}: a frame with one corrupted byte is one bad-checksum error, and the next frame decodes`, () => {
    const wire = encodeFrame(framing, selectAid);
    const corrupted = Buffer.from(wire);
    corrupted[8] = corrupted[8]! ^ 0x40;
    const next = { code: 0x13, data: Buffer.alloc(0) };
    const decoder = new FrameDecoder(framing);
    const events = decoder.push(Buffer.concat([corrupted, encodeFrame(framing, next)]));
    assert.deepEqual(
      events.map((e) => (e.type === 'error' ? e.error : e.type)),
      ['bad-checksum', 'frame'],
    );
    assert.deepEqual(frames(events), [next]);
  });

  test(`${name}: a length over the profile's maximum is not waited for`, () => {
    const decoder = new FrameDecoder(framing);
    const head = framing.kind === 'stx-bcc' ? [0x02, 0xff, 0xff] : [0xff, 0xff];
    const events = decoder.push(Buffer.concat([Buffer.from(head), encodeFrame(framing, selectAid)]));
    assert.deepEqual(frames(events), [selectAid]);
  });

  test(`${name}: reset drops a partial frame`, () => {
    const decoder = new FrameDecoder(framing);
    const wire = encodeFrame(framing, selectAid);
    decoder.push(wire.subarray(0, 6));
    assert.equal(decoder.pending, 6);
    assert.equal(decoder.reset().length, 6);
    assert.deepEqual(frames(decoder.push(wire)), [selectAid]);
  });

  test(`${name}: any frames, split anywhere, decode to themselves`, () => {
    const frameArb = fc.record({
      code: fc.integer({ min: 0, max: 255 }),
      data: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
    });
    fc.assert(
      fc.property(
        fc.array(frameArb, { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (list, cuts) => {
          const wire = Buffer.concat(list.map((f) => encodeFrame(framing, f)));
          const points = [...new Set(cuts.map((c) => c % wire.length))].sort((a, b) => a - b);
          const decoder = new FrameDecoder(framing);
          const out: DecodeEvent[] = [];
          let from = 0;
          for (const p of [...points, wire.length]) {
            out.push(...decoder.push(wire.subarray(from, p)));
            from = p;
          }
          assert.deepEqual(
            frames(out),
            list.map((f) => ({ code: f.code, data: f.data })),
          );
          assert.equal(out.length, list.length);
        },
      ),
      { numRuns: 200 },
    );
  });

  test(`${name}: random noise never throws`, () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (noise) => {
        const decoder = new FrameDecoder(framing);
        decoder.push(noise);
      }),
      { numRuns: 200 },
    );
  });
}

test('stx-bcc: a frame whose ETX is missing drops only the STX and resynchronises', () => {
  const wire = encodeFrame(stx, selectAid);
  const broken = Buffer.from(wire);
  broken[broken.length - 1] = 0x00;
  const next = { code: 0x11, data: Buffer.alloc(0) };
  const decoder = new FrameDecoder(stx);
  const events = decoder.push(Buffer.concat([broken, encodeFrame(stx, next)]));
  assert.equal(events[0]?.type === 'error' && events[0].error, 'bad-trailer');
  assert.deepEqual(frames(events), [next]);
});

test('encodeFrame refuses a payload longer than the profile allows', () => {
  assert.throws(() => encodeFrame(crc, { code: 1, data: Buffer.alloc(crc.maxPayload) }), {
    code: 'FRAME_TOO_LONG',
  });
});
