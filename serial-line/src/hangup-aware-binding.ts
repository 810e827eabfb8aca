import { read } from 'node:fs';
import { promisify } from 'node:util';
import {
  autoDetect,
  type BindingInterface,
  type BindingPortInterface,
  BindingsError,
} from '@serialport/bindings-cpp';

const readFd = promisify(read);

/** The part of the Linux and macOS port bindings a read needs: the descriptor and its poller. */
interface UnixPortBinding extends BindingPortInterface {
  fd: number | null;
  poller: { once(event: 'readable', listener: (error?: Error | null) => void): unknown };
}

function isUnixPort(port: BindingPortInterface): port is UnixPortBinding {
  return 'fd' in port && 'poller' in port;
}

const TRY_AGAIN = new Set(['EAGAIN', 'EWOULDBLOCK', 'EINTR']);

/**
 * A tty opened with VMIN=1 (as the bindings open it) never reads zero bytes while its line is up:
 * with no data the non-blocking read fails with EAGAIN. Zero bytes is the end of file of a tty
 * that was hung up: a USB-serial adapter pulled out, the far end of a pseudo-terminal closed.
 */
export class LineHungUpError extends Error {
  readonly code = 'ELINEHUNGUP';
  readonly disconnect = true;
}

/**
 * The bindings' own Unix read reads again when it gets zero bytes, so a line that hung up keeps a
 * thread-pool thread and a core busy re-reading end of file, and the port never reports that it
 * was disconnected (serialport/bindings-cpp#162, open in 13.0.0). This read ends there instead:
 * its error closes the stream as disconnected.
 */
async function readUntilData(
  port: UnixPortBinding,
  buffer: Buffer,
  offset: number,
  length: number,
): Promise<{ buffer: Buffer; bytesRead: number }> {
  for (;;) {
    if (!port.isOpen || port.fd === null) throw new BindingsError('Port is not open', { canceled: true });
    let bytesRead: number;
    try {
      ({ bytesRead } = await readFd(port.fd, buffer, offset, length, null));
    } catch (e) {
      if (!TRY_AGAIN.has((e as NodeJS.ErrnoException).code ?? '')) throw e;
      if (!port.isOpen) throw new BindingsError('Port is not open', { canceled: true });
      await new Promise<void>((resolve, reject) =>
        port.poller.once('readable', (error) => (error ? reject(error) : resolve())),
      );
      continue;
    }
    if (bytesRead === 0) throw new LineHungUpError('the serial line hung up');
    return { buffer, bytesRead };
  }
}

/** The platform's serial binding, with a read that reports a hung-up line (see `readUntilData`). */
export function hangupAwareBinding(platform: BindingInterface = autoDetect()): BindingInterface {
  return {
    list: () => platform.list(),
    async open(options) {
      const port: BindingPortInterface = await platform.open(options);
      if (isUnixPort(port)) {
        // The port object is the binding's own; only its read is replaced, on this instance.
        port.read = (buffer, offset, length) => readUntilData(port, buffer, offset, length);
      }
      return port;
    },
  };
}
