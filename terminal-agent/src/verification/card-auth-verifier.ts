import { randomBytes, timingSafeEqual } from 'node:crypto';
import { authBlockSize, type CardAlgorithm } from '@sscard/card-core';
import type { Psam } from '../apps/psam.js';

export interface CardAuthChallenge {
  /** One cipher block the card encrypts with its internal authentication key. */
  challenge: Buffer;
  /** What the verifier needs to find its challenge again (a service challenge id); opaque here. */
  reference?: string;
}

export interface CardAuthRequest {
  cardIdCode: string;
  algorithm: CardAlgorithm;
}

/**
 * Decides whether a card's INTERNAL AUTHENTICATE answer proves it holds the key diversified from
 * the issuer's master key. A terminal with a PSAM asks the PSAM; one without asks the registry
 * service, whose HSM issues single-use challenges and checks the answer.
 */
export interface CardAuthVerifier {
  /** `psam` or the service's name: shown in reports so an operator knows who vouched for the card. */
  readonly name: string;
  challenge(request: CardAuthRequest): Promise<CardAuthChallenge>;
  verify(request: CardAuthRequest & CardAuthChallenge & { cryptogram: Buffer }): Promise<boolean>;
}

/** The terminal's own PSAM: a fresh random challenge, and the PSAM's cryptogram to compare with. */
export class PsamCardAuthVerifier implements CardAuthVerifier {
  readonly name = 'psam';

  constructor(private readonly psam: Psam) {}

  async challenge({ algorithm }: CardAuthRequest): Promise<CardAuthChallenge> {
    return { challenge: randomBytes(authBlockSize(algorithm)) };
  }

  async verify({
    cardIdCode,
    algorithm,
    challenge,
    cryptogram,
  }: CardAuthRequest & CardAuthChallenge & { cryptogram: Buffer }) {
    const expected = await this.psam.cryptogram('internalAuth', algorithm, cardIdCode, challenge);
    return expected.length === cryptogram.length && timingSafeEqual(expected, cryptogram);
  }
}
