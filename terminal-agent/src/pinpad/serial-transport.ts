import { EventEmitter } from 'node:events';
import { wipe } from '@sscard/card-core';
import {
  encodeFrame,
  type Frame,
  FrameDecoder,
  type Framing,
  type SerialLine,
} from '@sscard/firmware-profiles';
import { closeSerialPort, openSerialPort, type SerialPort, writeToPort } from '@sscard/serial-line';
import { PinPadError } from './errors.js';
import type { PinPadTransport, PinPadTransportEvents } from './transport.js';

/**
 * A partial frame older than this is dropped: the len-crc16 framing has no start marker and
 * resynchronises on silence, and a stx-bcc frame cut by a glitch must not swallow the next one.
 */
const INTER_BYTE_TIMEOUT_MS = 200;

/** A PIN pad on a serial line (a USB-serial adapter, or a pseudo-terminal in tests). */
export class SerialPinPadTransport extends EventEmitter<PinPadTransportEvents> implements PinPadTransport {
  readonly description: string;
  readonly #port: SerialPort;
  readonly #framing: Framing;
  readonly #decoder: FrameDecoder;
  #silence: NodeJS.Timeout | undefined;

  private constructor(port: SerialPort, path: string, framing: Framing) {
    super();
    this.description = `serial ${path}`;
    this.#port = port;
    this.#framing = framing;
    this.#decoder = new FrameDecoder(framing);
    port.on('data', (chunk: Buffer) => this.#receive(chunk));
    port.on('error', (error) =>
      this.emit(
        'error',
        new PinPadError('PINPAD_PROTOCOL', `serial error on ${path}: ${error.message}`, {}, { cause: error }),
      ),
    );
    port.on('close', () => {
      clearTimeout(this.#silence);
      wipe(this.#decoder.reset());
      this.emit('close');
    });
  }

  static async open(
    path: string,
    line: SerialLine,
    framing: Framing,
    baudRate?: number,
  ): Promise<SerialPinPadTransport> {
    let port: SerialPort;
    try {
      port = await openSerialPort(path, line, { baudRate });
    } catch (error) {
      throw new PinPadError(
        'PINPAD_UNAVAILABLE',
        `cannot open PIN pad port ${path}: ${(error as Error).message}`,
        { path },
        { cause: error },
      );
    }
    return new SerialPinPadTransport(port, path, framing);
  }

  send(frame: Frame): Promise<void> {
    const bytes = encodeFrame(this.#framing, frame);
    return writeToPort(this.#port, bytes).catch((error: Error) => {
      throw new PinPadError('PINPAD_DISCONNECTED', `write to ${this.description} failed: ${error.message}`);
    });
  }

  close(): Promise<void> {
    return closeSerialPort(this.#port);
  }

  #receive(chunk: Buffer): void {
    clearTimeout(this.#silence);
    for (const event of this.#decoder.push(chunk)) {
      if (event.type === 'frame') this.emit('frame', event.frame);
      else if (event.type === 'error') {
        this.emit(
          'error',
          new PinPadError('PINPAD_PROTOCOL', `corrupt frame from ${this.description} (${event.error})`),
        );
      }
      wipe(event.raw);
    }
    wipe(chunk);
    if (this.#decoder.pending > 0) {
      this.#silence = setTimeout(() => wipe(this.#decoder.reset()), INTER_BYTE_TIMEOUT_MS);
    }
  }
}
