import { createHash } from 'node:crypto';
import { SSSE_RID_HEX, citizenIdCheckChar, isRegionCode, validateCitizenId } from '@sscard/card-core';
import { type CardDocument, luhnCheckDigit, parseCardDocument } from './card-document.js';
import { cardNumberCheckChar } from '@sscard/card-core';

/** A person to issue a card to, as a registry or a test fixture knows them. */
export interface HolderRecord {
  ssn: string;
  name: string;
  nameExt?: string;
  /** GB/T 3304 code, `01` (Han) when omitted. */
  ethnicity?: string;
  /** Six-digit region code; the region of the SSN when omitted. */
  birthplace?: string;
  /** Region that issues the card; the prefecture of the SSN's region when omitted. */
  issuingRegion?: string;
  /** Card generation, 3 when omitted. */
  generation?: 2 | 3;
  /** Whether the card carries the debit application; by default generation 3 cards do. */
  debit?: boolean;
  /** Initial PIN, `123456` (the issuers' usual initial PIN) when omitted. */
  pin?: string;
  /** Card serial within the issuing region; by default `firstSerial` + the holder's position. */
  serial?: number;
}

export interface PersonaliseOptions {
  /** `YYYYMMDD`; today in China time when omitted. */
  issueDate?: string;
  validityYears?: number;
  firstSerial?: number;
  /** First character of card numbers. */
  cardNumberSeries?: string;
}

const MAX_SERIAL = 9_999_999;

function chinaToday(): string {
  const t = new Date(Date.now() + 8 * 3600_000);
  return t.toISOString().slice(0, 10).replaceAll('-', '');
}

function addYears(yyyymmdd: string, years: number): string {
  const y = Number(yyyymmdd.slice(0, 4)) + years;
  // 29 February has no anniversary in a common year; the card then expires on 28 February.
  const md = yyyymmdd.slice(4) === '0229' ? '0228' : yyyymmdd.slice(4);
  return `${y}${md}`;
}

/**
 * The card identification code: issuing region (BCD), the ministry's RID, and 8 issuer bytes.
 * The issuer bytes are the first 8 bytes of SHA-256 over region and serial (sscard convention):
 * unique per card, stable for a given serial, and spread like real issuer bytes so that the ATR's
 * historical bytes differ from card to card.
 */
export function cardIdCodeFor(region: string, serial: number): string {
  const issuer = createHash('sha256').update(`${region}:${serial}`).digest().subarray(0, 8);
  return `${region}${SSSE_RID_HEX}${issuer.toString('hex').toUpperCase()}`;
}

/** Series character, 7-digit serial, MOD 37,36 check character. */
export function cardNumberFor(series: string, serial: number): string {
  const body = `${series}${String(serial).padStart(7, '0')}`;
  return body + cardNumberCheckChar(body);
}

/**
 * A UnionPay debit PAN in the 623 range: `6231`, the issuing region, an 8-digit serial and the
 * Luhn digit (19 digits). The `623` prefix is the issuer identifier the generated keyset's issuer
 * certificate covers.
 */
export function debitPanFor(region: string, serial: number): string {
  const body = `6231${region}${String(serial).padStart(8, '0')}`;
  return body + luhnCheckDigit(body);
}

/** Card documents for holder records: identification code, card number and PAN from region and serial. */
export function personalise(
  holders: readonly HolderRecord[],
  options: PersonaliseOptions = {},
): CardDocument[] {
  const issueDate = options.issueDate ?? chinaToday();
  const expiryDate = addYears(issueDate, options.validityYears ?? 10);
  const series = options.cardNumberSeries ?? 'A';
  if (!/^[A-Z]$/.test(series)) throw new RangeError('the card number series is one capital letter');
  const firstSerial = options.firstSerial ?? 1;

  return holders.map((holder, i) => {
    const serial = holder.serial ?? firstSerial + i;
    if (!Number.isInteger(serial) || serial < 1 || serial > MAX_SERIAL) {
      throw new RangeError(`holder ${i}: the serial must be an integer from 1 to ${MAX_SERIAL}`);
    }
    const id = validateCitizenId(holder.ssn);
    const region = holder.issuingRegion ?? `${id.region.slice(0, 4)}00`;
    if (!isRegionCode(region)) {
      throw new RangeError(
        `holder ${i}: no issuing region: give issuingRegion for an SSN of region ${id.region.slice(0, 2)}`,
      );
    }
    const generation = holder.generation ?? 3;
    const withDebit = holder.debit ?? generation === 3;
    return parseCardDocument({
      holder: {
        ssn: holder.ssn,
        name: holder.name,
        ...(holder.nameExt ? { nameExt: holder.nameExt } : {}),
        gender: id.gender,
        ethnicity: holder.ethnicity ?? '01',
        birthplace: holder.birthplace ?? id.region,
        birthDate: id.birthDate,
      },
      card: {
        cardIdCode: cardIdCodeFor(region, serial),
        cardType: '1',
        specVersion: generation === 2 ? '2.00' : '3.00',
        initOrg: `${region}000000`,
        issueDate,
        expiryDate,
        cardNumber: cardNumberFor(series, serial),
      },
      pin: { value: holder.pin ?? '123456', triesLeft: 3 },
      applications: {
        ssse: {},
        ...(withDebit
          ? { debit: { pan: debitPanFor(region, serial), psn: '01', effectiveDate: issueDate, expiryDate } }
          : {}),
      },
    });
  });
}

function demoSsn(region: string, birthDate: string, sequence: string): string {
  const first17 = `${region}${birthDate}${sequence}`;
  return first17 + citizenIdCheckChar(first17);
}

/**
 * Three fixed demo cards: a generation 2 card without the debit application (Wenzhou, 330300), a
 * generation 3 card with it (Wuxi, 320200), and a retiree's generation 3 card with it (Wenzhou,
 * 330300), whose pension `npm start` pays into the card account. Same output on every call and
 * every machine.
 */
export function demoCardDocuments(): CardDocument[] {
  return personalise(
    [
      { ssn: demoSsn('330302', '19850312', '123'), name: '张三', generation: 2, serial: 1, pin: '123456' },
      {
        ssn: demoSsn('320205', '19900708', '246'),
        name: '李华',
        ethnicity: '01',
        generation: 3,
        serial: 2,
        pin: '123456',
      },
      { ssn: demoSsn('330302', '19580421', '142'), name: '王秀英', generation: 3, serial: 3, pin: '123456' },
    ],
    { issueDate: '20240315', validityYears: 10 },
  );
}
