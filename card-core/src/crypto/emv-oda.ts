import { concat } from '../bytes.js';
import { CryptoError, ProtocolError, ValidationError } from '../errors.js';
import { parseBerTlv, type Tlv } from '../tlv.js';
import { sha1 } from './hash.js';
import { checkPanDigits, HASH_LENGTH, HASH_SHA1, HEADER, PK_RSA, TRAILER } from './emv-oda-format.js';
import { type RsaPublicKey, rsaRecover } from './rsa.js';

/**
 * EMV offline data authentication with RSA (EMV Book 2 §5–6, PBOC 3.0 part 7): the issuer public
 * key certificate (format 02) signed by the payment system CA, the ICC public key certificate
 * (format 04) signed by the issuer, signed static application data (format 03, SDA) and signed
 * dynamic application data (format 05, DDA). Every recovered block is 6A ‖ format ‖ … ‖ SHA-1 ‖ BC.
 *
 * The recover functions throw `CryptoError` with one of the `ODA_*` codes below; `verifySda` and
 * `verifyDda` return the same codes as a result, because a failed ODA is an outcome the terminal
 * records in the TVR and goes on with, not a fault.
 */

export const ODA_CODES = {
  /** No CA public key for this RID and index (8F). */
  caKeyUnknown: 'ODA_CA_KEY_UNKNOWN',
  /** A data object needed for the check (certificate, exponent, remainder) is missing. */
  dataMissing: 'ODA_DATA_MISSING',
  issuerCertInvalid: 'ODA_ISSUER_CERT_INVALID',
  iccCertInvalid: 'ODA_ICC_CERT_INVALID',
  staticDataInvalid: 'ODA_SSAD_INVALID',
  dynamicDataInvalid: 'ODA_SDAD_INVALID',
  hashMismatch: 'ODA_HASH_MISMATCH',
  expired: 'ODA_EXPIRED',
  issuerIdMismatch: 'ODA_ISSUER_ID_MISMATCH',
  panMismatch: 'ODA_PAN_MISMATCH',
  algorithmUnsupported: 'ODA_ALGORITHM_UNSUPPORTED',
} as const;

export type OdaCode = (typeof ODA_CODES)[keyof typeof ODA_CODES];

/** A payment system CA public key as terminals hold it: RID (5 bytes) and index (8F). */
export interface CaPublicKey extends RsaPublicKey {
  rid: Buffer;
  index: number;
}

export type CaKeys = readonly CaPublicKey[] | ((rid: Uint8Array, index: number) => RsaPublicKey | undefined);

/** What a certificate carries besides the key: the fields a terminal shows and logs. */
export interface CertifiedKey extends RsaPublicKey {
  /** MMYY, the certificate is valid through the last day of that month. */
  expiry: string;
  /** 3 bytes, the certificate serial number. */
  serial: Buffer;
}

export interface IssuerPublicKey extends CertifiedKey {
  /** 3 to 8 leading PAN digits the issuer may certify (the BIN). */
  issuerIdentifier: string;
}

export interface IccPublicKey extends CertifiedKey {
  pan: string;
}

/** The certificate as personalised on the card: 90/9F46, the remainder 92/9F48 and the exponent 9F32/9F47. */
export interface EmvCertificate {
  certificate: Buffer;
  remainder: Buffer;
  exponent: Buffer;
}

type CertKind = 'issuerCertificate' | 'iccCertificate' | 'signedStaticData' | 'signedDynamicData';

// ---------------------------------------------------------------------------------------------
// Verifying side (terminal)
// ---------------------------------------------------------------------------------------------

/** A certificate as read from the card, with what it is checked against. */
interface CertificateInput {
  /** 90 (issuer) or 9F46 (ICC) */
  certificate: Uint8Array;
  /** 92 or 9F48, empty or absent when the key fits in the certificate. */
  remainder?: Uint8Array | undefined;
  /** 9F32 or 9F47 */
  exponent: Uint8Array;
  /** 5A, digits. */
  pan: string;
  /** The transaction date the expiry is checked against. */
  at: Date;
}

export type IssuerCertificateInput = CertificateInput;

/** Recovers and checks the issuer public key certificate with the CA key; throws `CryptoError` (`ODA_*`). */
export function recoverIssuerPublicKey(caKey: RsaPublicKey, input: IssuerCertificateInput): IssuerPublicKey {
  const kind: CertKind = 'issuerCertificate';
  const nca = caKey.modulus.length;
  const x = recover(caKey, input.certificate, kind, ODA_CODES.issuerCertInvalid);
  if (x[1] !== 0x02)
    fail(ODA_CODES.issuerCertInvalid, kind, `certificate format ${hex1(x[1]!)}, expected 02`);
  checkAlgorithms(x[11]!, x[12]!, kind);
  const remainder = Buffer.from(input.remainder ?? []);
  const exponent = Buffer.from(input.exponent);
  requireRemainder(x[13]!, nca - 36, remainder, kind);
  checkHash(x, concat(remainder, exponent), kind);

  const issuerIdentifier = bcdDigits(x.subarray(2, 6));
  if (!/^\d{3,8}$/.test(issuerIdentifier)) {
    fail(ODA_CODES.issuerCertInvalid, kind, 'the issuer identifier is not 3 to 8 BCD digits padded with F');
  }
  if (!checkPanDigits(input.pan).startsWith(issuerIdentifier)) {
    fail(ODA_CODES.issuerIdMismatch, kind, 'the issuer identifier does not match the leading PAN digits');
  }
  const expiry = checkExpiry(x.subarray(6, 8), input.at, kind, ODA_CODES.issuerCertInvalid);
  const modulus = assembleModulus(x, 15, x[13]!, nca - 36, remainder, kind, ODA_CODES.issuerCertInvalid);
  checkExponent(x[14]!, exponent, kind, ODA_CODES.issuerCertInvalid);
  if (modulus.length > nca)
    fail(ODA_CODES.issuerCertInvalid, kind, 'the issuer key is longer than the CA key');
  return { modulus, exponent, expiry, serial: Buffer.from(x.subarray(8, 11)), issuerIdentifier };
}

export interface IccCertificateInput extends CertificateInput {
  /** The static data to be authenticated (see `staticDataToAuthenticate`). */
  staticData: Uint8Array;
}

/** Recovers and checks the ICC public key certificate with the issuer key; throws `CryptoError` (`ODA_*`). */
export function recoverIccPublicKey(issuerKey: RsaPublicKey, input: IccCertificateInput): IccPublicKey {
  const kind: CertKind = 'iccCertificate';
  const ni = issuerKey.modulus.length;
  const x = recover(issuerKey, input.certificate, kind, ODA_CODES.iccCertInvalid);
  if (x[1] !== 0x04) fail(ODA_CODES.iccCertInvalid, kind, `certificate format ${hex1(x[1]!)}, expected 04`);
  checkAlgorithms(x[17]!, x[18]!, kind);
  const remainder = Buffer.from(input.remainder ?? []);
  const exponent = Buffer.from(input.exponent);
  requireRemainder(x[19]!, ni - 42, remainder, kind);
  checkHash(x, concat(remainder, exponent, input.staticData), kind);

  const pan = checkPanDigits(input.pan);
  if (bcdDigits(x.subarray(2, 12)) !== pan) {
    fail(ODA_CODES.panMismatch, kind, 'the PAN in the ICC certificate is not the card PAN');
  }
  const expiry = checkExpiry(x.subarray(12, 14), input.at, kind, ODA_CODES.iccCertInvalid);
  const modulus = assembleModulus(x, 21, x[19]!, ni - 42, remainder, kind, ODA_CODES.iccCertInvalid);
  checkExponent(x[20]!, exponent, kind, ODA_CODES.iccCertInvalid);
  return { modulus, exponent, expiry, serial: Buffer.from(x.subarray(14, 17)), pan };
}

/** Recovers signed static application data (93) and returns the data authentication code (9F45). */
export function recoverSignedStaticData(
  issuerKey: RsaPublicKey,
  signed: Uint8Array,
  staticData: Uint8Array,
): { dac: Buffer } {
  const kind: CertKind = 'signedStaticData';
  const x = recover(issuerKey, signed, kind, ODA_CODES.staticDataInvalid);
  if (x[1] !== 0x03) fail(ODA_CODES.staticDataInvalid, kind, `data format ${hex1(x[1]!)}, expected 03`);
  checkAlgorithms(x[2]!, PK_RSA, kind);
  checkHash(x, staticData, kind);
  return { dac: Buffer.from(x.subarray(3, 5)) };
}

/**
 * Recovers signed dynamic application data (9F4B) of INTERNAL AUTHENTICATE; `ddolData` is the
 * data the terminal sent (for the default DDOL 9F37: the 4-byte unpredictable number).
 */
export function recoverSignedDynamicData(
  iccKey: RsaPublicKey,
  signed: Uint8Array,
  ddolData: Uint8Array,
): { iccDynamicData: Buffer; iccDynamicNumber: Buffer } {
  const kind: CertKind = 'signedDynamicData';
  const nic = iccKey.modulus.length;
  const x = recover(iccKey, signed, kind, ODA_CODES.dynamicDataInvalid);
  if (x[1] !== 0x05) fail(ODA_CODES.dynamicDataInvalid, kind, `data format ${hex1(x[1]!)}, expected 05`);
  checkAlgorithms(x[2]!, PK_RSA, kind);
  checkHash(x, ddolData, kind);
  const ldd = x[3]!;
  if (ldd > nic - 25)
    fail(ODA_CODES.dynamicDataInvalid, kind, 'the ICC dynamic data length exceeds the block');
  const iccDynamicData = Buffer.from(x.subarray(4, 4 + ldd));
  const idnLength = iccDynamicData[0];
  if (idnLength === undefined || idnLength < 2 || idnLength > 8 || idnLength + 1 > ldd) {
    fail(
      ODA_CODES.dynamicDataInvalid,
      kind,
      'the ICC dynamic number is not 2 to 8 bytes within the dynamic data',
    );
  }
  return { iccDynamicData, iccDynamicNumber: Buffer.from(iccDynamicData.subarray(1, 1 + idnLength)) };
}

export type OdaResult<T> = ({ ok: true } & T) | { ok: false; code: OdaCode; message: string };

export interface CaKeySelection {
  caKeys: CaKeys;
  /** The RID: the first 5 bytes of the AID (A000000333 for PBOC). */
  rid: Uint8Array;
  /** 8F */
  caIndex: number;
}

export interface SdaInput extends CaKeySelection {
  issuerCertificate: Uint8Array;
  issuerRemainder?: Uint8Array | undefined;
  issuerExponent: Uint8Array;
  signedStaticData: Uint8Array;
  pan: string;
  staticData: Uint8Array;
  at: Date;
}

/** The issuer key that SDA and DDA both start from, recovered with the CA key the card names. */
function issuerKeyOf(input: SdaInput | DdaInput): IssuerPublicKey {
  return recoverIssuerPublicKey(findCaKey(input), {
    certificate: input.issuerCertificate,
    remainder: input.issuerRemainder,
    exponent: input.issuerExponent,
    pan: input.pan,
    at: input.at,
  });
}

/** Static data authentication: CA key → issuer key → signed static data. */
export function verifySda(input: SdaInput): OdaResult<{ dac: Buffer; issuerKey: IssuerPublicKey }> {
  return asResult(() => {
    const issuerKey = issuerKeyOf(input);
    const { dac } = recoverSignedStaticData(issuerKey, input.signedStaticData, input.staticData);
    return { dac, issuerKey };
  });
}

export interface DdaInput extends CaKeySelection {
  issuerCertificate: Uint8Array;
  issuerRemainder?: Uint8Array | undefined;
  issuerExponent: Uint8Array;
  iccCertificate: Uint8Array;
  iccRemainder?: Uint8Array | undefined;
  iccExponent: Uint8Array;
  pan: string;
  staticData: Uint8Array;
  /** 9F4B from INTERNAL AUTHENTICATE. */
  signedDynamicData: Uint8Array;
  /** The DDOL data sent with INTERNAL AUTHENTICATE (the unpredictable number for the default DDOL). */
  ddolData: Uint8Array;
  at: Date;
}

/** Dynamic data authentication: CA key → issuer key → ICC key (with the static data) → signed dynamic data. */
export function verifyDda(
  input: DdaInput,
): OdaResult<{ iccDynamicNumber: Buffer; issuerKey: IssuerPublicKey; iccKey: IccPublicKey }> {
  return asResult(() => {
    const issuerKey = issuerKeyOf(input);
    const iccKey = recoverIccPublicKey(issuerKey, {
      certificate: input.iccCertificate,
      remainder: input.iccRemainder,
      exponent: input.iccExponent,
      pan: input.pan,
      staticData: input.staticData,
      at: input.at,
    });
    const { iccDynamicNumber } = recoverSignedDynamicData(iccKey, input.signedDynamicData, input.ddolData);
    return { iccDynamicNumber, issuerKey, iccKey };
  });
}

export interface OdaRecord {
  /** The short file identifier the AFL names (1 to 30). */
  sfi: number;
  /** The record as READ RECORD returned it (without the status word). */
  record: Uint8Array;
}

/**
 * The static data to be authenticated (EMV Book 3 §10.3): the records the AFL marks for offline
 * data authentication in AFL order — for SFI 1 to 10 the value inside the record template 70, for
 * SFI 11 to 30 the whole record — followed by the AIP when the SDA tag list (9F4A) names it (the
 * only tag the list may hold). Throws `CryptoError` `ODA_DATA_MISSING` when a record of SFI 1 to 10
 * is not a template 70, which EMV counts as a failed authentication.
 */
export function staticDataToAuthenticate(
  records: readonly OdaRecord[],
  sdaTagList?: Uint8Array,
  aip?: Uint8Array,
): Buffer {
  const parts: Uint8Array[] = [];
  for (const { sfi, record } of records) {
    if (!Number.isInteger(sfi) || sfi < 1 || sfi > 30)
      throw new ValidationError('SFI_RANGE', `an SFI is 1 to 30, not ${sfi}`);
    parts.push(sfi <= 10 ? templateValue(record, sfi) : record);
  }
  if (sdaTagList !== undefined && sdaTagList.length > 0) {
    if (sdaTagList.length !== 1 || sdaTagList[0] !== 0x82) {
      throw new CryptoError(ODA_CODES.dataMissing, 'the SDA tag list may only name the AIP (82)');
    }
    if (aip?.length !== 2)
      throw new CryptoError(ODA_CODES.dataMissing, 'the SDA tag list names the AIP, which has 2 bytes');
    parts.push(aip);
  }
  return concat(...parts);
}

// ---------------------------------------------------------------------------------------------

function recover(key: RsaPublicKey, signed: Uint8Array, kind: CertKind, code: OdaCode): Buffer {
  if (signed.length === 0) fail(ODA_CODES.dataMissing, kind, `${kind} is missing`);
  if (signed.length !== key.modulus.length) {
    fail(code, kind, `${kind} has ${signed.length} bytes, the key ${key.modulus.length}`);
  }
  let x: Buffer;
  try {
    x = rsaRecover(key, signed);
  } catch (e) {
    if (e instanceof CryptoError) fail(code, kind, `${kind} does not recover: ${e.message}`);
    throw e;
  }
  if (x[0] !== HEADER || x[x.length - 1] !== TRAILER) {
    fail(code, kind, `${kind} does not recover to 6A … BC (wrong key or corrupted data)`);
  }
  return x;
}

function checkHash(x: Buffer, extra: Uint8Array, kind: CertKind): void {
  const end = x.length - 1 - HASH_LENGTH;
  const expected = sha1(x.subarray(1, end), extra);
  if (!expected.equals(x.subarray(end, x.length - 1))) {
    fail(ODA_CODES.hashMismatch, kind, `the hash in ${kind} does not match its data`);
  }
}

function checkAlgorithms(hashAlgorithm: number, pkAlgorithm: number, kind: CertKind): void {
  if (hashAlgorithm !== HASH_SHA1 || pkAlgorithm !== PK_RSA) {
    fail(
      ODA_CODES.algorithmUnsupported,
      kind,
      `hash algorithm ${hex1(hashAlgorithm)} / public key algorithm ${hex1(pkAlgorithm)}; only SHA-1 (01) with RSA (01) is supported`,
    );
  }
}

function checkExpiry(mmyy: Buffer, at: Date, kind: CertKind, invalid: OdaCode): string {
  if (Number.isNaN(at.getTime()))
    throw new ValidationError('DATE_INVALID', 'the transaction date is not a valid date');
  const text = mmyy.toString('hex');
  const month = Number(text.slice(0, 2));
  if (!/^\d{4}$/.test(text) || month < 1 || month > 12)
    fail(invalid, kind, `expiry ${text.toUpperCase()} is not MMYY`);
  const year = 2000 + Number(text.slice(2, 4));
  // Valid through the last day of the month: expired once the transaction month is later.
  if (at.getUTCFullYear() * 12 + at.getUTCMonth() + 1 > year * 12 + month) {
    fail(ODA_CODES.expired, kind, `${kind} expired at the end of ${text.slice(0, 2)}/${year}`);
  }
  return text;
}

function assembleModulus(
  x: Buffer,
  offset: number,
  length: number,
  fieldLength: number,
  remainder: Buffer,
  kind: CertKind,
  invalid: OdaCode,
): Buffer {
  if (length < 64) fail(invalid, kind, `the certified key length ${length} is too short`);
  if (length <= fieldLength) return Buffer.from(x.subarray(offset, offset + length));
  if (remainder.length !== length - fieldLength) {
    fail(
      invalid,
      kind,
      `the public key remainder has ${remainder.length} bytes, ${length - fieldLength} expected`,
    );
  }
  return concat(x.subarray(offset, offset + fieldLength), remainder);
}

// Reported before the hash check: a missing remainder is missing card data, not a forged certificate.
function requireRemainder(length: number, fieldLength: number, remainder: Buffer, kind: CertKind): void {
  if (length > fieldLength && remainder.length === 0) {
    fail(ODA_CODES.dataMissing, kind, `the public key remainder of ${kind} is missing`);
  }
}

function checkExponent(length: number, exponent: Buffer, kind: CertKind, invalid: OdaCode): void {
  if (exponent.length === 0)
    fail(ODA_CODES.dataMissing, kind, `the public key exponent of ${kind} is missing`);
  if (length !== exponent.length)
    fail(invalid, kind, `the exponent has ${exponent.length} bytes, the certificate says ${length}`);
}

function findCaKey(input: CaKeySelection): RsaPublicKey {
  const { caKeys, rid, caIndex } = input;
  const key =
    typeof caKeys === 'function'
      ? caKeys(rid, caIndex)
      : caKeys.find((k) => k.index === caIndex && Buffer.compare(k.rid, rid) === 0);
  if (key === undefined) {
    throw new CryptoError(
      ODA_CODES.caKeyUnknown,
      `no CA public key ${Buffer.from(rid).toString('hex').toUpperCase()}/${hex1(caIndex)}`,
      {
        rid: Buffer.from(rid).toString('hex').toUpperCase(),
        index: caIndex,
      },
    );
  }
  return key;
}

function asResult<T>(run: () => T): OdaResult<T> {
  try {
    return { ok: true, ...run() };
  } catch (e) {
    if (e instanceof CryptoError && isOdaCode(e.code)) return { ok: false, code: e.code, message: e.message };
    throw e;
  }
}

function isOdaCode(code: string): code is OdaCode {
  return (Object.values(ODA_CODES) as string[]).includes(code);
}

function fail(code: OdaCode, kind: CertKind, message: string): never {
  throw new CryptoError(code, message, { object: kind });
}

function templateValue(record: Uint8Array, sfi: number): Uint8Array {
  let nodes: Tlv[] = [];
  try {
    nodes = parseBerTlv(record);
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
  }
  const template = nodes.length === 1 && nodes[0]!.tag === 0x70 ? nodes[0]!.value : undefined;
  // The template must be the whole record: bytes outside it are not authenticated data.
  if (
    template === undefined ||
    !Buffer.from(record.subarray(record.length - template.length)).equals(template)
  ) {
    throw new CryptoError(
      ODA_CODES.dataMissing,
      `a record of SFI ${sfi} for offline data authentication is not a template 70`,
      {
        sfi,
      },
    );
  }
  return template;
}

/** BCD digits up to the first F nibble (the padding of PAN and issuer identifier). */
function bcdDigits(bytes: Uint8Array): string {
  const text = Buffer.from(bytes).toString('hex').toUpperCase();
  const end = text.indexOf('F');
  const digits = end === -1 ? text : text.slice(0, end);
  return /^\d*$/.test(digits) && /^F*$/.test(text.slice(digits.length)) ? digits : '';
}

function hex1(b: number): string {
  return b.toString(16).toUpperCase().padStart(2, '0');
}
