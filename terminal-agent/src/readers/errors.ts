import { READER_PROBLEM_CODES } from '@sscard/agent-protocol';
import { SscardError } from '@sscard/card-core';

/**
 * Why a reader could not do what was asked. Each code is an environment condition the terminal
 * can recover from or explain (card pulled, reader unplugged, pcscd down), never a card status
 * word: those are card-core `CardError`s. The codes are agent-protocol's.
 */
export const READER_ERROR_CODES = READER_PROBLEM_CODES;

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
