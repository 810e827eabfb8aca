/**
 * The command bytes sscard's cards and terminals exchange, by name: instruction bytes (INS), the
 * classes (CLA) they are sent with, and the parameter values (P1/P2) whose meaning is ours to fix.
 * ISO/IEC 7816-4, EMV and PBOC where public, docs/card-conventions.md where not. The emulated
 * cards dispatch on these, the agent's card applications send them, and the log masking asks of
 * them which commands carry secrets.
 */

import type { CardAlgorithm } from './crypto/card-auth.js';

export const INS = {
  VERIFY: 0x20,
  CHANGE_REFERENCE_DATA: 0x24,
  /** PBOC-style PIN UNBLOCK (`84 24`, with a MAC) of the social security application: the same byte. */
  PIN_UNBLOCK: 0x24,
  RESET_RETRY_COUNTER: 0x2c,
  /** PBOC-style PIN change (P1 01) and reload (P1 00) of the social security application. */
  PIN_MANAGEMENT: 0x5e,
  EXTERNAL_AUTHENTICATE: 0x82,
  GET_CHALLENGE: 0x84,
  INTERNAL_AUTHENTICATE: 0x88,
  SELECT: 0xa4,
  GET_PROCESSING_OPTIONS: 0xa8,
  GENERATE_AC: 0xae,
  READ_RECORD: 0xb2,
  GET_RESPONSE: 0xc0,
  GET_DATA: 0xca,
  WRITE_BINARY: 0xd0,
  UPDATE_BINARY: 0xd6,
  PUT_KEY: 0xd8,
  PUT_DATA: 0xda,
  UPDATE_RECORD: 0xdc,
  APPEND_RECORD: 0xe2,
  /** PSAM: prepare the diversified key of one card (P1 key id, P2 algorithm). */
  PSAM_PREPARE_KEY: 0x1a,
  /** PSAM: encrypt one block under the prepared key. */
  PSAM_ENCRYPT: 0xfa,
} as const;

export const CLA = {
  /** Interindustry commands of ISO/IEC 7816-4. */
  ISO: 0x00,
  /** Interindustry class with secure messaging (a MAC over the header and data). */
  SECURE_MESSAGING: 0x04,
  /** Proprietary commands: PBOC, the PIN management of the SSSE application, the PSAM's. */
  PROPRIETARY: 0x80,
  /** Proprietary commands with a MAC: PIN UNBLOCK. */
  PROPRIETARY_SECURE_MESSAGING: 0x84,
} as const;

/** P1 of SELECT: how the data names the file. */
export const SELECT_BY = {
  /** A file identifier (the MF is 3F00). */
  fileId: 0x00,
  childDf: 0x01,
  childEf: 0x02,
  /** An application identifier (AID). */
  name: 0x04,
  path: 0x08,
} as const;

/** P2 of SELECT: no answer data is wanted. */
export const SELECT_NO_FCI = 0x0c;

/** P2 of READ RECORD: the record numbered by P1, in the file of this short file identifier. */
export function readRecordBySfi(sfi: number): number {
  return (sfi << 3) | 0x04;
}

/** P1 of INTERNAL AUTHENTICATE: a presence proof, or a payment proof that needs the verified PIN. */
export const INTERNAL_AUTH_PURPOSE = { presence: 0x00, payment: 0x01 } as const;

/** P1 of PIN MANAGEMENT (80 5E). */
export const PIN_MANAGEMENT_OP = { reload: 0x00, change: 0x01 } as const;

/**
 * The keys of the social security application by usage, one master key each, with their key ids
 * (P2 of INTERNAL and EXTERNAL AUTHENTICATE).
 */
export const SSSE_KEY_IDS = {
  internalAuth: 0x01,
  externalAuth: 0x02,
  pinReload: 0x03,
  update: 0x04,
} as const;
export type SsseKeyUsage = keyof typeof SSSE_KEY_IDS;

/** The master keys a PSAM holds, with their ids (P1 of its PREPARE KEY). */
export const PSAM_KEY_IDS = { internalAuth: 0x01, externalAuth: 0x02, pinReload: 0x03 } as const;
export type PsamKeyUsage = keyof typeof PSAM_KEY_IDS;

/** P2 of the PSAM's PREPARE KEY: the card's algorithm. */
export const PSAM_ALGORITHM_IDS: Readonly<Record<CardAlgorithm, number>> = { '3des': 0x01, sm4: 0x04 };
