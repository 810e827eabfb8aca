import { EventEmitter } from 'node:events';
import { type Frame, FrameDecoder, encodeFrame, type SerialReaderProfile } from '@sscard/firmware-profiles';
import { closeSerialPort, openSerialPort, type SerialPort } from '@sscard/serial-line';
import { ReaderError } from './errors.js';

export interface SerialLinkEvents {
  /** The port closed or failed under us (device unplugged, pty gone); the link is dead. */
  lost: [cause: Error | undefined];
}

/**
 * One open serial port speaking a reader's framed protocol: one request frame out, one answer
 * frame back, never two requests at once. Frames and checksums are the profile's framing through
 * the shared codec; this class only adds timing: the inter-byte gap that drops a partial frame and
 * the host's deadline for an answer.
 */
export class SerialLink extends EventEmitter<SerialLinkEvents> {
  private readonly decoder: FrameDecoder;
  private queue: Promise<unknown> = Promise.resolve();
  private waiter: { resolve: (f: Frame) => void; reject: (e: Error) => void } | undefined;
  private gapTimer: NodeJS.Timeout | undefined;
  private dead = false;

  private constructor(
    private readonly port: SerialPort,
    readonly path: string,
    private readonly profile: SerialReaderProfile,
  ) {
    super();
    this.decoder = new FrameDecoder(profile.framing);
    port.on('data', (chunk: Buffer) => this.onData(chunk));
    port.on('close', (err?: Error | null) => this.lose(err ?? undefined));
    port.on('error', (err: Error) => this.lose(err));
  }

  static async open(path: string, profile: SerialReaderProfile): Promise<SerialLink> {
    try {
      return new SerialLink(await openSerialPort(path, profile.line), path, profile);
    } catch (err) {
      throw new ReaderError(
        'ReaderGone',
        `cannot open ${path}: ${(err as Error).message}`,
        { path },
        { cause: err },
      );
    }
  }

  get alive(): boolean {
    return !this.dead;
  }

  /**
   * Sends one frame and waits for the answer frame. `extraMs` is added to the host deadline for
   * commands that wait on the card (power on, APDU). A corrupted answer is a `ReaderProtocol`
   * error: the reader did act on the request, so only the caller knows whether resending is safe.
   */
  request(code: number, data: Buffer, extraMs = 0): Promise<Frame> {
    const run = (): Promise<Frame> => this.exchange(code, data, extraMs);
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  close(): Promise<void> {
    this.dead = true;
    this.failWaiter(new ReaderError('ReaderGone', `${this.path} was closed`, { path: this.path }));
    return closeSerialPort(this.port);
  }

  private exchange(code: number, data: Buffer, extraMs: number): Promise<Frame> {
    if (this.dead) {
      return Promise.reject(
        new ReaderError('ReaderGone', `${this.path} is not connected`, { path: this.path }),
      );
    }
    return new Promise<Frame>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        this.decoder.reset();
        reject(
          new ReaderError('ReaderGone', `the reader on ${this.path} did not answer`, {
            path: this.path,
            deadlineMs: this.profile.timeouts.hostResponseMs + extraMs,
          }),
        );
      }, this.profile.timeouts.hostResponseMs + extraMs);
      this.waiter = {
        resolve: (frame) => {
          clearTimeout(timer);
          resolve(frame);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.port.write(encodeFrame(this.profile.framing, { code, data }), (err) => {
        if (err)
          this.failWaiter(
            new ReaderError('ReaderGone', `writing to ${this.path} failed: ${err.message}`, {
              path: this.path,
            }),
          );
      });
    });
  }

  private onData(chunk: Buffer): void {
    // A silence longer than the inter-byte gap inside a frame means the rest is not coming.
    if (this.gapTimer) clearTimeout(this.gapTimer);
    for (const event of this.decoder.push(chunk)) {
      if (event.type === 'frame') this.settle((w) => w.resolve(event.frame));
      else if (event.type === 'error') {
        this.settle((w) =>
          w.reject(
            new ReaderError('ReaderProtocol', `corrupted answer frame from ${this.path} (${event.error})`, {
              path: this.path,
              framing: event.error,
            }),
          ),
        );
      }
      // Garbage between frames is line noise; the frame that follows it still counts.
    }
    if (this.decoder.pending > 0) {
      this.gapTimer = setTimeout(() => {
        this.decoder.reset();
        this.settle((w) =>
          w.reject(
            new ReaderError('ReaderProtocol', `incomplete answer frame from ${this.path}`, {
              path: this.path,
            }),
          ),
        );
      }, this.profile.timeouts.interByteMs);
    }
  }

  private settle(
    action: (waiter: { resolve: (f: Frame) => void; reject: (e: Error) => void }) => void,
  ): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    if (waiter) action(waiter);
  }

  private failWaiter(error: Error): void {
    this.settle((w) => w.reject(error));
  }

  private lose(cause: Error | undefined): void {
    if (this.gapTimer) clearTimeout(this.gapTimer);
    const wasAlive = !this.dead;
    this.dead = true;
    this.failWaiter(
      new ReaderError(
        'ReaderGone',
        `${this.path} was disconnected`,
        { path: this.path },
        cause ? { cause } : undefined,
      ),
    );
    if (this.port.isOpen) this.port.close(() => undefined);
    if (wasAlive) this.emit('lost', cause);
  }
}
