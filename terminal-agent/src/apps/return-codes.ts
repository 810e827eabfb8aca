import {
  CardError,
  CryptoError,
  isSscardError,
  ProtocolError,
  swToReturnCode,
  ValidationError,
} from '@sscard/card-core';
import { PinEntryError } from '../pinpad/errors.js';
import { ReaderError, type ReaderErrorCode } from '../readers/errors.js';
import type { PinStatus } from './pin.js';
import { PsamError, type PsamErrorCode } from './psam.js';
import { NotSsseCardError } from './ssse.js';

/**
 * The one translation of the agent's typed errors into the ministry interface's return codes
 * (DESIGN.md §6). Everything that answers `iReadCardBas`-style calls goes through here.
 */

const READER_CODES: Record<ReaderErrorCode, number> = {
  NoCard: -2,
  CardRemoved: -2,
  CardMute: -4,
  CardProtocol: -4,
  ReaderNotFound: -11,
  ReaderAmbiguous: -11,
  ReaderGone: -11,
  ServiceUnavailable: -11,
  ReaderBusy: -11,
  ReaderProtocol: -11,
  ReaderFailure: -11,
  SessionClosed: -12,
};

const PSAM_CODES: Record<PsamErrorCode, number> = {
  PSAM_ABSENT: -2201,
  PSAM_ALGORITHM_UNSUPPORTED: -2202,
  PSAM_KEY_MISSING: -2203,
};

/** Transport-level protocol failures: the card's answers were not APDUs (garbage, endless 61xx). */
const NO_RESPONSE_PROTOCOL_CODES = new Set([
  'RESPONSE_TOO_SHORT',
  'T0_CHAIN_TOO_LONG',
  'T0_WRONG_LE_REPEATED',
]);

/**
 * The return code for a failure. Programming errors (anything not in our error families) are not
 * disguised as a card problem: they are re-thrown for the caller's error handling.
 */
export function returnCodeFor(error: unknown): number {
  if (error instanceof ReaderError) return READER_CODES[error.code] ?? -11;
  if (error instanceof PsamError) return PSAM_CODES[error.code];
  if (error instanceof PinEntryError) return error.returnCode;
  if (error instanceof NotSsseCardError) return -1;
  // A card error that says success is not a card's answer the interface can pass through.
  if (error instanceof CardError) return error.sw === 0x9000 ? -23 : swToReturnCode(error.sw);
  if (error instanceof ProtocolError) return NO_RESPONSE_PROTOCOL_CODES.has(error.code) ? -4 : -23;
  if (error instanceof ValidationError) return error.code === 'CARD_ID_FORMAT' ? -20 : -23;
  if (error instanceof CryptoError) return -21;
  if (isSscardError(error)) return -11;
  throw error;
}

/** Checks whose failure means the card is not what it claims (-21); the rest mean its data disagree (-22). */
const AUTHENTICITY_CHECKS = new Set(['card-authentication', 'offline-data-authentication']);

/** What a return code reads of a verification report (`VerificationReport`). */
export interface ReportOutcome {
  genuine: boolean;
  failed: readonly { check: string }[];
}

/** The return code for a card that was read but failed verification. 0 when it passed. */
export function returnCodeForReport(report: ReportOutcome): number {
  if (report.genuine) return 0;
  if (report.failed.some((f) => AUTHENTICITY_CHECKS.has(f.check))) return -21;
  if (report.failed.some((f) => f.check === 'validity-period')) return -23;
  return -22;
}

/** The return code of a PIN outcome: 0, -51 wrong PIN, -52 PIN locked. */
export function returnCodeForPin(status: PinStatus): number {
  if (status.state === 'ok') return 0;
  return status.state === 'blocked' ? -52 : -51;
}
