import { type CardAlgorithm, ValidationError } from '@sscard/card-core';
import { type ApduSender, internalAuthenticate } from '../apps/internal-authenticate.js';
import type { ExternalAuthenticator } from '../apps/ssse.js';
import type {
  CardAuthChallenge,
  CardAuthRequest,
  CardAuthVerifier,
} from '../verification/card-auth-verifier.js';
import { isRegistryError, RegistryError } from './errors.js';
import type { RegistryClient } from './client.js';
import type { Challenge } from '@sscard/registry-protocol';

/**
 * Card authentication for terminals without a PSAM: card-service's HSM module issues a
 * single-use challenge for the card, the card answers INTERNAL AUTHENTICATE over it, and the HSM
 * module judges the answer. The issuer keys stay in the service; the terminal only relays.
 */

type ChallengeClient = Pick<RegistryClient, 'createChallenge' | 'verifyCardAuth'>;

/**
 * The service's refusals that are about the challenge, not the card: it could not be used (spent,
 * expired, issued to another terminal or card, or with a settlement's quote — a slow terminal, a
 * retried request). They are reported as errors so that a slow terminal is never taken for a
 * forged card.
 */
export const CHALLENGE_REFUSALS: ReadonlySet<string> = new Set([
  'CHALLENGE_UNKNOWN',
  'CHALLENGE_USED',
  'CHALLENGE_EXPIRED',
  'CHALLENGE_OTHER_CARD',
  'CHALLENGE_OTHER_QUOTE',
]);

/**
 * When card-service could not judge the card — unreachable, the terminal revoked or its
 * certificate expired, an answer lost on the way, a challenge spent or expired — the check did not
 * happen: a card is never called not genuine because the network is down. Only a refused
 * cryptogram, or a refusal to vouch for the card (an identification code it never issued), is a
 * verdict.
 */
export function registryCouldNotJudge(error: unknown): string | undefined {
  if (!isRegistryError(error)) return undefined;
  if (error.code === 'REFUSED' && !CHALLENGE_REFUSALS.has(error.serviceCode ?? '')) return undefined;
  const why = error.outcomeUnknown ? `${error.code}, outcome unknown` : error.code;
  return `${why}: ${error.message}`;
}

export class RemoteCardAuthVerifier implements CardAuthVerifier {
  readonly name = 'card-service';

  constructor(private readonly client: ChallengeClient) {}

  readonly unableToJudge = registryCouldNotJudge;

  async challenge(request: CardAuthRequest): Promise<CardAuthChallenge> {
    const issued = await this.client.createChallenge(request.cardIdCode);
    checkAlgorithm(issued.algorithm, request.algorithm);
    return { challenge: Buffer.from(issued.challenge, 'hex'), reference: issued.challengeId };
  }

  async verify(request: CardAuthRequest & CardAuthChallenge & { cryptogram: Buffer }): Promise<boolean> {
    if (!request.reference)
      throw new TypeError('a challenge issued by card-service carries its challenge id');
    const verdict = await this.client.verifyCardAuth({
      challengeId: request.reference,
      cardIdCode: request.cardIdCode,
      cryptogram: request.cryptogram.toString('hex').toUpperCase(),
    });
    if (verdict.verified) return true;
    if (verdict.reason === 'CRYPTOGRAM_INVALID') return false;
    if (verdict.reason === 'CARD_UNKNOWN') {
      throw new RegistryError('REFUSED', 'the registry has no card with this identification code', {
        serviceCode: verdict.reason,
      });
    }
    throw new RegistryError(
      'REFUSED',
      `card-service could not judge the card: ${verdict.reason}${CHALLENGE_REFUSALS.has(verdict.reason) ? ' (try again)' : ''}`,
      { serviceCode: verdict.reason },
    );
  }
}

/**
 * EXTERNAL AUTHENTICATE for a terminal without a PSAM (the HSM read of DESIGN.md §3): the card's
 * challenge goes to the service's HSM module, its cryptogram goes back to the card, which then
 * releases the holder records. A card the registry issued under the other algorithm is not the
 * card its identification code names.
 */
export function remoteExternalAuthenticator(
  client: Pick<RegistryClient, 'externalAuthenticate'>,
): ExternalAuthenticator {
  return async ({ cardIdCode, algorithm, challenge }) => {
    const value = await challenge;
    const answer = await client.externalAuthenticate({
      cardIdCode,
      challenge: value.toString('hex').toUpperCase(),
    });
    checkAlgorithm(answer.algorithm, algorithm);
    return Buffer.from(answer.cryptogram, 'hex');
  };
}

/** A card-present proof for the identity check or a card event: a fresh challenge answered by the card. */
export interface CardPresentProof {
  challengeId: string;
  cryptogram: string;
}

/**
 * A single-use service challenge for a card-present proof, for the card in the reader to answer;
 * undefined when the service cannot give one now (the identity check then goes without a proof).
 */
export type PresenceChallenger = (
  cardIdCode: string,
) => Promise<Pick<Challenge, 'challengeId' | 'challenge' | 'algorithm'> | undefined>;

/**
 * Has the card in the reader answer a fresh service challenge. The proof is single use and short
 * lived: obtain it right before the request it goes with, while the card is in the reader.
 */
export async function proveCardPresence(
  client: Pick<RegistryClient, 'createChallenge'>,
  card: ApduSender,
  cardIdCode: string,
  algorithm?: CardAlgorithm,
): Promise<CardPresentProof> {
  const issued = await client.createChallenge(cardIdCode);
  if (algorithm) checkAlgorithm(issued.algorithm, algorithm);
  const cryptogram = await internalAuthenticate(card, Buffer.from(issued.challenge, 'hex'));
  return { challengeId: issued.challengeId, cryptogram: cryptogram.toString('hex').toUpperCase() };
}

// The registry records the card's algorithm at issuance; a card that answers with another
// generation's algorithm is not the card the registry issued under this identification code.
function checkAlgorithm(registered: CardAlgorithm, read: CardAlgorithm): void {
  if (registered !== read) {
    throw new ValidationError(
      'CARD_ALGORITHM_MISMATCH',
      `the registry issued this card with ${registered} keys, but the card read is a ${read} card`,
      { registered, read },
    );
  }
}
