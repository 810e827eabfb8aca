import { z } from 'zod';
import { byteCode, description, framing, namedCode, profileId, serialLine } from './common.js';

export const serialReaderProfile = z.strictObject({
  id: profileId,
  description,
  line: serialLine,
  framing,
  commands: z.strictObject({
    powerOn: namedCode,
    powerOff: namedCode,
    apdu: namedCode,
    cardStatus: namedCode,
    beep: namedCode,
  }),
  /** The code byte of every answer frame. */
  status: z.strictObject({
    ok: namedCode,
    badChecksum: namedCode,
    badLength: namedCode,
    unknownCommand: namedCode,
    noCard: namedCode,
    cardNotPowered: namedCode,
    cardMute: namedCode,
  }),
  /** Data byte of the answer to the card status command. */
  cardStates: z.strictObject({ absent: byteCode, present: byteCode, powered: byteCode }),
  /**
   * A keypad on the reader: the host asks it to take the PIN, and the reader builds the card's
   * VERIFY itself, so the PIN never reaches the host. Absent: the reader has no keypad.
   */
  keypad: z
    .strictObject({
      description,
      /** Command: data = the VERIFY header (CLA INS P1 P2); the reader adds Lc and the PIN. Answer: ok + the card's status word. */
      verify: namedCode,
      /** Answer status: the cardholder pressed Cancel. */
      cancelled: namedCode,
      /** Answer status: no key for `entryTimeoutMs`. */
      timeout: namedCode,
      /**
       * Command: data = the CHANGE PIN header (CLA INS P1 P2); the reader takes the current PIN,
       * the new one and its confirmation, and sends `header 07 old FF new`. Answer as `verify`.
       */
      change: namedCode,
      /** Answer status of `change`: the new PIN and its confirmation differ; nothing was sent to the card. */
      entriesDiffer: namedCode,
      /**
       * Answer status of `change`: the new PIN breaks sscard's new-PIN rule (card-core
       * `newPinRefusal`); data = 01 the initial PIN, 02 a trivial one. Nothing was sent to the card.
       */
      newPinRefused: namedCode,
      /** How the reader puts the PIN into the VERIFY data: `bcd`, 2 digits a byte, as the card's VERIFY takes it. */
      pinFormat: z.literal('bcd'),
      pinLength: z.strictObject({
        min: z.number().int().min(4).max(12),
        max: z.number().int().min(4).max(12),
      }),
      entryTimeoutMs: z.number().int().positive(),
    })
    .optional(),
  timeouts: z.strictObject({
    /** A gap this long inside a frame makes the receiver drop the partial frame and answer badLength. */
    interByteMs: z.number().int().positive(),
    /** How long the reader waits for the card before answering cardMute. */
    cardResponseMs: z.number().int().positive(),
    /** How long a host waits for any answer before declaring the reader gone. */
    hostResponseMs: z.number().int().positive(),
  }),
});
export type SerialReaderProfile = z.infer<typeof serialReaderProfile>;
