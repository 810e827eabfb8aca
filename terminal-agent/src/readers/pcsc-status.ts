import { ReaderError, type ReaderErrorCode } from './errors.js';
import { SCARD_STATE } from './pcsclite-binding.js';

/** What a reader's state flags say about its slot, reduced to what the agent acts on. */
export interface SlotState {
  present: boolean;
  /** A card is in but did not answer the reset (dirty contacts, upside down, not a smart card). */
  mute: boolean;
  /** Some process holds the card with SCARD_SHARE_EXCLUSIVE. */
  exclusive: boolean;
  /** The reader is known to pcscd but not usable (driver lost it). */
  unavailable: boolean;
}

export function decodeSlotState(state: number): SlotState {
  return {
    present: (state & SCARD_STATE.PRESENT) !== 0,
    mute: (state & SCARD_STATE.MUTE) !== 0,
    exclusive: (state & SCARD_STATE.EXCLUSIVE) !== 0,
    unavailable: (state & (SCARD_STATE.UNAVAILABLE | SCARD_STATE.UNKNOWN)) !== 0,
  };
}

/** PC/SC return codes (winscard / pcsclite.h) that change what the agent does. */
export const PCSC_RESULT = {
  E_CANCELLED: 0x80100002,
  E_INVALID_HANDLE: 0x80100003,
  E_TIMEOUT: 0x8010000a,
  E_SHARING_VIOLATION: 0x8010000b,
  E_NO_SMARTCARD: 0x8010000c,
  E_UNKNOWN_READER: 0x80100009,
  E_PROTO_MISMATCH: 0x8010000f,
  E_NOT_READY: 0x80100010,
  F_COMM_ERROR: 0x80100013,
  E_READER_UNAVAILABLE: 0x80100017,
  E_NO_SERVICE: 0x8010001d,
  E_SERVICE_STOPPED: 0x8010001e,
  E_NO_READERS_AVAILABLE: 0x8010002e,
  W_UNRESPONSIVE_CARD: 0x80100066,
  W_UNPOWERED_CARD: 0x80100067,
  W_RESET_CARD: 0x80100068,
  W_REMOVED_CARD: 0x80100069,
} as const;

/**
 * The binding reports failures only as text, `SCardConnect error: Card was removed.(0x80100069)`;
 * the code in parentheses is the one stable part.
 */
export function pcscResultOf(err: unknown): number | undefined {
  const message = err instanceof Error ? err.message : String(err);
  const match = /\(0x([0-9a-fA-F]{8})\)/.exec(message);
  return match ? Number.parseInt(match[1]!, 16) : undefined;
}

/** Ways a PC/SC failure is handled: each maps to one recovery in the backend. */
export type PcscFailureKind =
  | 'service' // pcscd gone or restarted: re-establish the context with back-off
  | 'removed' // card left the slot
  | 'no-card'
  | 'reader-gone'
  | 'busy'
  | 'reset' // card was reset by another process: reconnect and retry once
  | 'mute'
  | 'other';

export function classifyPcscFailure(err: unknown): PcscFailureKind {
  switch (pcscResultOf(err)) {
    case PCSC_RESULT.E_NO_SERVICE:
    case PCSC_RESULT.E_SERVICE_STOPPED:
    case PCSC_RESULT.F_COMM_ERROR:
    case PCSC_RESULT.E_INVALID_HANDLE:
      return 'service';
    case PCSC_RESULT.W_REMOVED_CARD:
      return 'removed';
    case PCSC_RESULT.E_NO_SMARTCARD:
      return 'no-card';
    case PCSC_RESULT.E_UNKNOWN_READER:
    case PCSC_RESULT.E_READER_UNAVAILABLE:
    case PCSC_RESULT.E_NO_READERS_AVAILABLE:
      return 'reader-gone';
    case PCSC_RESULT.E_SHARING_VIOLATION:
      return 'busy';
    case PCSC_RESULT.W_RESET_CARD:
    case PCSC_RESULT.W_UNPOWERED_CARD:
    case PCSC_RESULT.E_NOT_READY:
      return 'reset';
    case PCSC_RESULT.W_UNRESPONSIVE_CARD:
    case PCSC_RESULT.E_TIMEOUT:
      return 'mute';
    default:
      return 'other';
  }
}

const ERROR_CODE_BY_KIND: Record<PcscFailureKind, ReaderErrorCode> = {
  service: 'ServiceUnavailable',
  removed: 'CardRemoved',
  'no-card': 'NoCard',
  'reader-gone': 'ReaderGone',
  busy: 'ReaderBusy',
  reset: 'ReaderFailure',
  mute: 'CardMute',
  other: 'ReaderFailure',
};

/** The one translation of a binding failure into the agent's error family. */
export function readerErrorFromPcsc(err: unknown, reader: string, operation: string): ReaderError {
  if (err instanceof ReaderError) return err;
  const kind = classifyPcscFailure(err);
  const result = pcscResultOf(err);
  return new ReaderError(
    ERROR_CODE_BY_KIND[kind],
    `${operation} on "${reader}" failed: ${err instanceof Error ? err.message : String(err)}`,
    { reader, operation, ...(result !== undefined ? { pcscResult: `0x${result.toString(16)}` } : {}) },
    { cause: err },
  );
}
