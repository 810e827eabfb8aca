import { createHash } from 'node:crypto';
import {
  type DolEntry,
  type RsaPrivateKey,
  encodeBerTlv,
  encodeDol,
  staticDataToAuthenticate,
} from '@sscard/card-core';
import { buildIccCertificate, buildIssuerCertificate, signStaticData } from '@sscard/card-core/emv-issuing';
import type { CardDocument, DebitApplicationData } from '../card-document.js';
import { ICC_KEY_BITS, type IssuerKeyset, rsaPrivateKey, rsaPublicKey } from '../keyset.js';
import { deriveIccKey } from './icc-key.js';

/**
 * The personalised data of the debit application (PBOC 3.0 / EMV): the records the AFL points
 * to, with the offline data authentication objects signed by the keyset's issuer key, which the
 * keyset's test CA certifies.
 */

export const DEBIT_AID = Buffer.from('A000000333010101', 'hex');
export const PPSE_NAME = Buffer.from('2PAY.SYS.DDF01', 'latin1');
export const APPLICATION_LABEL = 'PBOC DEBIT';

/** SDA, DDA, cardholder verification, terminal risk management, issuer authentication; no CDA. */
export const AIP = Buffer.from('7C00', 'hex');

/** CDOL1 holds exactly the terminal part of the PBOC cryptogram data, in its order. */
export const CDOL1: readonly DolEntry[] = [
  { tag: 0x9f02, length: 6 },
  { tag: 0x9f03, length: 6 },
  { tag: 0x9f1a, length: 2 },
  { tag: 0x95, length: 5 },
  { tag: 0x5f2a, length: 2 },
  { tag: 0x9a, length: 3 },
  { tag: 0x9c, length: 1 },
  { tag: 0x9f37, length: 4 },
];

/** The terminal transaction qualifiers (9F66), then the same data as CDOL1. */
export const PDOL: readonly DolEntry[] = [{ tag: 0x9f66, length: 4 }, ...CDOL1];

/** CDOL2: the authorisation response code, then the same terminal data. */
export const CDOL2: readonly DolEntry[] = [{ tag: 0x8a, length: 2 }, ...CDOL1];

export const DDOL: readonly DolEntry[] = [{ tag: 0x9f37, length: 4 }];

/** SFI 1 and 2 records are signed (static data to authenticate); SFI 3 holds the certificates. */
export const AFL = Buffer.from('08010101' + '10010101' + '18010300', 'hex');

export interface DebitData {
  pan: string;
  psn: string;
  /** Records by SFI, record 1 first. */
  records: ReadonlyMap<number, readonly Buffer[]>;
  staticData: Buffer;
  iccKey: RsaPrivateKey;
}

function bcdPan(pan: string): Buffer {
  return Buffer.from(pan.length % 2 === 0 ? pan : `${pan}F`, 'hex');
}

function yymmdd(yyyymmdd: string): Buffer {
  return Buffer.from(yyyymmdd.slice(2), 'hex');
}

function track2(debit: DebitApplicationData): Buffer {
  // PAN, separator D, expiry YYMM, service code 220 (international, IC, online by issuer), discretionary data.
  const text = `${debit.pan}D${debit.expiryDate.slice(2, 6)}2200000000`;
  return Buffer.from(text.length % 2 === 0 ? text : `${text}F`, 'hex');
}

function tlv(tag: number, value: Uint8Array) {
  return { tag, value };
}

function iccKeyOf(debit: DebitApplicationData, keyset: IssuerKeyset): RsaPrivateKey {
  if (debit.iccKey) return rsaPrivateKey(debit.iccKey);
  return deriveIccKey(keyset.emv.iccKeySeed, debit.pan, debit.psn, ICC_KEY_BITS);
}

const issuerCertificates = new WeakMap<IssuerKeyset, ReturnType<typeof buildIssuerCertificate>>();

/** The CA's certificate of the issuer key: the same for every card of a keyset, so computed once. */
function issuerCertificate(keyset: IssuerKeyset) {
  let cert = issuerCertificates.get(keyset);
  if (!cert) {
    const { ca, issuer } = keyset.emv;
    cert = buildIssuerCertificate(rsaPrivateKey(ca.key), rsaPublicKey(issuer.key), {
      issuerIdentifier: issuer.identifier,
      expiry: issuer.certificateExpiry,
      serial: Buffer.from(issuer.certificateSerial, 'hex'),
    });
    issuerCertificates.set(keyset, cert);
  }
  return cert;
}

export function buildDebitData(doc: CardDocument, keyset: IssuerKeyset): DebitData {
  const debit = doc.applications.debit;
  if (!debit) throw new Error('the card document has no debit application');
  const currency = Buffer.from(debit.currency.padStart(4, '0'), 'hex');
  const country = Buffer.from(debit.country.padStart(4, '0'), 'hex');

  const sfi1 = [encodeBerTlv({ tag: 0x70, children: [tlv(0x57, track2(debit))] })];
  const sfi2 = [
    encodeBerTlv({
      tag: 0x70,
      children: [
        tlv(0x5a, bcdPan(debit.pan)),
        tlv(0x5f34, Buffer.from(debit.psn, 'hex')),
        tlv(0x5f24, yymmdd(debit.expiryDate)),
        tlv(0x5f25, yymmdd(debit.effectiveDate ?? doc.card.issueDate)),
        tlv(0x5f28, country),
        tlv(0x9f42, currency),
        tlv(0x5f30, Buffer.from('0220', 'hex')),
        tlv(0x9f07, Buffer.from('FF00', 'hex')),
        tlv(0x9f08, Buffer.from('0030', 'hex')),
        // CVM list: enciphered PIN online (next rule if unsuccessful), then signature, then no CVM.
        tlv(0x8e, Buffer.from('00000000' + '00000000' + '4203' + '1E03' + '1F03', 'hex')),
        tlv(0x9f0d, Buffer.from('D86004A800', 'hex')),
        tlv(0x9f0e, Buffer.from('0010000000', 'hex')),
        tlv(0x9f0f, Buffer.from('D86804F800', 'hex')),
        tlv(0x8c, encodeDol(CDOL1)),
        tlv(0x8d, encodeDol(CDOL2)),
        tlv(0x9f49, encodeDol(DDOL)),
        tlv(0x9f4a, Buffer.from([0x82])),
      ],
    }),
  ];
  const staticData = staticDataToAuthenticate(
    [
      { sfi: 1, record: sfi1[0]! },
      { sfi: 2, record: sfi2[0]! },
    ],
    Buffer.from([0x82]),
    AIP,
  );

  const { ca, issuer } = keyset.emv;
  const issuerKey = rsaPrivateKey(issuer.key);
  const issuerCert = issuerCertificate(keyset);
  const iccKey = iccKeyOf(debit, keyset);
  const digest = createHash('sha256').update(`${debit.pan}|${debit.psn}`).digest();
  const iccCert = buildIccCertificate(
    issuerKey,
    { modulus: iccKey.modulus, exponent: iccKey.exponent },
    debit.pan,
    staticData,
    {
      expiry: `${debit.expiryDate.slice(4, 6)}${debit.expiryDate.slice(2, 4)}`,
      serial: digest.subarray(0, 3),
    },
  );
  // The data authentication code only has to be stable per card: two bytes of the PAN's digest.
  const ssad = signStaticData(issuerKey, staticData, digest.subarray(3, 5));

  const withRemainder = (tag: number, remainder: Buffer) =>
    remainder.length > 0 ? [tlv(tag, remainder)] : [];
  const sfi3 = [
    encodeBerTlv({
      tag: 0x70,
      children: [
        tlv(0x8f, Buffer.from(ca.index, 'hex')),
        tlv(0x90, issuerCert.certificate),
        tlv(0x9f32, issuerCert.exponent),
        ...withRemainder(0x92, issuerCert.remainder),
      ],
    }),
    encodeBerTlv({ tag: 0x70, children: [tlv(0x93, ssad)] }),
    encodeBerTlv({
      tag: 0x70,
      children: [
        tlv(0x9f46, iccCert.certificate),
        tlv(0x9f47, iccCert.exponent),
        ...withRemainder(0x9f48, iccCert.remainder),
      ],
    }),
  ];

  return {
    pan: debit.pan,
    psn: debit.psn,
    records: new Map([
      [1, sfi1],
      [2, sfi2],
      [3, sfi3],
    ]),
    staticData,
    iccKey,
  };
}
