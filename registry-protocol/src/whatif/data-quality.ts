import { z } from 'zod';
import { holderPatchSchema } from '../holders.js';
import { idNumber } from '../fields.js';
import { instant } from '../fields.js';

/**
 * One number, one source: the registry is the base library of holder data, and these are the
 * findings that break it, each with its way to be corrected (audited).
 *
 * - `ID_CHECK_CHARACTER`: a holder's ID number whose check character does not match its first 17
 *   digits (or that is not a valid number at all);
 * - `SAME_ID_NUMBER`: two holders whose ID numbers differ only in the case of the check character;
 * - `POSSIBLE_DUPLICATE`: holders of one name, birth date and region with different ID numbers;
 * - `CARD_HOLDER_MISMATCH`: a card read at a terminal whose number or holder data disagreed with
 *   the registry (identity checks refused `CARD_DATA_MISMATCH` or `HOLDER_MISMATCH`).
 */
export const FINDING_KINDS = [
  'ID_CHECK_CHARACTER',
  'SAME_ID_NUMBER',
  'POSSIBLE_DUPLICATE',
  'CARD_HOLDER_MISMATCH',
] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

export const DATA_QUALITY_REFUSALS = [
  /** The finding was resolved already. */
  'FINDING_RESOLVED',
  /** A correction that names a holder the finding is not about. */
  'CORRECTION_NOT_OF_FINDING',
  /** The corrected ID number belongs to another holder. */
  'ID_NUMBER_TAKEN',
] as const;

export const findingSchema = z.strictObject({
  findingId: z.string(),
  kind: z.enum(FINDING_KINDS),
  /** The holders it is about. */
  personNos: z.array(z.string()),
  /** What it is about, masked (a holder, a card). */
  subject: z.string(),
  /** The figures behind it: masked numbers, the expected check character, reads counted… */
  details: z.record(z.string(), z.unknown()),
  foundAt: instant,
  resolvedAt: instant.nullable(),
  resolvedBy: z.string().nullable(),
  resolution: z.string().nullable(),
  note: z.string().nullable(),
});
export type Finding = z.output<typeof findingSchema>;

export const findingsQuery = z.strictObject({
  status: z.enum(['open', 'resolved', 'all']).default('open'),
  kind: z.enum(FINDING_KINDS).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

export const findingsSchema = z.strictObject({ findings: z.array(findingSchema) });

/** Starting a scan takes nothing: it looks at the whole registry. */
export const dataQualityScanBody = z.strictObject({});

export const dataQualityScanResultSchema = z.strictObject({
  holdersScanned: z.number().int(),
  /** Findings found by kind in this scan, and how many of them are new. */
  found: z.record(z.string(), z.number().int()),
  added: z.number().int(),
});
export type DataQualityScanResult = z.output<typeof dataQualityScanResultSchema>;

/**
 * What resolves a finding: a correction of the registry (the ID number, or the holder's data a
 * card disagreed with), or a dismissal saying why nothing is to be corrected. Always with a note.
 */
export const resolveFindingBody = z.strictObject({
  note: z.string().min(1).max(500),
  action: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('dismiss') }),
    z.strictObject({ kind: z.literal('correctIdNumber'), personNo: z.string().min(1), idNumber }),
    z.strictObject({
      kind: z.literal('correctHolder'),
      personNo: z.string().min(1),
      changes: holderPatchSchema,
    }),
  ]),
});
export type ResolveFinding = z.output<typeof resolveFindingBody>;
