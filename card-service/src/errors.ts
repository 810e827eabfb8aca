import { SscardError } from '@sscard/card-core';

/**
 * Errors of the service's domain. `code` is stable and machine-readable (clients switch on it);
 * `status` is the HTTP status the API answers with. Messages never carry a full ID number, a PIN
 * or a key: they end up in logs and on terminal screens.
 */
export class DomainError extends SscardError {
  readonly status: number;

  constructor(code: string, message: string, status = 400, details?: Record<string, unknown>) {
    super(code, message, details);
    this.status = status;
  }
}

export const notFound = (what: string, details?: Record<string, unknown>): DomainError =>
  new DomainError('NOT_FOUND', `${what} not found`, 404, details);

export const conflict = (code: string, message: string, details?: Record<string, unknown>): DomainError =>
  new DomainError(code, message, 409, details);

export const forbidden = (code: string, message: string, details?: Record<string, unknown>): DomainError =>
  new DomainError(code, message, 403, details);

export const unauthorized = (code: string, message: string): DomainError =>
  new DomainError(code, message, 401);
