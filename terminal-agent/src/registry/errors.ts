import { REGISTRY_PROBLEM_CODES } from '@sscard/agent-protocol';
import { SscardError } from '@sscard/card-core';

/**
 * Why a call to card-service did not give an answer the agent can use. Transport trouble and the
 * service's refusals are kept apart: the first may be retried or resolved later, the second is the
 * registry's decision and is shown to the operator with the service's own code. The codes are
 * agent-protocol's.
 */
export const REGISTRY_ERROR_CODES = REGISTRY_PROBLEM_CODES;

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
