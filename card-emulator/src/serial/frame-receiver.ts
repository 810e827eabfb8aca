import { EventEmitter } from 'node:events';
import { type Frame, FrameDecoder, type Framing } from '@sscard/firmware-profiles';

/** What a receiver answers for a command it could not take. */
export type ReceiveFailure = 'bad-checksum' | 'bad-length';

export interface FrameReceiverEvents {
  frame: [frame: Frame];
  broken: [failure: ReceiveFailure];
}

/**
 * The device's receive path: the shared streaming decoder plus the silence rule. A half-duplex
 * host waits for exactly one answer per command, so noise must not produce answers of its own:
 *
 * - a complete frame with a wrong checksum is a damaged command: `bad-checksum` at once;
 * - a false start (STX followed by an absurd length or no ETX) may be noise in front of the real
 *   command: it is reported as `bad-length` only if the line then goes quiet without a valid frame;
 * - a frame still incomplete after `interByteMs` of silence was cut short: `bad-length`.
 */
export class FrameReceiver extends EventEmitter<FrameReceiverEvents> {
  private readonly decoder: FrameDecoder;
  private silence: NodeJS.Timeout | undefined;
  private falseStart = false;

  constructor(
    framing: Framing,
    private readonly interByteMs: number,
  ) {
    super();
    this.decoder = new FrameDecoder(framing);
  }

  push(chunk: Buffer): void {
    if (this.silence) clearTimeout(this.silence);
    this.silence = undefined;
    for (const event of this.decoder.push(chunk)) {
      if (event.type === 'frame') {
        this.falseStart = false;
        this.emit('frame', event.frame);
      } else if (event.type === 'error') {
        if (event.error === 'bad-checksum') {
          this.falseStart = false;
          this.emit('broken', 'bad-checksum');
        } else {
          this.falseStart = true;
        }
      }
    }
    if (this.decoder.pending > 0 || this.falseStart) {
      this.silence = setTimeout(() => this.quiet(), this.interByteMs);
    }
  }

  /** Forgets a partial frame without answering it (the line was lost or reopened). */
  reset(): void {
    if (this.silence) clearTimeout(this.silence);
    this.silence = undefined;
    this.falseStart = false;
    this.decoder.reset();
  }

  private quiet(): void {
    this.silence = undefined;
    const partial = this.decoder.reset().length > 0;
    const falseStart = this.falseStart;
    this.falseStart = false;
    if (partial || falseStart) this.emit('broken', 'bad-length');
  }
}
