import {
  type DecodeEvent,
  encodeFrame,
  type Frame,
  FrameDecoder,
  type Framing,
} from '@sscard/firmware-profiles';
import { type SerialPort, writeToPort } from '@sscard/serial-line';

/**
 * The host end of a serial line in tests: writes raw bytes or frames and hands out the frames the
 * device answers, in order. Deliberately thin so that tests see the bytes the device produced.
 */
export class SerialHost {
  private readonly decoder: FrameDecoder;
  private readonly received: DecodeEvent[] = [];
  private waiting: (() => void) | undefined;

  constructor(
    readonly port: SerialPort,
    readonly framing: Framing,
  ) {
    this.decoder = new FrameDecoder(framing);
    port.on('data', (chunk: Buffer) => {
      this.received.push(...this.decoder.push(chunk));
      this.waiting?.();
    });
  }

  write(bytes: Buffer): Promise<void> {
    return writeToPort(this.port, bytes);
  }

  /** The next frame from the device (errors from the decoder fail the wait). */
  async next(): Promise<Frame> {
    for (;;) {
      const event = this.received.shift();
      if (event?.type === 'frame') return event.frame;
      if (event?.type === 'error') throw new Error(`the device sent a broken frame: ${event.error}`);
      if (event) continue;
      await new Promise<void>((resolve) => {
        this.waiting = resolve;
      });
      this.waiting = undefined;
    }
  }

  async request(code: number, data: Buffer = Buffer.alloc(0)): Promise<Frame> {
    await this.write(encodeFrame(this.framing, { code, data }));
    return this.next();
  }
}
