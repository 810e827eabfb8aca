import { createRequire } from 'node:module';

/**
 * The part of the `pcsclite` native binding (santigimeno/node-pcsclite 1.x) the agent uses. The
 * package ships no types; these mirror lib/pcsclite.js and src/cardreader.cpp of that version.
 *
 * Behaviour worth knowing, observed on Debian's pcscd 1.9.9 with vpcd:
 * - `pcsclite()` establishes its context synchronously and throws when pcscd is not running
 *   (`SCardEstablishContext error: Service not available.(0x8010001d)`).
 * - When pcscd dies, the context's watcher emits `error` once (`RPC transport error.(0x80100013)`)
 *   and stops for good; every reader emits `error` then `end`. A new `pcsclite()` is needed.
 * - A reader's `status` handler fires first with the initial state and then on each change; an
 *   `error` on a reader without a listener would be an uncaught exception.
 * - connect/transmit/disconnect run on libuv's thread pool and block a pool thread for as long as
 *   the card is silent; vpcd returns an empty response (no status word) when a mute card is pulled.
 */
export interface PcscReaderStatus {
  state: number;
  atr?: Buffer;
}

export interface PcscCardReader {
  readonly name: string;
  readonly connected: boolean;
  readonly SCARD_SHARE_SHARED: number;
  readonly SCARD_SHARE_EXCLUSIVE: number;
  readonly SCARD_PROTOCOL_T0: number;
  readonly SCARD_PROTOCOL_T1: number;
  readonly SCARD_LEAVE_CARD: number;
  readonly SCARD_RESET_CARD: number;
  readonly SCARD_UNPOWER_CARD: number;
  connect(
    options: { share_mode?: number; protocol?: number },
    cb: (err: Error | null, protocol?: number) => void,
  ): void;
  disconnect(disposition: number, cb: (err?: Error | null) => void): void;
  transmit(
    data: Buffer,
    resLen: number,
    protocol: number,
    cb: (err: Error | null, data?: Buffer) => void,
  ): void;
  /** SCardControl on the connected handle: a reader's own commands (PC/SC part 10 features). */
  control(
    data: Buffer,
    controlCode: number,
    resLen: number,
    cb: (err: Error | null, data?: Buffer) => void,
  ): void;
  close(): void;
  on(event: 'status', listener: (status: PcscReaderStatus) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  on(event: 'end', listener: () => void): this;
  removeAllListeners(event?: string): this;
}

export interface PcscContext {
  readonly readers: Record<string, PcscCardReader>;
  on(event: 'reader', listener: (reader: PcscCardReader) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  removeAllListeners(event?: string): this;
  close(): void;
}

export type PcscContextFactory = () => PcscContext;

/** SCARD_STATE_* flags (pcsclite.h); the binding exposes them only on reader instances. */
export const SCARD_STATE = {
  UNAWARE: 0x0,
  IGNORE: 0x1,
  CHANGED: 0x2,
  UNKNOWN: 0x4,
  UNAVAILABLE: 0x8,
  EMPTY: 0x10,
  PRESENT: 0x20,
  ATRMATCH: 0x40,
  EXCLUSIVE: 0x80,
  INUSE: 0x100,
  MUTE: 0x200,
} as const;

let factory: PcscContextFactory | undefined;

/**
 * Loads the native binding on first use, not at import: the PC/SC client library reads
 * PCSCLITE_CSOCK_NAME when it first connects, so a process that sets it (a test with a private
 * pcscd) must be able to do so after importing the agent.
 */
export function loadPcscContextFactory(): PcscContextFactory {
  if (!factory) {
    const require = createRequire(import.meta.url);
    factory = require('pcsclite') as PcscContextFactory;
  }
  return factory;
}
