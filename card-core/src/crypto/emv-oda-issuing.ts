import { concat } from '../bytes.js';
import { CryptoError, ValidationError } from '../errors.js';
import type { EmvCertificate } from './emv-oda.js';
import { checkPanDigits, HASH_SHA1, HEADER, PAD, PK_RSA, TRAILER } from './emv-oda-format.js';
import { sha1 } from './hash.js';
import { type RsaPrivateKey, type RsaPublicKey, rsaSign } from './rsa.js';

/**
 * The issuing side of EMV offline data authentication: certificates and signed data as a
 * personalisation system writes them to a card. Only the virtual cards and their test CA sign;
 * terminals check with emv-oda.ts.
 */

export interface IccCertificateFields {
  /** MMYY */
  expiry: string;
  /** 3 bytes */
  serial: Uint8Array;
}

export interface IssuerCertificateFields extends IccCertificateFields {
  /** 3 to 8 leading PAN digits. */
  issuerIdentifier: string;
}

/** Signs an issuer public key with a CA private key: 90, 92 and 9F32 for the card. */
export function buildIssuerCertificate(
  caPrivate: RsaPrivateKey,
  issuerPublic: RsaPublicKey,
  fields: IssuerCertificateFields,
): EmvCertificate {
  const nca = caPrivate.modulus.length;
  const ni = issuerPublic.modulus.length;
  if (ni > nca) throw new CryptoError('ODA_KEY_LENGTH', 'the issuer key may not be longer than the CA key');
  if (!/^\d{3,8}$/.test(fields.issuerIdentifier)) {
    throw new ValidationError('ISSUER_ID_FORMAT', 'the issuer identifier has 3 to 8 digits');
  }
  const head = certificateHead(0x02, bcdPadded(fields.issuerIdentifier, 4), fields, issuerPublic);
  return sign(caPrivate, head, issuerPublic, nca - 36, Buffer.alloc(0));
}

/** Signs an ICC public key with the issuer private key over the card's static data: 9F46, 9F48, 9F47. */
export function buildIccCertificate(
  issuerPrivate: RsaPrivateKey,
  iccPublic: RsaPublicKey,
  pan: string,
  staticData: Uint8Array,
  fields: IccCertificateFields,
): EmvCertificate {
  const ni = issuerPrivate.modulus.length;
  const nic = iccPublic.modulus.length;
  if (nic > ni) throw new CryptoError('ODA_KEY_LENGTH', 'the ICC key may not be longer than the issuer key');
  const head = certificateHead(0x04, bcdPadded(checkPanDigits(pan), 10), fields, iccPublic);
  return sign(issuerPrivate, head, iccPublic, ni - 42, staticData);
}

/** Signed static application data (93) over the static data with a 2-byte data authentication code. */
export function signStaticData(
  issuerPrivate: RsaPrivateKey,
  staticData: Uint8Array,
  dac: Uint8Array,
): Buffer {
  if (dac.length !== 2)
    throw new ValidationError('DAC_LENGTH', `a data authentication code has 2 bytes, not ${dac.length}`);
  const ni = issuerPrivate.modulus.length;
  const body = concat(Buffer.from([0x03, HASH_SHA1]), dac, Buffer.alloc(ni - 26, PAD));
  return rsaSign(issuerPrivate, frame(body, sha1(body, staticData)));
}

/**
 * Signed dynamic application data (9F4B) for INTERNAL AUTHENTICATE: ICC dynamic data = length ‖
 * ICC dynamic number, hashed with the DDOL data the terminal sent (the unpredictable number).
 */
export function signDynamicData(
  iccPrivate: RsaPrivateKey,
  unpredictableNumber: Uint8Array,
  iccDynamicNumber: Uint8Array,
): Buffer {
  if (iccDynamicNumber.length < 2 || iccDynamicNumber.length > 8) {
    throw new ValidationError(
      'IDN_LENGTH',
      `the ICC dynamic number has 2 to 8 bytes, not ${iccDynamicNumber.length}`,
    );
  }
  const nic = iccPrivate.modulus.length;
  const dynamicData = concat(Buffer.from([iccDynamicNumber.length]), iccDynamicNumber);
  const body = concat(
    Buffer.from([0x05, HASH_SHA1, dynamicData.length]),
    dynamicData,
    Buffer.alloc(nic - 25 - dynamicData.length, PAD),
  );
  return rsaSign(iccPrivate, frame(body, sha1(body, unpredictableNumber)));
}

function sign(
  signer: RsaPrivateKey,
  head: Buffer,
  certified: RsaPublicKey,
  fieldLength: number,
  trailingData: Uint8Array,
): EmvCertificate {
  const key = certified.modulus;
  const inCert = key.subarray(0, fieldLength);
  const keyField = concat(inCert, Buffer.alloc(fieldLength - inCert.length, PAD));
  const remainder = Buffer.from(key.subarray(inCert.length));
  const exponent = Buffer.from(certified.exponent);
  const body = concat(head, keyField);
  const hash = sha1(body, remainder, exponent, trailingData);
  return { certificate: rsaSign(signer, frame(body, hash)), remainder, exponent };
}

/** Format, the certified identifier (issuer BIN or PAN), expiry, serial, algorithms and key lengths. */
function certificateHead(
  format: number,
  identifier: Buffer,
  fields: IccCertificateFields,
  certified: RsaPublicKey,
): Buffer {
  return concat(
    Buffer.from([format]),
    identifier,
    expiryBytes(fields.expiry),
    serialBytes(fields.serial),
    Buffer.from([HASH_SHA1, PK_RSA, certified.modulus.length, exponentLength(certified.exponent)]),
  );
}

function frame(body: Buffer, hash: Buffer): Buffer {
  return concat(Buffer.from([HEADER]), body, hash, Buffer.from([TRAILER]));
}

function bcdPadded(digits: string, length: number): Buffer {
  return Buffer.from(digits.padEnd(length * 2, 'F'), 'hex');
}

function expiryBytes(mmyy: string): Buffer {
  const month = Number(mmyy.slice(0, 2));
  if (!/^\d{4}$/.test(mmyy) || month < 1 || month > 12)
    throw new ValidationError('EXPIRY_FORMAT', 'a certificate expiry is MMYY');
  return Buffer.from(mmyy, 'hex');
}

function serialBytes(serial: Uint8Array): Buffer {
  if (serial.length !== 3)
    throw new ValidationError(
      'SERIAL_LENGTH',
      `a certificate serial number has 3 bytes, not ${serial.length}`,
    );
  return Buffer.from(serial);
}

function exponentLength(exponent: Buffer): number {
  if (exponent.length !== 1 && exponent.length !== 3) {
    throw new CryptoError('ODA_EXPONENT', 'an EMV public exponent is 03 or 010001');
  }
  return exponent.length;
}
