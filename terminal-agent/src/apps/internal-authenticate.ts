import {
  CLA,
  type CommandApdu,
  INS,
  INTERNAL_AUTH_PURPOSE,
  type ResponseApdu,
  SSSE_KEY_IDS,
  requireSuccess,
} from '@sscard/card-core';

/** What the card side gives: logical APDUs to the card in the reader (a `CardSession`). */
export interface ApduSender {
  transmit(command: CommandApdu): Promise<ResponseApdu>;
}

/**
 * INTERNAL AUTHENTICATE (`00 88 00 01`): the card's cryptogram over a verifier's challenge, made
 * with the per-card key its identification code implies.
 */
export async function internalAuthenticate(card: ApduSender, challenge: Buffer): Promise<Buffer> {
  const res = await card.transmit({
    cla: CLA.ISO,
    ins: INS.INTERNAL_AUTHENTICATE,
    p1: INTERNAL_AUTH_PURPOSE.presence,
    p2: SSSE_KEY_IDS.internalAuth,
    data: challenge,
    le: challenge.length,
  });
  return requireSuccess(res, 'internal authentication');
}

/**
 * The payment proof, INTERNAL AUTHENTICATE with P1 `01` (docs/card-conventions.md): the card
 * answers over the complement of the challenge, and only in a session where VERIFY succeeded
 * since the application was selected (otherwise `6982`). Send it right after the VERIFY, with no
 * SELECT between: a selection ends the verified state.
 */
export async function paymentProof(card: ApduSender, challenge: Buffer): Promise<Buffer> {
  const res = await card.transmit({
    cla: CLA.ISO,
    ins: INS.INTERNAL_AUTHENTICATE,
    p1: INTERNAL_AUTH_PURPOSE.payment,
    p2: SSSE_KEY_IDS.internalAuth,
    data: challenge,
    le: challenge.length,
  });
  return requireSuccess(res, 'payment proof');
}
