import { z } from 'zod';
import { description, profileId } from './common.js';

export const slotRole = z.enum(['user', 'sam', 'contactless', 'ignore']);
export type SlotRole = z.infer<typeof slotRole>;

const regex = z.string().refine((s) => {
  try {
    new RegExp(s);
    return true;
  } catch {
    return false;
  }
}, 'a valid regular expression');

export const pcscReaderProfile = z.strictObject({
  id: profileId,
  description,
  /** Matched against the reader name pcsc-lite reports, without the trailing ` XX YY` index and slot. */
  namePattern: regex,
  /** Match the name pattern regardless of case (Node 20's RegExp has no inline `(?i)`). */
  caseInsensitive: z.boolean().default(false),
  /** Among several matching profiles the highest priority wins (a catch-all uses a low one). */
  priority: z.number().int().default(0),
  /** Role of each slot by its number (the `YY` of ` XX YY`, hex); slots not listed take `defaultRole`. */
  slotRoles: z
    .record(z.string().regex(/^[0-9A-F]{2}$/, 'slot number as two hex digits'), slotRole)
    .default({}),
  defaultRole: slotRole,
  quirks: z
    .strictObject({
      /** The reader passes 61xx through: the host sends GET RESPONSE itself (every T=0 CCID reader in TPDU mode). */
      hostGetResponse: z.boolean().default(true),
      extendedApdu: z.boolean().default(false),
      /** Largest command APDU the reader carries, bytes. */
      maxCommandApdu: z.number().int().min(5).max(65544).default(261),
      /** Largest response APDU, data and status word. */
      maxResponseApdu: z.number().int().min(2).max(65538).default(258),
    })
    .prefault({}),
});
export type PcscReaderProfile = z.infer<typeof pcscReaderProfile>;
