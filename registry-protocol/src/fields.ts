import { z } from 'zod';

/** Field formats shared by the request bodies. Each says in its message what it expects. */

export const hex = (lengths: readonly number[]) =>
  z
    .string()
    .regex(/^[0-9A-Fa-f]+$/, 'hex expected')
    .refine((s) => lengths.includes(s.length), `${lengths.join(' or ')} hex characters expected`);

export const cardIdCode = z
  .string()
  .regex(/^[0-9]{6}D156000005[0-9A-Fa-f]{16}$/, 'a card identification code: 32 hex characters');
export const cardNumber = z.string().regex(/^[0-9A-Z]{9}$/, '9 digits or capitals');
export const region = z.string().regex(/^[1-9][0-9]{5}$/, 'a six-digit region code');
export const isoDate = z.string().regex(/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/, 'a date YYYY-MM-DD');
/** A citizen ID number as a card carries it (the check character may be a lower-case x). */
export const ssn = z.string().regex(/^[0-9]{17}[0-9Xx]$/, '18 characters: 17 digits and a digit or X');
export const idNumber = z.string().regex(/^[0-9]{17}[0-9X]$/, '18 characters: 17 digits and a digit or X');
export const holderName = z.string().min(1).max(30);
export const terminalId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, dots, dashes, underscores');
/** One cipher block of the card's algorithm as hex: 8 bytes (3DES) or 16 bytes (SM4). */
export const cipherBlock = hex([16, 32]);
/** An instant in ISO 8601 with its zone. */
export const instant = z.string();

/** A fresh card cryptogram over a single-use service challenge (DESIGN.md §3). */
export const cardPresentProof = z.strictObject({ challengeId: z.uuid(), cryptogram: cipherBlock });
