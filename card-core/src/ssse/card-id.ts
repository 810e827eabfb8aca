import { toHex } from '../bytes.js';
import { ValidationError } from '../errors.js';
import { isRegionCode } from './region.js';

/**
 * The card identification code (卡识别码, EF05 record 1): 16 bytes that name one card for life.
 * Bytes 0–2 are the issuing region in BCD (`330300`), bytes 3–7 the registered application
 * provider id `D156000005`, bytes 8–15 issuer-assigned bytes unique to the card. The issuing
 * region is also how a request is routed to the right province's registry.
 */

export const CARD_ID_LENGTH = 16;
/** The RID of the Ministry of Human Resources and Social Security, registered with the national IC card centre. */
export const SSSE_RID_HEX = 'D156000005';

export interface CardIdCode {
  /** Six-digit issuing region, e.g. `330300`. */
  region: string;
  /** Always `D156000005`. */
  rid: string;
  /** The 8 issuer bytes, unique per card. */
  issuerBytes: Buffer;
  /** 32 upper-case hex characters, the way the code is shown and exchanged. */
  hex: string;
  bytes: Buffer;
}

/** Parses and checks a card identification code from 32 hex characters or 16 bytes. */
export function parseCardIdCode(code: string | Uint8Array): CardIdCode {
  const bytes = cardIdBytes(code);
  const regionHex = toHex(bytes.subarray(0, 3));
  if (!isRegionCode(regionHex)) {
    throw formatError('the first 3 bytes are not the BCD code of an issuing region');
  }
  const rid = toHex(bytes.subarray(3, 8));
  if (rid !== SSSE_RID_HEX) {
    throw formatError(`bytes 4 to 8 must be the RID ${SSSE_RID_HEX}`);
  }
  return {
    region: regionHex,
    rid,
    issuerBytes: Buffer.from(bytes.subarray(8)),
    hex: toHex(bytes),
    bytes,
  };
}

export function isValidCardIdCode(code: string | Uint8Array): boolean {
  try {
    parseCardIdCode(code);
    return true;
  } catch (e) {
    if (e instanceof ValidationError) return false;
    throw e;
  }
}

/**
 * Diversification data D for the card's keys: the 8 issuer bytes, the only part unique to the
 * card (sscard convention, docs/card-conventions.md).
 */
export function diversificationData(cardIdCode: string | Uint8Array): Buffer {
  return parseCardIdCode(cardIdCode).issuerBytes;
}

function cardIdBytes(code: string | Uint8Array): Buffer {
  if (typeof code === 'string') {
    if (!/^[0-9A-Fa-f]{32}$/.test(code)) {
      throw formatError('32 hex characters are expected');
    }
    return Buffer.from(code, 'hex');
  }
  if (!(code instanceof Uint8Array) || code.length !== CARD_ID_LENGTH) {
    throw formatError(`${CARD_ID_LENGTH} bytes are expected`);
  }
  return Buffer.from(code);
}

function formatError(message: string): ValidationError {
  return new ValidationError('CARD_ID_FORMAT', `invalid card identification code: ${message}`);
}
