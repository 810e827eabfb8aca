import { ProtocolError } from '@sscard/card-core';
import type { Frame } from './serial-framing.js';

/**
 * HID PIN pad reports (sscard convention, see the hid PIN pad profile): report id, length n of what
 * follows, code, n-1 data bytes, zero fill to the report length. HID reports are fixed-size and
 * delivered whole, so no checksum or resynchronisation is needed.
 */
export function encodeHidReport(reportId: number, reportLength: number, frame: Frame): Buffer {
  const n = 1 + frame.data.length;
  if (2 + n > reportLength) {
    throw new ProtocolError('HID_REPORT_TOO_LONG', `${n} bytes do not fit a ${reportLength}-byte report`);
  }
  const out = Buffer.alloc(reportLength);
  out[0] = reportId;
  out[1] = n;
  out[2] = frame.code;
  frame.data.copy(out, 3);
  return out;
}

export function decodeHidReport(reportId: number, report: Uint8Array): Frame {
  if (report.length < 3 || report[0] !== reportId) {
    throw new ProtocolError('HID_REPORT', `not a report ${reportId} of this PIN pad`);
  }
  const n = report[1]!;
  if (n < 1 || 2 + n > report.length)
    throw new ProtocolError('HID_REPORT_LENGTH', `report length byte ${n} is out of range`);
  return { code: report[2]!, data: Buffer.from(report.subarray(3, 2 + n)) };
}
