import { SscardError } from '@sscard/card-core';
import type { ProblemCode } from '@sscard/registry-protocol';

/**
 * Codes of failures that never reach the API: the command line, configuration, the HSM process
 * and its key files, and the files read at the operator's console (bulk imports, settlement
 * quotes). Every code an API caller can see is a `ProblemCode` of registry-protocol.
 */
export type LocalErrorCode =
  | 'USAGE'
  | 'CONFIG_INVALID'
  | 'HSM_KEYSET_INVALID'
  | 'IMPORT_HEADER_INVALID'
  | 'IMPORT_RECORD_TOO_LONG'
  | 'IMPORT_FILE_CHANGED'
  /** A bank's day file with more withdrawals than one reconciliation takes. */
  | 'BANK_DAY_TOO_LARGE'
  | 'SEED_CONFLICT'
  | 'SETTLEMENT_INPUT_INVALID'
  | 'HSM_SOCKET'
  | 'HSM_SOCKET_DIR'
  | 'HSM_KEY_FILE'
  | 'HSM_KEY_FILE_EXISTS'
  | 'DIRECTORY_EXPOSED'
  | 'STORE_NOT_DURABLE';

/**
 * Errors of the service's domain. `code` is stable and machine-readable (clients switch on it);
 * `status` is the HTTP status the API answers with. Messages never carry a full ID number, a PIN
 * or a key: they end up in logs and on terminal screens.
 */
export class DomainError extends SscardError {
  declare readonly code: ProblemCode | LocalErrorCode;
  readonly status: number;

  constructor(
    code: ProblemCode | LocalErrorCode,
    message: string,
    status = 400,
    details?: Record<string, unknown>,
  ) {
    super(code, message, details);
    this.status = status;
  }
}

export const notFound = (what: string, details?: Record<string, unknown>): DomainError =>
  new DomainError('NOT_FOUND', `${what} not found`, 404, details);

export const conflict = (
  code: ProblemCode,
  message: string,
  details?: Record<string, unknown>,
): DomainError => new DomainError(code, message, 409, details);

export const forbidden = (
  code: ProblemCode,
  message: string,
  details?: Record<string, unknown>,
): DomainError => new DomainError(code, message, 403, details);

export const unauthorized = (code: ProblemCode, message: string): DomainError =>
  new DomainError(code, message, 401);
