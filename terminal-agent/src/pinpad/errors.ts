import { MinistryReturnCode, type PinEntryProblemCode, type PinPadProblemCode } from '@sscard/agent-protocol';
import { SscardError } from '@sscard/card-core';

/**
 * Why no PIN came from the PIN pad. The ministry interface gives each of these a return code
 * (DESIGN.md §6: -31…-36), which HIS software shows to the clerk; the REST API passes it in
 * `details.returnCode`.
 */
export const PIN_ENTRY_FAILURES = {
  PIN_CANCELLED: MinistryReturnCode.PIN_CANCELLED,
  PIN_TIMEOUT: MinistryReturnCode.PIN_TIMEOUT,
  PIN_BAD_LENGTH: MinistryReturnCode.PIN_BAD_LENGTH,
  PIN_ENTRIES_DIFFER: MinistryReturnCode.PIN_ENTRIES_DIFFER,
  PIN_INITIAL_NOT_ALLOWED: MinistryReturnCode.PIN_INITIAL_NOT_ALLOWED,
  PIN_CHANGE_TO_INITIAL: MinistryReturnCode.PIN_CHANGE_TO_INITIAL,
} as const satisfies Record<PinEntryProblemCode, MinistryReturnCode>;

export type PinEntryFailure = PinEntryProblemCode;

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

export type PinPadErrorCode = PinPadProblemCode;
