import { z } from 'zod';
import { description, framing, namedCode, profileId, serialLine } from './common.js';

const usbId = z
  .string()
  .regex(/^0x[0-9a-fA-F]{4}$/, 'a USB id as "0x1234"')
  .transform((s) => Number.parseInt(s.slice(2), 16));

export const serialPinPadTransport = z.strictObject({
  kind: z.literal('serial'),
  line: serialLine,
  framing,
});

/**
 * HID PIN pads exchange fixed-size reports. sscard convention for the report body: byte 0 the
 * report id, byte 1 the length n of what follows, byte 2 the code, then n-1 data bytes, zero fill.
 */
export const hidPinPadTransport = z.strictObject({
  kind: z.literal('hid'),
  vendorId: usbId,
  productId: usbId,
  reportId: z.number().int().min(0).max(255),
  reportLength: z.number().int().min(8).max(64),
});

export const pinBlockFormat = z.enum(['bcd', 'iso9564-0', 'iso9564-1']);
export type PinBlockFormat = z.infer<typeof pinBlockFormat>;

export const pinPadProfile = z.strictObject({
  id: profileId,
  description,
  transport: z.discriminatedUnion('kind', [serialPinPadTransport, hidPinPadTransport]),
  /** Host → pad. */
  commands: z.strictObject({
    startEntry: namedCode,
    cancel: namedCode,
    /**
     * A pad holding a terminal PIN key: an entry whose PIN block (ISO 9564 format 0 or 4) it
     * enciphers under that key. Data: min, max, the format (0 or 4), the PAN as ASCII digits.
     */
    startEncipheredEntry: namedCode.optional(),
  }),
  /** Pad → host, unsolicited after startEntry except `ack`. */
  events: z.strictObject({
    ack: namedCode,
    /** One per key press; the data byte is the number of digits entered so far, never the digit. */
    keyPressed: namedCode,
    /** The entry was confirmed; data = the PIN block. */
    pinBlock: namedCode,
    cancelled: namedCode,
    timeout: namedCode,
    error: namedCode,
  }),
  pinBlock: z.strictObject({
    format: pinBlockFormat,
    description,
  }),
  pinLength: z
    .strictObject({ min: z.number().int().min(4).max(12), max: z.number().int().min(4).max(12) })
    .refine((l) => l.min <= l.max, 'min must not exceed max'),
  /** Entry is abandoned when no key is pressed for this long. */
  entryTimeoutMs: z.number().int().positive(),
  /**
   * Every command's data begins with a sequence number (1–255, then 1 again) that the pad repeats
   * as the first data byte of its answer (ack, error) and of every event of the entry that command
   * started; 0 marks an error about a damaged frame, whose number cannot be known. A lost or late
   * answer then cannot be taken for another command's.
   */
  sequenceNumbers: z.boolean().default(false),
});
export type PinPadProfile = z.infer<typeof pinPadProfile>;
