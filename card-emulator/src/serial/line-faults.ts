import type { Framing } from '@sscard/firmware-profiles';

/**
 * Damage a device can do to its own answers, so that hosts are tested against a bad line:
 *
 * - `corrupt-checksum`: the answer's checksum byte is flipped (the host must not accept it);
 * - `truncate`: only the first half of the answer is sent (the host's inter-byte timeout ends it);
 * - `noise-before`: bytes that cannot start a frame come first (the host skips them);
 * - `split`: the answer is written in two parts, a moment apart (the host reassembles it);
 * - `no-answer`: nothing is sent (the host's answer deadline expires).
 */
export const LINE_FAULT_KINDS = [
  'corrupt-checksum',
  'truncate',
  'noise-before',
  'split',
  'no-answer',
] as const;
export type LineFaultKind = (typeof LINE_FAULT_KINDS)[number];

/** A gap short enough to stay inside any profile's inter-byte timeout. */
const SPLIT_GAP_MS = 5;

/** The writes that put one encoded answer on the line under a fault: bytes and the pause before each. */
export function applyLineFault(
  kind: LineFaultKind | undefined,
  framing: Framing,
  frame: Buffer,
): { bytes: Buffer; delayMs: number }[] {
  switch (kind) {
    case undefined:
      return [{ bytes: frame, delayMs: 0 }];
    case 'corrupt-checksum': {
      const damaged = Buffer.from(frame);
      // stx-bcc: BCC is the byte before ETX; len-crc16: the CRC's last byte ends the frame.
      const at = framing.kind === 'stx-bcc' ? damaged.length - 2 : damaged.length - 1;
      damaged[at] = damaged[at]! ^ 0xff;
      return [{ bytes: damaged, delayMs: 0 }];
    }
    case 'truncate':
      return [{ bytes: frame.subarray(0, Math.max(1, frame.length >> 1)), delayMs: 0 }];
    case 'noise-before': {
      // 0xFF never starts an STX frame and, as a length's high byte, exceeds any len-crc16 limit.
      return [{ bytes: Buffer.concat([Buffer.from([0xff, 0xff, 0xff]), frame]), delayMs: 0 }];
    }
    case 'split': {
      const half = frame.length >> 1;
      return [
        { bytes: frame.subarray(0, half), delayMs: 0 },
        { bytes: frame.subarray(half), delayMs: SPLIT_GAP_MS },
      ];
    }
    case 'no-answer':
      return [];
  }
}
