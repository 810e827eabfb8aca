import { SscardError } from '@sscard/card-core';

/**
 * Why a call to card-service did not give an answer the agent can use. Transport trouble and the
 * service's refusals are kept apart: the first may be retried or resolved later, the second is the
 * registry's decision and is shown to the operator with the service's own code.
 */
export const REGISTRY_ERROR_CODES = [
  /** No answer: connection refused, reset, DNS failure or timeout. `details.outcomeUnknown` says whether the request may have reached the service. */
  'REGISTRY_UNREACHABLE',
  /** The service's TLS certificate does not chain to the CA this terminal trusts: possibly not our registry. */
  'REGISTRY_UNTRUSTED',
  /** The service answered with something that is not the documented JSON. */
  'REGISTRY_PROTOCOL',
  /** The terminal has no certificate yet and no enrolment code to get one. */
  'NOT_ENROLLED',
  /** The service refused the enrolment (unknown, used or expired code, bad CSR). */
  'ENROLMENT_REFUSED',
  /** The terminal's certificate is past its notAfter: it must be enrolled again. */
  'CERTIFICATE_EXPIRED',
  /** The terminal's certificate is not valid yet: the terminal's clock is probably wrong. */
  'CERTIFICATE_NOT_YET_VALID',
  /** The service revoked this terminal or its certificate. */
  'TERMINAL_REVOKED',
  /** Any other refusal; `serviceCode` carries the service's problem code (e.g. `CARD_NOT_FOUND`). */
  'REFUSED',
] as const;

export type RegistryErrorCode = (typeof REGISTRY_ERROR_CODES)[number];

export interface RegistryErrorDetails extends Record<string, unknown> {
  /** The problem code the service answered with, when it answered. */
  serviceCode?: string;
  /** The HTTP status the service answered with, when it answered. */
  status?: number;
  /** True when the request may have been applied although no answer came back. */
  outcomeUnknown?: boolean;
}

export class RegistryError extends SscardError {
  declare readonly code: RegistryErrorCode;
  declare readonly details: Readonly<RegistryErrorDetails> | undefined;

  constructor(
    code: RegistryErrorCode,
    message: string,
    details?: RegistryErrorDetails,
    options?: ErrorOptions,
  ) {
    super(code, message, details, options);
  }

  get serviceCode(): string | undefined {
    return this.details?.serviceCode;
  }

  get outcomeUnknown(): boolean {
    return this.details?.outcomeUnknown === true;
  }
}

export function isRegistryError(e: unknown, code?: RegistryErrorCode): e is RegistryError {
  return e instanceof RegistryError && (code === undefined || e.code === code);
}
