import { EventEmitter } from 'node:events';
import type { SerialLine } from '@sscard/firmware-profiles';
import { closeSerialPort, openSerialPort, type SerialPort, writeToPort } from '@sscard/serial-line';

export interface DevicePortEvents {
  data: [chunk: Buffer];
  /** The port closed under the device (the pty pair went away, the cable was pulled). */
  lost: [cause: Error | undefined];
}

/**
 * The device end of a serial line: the port an emulated reader or PIN pad listens on. The port can
 * be opened again at the same path after the line was lost, as a device that is plugged back in.
 */
export class DevicePort extends EventEmitter<DevicePortEvents> {
  private port: SerialPort | undefined;
  /** Set while `close()` runs, so that closing on purpose is not reported as a lost line. */
  private closing = false;

  constructor(
    readonly path: string,
    private readonly line: SerialLine,
  ) {
    super();
  }

  get isOpen(): boolean {
    return this.port?.isOpen === true;
  }

  async open(): Promise<void> {
    if (this.isOpen) return;
    const port = await openSerialPort(this.path, this.line);
    this.port = port;
    port.on('data', (chunk: Buffer) => this.emit('data', chunk));
    // The port closes itself with a disconnected error when the line hangs up (the pty goes away).
    port.on('close', (err?: Error | null) => this.lost(port, err ?? undefined));
    port.on('error', (err: Error) => this.lost(port, err));
  }

  /** Writes and waits until the bytes left the process; false when the line is gone. */
  write(bytes: Buffer): Promise<boolean> {
    const port = this.port;
    if (!port?.isOpen) return Promise.resolve(false);
    return writeToPort(port, bytes).then(
      () => true,
      () => false,
    );
  }

  async close(): Promise<void> {
    const port = this.port;
    this.port = undefined;
    if (!port?.isOpen) return;
    this.closing = true;
    try {
      await closeSerialPort(port);
    } finally {
      this.closing = false;
    }
  }

  private lost(port: SerialPort, cause: Error | undefined): void {
    if (this.port !== port) return;
    this.port = undefined;
    if (port.isOpen) port.close(() => undefined);
    if (!this.closing) this.emit('lost', cause);
  }
}
