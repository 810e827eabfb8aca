import type { SerialLine } from '@sscard/firmware-profiles';
import { SerialPort } from 'serialport';

/** Opens a serial device (a real tty or one end of a socat pty pair) with a profile's line settings. */
export function openSerialPort(path: string, line: SerialLine): Promise<SerialPort> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort({
      path,
      baudRate: line.baud,
      dataBits: line.dataBits,
      parity: line.parity,
      stopBits: line.stopBits,
      autoOpen: false,
    });
    port.open((error) => (error ? reject(error) : resolve(port)));
  });
}

export function closeSerialPort(port: SerialPort): Promise<void> {
  return new Promise((resolve) => {
    if (!port.isOpen) return resolve();
    port.close(() => resolve());
  });
}
