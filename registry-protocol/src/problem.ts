import { z } from 'zod';
import { contracts } from './contracts.js';
import { PENSION_REFUSALS } from './pension/entitlements.js';
import { PIN_AUTHORISATION_REFUSALS } from './pin-authorisations.js';
import { LIFE_EVENT_REFUSALS } from './pension/life-events.js';
import { WITHDRAWAL_REFUSALS } from './pension/withdrawal.js';
import { BALANCE_ENQUIRY_REFUSALS } from './pension/balance-enquiry.js';
import { RISK_REFUSALS } from './risk.js';
import { ANALYSIS_REFUSALS } from './whatif/routes.js';
import { SETTLEMENT_REFUSALS } from './settlement/requests.js';
import { STATISTICS_REFUSALS } from './statistics.js';

/**
 * The codes card-service answers with in a problem body. Callers switch on them, so a code never
 * changes meaning once published; a new refusal is added here first, and the service cannot
 * raise a code this list does not name.
 */

/** A request the service could not read or route. */
export const REQUEST_PROBLEM_CODES = [
  'BAD_REQUEST',
  'BODY_NOT_JSON',
  'BODY_TOO_LARGE',
  'ROUTE_NOT_FOUND',
  /** A `%` escape in the path is malformed or decodes to bytes that are not UTF-8. */
  'MALFORMED_PATH',
  'VALIDATION_FAILED',
  'NOT_FOUND',
  'RATE_LIMITED',
] as const;

/** Who is calling and what they may do. */
export const ACCESS_PROBLEM_CODES = [
  'TOKEN_REQUIRED',
  'TOKEN_INVALID',
  /** An operator token past its expiry: rotate before it, or have an admin create a new one. */
  'TOKEN_EXPIRED',
  /** An operator token an admin revoked (401 when presented; 409 when asked to rotate it). */
  'TOKEN_REVOKED',
  'CLIENT_CERT_REQUIRED',
  'CLIENT_CERT_UNTRUSTED',
  'CLIENT_CERT_REVOKED',
  'OPERATOR_NOT_ALLOWED',
  'SCOPE_MISSING',
  'TERMINAL_ONLY',
  'TERMINAL_TYPE_FORBIDDEN',
] as const;

/** Terminal enrolment. */
export const ENROLMENT_PROBLEM_CODES = [
  'CSR_INVALID',
  'ENROLMENT_CODE_INVALID',
  'ENROLMENT_CODE_USED',
  'ENROLMENT_CODE_EXPIRED',
] as const;

/** Holders, relations, cards and their lifecycle. */
export const REGISTRY_PROBLEM_CODES = [
  'HOLDER_EXISTS',
  'RELATION_EXISTS',
  'CARD_EXISTS',
  'ILLEGAL_TRANSITION',
  'UNKNOWN_EVENT',
  'EVENT_NOT_ALLOWED',
  'CARD_PRESENCE_REQUIRED',
  'CARD_PRESENCE_FAILED',
  'IDEMPOTENCY_KEY_REQUIRED',
  'IDEMPOTENCY_KEY_REUSED',
  /** The terminal's region may not act on the card's issuing region (another province, no grant). */
  'REGION_NOT_ALLOWED',
  /** 429: the terminal asked for too many unknown card numbers today; lifts at China midnight. */
  'CARD_PROBING_LIMITED',
  /** 429: the terminal has made its lifecycle requests for today; lifts at China midnight. */
  'TERMINAL_DAILY_LIMIT',
] as const;

/** The service itself cannot answer now. */
export const SERVICE_PROBLEM_CODES = [
  'STORE_UNAVAILABLE',
  /** 503: no database connection came free in time. */
  'STORE_BUSY',
  /** 503: a database statement ran past its time limit. */
  'STORE_TIMEOUT',
  'HSM_UNAVAILABLE',
  'INTERNAL',
] as const;

/** The HSM refused one request of the service on the caller's behalf. */
export const HSM_PROBLEM_CODES = [
  'HSM_BAD_REQUEST',
  'HSM_UNKNOWN_COMMAND',
  'HSM_CHECKPOINT_BEHIND',
  'HSM_CHECKPOINT_FORK',
  'HSM_INTERNAL',
  /** A PIN block that does not decipher to a well-formed block for that account under that key. */
  'PIN_BLOCK_INVALID',
] as const;

export const PROBLEM_CODES = [
  ...REQUEST_PROBLEM_CODES,
  ...ACCESS_PROBLEM_CODES,
  ...ENROLMENT_PROBLEM_CODES,
  ...REGISTRY_PROBLEM_CODES,
  ...SERVICE_PROBLEM_CODES,
  ...HSM_PROBLEM_CODES,
  ...SETTLEMENT_REFUSALS,
  ...PENSION_REFUSALS,
  ...LIFE_EVENT_REFUSALS,
  ...WITHDRAWAL_REFUSALS,
  ...BALANCE_ENQUIRY_REFUSALS,
  ...RISK_REFUSALS,
  ...PIN_AUTHORISATION_REFUSALS,
  ...ANALYSIS_REFUSALS,
  ...STATISTICS_REFUSALS,
] as const;
export type ProblemCode = (typeof PROBLEM_CODES)[number];

const KNOWN_CODES: ReadonlySet<string> = new Set(PROBLEM_CODES);

export function isProblemCode(code: string): code is ProblemCode {
  return KNOWN_CODES.has(code);
}

/**
 * The body of every error answer (`application/problem+json`). `code` is parsed as any string so
 * that a terminal built against an older list still reads a newer service's refusals; narrow it
 * with `isProblemCode`.
 */
export const problemSchema = z
  .object({
    code: z.string().describe('stable machine-readable code, e.g. VALIDATION_FAILED'),
    message: z.string().describe('a sentence for a person; never personal data'),
    details: z.record(z.string(), z.unknown()),
  })
  .register(contracts, { id: 'Problem' });

export interface Problem<Code extends string = ProblemCode> {
  code: Code;
  message: string;
  details: Record<string, unknown>;
}
