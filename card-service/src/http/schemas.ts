import { z } from 'zod';
import { CARD_EVENTS, TERMINAL_TYPES } from '../lifecycle/transitions.js';
import { SCOPES } from '../terminals/operator-tokens.js';

/** Request bodies of the API: validated on every endpoint, and documented from the same schemas. */

const hex = (lengths: number[]) =>
  z
    .string()
    .regex(/^[0-9A-Fa-f]+$/, 'hex expected')
    .refine((s) => lengths.includes(s.length), `${lengths.join(' or ')} hex characters expected`);

const cardIdCode = z
  .string()
  .regex(/^[0-9]{6}D156000005[0-9A-Fa-f]{16}$/, 'a card identification code: 32 hex characters');
const cardNumber = z.string().regex(/^[0-9A-Z]{9}$/, '9 digits or capitals');
const region = z.string().regex(/^[1-9][0-9]{5}$/, 'a six-digit region code');
const isoDate = z.string().regex(/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/, 'a date YYYY-MM-DD');
const cryptogram = hex([16, 32]);

export const enrolBody = z.strictObject({
  code: z.string().min(1).max(64),
  /** PEM PKCS#10 certificate request over the terminal's own RSA key (2048 bits or more). */
  csr: z.string().min(1).max(16_384),
});

export const identityCheckBody = z.strictObject({
  cardIdCode,
  cardNumber,
  ssn: z.string().regex(/^[0-9]{17}[0-9Xx]$/, '18 characters: 17 digits and a digit or X'),
  name: z.string().min(1).max(30),
  proof: z.strictObject({ challengeId: z.uuid(), cryptogram }).optional(),
});

export const challengeBody = z.strictObject({ cardIdCode });

export const cardAuthBody = z.strictObject({ challengeId: z.uuid(), cardIdCode, cryptogram });

/** The card's GET CHALLENGE value: 8 bytes. */
export const externalAuthBody = z.strictObject({ cardIdCode, challenge: hex([16]) });

export const cardEventBody = z.strictObject({
  event: z.enum(CARD_EVENTS.filter((e) => e !== 'liftTemporaryLoss') as [string, ...string[]]),
  reason: z.string().max(200).optional(),
  /** For `replace`: the generation of the new card; the old card's by default. */
  generation: z.union([z.literal(2), z.literal(3)]).optional(),
  /** Card-present proof: required from terminals for every event but a temporary loss. */
  proof: z.strictObject({ challengeId: z.uuid(), cryptogram }).optional(),
});

export const operatorTokenBody = z.strictObject({
  name: z.string().min(1).max(100),
  scopes: z.array(z.enum(SCOPES)).min(1),
});

export const enrolmentCodeBody = z.strictObject({
  terminalId: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, dots, dashes, underscores'),
  type: z.enum(TERMINAL_TYPES as [string, ...string[]]),
  region,
  ttlSeconds: z
    .number()
    .int()
    .min(60)
    .max(30 * 86400)
    .optional(),
});

export const relationBody = z.strictObject({
  schemeCode: z.string().regex(/^[0-9]{3}$/, 'a three-digit scheme code'),
  insuredRegion: region,
  status: z.enum(['active', 'paused', 'terminated']).optional(),
  startDate: isoDate,
  pauseDate: isoDate.nullable().optional(),
});

export const holderBody = z.strictObject({
  personNo: z
    .string()
    .regex(/^[A-Za-z0-9]{4,32}$/)
    .optional(),
  idNumber: z.string().regex(/^[0-9]{17}[0-9X]$/, '18 characters: 17 digits and a digit or X'),
  name: z.string().min(1).max(30),
  gender: z.enum(['1', '2']).optional(),
  ethnicity: z.string().regex(/^[0-9]{2}$/, 'a two-digit code'),
  birthDate: isoDate.optional(),
  birthplace: region.optional(),
  region,
  relations: z.array(relationBody).max(20).optional(),
});

export const holderPatchBody = z.strictObject({
  name: z.string().min(1).max(30).optional(),
  ethnicity: z
    .string()
    .regex(/^[0-9]{2}$/)
    .optional(),
  birthplace: region.optional(),
  region: region.optional(),
});

export const relationStatusBody = z.strictObject({
  status: z.enum(['active', 'paused', 'terminated']),
  /** The pause date, for `paused`. */
  date: isoDate.optional(),
});

export const issueCardBody = z.strictObject({
  generation: z.union([z.literal(2), z.literal(3)]),
  issuingRegion: region.optional(),
  cardType: z.string().length(1).optional(),
  temporary: z.boolean().optional(),
});

export const auditQuery = z.strictObject({
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
