import type { EventEmitter } from 'node:events';
import type { Frame } from '@sscard/firmware-profiles';
import type { PinPadError } from './errors.js';

export interface PinPadTransportEvents {
  /** One whole frame from the pad (an ack or an event), already checked against its framing. */
  frame: [frame: Frame];
  /** Something went wrong below the frame level (a corrupt frame, a write failure). */
  error: [error: PinPadError];
  /** The device went away (unplugged, port closed); no more frames will come. */
  close: [];
}

/**
 * The link to a PIN pad, frames in and frames out. The PIN pad protocol (start entry, key counts,
 * PIN block) is the same over every link; only the framing differs: a checksummed byte stream on
 * a serial line, fixed-size reports on USB HID.
 */
export interface PinPadTransport extends EventEmitter<PinPadTransportEvents> {
  /** For logs: the device path and the kind of link. */
  readonly description: string;
  send(frame: Frame): Promise<void>;
  close(): Promise<void>;
}
