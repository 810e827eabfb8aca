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
