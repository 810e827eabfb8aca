import { SerialPortStream } from '@serialport/stream';
import { hangupAwareBinding } from './hangup-aware-binding.js';

/** A line's settings, as a serial reader or PIN pad profile gives them. */
export interface LineSettings {
  baud: number;
  dataBits: 5 | 6 | 7 | 8;
  parity: 'none' | 'even' | 'odd' | 'mark' | 'space';
  stopBits: 1 | 1.5 | 2;
}

export type SerialPort = SerialPortStream;

const binding = hangupAwareBinding();

/**
 * Opens a serial device (a real tty, or one end of a pseudo-terminal pair) with a line's settings.
 * A line that goes away closes the port with a disconnected error, as the stream documents, instead
 * of leaving it open and silent. Rejects with the operating system's error when it cannot open.
 */
export function openSerialPort(
  path: string,
  line: LineSettings,
  options: { baudRate?: number } = {},
): Promise<SerialPort> {
  return new Promise((resolve, reject) => {
    const port = new SerialPortStream({
      binding,
      path,
      baudRate: options.baudRate ?? line.baud,
      dataBits: line.dataBits,
      parity: line.parity,
      stopBits: line.stopBits,
      autoOpen: false,
    });
    port.open((error) => (error ? reject(error) : resolve(port)));
  });
}

/** Closes a port if it is still open; a port already closed (or lost) is not an error here. */
export function closeSerialPort(port: SerialPort): Promise<void> {
  return new Promise((resolve) => {
    if (!port.isOpen) return resolve();
    port.close(() => resolve());
  });
}

/** The port closed (or was lost) before bytes written to it had left for the device. */
export class PortClosedError extends Error {
  readonly code = 'EPORTCLOSED';
}

/**
 * Writes and waits until the bytes have left for the device (write, then drain). The stream's own
 * write and drain, given a port that is closed or closing, wait for it to be opened again, which a
 * lost port never is: a write that straddles an unplug would wait for ever. This one rejects with
 * `PortClosedError` as soon as the port closes.
 */
export function writeToPort(port: SerialPort, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const closed = (): void => {
      port.off('close', closed);
      reject(new PortClosedError('the serial port closed before the bytes were written'));
    };
    if (!port.isOpen) return closed();
    port.once('close', closed);
    port.write(bytes, (error) => {
      if (error) {
        port.off('close', closed);
        return reject(error);
      }
      if (!port.isOpen) return closed();
      port.drain((drainError) => {
        port.off('close', closed);
        if (drainError) reject(drainError);
        else resolve();
      });
    });
  });
}
