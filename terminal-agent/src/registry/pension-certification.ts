import { type CertificationAnswer, certificationAnswerSchema } from '@sscard/registry-protocol/pension';
import type { JournalEntry } from './journal.js';
import { type Outbox, parsedAnswer, resultOf } from './outbox.js';
import type { CardPresentProof } from './remote-card-auth.js';

/** The outbox operation of a certification, for its resend passes and the operator's view. */
export const CERTIFICATION_OPERATION = 'pension.certify';

export interface CertificationResult {
  answer: CertificationAnswer;
  /** The journal key the request was sent with: what an operator looks up in the service's audit. */
  idempotencyKey: string;
}

/**
 * The annual pension eligibility certification at a kiosk or a bank counter: the card's payment
 * proof (PIN verified by the card, over a fresh challenge) journalled and sent with its key, so
 * that a certification the citizen made is not lost to a crash or a network cut and is recorded
 * once. A proof first delivered after its challenge expired is refused (`CARD_PRESENCE_FAILED`),
 * while a retry of one the service recorded gets its stored answer.
 */
export class PensionCertificationRequests {
  constructor(private readonly outbox: Outbox) {}

  /**
   * Throws RegistryError: REFUSED with the service's code (CARD_NOT_ACTIVE, NO_ENTITLEMENT…) or
   * REGISTRY_UNREACHABLE with the journal key, the request then kept and sent again.
   */
  async certify(cardNumber: string, proof: CardPresentProof): Promise<CertificationResult> {
    const entry = await this.outbox.submit({
      operation: CERTIFICATION_OPERATION,
      method: 'POST',
      path: '/v1/pensions/certifications/card',
      body: { cardNumber, proof },
    });
    return certificationResult(entry);
  }
}

export function certificationResult(entry: JournalEntry): CertificationResult {
  return {
    answer: parsedAnswer(certificationAnswerSchema, resultOf(entry), entry),
    idempotencyKey: entry.idempotencyKey,
  };
}
