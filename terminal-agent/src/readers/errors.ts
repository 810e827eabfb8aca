import { SscardError } from '@sscard/card-core';

/**
 * Why a reader could not do what was asked. Each code is an environment condition the terminal
 * can recover from or explain (card pulled, reader unplugged, pcscd down), never a card status
 * word: those are card-core `CardError`s.
 */
export const READER_ERROR_CODES = [
  /** The card left the reader while a session was open or an APDU was on its way. */
  'CardRemoved',
  /** No card in the reader (or no reader with a card) when a session was asked for. */
  'NoCard',
  /** The reader itself disappeared (unplugged, driver gone). */
  'ReaderGone',
  /** No such reader, or a reader that cannot serve the request (an ignored or PSAM slot). */
  'ReaderNotFound',
  /** Several readers hold a card and none was named: the operator has to pick one. */
  'ReaderAmbiguous',
  /** The PC/SC service (pcscd) is not running or was restarted; the manager re-establishes it. */
  'ServiceUnavailable',
  /** Another session (this process or another) holds the card exclusively. */
  'ReaderBusy',
  /** The card did not answer within the reader's deadline. */
  'CardMute',
  /** The card answered with bytes that are not a response APDU (garbage, endless 61xx, absurd length). */
  'CardProtocol',
  /** A serial reader's frames were corrupt or did not follow its protocol profile. */
  'ReaderProtocol',
  /** The card session was already closed. */
  'SessionClosed',
  /** A failure of the reader stack that none of the codes above describes. */
  'ReaderFailure',
] as const;

export type ReaderErrorCode = (typeof READER_ERROR_CODES)[number];

export class ReaderError extends SscardError {
  declare readonly code: ReaderErrorCode;

  constructor(
    code: ReaderErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(code, message, details, options);
  }
}

export function isReaderError(e: unknown, code?: ReaderErrorCode): e is ReaderError {
  return e instanceof ReaderError && (code === undefined || e.code === code);
}
