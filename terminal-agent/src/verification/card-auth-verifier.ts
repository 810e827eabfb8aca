import { randomBytes, timingSafeEqual } from 'node:crypto';
import { authBlockSize, type CardAlgorithm } from '@sscard/card-core';
import type { Psam, PsamOperationOptions } from '../apps/psam.js';

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
  /**
   * Why the verifier could not judge the card, when `error` (thrown by `challenge` or `verify`)
   * says it did not get to: the check then did not happen, rather than failed. Undefined for an
   * error that is a verdict or a fault.
   */
  unableToJudge?(error: unknown): string | undefined;
}

/**
 * A challenge asked of the verifier as soon as the card's identification code and algorithm were
 * read, while the card was still busy with its other records: by the time the card-authentication
 * check runs, the challenge (a round trip to card-service, or the PSAM's own cryptogram) is
 * ready. Its failure is kept for the check to judge, exactly as if it had asked then.
 */
export interface PreparedCardAuthChallenge {
  readonly verifier: CardAuthVerifier;
  readonly request: CardAuthRequest;
  /** Never left unhandled: a read that ends before the check runs drops it quietly. */
  readonly issued: Promise<CardAuthChallenge>;
}

export function prepareCardAuthChallenge(
  verifier: CardAuthVerifier,
  request: CardAuthRequest,
): PreparedCardAuthChallenge {
  let issued: Promise<CardAuthChallenge>;
  try {
    issued = verifier.challenge(request);
  } catch (e) {
    issued = Promise.reject(e);
  }
  issued.catch(() => undefined);
  return { verifier, request: { cardIdCode: request.cardIdCode, algorithm: request.algorithm }, issued };
}

/** Whether a prepared challenge was asked for this verifier, card and algorithm. */
export function isPreparedFor(
  prepared: PreparedCardAuthChallenge | undefined,
  verifier: CardAuthVerifier,
  request: CardAuthRequest,
): prepared is PreparedCardAuthChallenge {
  return (
    prepared !== undefined &&
    prepared.verifier === verifier &&
    prepared.request.cardIdCode === request.cardIdCode &&
    prepared.request.algorithm === request.algorithm
  );
}

/**
 * Random bytes for challenges, drawn from the system's generator a block at a time: a draw costs
 * about the same for 16 bytes as for 512, and a read waits for it. Bytes handed out are wiped
 * from the block and never handed out twice.
 */
class ChallengePool {
  private block = Buffer.alloc(0);
  private used = 0;

  take(length: number): Buffer {
    if (this.used + length > this.block.length) {
      this.block = randomBytes(Math.max(512, length));
      this.used = 0;
    }
    const bytes = Buffer.from(this.block.subarray(this.used, this.used + length));
    this.block.fill(0, this.used, this.used + length);
    this.used += length;
    return bytes;
  }
}

const challenges = new ChallengePool();

/**
 * The terminal's own PSAM: a fresh random challenge, and the PSAM's cryptogram to compare with.
 * The PSAM computes its cryptogram as soon as the challenge is chosen, on its own reader while
 * the card works on INTERNAL AUTHENTICATE (or, prepared early, on its remaining records), so that
 * `verify` only compares.
 */
export class PsamCardAuthVerifier implements CardAuthVerifier {
  readonly name = 'psam';
  /** The PSAM's cryptograms under way, by card, algorithm and challenge. */
  private readonly expected = new Map<string, Promise<Buffer>>();

  /** `options.signal`: a read that failed withdraws the cryptograms the PSAM has not begun. */
  constructor(
    private readonly psam: Psam,
    private readonly options: PsamOperationOptions = {},
  ) {}

  async challenge({ cardIdCode, algorithm }: CardAuthRequest): Promise<CardAuthChallenge> {
    const challenge = challenges.take(authBlockSize(algorithm));
    const expected = this.psam.cryptogram('internalAuth', algorithm, cardIdCode, challenge, this.options);
    // Judged by `verify`; a card that never gets that far leaves the PSAM's answer unread.
    expected.catch(() => undefined);
    this.expected.set(expectationKey(cardIdCode, algorithm, challenge), expected);
    return { challenge };
  }

  async verify({
    cardIdCode,
    algorithm,
    challenge,
    cryptogram,
  }: CardAuthRequest & CardAuthChallenge & { cryptogram: Buffer }) {
    const key = expectationKey(cardIdCode, algorithm, challenge);
    const pending = this.expected.get(key);
    this.expected.delete(key);
    const expected = await (pending ??
      this.psam.cryptogram('internalAuth', algorithm, cardIdCode, challenge));
    return expected.length === cryptogram.length && timingSafeEqual(expected, cryptogram);
  }
}

function expectationKey(cardIdCode: string, algorithm: CardAlgorithm, challenge: Buffer): string {
  return `${cardIdCode}:${algorithm}:${challenge.toString('hex')}`;
}
