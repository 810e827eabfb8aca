import { z } from 'zod';
import { description, hexBytes, profileId } from './common.js';

const atrPattern = z
  .strictObject({ value: hexBytes(), mask: hexBytes() })
  .refine((p) => p.value.length === p.mask.length, {
    message: 'value and mask must have the same length',
    path: ['mask'],
  });

const quirks = z.strictObject({
  /** Status word the card OS gives to SELECT of the application by name: `9000`, or `611E` (T=0, FCI waiting). */
  selectAidAnswer: z.enum(['9000', '611E']).default('9000'),
  /** The OS refuses SELECT by name until the MF `3F00` is selected (answers `6A82`). */
  requiresMfSelectFirst: z.boolean().default(false),
  /** The OS answers a wrong Le with `6Cxx` (the right length) rather than the data. */
  wrongLeAnswers6Cxx: z.boolean().default(true),
});

const common = {
  id: profileId,
  description,
  /** Every ATR this OS shows matches one of these. */
  atr: z.array(atrPattern).min(1),
  contactless: z.boolean(),
  quirks: quirks.prefault({}),
};

export const ssseCardOsProfile = z.strictObject({
  ...common,
  role: z.literal('ssse'),
  generation: z.union([z.literal(2), z.literal(3)]),
  algorithm: z.enum(['3des', 'sm4']),
  /** EF05 record 3, the specification version the card states. */
  specVersion: z.enum(['1.00', '2.00', '3.00']),
  /** Historical bytes 0–6 (chip maker, operating system, card maker) that cards of this OS carry in their ATR. */
  vendorBlock: hexBytes(7),
});

export const psamCardOsProfile = z.strictObject({
  ...common,
  role: z.literal('psam'),
  /** Algorithms the PSAM can diversify and encrypt with. */
  algorithms: z.array(z.enum(['3des', 'sm4'])).min(1),
  /** The ATR up to the serial: `3B 68 00 00` + `PSAM`. */
  atrPrefix: hexBytes(),
});

export const cardOsProfile = z.discriminatedUnion('role', [ssseCardOsProfile, psamCardOsProfile]);
export type CardOsProfile = z.infer<typeof cardOsProfile>;
export type SsseCardOsProfile = z.infer<typeof ssseCardOsProfile>;
export type PsamCardOsProfile = z.infer<typeof psamCardOsProfile>;
