import {
  type SsseBasicInfo,
  type SsseFieldName,
  encodeBasicInfo,
  encodeField,
  isSscardError,
  parseCardIdCode,
  validateCitizenId,
} from '@sscard/card-core';
import { z } from 'zod';
import { isValidCardNumber } from '@sscard/card-core';

/**
 * The personalisation format of one card: everything the issuer writes into the chip. The
 * emulator builds a virtual card from it, and card-service's issuance produces the same JSON, so
 * this schema is the contract between them (the table in card-emulator/README.md mirrors it).
 */

const hexBytes = (bytes: number) =>
  z
    .string()
    .regex(new RegExp(`^[0-9A-Fa-f]{${bytes * 2}}$`), `${bytes} bytes as ${bytes * 2} hex digits expected`)
    .transform((s) => s.toUpperCase());
const hexAny = z
  .string()
  .regex(/^([0-9A-Fa-f]{2})+$/, 'hex bytes expected')
  .transform((s) => s.toUpperCase());
const compactDate = z.string().regex(/^[0-9]{8}$/, 'YYYYMMDD expected');

const holderSchema = z.object({
  ssn: z.string(),
  name: z.string(),
  nameExt: z.string().optional(),
  gender: z.enum(['1', '2']),
  ethnicity: z.string(),
  birthplace: z.string(),
  birthDate: compactDate,
});

const cardSchema = z.object({
  cardIdCode: z.string(),
  cardType: z.string(),
  specVersion: z.enum(['2.00', '3.00'], 'the emulator issues generation 2 (2.00) and 3 (3.00) cards'),
  initOrg: z.string(),
  issueDate: compactDate,
  expiryDate: compactDate,
  cardNumber: z.string().refine(isValidCardNumber, {
    message: '8 digits or capitals and the MOD 37,36 check character expected',
  }),
});

const pinSchema = z.object({
  value: z.string().regex(/^[0-9]{6}$/, '6 digits expected'),
  triesLeft: z.number().int().min(0).max(3).default(3),
});

const rsaKeySchema = z.object({
  modulus: hexAny,
  exponent: hexAny,
  privateExponent: hexAny,
});

const debitSchema = z.object({
  pan: z
    .string()
    .regex(/^[0-9]{16,19}$/, '16 to 19 digits expected')
    .refine(luhnValid, { message: 'the Luhn check digit does not match' }),
  psn: z
    .string()
    .regex(/^[0-9]{2}$/, 'two digits expected')
    .default('00'),
  effectiveDate: compactDate.optional(),
  expiryDate: compactDate,
  currency: z.literal('156').default('156'),
  country: z.literal('156').default('156'),
  /** Algorithm of the application cryptogram keys; by default 3DES on generation 2, SM4 on generation 3. */
  acAlgorithm: z.enum(['3des', 'sm4']).optional(),
  /** Application transaction counter the card starts from. */
  atc: z.number().int().min(0).max(0xffff).default(0),
  /** The ICC RSA key; when absent it is derived from the keyset and the PAN (icc-key.ts). */
  iccKey: rsaKeySchema.optional(),
});

const masterKeyOverrideSchema = z.object({
  internalAuth: hexBytes(16).optional(),
  externalAuth: hexBytes(16).optional(),
  pinReload: hexBytes(16).optional(),
  update: hexBytes(16).optional(),
  ac: hexBytes(16).optional(),
});

const quirksSchema = z.object({
  /**
   * Answer SELECT with 61xx and give the FCI through GET RESPONSE (T=0 style), or not, whatever
   * the card OS profile of the generation says: real cards of one generation differ by card maker.
   * Absent: as the profile says.
   */
  selectAnswers61xx: z.boolean().optional(),
});

export const cardDocumentSchema = z
  .object({
    holder: holderSchema,
    card: cardSchema,
    pin: pinSchema,
    applications: z.object({
      ssse: z.object({}).default({}),
      debit: debitSchema.optional(),
    }),
    /**
     * Master keys that replace the keyset's for this card only: a test card whose keys the
     * issuer does not know, so that internal authentication or ARQC verification must fail.
     */
    keyOverride: masterKeyOverrideSchema.optional(),
    quirks: quirksSchema.default({}),
  })
  .superRefine((doc, ctx) => {
    checkSsseFields(doc, ctx);
    checkConsistency(doc, ctx);
  });

export type CardDocument = z.output<typeof cardDocumentSchema>;
export type CardDocumentInput = z.input<typeof cardDocumentSchema>;
export type DebitApplicationData = NonNullable<CardDocument['applications']['debit']>;

const SSSE_FIELD_PLACES: ReadonlyArray<[SsseFieldName, 'holder' | 'card']> = [
  ['cardIdCode', 'card'],
  ['cardType', 'card'],
  ['specVersion', 'card'],
  ['initOrg', 'card'],
  ['issueDate', 'card'],
  ['expiryDate', 'card'],
  ['ssn', 'holder'],
  ['name', 'holder'],
  ['nameExt', 'holder'],
  ['gender', 'holder'],
  ['ethnicity', 'holder'],
  ['birthplace', 'holder'],
  ['birthDate', 'holder'],
];

// The field codecs of card-core decide what a card can hold, so the document is checked with them.
function checkSsseFields(doc: z.output<typeof cardDocumentSchema>, ctx: z.RefinementCtx): void {
  for (const [name, place] of SSSE_FIELD_PLACES) {
    const value = (doc[place] as Record<string, unknown>)[name];
    if (value === undefined) continue;
    try {
      if (name === 'cardIdCode') parseCardIdCode(value as string);
      else encodeField(name, value as never);
    } catch (e) {
      if (!isSscardError(e)) throw e;
      ctx.addIssue({ code: 'custom', path: [place, name], message: e.message });
    }
  }
}

function checkConsistency(doc: z.output<typeof cardDocumentSchema>, ctx: z.RefinementCtx): void {
  try {
    const id = validateCitizenId(doc.holder.ssn);
    if (id.birthDate !== doc.holder.birthDate) {
      ctx.addIssue({ code: 'custom', path: ['holder', 'birthDate'], message: 'differs from the SSN' });
    }
    if (id.gender !== doc.holder.gender) {
      ctx.addIssue({ code: 'custom', path: ['holder', 'gender'], message: 'differs from the SSN' });
    }
  } catch (e) {
    if (!isSscardError(e)) throw e;
  }
  if (doc.card.issueDate > doc.card.expiryDate) {
    ctx.addIssue({ code: 'custom', path: ['card', 'expiryDate'], message: 'before the issue date' });
  }
  const debit = doc.applications.debit;
  if (debit && (debit.effectiveDate ?? doc.card.issueDate) > debit.expiryDate) {
    ctx.addIssue({
      code: 'custom',
      path: ['applications', 'debit', 'expiryDate'],
      message: 'before the effective date',
    });
  }
}

export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** The Luhn check digit to append to `digits`. */
export function luhnCheckDigit(digits: string): string {
  for (let d = 0; d <= 9; d++) if (luhnValid(digits + d)) return String(d);
  throw new RangeError('digits expected');
}

/** Thrown for a card document that does not follow the schema; the message names the field. */
export class CardDocumentError extends Error {
  readonly path: string;
  constructor(path: string, message: string) {
    super(`card document: ${path}: ${message}`);
    this.name = 'CardDocumentError';
    this.path = path;
  }
}

/** Checks and normalises a card document (JSON text or parsed value); defaults are filled in. */
export function parseCardDocument(json: unknown): CardDocument {
  let value = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch (e) {
      throw new CardDocumentError('(root)', `not JSON: ${(e as Error).message}`);
    }
  }
  const result = cardDocumentSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new CardDocumentError(issue.path.join('.') || '(root)', issue.message);
  }
  return result.data;
}

/** The document's EF05/EF06 contents in card-core's form. */
export function basicInfoOf(doc: CardDocument): SsseBasicInfo {
  return { ...doc.card, ...doc.holder };
}

/** The records of EF05 and EF06 for this document, laid out for its generation. */
export function ssseRecordsOf(doc: CardDocument) {
  return encodeBasicInfo(basicInfoOf(doc));
}
