import { complement, concat, xor } from '../bytes.js';
import { CryptoError, ValidationError } from '../errors.js';
import { encrypt } from './cipher.js';
import { constantTimeEqual, retailMac, sm4CbcMac } from './mac.js';

/**
 * Keys and application cryptograms of the debit application (PBOC 3.0, JR/T 0025; EMV Book 2
 * annex A1.4 for the master key derivation).
 *
 *   UDK (card master key MK-AC), option A: Y = the rightmost 16 digits of PAN‖PSN as 8 BCD bytes,
 *     3DES: left = 3DES(IMK, Y), right = 3DES(IMK, Y ⊕ FF…FF), odd DES parity;
 *     SM4:  UDK = SM4(IMK, Y‖(Y ⊕ FF…FF)).
 *   Session key (PBOC): 3DES: left = 3DES(UDK, 000000000000‖ATC), right = 3DES(UDK,
 *     000000000000‖(ATC ⊕ FFFF)); SM4: SK = SM4(UDK, 000000000000‖ATC‖000000000000‖(ATC ⊕ FFFF)),
 *     the same 16 bytes in one block. PBOC does not use the EMV common session key (which
 *     derives with the unpredictable number); public PBOC examples derive from the ATC alone.
 *   ARQC/TC/AAC: 3DES: ISO/IEC 9797-1 MAC algorithm 3 under SK over the CDOL1 data, method 2
 *     padding, 8 bytes; SM4: SM4 CBC-MAC, method 2 padding, the first 8 bytes.
 *   ARPC, method 1: 3DES(SK, ARQC ⊕ (ARC‖000000000000)); SM4: the first 8 bytes of
 *     SM4(SK, (ARQC ⊕ (ARC‖000000000000))‖0000000000000000).
 * The SM4 session key and ARPC layouts are the 3DES inputs laid in one SM4 block: an sscard
 * convention where the PBOC SM text is not public; card and HSM use these functions alike.
 */

export type EmvAlgorithm = '3des' | 'sm4';

/** Derives the card's master key for application cryptograms (UDK, MK-AC) from the issuer master key. */
export function deriveUdk(
  alg: EmvAlgorithm,
  issuerMk: Uint8Array,
  pan: string,
  psn: string | number = 0,
): Buffer {
  const y = panPsnBlock(pan, psn);
  if (alg === '3des') {
    const key = concat(
      encrypt('3des', issuerMk, y, { mode: 'ecb' }),
      encrypt('3des', issuerMk, complement(y), { mode: 'ecb' }),
    );
    return adjustDesParity(key);
  }
  return encrypt('sm4', issuerMk, concat(y, complement(y)), { mode: 'ecb' });
}

/** Derives the session key of one transaction from the UDK and the ATC (9F36, 2 bytes or a number). */
export function deriveSessionKey(alg: EmvAlgorithm, udk: Uint8Array, atc: Uint8Array | number): Buffer {
  const counter = atcBytes(atc);
  const left = Buffer.alloc(8);
  counter.copy(left, 6);
  const right = Buffer.alloc(8);
  complement(counter).copy(right, 6);
  if (alg === '3des') {
    return concat(encrypt('3des', udk, left, { mode: 'ecb' }), encrypt('3des', udk, right, { mode: 'ecb' }));
  }
  return encrypt('sm4', udk, concat(left, right), { mode: 'ecb' });
}

/** The application cryptogram (ARQC, TC or AAC: 8 bytes) over the data `arqcInputData` assembles. */
export function computeArqc(alg: EmvAlgorithm, sessionKey: Uint8Array, data: Uint8Array): Buffer {
  if (alg === '3des') return retailMac(sessionKey, data);
  return sm4CbcMac(sessionKey, data).subarray(0, 8);
}

/** Checks a card's application cryptogram in constant time. */
export function verifyArqc(
  alg: EmvAlgorithm,
  sessionKey: Uint8Array,
  data: Uint8Array,
  arqc: Uint8Array,
): boolean {
  if (arqc.length !== 8) {
    throw new CryptoError('ARQC_LENGTH', `an application cryptogram has 8 bytes, not ${arqc.length}`);
  }
  return constantTimeEqual(computeArqc(alg, sessionKey, data), arqc);
}

/** The issuer's answer to an ARQC (ARPC method 1) with the 2-byte authorisation response code (8A, e.g. ASCII `00` = 3030). */
export function computeArpc(
  alg: EmvAlgorithm,
  sessionKey: Uint8Array,
  arqc: Uint8Array,
  arc: Uint8Array,
): Buffer {
  if (arqc.length !== 8) {
    throw new CryptoError('ARQC_LENGTH', `an application cryptogram has 8 bytes, not ${arqc.length}`);
  }
  if (arc.length !== 2) {
    throw new CryptoError('ARC_LENGTH', `the authorisation response code has 2 bytes, not ${arc.length}`);
  }
  const x = xor(arqc, concat(arc, Buffer.alloc(6)));
  if (alg === '3des') return encrypt('3des', sessionKey, x, { mode: 'ecb' });
  return encrypt('sm4', sessionKey, concat(x, Buffer.alloc(8)), { mode: 'ecb' }).subarray(0, 8);
}

/** Checks an ARPC on the card side in constant time. */
export function verifyArpc(
  alg: EmvAlgorithm,
  sessionKey: Uint8Array,
  arqc: Uint8Array,
  arc: Uint8Array,
  arpc: Uint8Array,
): boolean {
  return constantTimeEqual(computeArpc(alg, sessionKey, arqc, arc), arpc);
}

/** CDOL1 values that enter the application cryptogram, raw bytes as the terminal sent them. */
export interface ArqcFields {
  /** 9F02, 6 bytes BCD. */
  amountAuthorised: Uint8Array;
  /** 9F03, 6 bytes BCD. */
  amountOther: Uint8Array;
  /** 9F1A, 2 bytes. */
  terminalCountryCode: Uint8Array;
  /** 95, 5 bytes. */
  tvr: Uint8Array;
  /** 5F2A, 2 bytes. */
  transactionCurrencyCode: Uint8Array;
  /** 9A, 3 bytes YYMMDD. */
  transactionDate: Uint8Array;
  /** 9C, 1 byte. */
  transactionType: Uint8Array;
  /** 9F37, 4 bytes. */
  unpredictableNumber: Uint8Array;
  /** 82, 2 bytes. */
  aip: Uint8Array;
  /** 9F36, 2 bytes. */
  atc: Uint8Array;
  /** 9F10, the whole issuer application data; its CVR (bytes 4 to 7) is used. */
  iad: Uint8Array;
}

const ARQC_ORDER: ReadonlyArray<[keyof Omit<ArqcFields, 'iad'>, string, number]> = [
  ['amountAuthorised', '9F02', 6],
  ['amountOther', '9F03', 6],
  ['terminalCountryCode', '9F1A', 2],
  ['tvr', '95', 5],
  ['transactionCurrencyCode', '5F2A', 2],
  ['transactionDate', '9A', 3],
  ['transactionType', '9C', 1],
  ['unpredictableNumber', '9F37', 4],
  ['aip', '82', 2],
  ['atc', '9F36', 2],
];

/**
 * The data of the application cryptogram in PBOC order: 9F02 ‖ 9F03 ‖ 9F1A ‖ 95 ‖ 5F2A ‖ 9A ‖ 9C ‖
 * 9F37 (the terminal's part, CDOL1 order) ‖ 82 ‖ 9F36 ‖ CVR (the card's part, the 4 CVR bytes of
 * 9F10 including its length byte 03).
 */
export function arqcInputData(fields: ArqcFields): Buffer {
  const parts: Uint8Array[] = [];
  for (const [name, tag, length] of ARQC_ORDER) {
    const value = fields[name];
    if (value.length !== length) {
      throw new ValidationError('ARQC_FIELD_LENGTH', `${tag} has ${length} bytes, not ${value.length}`, {
        tag,
      });
    }
    parts.push(value);
  }
  parts.push(cvrFromIad(fields.iad));
  return concat(...parts);
}

/**
 * The card verification results in PBOC issuer application data (9F10): length 07, derivation key
 * index, cryptogram version number, then the 4 CVR bytes starting with their own length 03.
 */
export function cvrFromIad(iad: Uint8Array): Buffer {
  if (iad.length < 8 || iad[0]! < 7 || iad[3] !== 0x03) {
    throw new ValidationError(
      'IAD_FORMAT',
      'issuer application data does not hold a PBOC CVR (07 DKI CVN 03 …)',
    );
  }
  return Buffer.from(iad.subarray(3, 7));
}

/** The cryptogram algorithm named by byte 8 of PBOC issuer application data: 01 3DES, 04 SM4. */
export function iadAlgorithm(iad: Uint8Array): EmvAlgorithm {
  if (iad.length < 8)
    throw new ValidationError('IAD_FORMAT', 'issuer application data is shorter than 8 bytes');
  if (iad[7] === 0x01) return '3des';
  if (iad[7] === 0x04) return 'sm4';
  throw new ValidationError(
    'IAD_ALGORITHM',
    `unknown cryptogram algorithm ${iad[7]!.toString(16).padStart(2, '0')} in issuer application data`,
  );
}

/** Sets odd parity in every byte, as EMV requires of a derived DES key. */
export function adjustDesParity(key: Uint8Array): Buffer {
  const out = Buffer.from(key);
  for (let i = 0; i < out.length; i++) {
    let b = out[i]! & 0xfe;
    let ones = 0;
    for (let v = b; v !== 0; v >>= 1) ones += v & 1;
    if (ones % 2 === 0) b |= 1;
    out[i] = b;
  }
  return out;
}

function panPsnBlock(pan: string, psn: string | number): Buffer {
  if (!/^\d{12,19}$/.test(pan)) {
    throw new ValidationError('PAN_FORMAT', 'a PAN has 12 to 19 digits');
  }
  const psnText = typeof psn === 'number' ? String(psn).padStart(2, '0') : psn;
  if (!/^\d{2}$/.test(psnText)) {
    throw new ValidationError(
      'PSN_FORMAT',
      'the PAN sequence number has 2 digits (00 when the card has none)',
    );
  }
  const digits = (pan + psnText).slice(-16).padStart(16, '0');
  return Buffer.from(digits, 'hex');
}

function atcBytes(atc: Uint8Array | number): Buffer {
  if (typeof atc === 'number') {
    if (!Number.isInteger(atc) || atc < 0 || atc > 0xffff) {
      throw new ValidationError('ATC_RANGE', `an ATC is 0 to 65535, not ${atc}`);
    }
    const out = Buffer.alloc(2);
    out.writeUInt16BE(atc);
    return out;
  }
  if (atc.length !== 2) throw new ValidationError('ATC_LENGTH', `an ATC has 2 bytes, not ${atc.length}`);
  return Buffer.from(atc);
}
