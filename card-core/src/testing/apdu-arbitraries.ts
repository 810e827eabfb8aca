import fc from 'fast-check';
import type { CommandApdu } from '../apdu.js';

/**
 * fast-check generators of command APDUs for the property and fuzz tests, covering the four
 * cases in short and extended form. Not exported from the package: fast-check is a development
 * dependency.
 */

const byte = fc.integer({ min: 0, max: 0xff });

/** Data lengths weighted towards the short/extended boundary, where encoders go wrong. */
const data = fc.oneof(
  { weight: 6, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 255 }) },
  { weight: 2, arbitrary: fc.uint8Array({ minLength: 256, maxLength: 300 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 65535 }).map((n) => new Uint8Array(n).fill(n & 0xff)) },
);

const le = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 256 }) },
  { weight: 3, arbitrary: fc.integer({ min: 257, max: 65536 }) },
  { weight: 1, arbitrary: fc.constantFrom(1, 255, 256, 257, 65535, 65536) },
);

export function commandApdu(): fc.Arbitrary<CommandApdu> {
  return fc.record(
    { cla: byte, ins: byte, p1: byte, p2: byte, data, le },
    { requiredKeys: ['cla', 'ins', 'p1', 'p2'] },
  );
}
