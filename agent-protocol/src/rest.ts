import type { ReaderState } from './readers.js';

/**
 * The local REST API (`/v1`), for integrators' pages and programs. Answers: `CardReadView`,
 * `PinResultView`, `LostCardReportView`; errors: a `Problem` with its HTTP status.
 *
 *   GET  /v1/readers            → ReadersAnswer
 *   POST /v1/card/read          ReaderRequest → CardReadView
 *   POST /v1/card/pin/verify    → PinResultView
 *   POST /v1/card/pin/change    → PinResultView
 *   POST /v1/card/report-lost   ReaderRequest → LostCardReportView
 *   POST /v1/registry/enrol     EnrolRequest → the enrolment (API token clients only)
 */

/** Names the reader to use; without it, the one reader holding a card. */
export interface ReaderRequest {
  reader?: string;
}

export interface ReadersAnswer {
  readers: ReaderState[];
}

/** A one-time enrolment code from a registry operator. */
export interface EnrolRequest {
  code: string;
}

export const AGENT_API_PATHS = {
  readers: '/v1/readers',
  readCard: '/v1/card/read',
  verifyPin: '/v1/card/pin/verify',
  changePin: '/v1/card/pin/change',
  reportLost: '/v1/card/report-lost',
  enrol: '/v1/registry/enrol',
} as const;
