import type { ApiProblemCode, CardStatusProblemCode, DeskProblemCode, Problem } from '@sscard/agent-protocol';
import { CardError, isSscardError, SscardError } from '@sscard/card-core';
import { isProblemCode as isServiceProblemCode } from '@sscard/registry-protocol';
import { NotSsseCardError } from '../apps/ssse.js';
import { PsamError } from '../apps/psam.js';
import { PinEntryError, PinPadError } from '../pinpad/errors.js';
import { ReaderError, type ReaderErrorCode } from '../readers/errors.js';
import { RegistryError, type RegistryErrorCode } from '../registry/errors.js';
import type { VerificationReport } from '../verification/types.js';

/** The body of every error answer (agent-protocol): a stable code, a sentence for a person, details. */
export type { Problem };

/** A request the API refuses on its own account (bad body, no such route, forbidden origin). */
export class ApiProblem extends SscardError {
  declare readonly code: ApiProblemCode | DeskProblemCode;
  readonly status: number;

  constructor(
    status: number,
    code: ApiProblemCode | DeskProblemCode,
    message: string,
    details?: Record<string, unknown>,
  ) {
    super(code, message, details);
    this.status = status;
  }
}

/**
 * Refuses a card that failed its verification (read with `verify: true`), naming the checks that
 * failed; `refusal` says what is not done with it here.
 */
export function requireGenuine(verification: VerificationReport | undefined, refusal: string): void {
  if (verification && !verification.genuine) {
    throw new ApiProblem(422, 'CARD_NOT_GENUINE', `the card failed verification; ${refusal}`, {
      failed: verification.failed.map((f) => f.check),
    });
  }
}

const READER_STATUS: Record<ReaderErrorCode, number> = {
  NoCard: 409,
  CardRemoved: 409,
  SessionClosed: 409,
  ReaderBusy: 409,
  ReaderNotFound: 404,
  ReaderAmbiguous: 409,
  ReaderGone: 503,
  ServiceUnavailable: 503,
  CardMute: 504,
  CardProtocol: 502,
  ReaderProtocol: 502,
  ReaderFailure: 502,
};

const PIN_PAD_STATUS: Record<PinPadError['code'], number> = {
  PINPAD_BUSY: 409,
  PINPAD_UNAVAILABLE: 503,
  PINPAD_DISCONNECTED: 503,
  PINPAD_PROTOCOL: 502,
};

const REGISTRY_STATUS: Record<RegistryErrorCode, number> = {
  REGISTRY_UNREACHABLE: 503,
  REGISTRY_UNTRUSTED: 502,
  REGISTRY_PROTOCOL: 502,
  NOT_ENROLLED: 503,
  ENROLMENT_REFUSED: 422,
  CERTIFICATE_EXPIRED: 503,
  CERTIFICATE_NOT_YET_VALID: 503,
  TERMINAL_REVOKED: 503,
  REFUSED: 422,
};

/** A refusal by card-service keeps the service's code and, for its 4xx decisions, its status. */
function registryProblem(error: RegistryError): { status: number; problem: Problem } {
  const serviceStatus = error.details?.status;
  // The service's own code is passed on when it is one of its published codes; anything else
  // stays REFUSED with the code in the details.
  const serviceCode = error.serviceCode;
  const refused = error.code === 'REFUSED' && serviceCode !== undefined && isServiceProblemCode(serviceCode);
  const status =
    refused &&
    typeof serviceStatus === 'number' &&
    serviceStatus >= 400 &&
    serviceStatus < 500 &&
    serviceStatus !== 401
      ? serviceStatus
      : (REGISTRY_STATUS[error.code] ?? 502);
  return {
    status,
    problem: {
      code: refused ? serviceCode : error.code,
      message: error.message,
      details: { ...(error.details ?? {}), registryCode: error.code },
    },
  };
}

/**
 * The one place where errors become HTTP answers. Anything that is not one of our typed errors is
 * a programming error: the client gets a bare 500 and the details go to the log only.
 */
export function toProblem(error: unknown): { status: number; problem: Problem; unexpected: boolean } {
  const details = (e: SscardError): Record<string, unknown> => ({ ...(e.details ?? {}) });
  if (error instanceof ApiProblem) {
    return {
      status: error.status,
      problem: { code: error.code, message: error.message, details: details(error) },
      unexpected: false,
    };
  }
  if (error instanceof ReaderError) {
    return {
      status: READER_STATUS[error.code] ?? 502,
      problem: { code: error.code, message: error.message, details: details(error) },
      unexpected: false,
    };
  }
  if (error instanceof RegistryError) return { ...registryProblem(error), unexpected: false };
  if (error instanceof PinEntryError) {
    return {
      status: 422,
      problem: { code: error.code, message: error.message, details: details(error) },
      unexpected: false,
    };
  }
  if (error instanceof PinPadError) {
    return {
      status: PIN_PAD_STATUS[error.code] ?? 502,
      problem: { code: error.code, message: error.message, details: details(error) },
      unexpected: false,
    };
  }
  // A card status word, a card without the social security application, a PSAM that cannot do
  // the work: the card or the terminal's equipment is at fault, not the request.
  if (error instanceof CardError) {
    return {
      status: 422,
      // CardError's code is always `SW_` and the status word in hex.
      problem: { code: error.code as CardStatusProblemCode, message: error.message, details: details(error) },
      unexpected: false,
    };
  }
  if (error instanceof NotSsseCardError || error instanceof PsamError) {
    return {
      status: 422,
      problem: { code: error.code, message: error.message, details: details(error) },
      unexpected: false,
    };
  }
  if (isSscardError(error)) {
    // Card data that fails validation, protocol violations: `cause` keeps the card layer's code.
    return {
      status: 422,
      problem: {
        code: 'CARD_DATA_INVALID',
        message: error.message,
        details: { ...details(error), cause: error.code },
      },
      unexpected: false,
    };
  }
  return {
    status: 500,
    problem: { code: 'INTERNAL', message: 'the agent failed to handle this request', details: {} },
    unexpected: true,
  };
}
