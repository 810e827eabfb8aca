import { type CommandApdu, type ResponseApdu, requireSuccess } from '@sscard/card-core';

/** What the card side gives: logical APDUs to the card in the reader (a `CardSession`). */
export interface ApduSender {
  transmit(command: CommandApdu): Promise<ResponseApdu>;
}

/** The INTERNAL AUTHENTICATE key id of docs/card-conventions.md. */
const INTERNAL_AUTH_KEY_ID = 0x01;

/**
 * INTERNAL AUTHENTICATE (`00 88 00 01`): the card's cryptogram over a verifier's challenge, made
 * with the per-card key its identification code implies.
 */
export async function internalAuthenticate(card: ApduSender, challenge: Buffer): Promise<Buffer> {
  const res = await card.transmit({
    cla: 0x00,
    ins: 0x88,
    p1: 0x00,
    p2: INTERNAL_AUTH_KEY_ID,
    data: challenge,
    le: challenge.length,
  });
  return requireSuccess(res, 'internal authentication');
}
