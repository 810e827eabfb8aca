import { SscardError } from '@sscard/card-core';

/**
 * Why no PIN came from the PIN pad. The ministry interface gives each of these a return code
 * (DESIGN.md §6: -31…-36), which HIS software shows to the clerk; the REST API passes it in
 * `details.returnCode`.
 */
export const PIN_ENTRY_FAILURES = {
  PIN_CANCELLED: -31,
  PIN_TIMEOUT: -32,
  PIN_BAD_LENGTH: -33,
  PIN_ENTRIES_DIFFER: -34,
  PIN_INITIAL_NOT_ALLOWED: -35,
  PIN_CHANGE_TO_INITIAL: -36,
} as const;

export type PinEntryFailure = keyof typeof PIN_ENTRY_FAILURES;

export class PinEntryError extends SscardError {
  declare readonly code: PinEntryFailure;
  readonly returnCode: number;

  constructor(
    code: PinEntryFailure,
    message: string,
    details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(code, message, { ...details, returnCode: PIN_ENTRY_FAILURES[code] }, options);
    this.returnCode = PIN_ENTRY_FAILURES[code];
  }
}

export function isPinEntryError(e: unknown): e is PinEntryError {
  return e instanceof PinEntryError;
}

/**
 * The PIN pad device failed (unplugged, framing broken, busy with another entry). Not a ministry
 * PIN-pad code: the caller reports it as a device problem.
 */
export class PinPadError extends SscardError {
  declare readonly code: PinPadErrorCode;

  constructor(
    code: PinPadErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(code, message, details, options);
  }
}

export type PinPadErrorCode =
  | 'PINPAD_UNAVAILABLE'
  | 'PINPAD_BUSY'
  | 'PINPAD_PROTOCOL'
  | 'PINPAD_DISCONNECTED';
