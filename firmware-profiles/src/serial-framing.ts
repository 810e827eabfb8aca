import { ProtocolError } from '@sscard/card-core';
import { bcc, crc16 } from './checksum.js';
import type { Framing } from './schema/common.js';

/**
 * The frame codec shared by the emulated serial readers and the agent's serial driver. Both
 * framings carry the same logical frame, one code byte (a command from the host, a status from
 * the reader) and its data:
 *
 * - `stx-bcc`:   STX | LEN (2, big-endian) | CODE | DATA | BCC | ETX,
 *                LEN = 1 + data length, BCC = XOR of LEN, CODE and DATA.
 * - `len-crc16`: LEN (2, big-endian) | CODE | DATA | CRC (2),
 *                LEN = 1 + data length, CRC over LEN, CODE and DATA in the profile's variant and byte order.
 */
export interface Frame {
  code: number;
  data: Buffer;
}

export type FramingErrorKind =
  /** Whole frame received, checksum wrong: the receiver answers "bad checksum". */
  | 'bad-checksum'
  /** STX-framed: the byte where ETX belongs is something else (a lost byte or a false STX). */
  | 'bad-trailer'
  /** The length field is 0 or larger than the profile allows. */
  | 'bad-length';

export type DecodeEvent =
  | { type: 'frame'; frame: Frame; raw: Buffer }
  | { type: 'error'; error: FramingErrorKind; raw: Buffer }
  /** Bytes skipped while hunting for the start of a frame. */
  | { type: 'garbage'; raw: Buffer };

function lengthField(payload: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(payload);
  return b;
}

function crcBytes(framing: Extract<Framing, { kind: 'len-crc16' }>, covered: Uint8Array): Buffer {
  const value = crc16(framing.crc, covered);
  const b = Buffer.alloc(2);
  if (framing.crcByteOrder === 'big') b.writeUInt16BE(value);
  else b.writeUInt16LE(value);
  return b;
}

export function encodeFrame(framing: Framing, frame: Frame): Buffer {
  if (!Number.isInteger(frame.code) || frame.code < 0 || frame.code > 0xff) {
    throw new ProtocolError('FRAME_CODE', `a frame code is one byte, got ${frame.code}`);
  }
  const payload = 1 + frame.data.length;
  if (payload > framing.maxPayload) {
    throw new ProtocolError(
      'FRAME_TOO_LONG',
      `payload of ${payload} bytes exceeds the profile's ${framing.maxPayload}`,
      {
        payload,
        maxPayload: framing.maxPayload,
      },
    );
  }
  const body = Buffer.concat([lengthField(payload), Buffer.from([frame.code]), frame.data]);
  if (framing.kind === 'stx-bcc') {
    return Buffer.concat([Buffer.from([framing.stx]), body, Buffer.from([bcc(body), framing.etx])]);
  }
  return Buffer.concat([body, crcBytes(framing, body)]);
}

/**
 * Streaming decoder: bytes in as they arrive (any split), events out. It never throws on input;
 * a broken frame becomes an `error` event and decoding resumes.
 *
 * `stx-bcc` resynchronises on STX: bytes before it are garbage; a false STX (wrong trailer, or a
 * length over the limit) drops that one byte and hunts again. A whole frame with a wrong BCC is
 * dropped whole, so one corrupted frame gives exactly one error.
 *
 * `len-crc16` has no start marker. When the CRC of the declared frame fails, a valid complete frame
 * starting inside it means the head was garbage; otherwise the declared frame is dropped as one
 * bad-checksum error. The real resynchronisation point is silence: the owner
 * calls `reset()` after the profile's inter-byte timeout, as Modbus RTU receivers do.
 */
export class FrameDecoder {
  private buffer: Buffer = Buffer.alloc(0);

  constructor(private readonly framing: Framing) {}

  /** Bytes held of a frame not yet complete. */
  get pending(): number {
    return this.buffer.length;
  }

  /** Drops a partial frame (after an inter-byte timeout) and returns its bytes. */
  reset(): Buffer {
    const dropped = this.buffer;
    this.buffer = Buffer.alloc(0);
    return dropped;
  }

  push(chunk: Uint8Array): DecodeEvent[] {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    const events: DecodeEvent[] = [];
    for (;;) {
      const event = this.framing.kind === 'stx-bcc' ? this.nextStx(this.framing) : this.nextCrc(this.framing);
      if (!event) break;
      events.push(event);
    }
    return mergeGarbage(events);
  }

  private take(n: number): Buffer {
    const out = this.buffer.subarray(0, n);
    this.buffer = this.buffer.subarray(n);
    return Buffer.from(out);
  }

  private nextStx(framing: Extract<Framing, { kind: 'stx-bcc' }>): DecodeEvent | undefined {
    const buf = this.buffer;
    if (buf.length === 0) return undefined;
    if (buf[0] !== framing.stx) {
      const at = buf.indexOf(framing.stx);
      return { type: 'garbage', raw: this.take(at < 0 ? buf.length : at) };
    }
    if (buf.length < 3) return undefined;
    const payload = buf.readUInt16BE(1);
    if (payload === 0 || payload > framing.maxPayload)
      return { type: 'error', error: 'bad-length', raw: this.take(1) };
    const total = 1 + 2 + payload + 2;
    if (buf.length < total) return undefined;
    if (buf[total - 1] !== framing.etx) return { type: 'error', error: 'bad-trailer', raw: this.take(1) };
    const body = buf.subarray(1, 3 + payload);
    if (bcc(body) !== buf[total - 2]) return { type: 'error', error: 'bad-checksum', raw: this.take(total) };
    const raw = this.take(total);
    return { type: 'frame', frame: { code: raw[3]!, data: Buffer.from(raw.subarray(4, 3 + payload)) }, raw };
  }

  /** A complete, valid len-crc16 frame at `offset` of the buffer: its total length, or 0. */
  private crcFrameAt(framing: Extract<Framing, { kind: 'len-crc16' }>, offset: number): number {
    const buf = this.buffer;
    if (buf.length - offset < 2) return 0;
    const payload = buf.readUInt16BE(offset);
    if (payload === 0 || payload > framing.maxPayload) return 0;
    const total = 2 + payload + 2;
    if (buf.length - offset < total) return 0;
    const body = buf.subarray(offset, offset + 2 + payload);
    return crcBytes(framing, body).equals(buf.subarray(offset + 2 + payload, offset + total)) ? total : 0;
  }

  private nextCrc(framing: Extract<Framing, { kind: 'len-crc16' }>): DecodeEvent | undefined {
    const buf = this.buffer;
    if (buf.length < 2) return undefined;
    const payload = buf.readUInt16BE(0);
    if (payload === 0 || payload > framing.maxPayload) return { type: 'garbage', raw: this.take(1) };
    const total = 2 + payload + 2;
    if (buf.length < total) return undefined;
    if (this.crcFrameAt(framing, 0) === total) {
      const raw = this.take(total);
      return {
        type: 'frame',
        frame: { code: raw[2]!, data: Buffer.from(raw.subarray(3, 2 + payload)) },
        raw,
      };
    }
    // Only a frame starting inside the declared one shows the head was garbage; a frame right
    // after it is simply the next command, and the corrupted one still gets its error answer.
    for (let offset = 1; offset < total; offset++) {
      if (this.crcFrameAt(framing, offset) > 0) return { type: 'garbage', raw: this.take(offset) };
    }
    return { type: 'error', error: 'bad-checksum', raw: this.take(total) };
  }
}

/** Byte-by-byte garbage skipping gives one event per byte; callers want one per run. */
function mergeGarbage(events: DecodeEvent[]): DecodeEvent[] {
  const out: DecodeEvent[] = [];
  for (const e of events) {
    const last = out[out.length - 1];
    if (e.type === 'garbage' && last?.type === 'garbage') last.raw = Buffer.concat([last.raw, e.raw]);
    else out.push(e);
  }
  return out;
}
