import type {
  CitizenSummaryReply,
  PensionCertificationReply,
  PensionCertificationView,
  PinResultView,
} from '@sscard/agent-protocol';
import { maskCardNumber } from '@sscard/card-core';
import type { Logger } from '@sscard/log';
import { describePinStatus } from '../apps/pin.js';
import type { CardOperations, PinResult } from '../card-operations.js';
import type { TerminalType } from '../config/schema.js';
import { isRegistryError } from '../registry/index.js';
import type { RegistryLink } from '../registry/registry-link.js';
import type { CardPresentProof } from '../registry/remote-card-auth.js';
import type { PinFlow } from './pin-flow.js';
import { ApiProblem } from './problem.js';
import { terminalMode } from './terminal-mode.js';

export interface CitizenServicesOptions {
  card: CardOperations;
  pin: PinFlow;
  registry: RegistryLink;
  log: Logger;
  terminalType?: TerminalType | undefined;
  revealPersonalData: boolean;
  /**
   * Runs a PIN verification as the agent's others run: announced, cancelled with its card, and
   * the card remembered as verified (a loss report may follow).
   */
  pinOperation(reader: string | undefined, run: () => Promise<PinResult>): Promise<PinResultView>;
  /** The reader of the one card in a user reader, when a request names none. */
  cardReader(): string | undefined;
}

interface Proved {
  pin: PinResultView;
  card?: { cardNumber: string; proof: CardPresentProof };
}

const OK = { state: 'ok' } as const;

/**
 * The citizen's services that read or change what card-service holds for them: each takes the
 * PIN, then in one card session the card verifies it and answers a fresh challenge of the service
 * with its payment proof, which the service needs to act for the holder of the card in this
 * reader. The card number is the card's, never the caller's.
 */
export class CitizenServices {
  readonly #o: CitizenServicesOptions;

  constructor(options: CitizenServicesOptions) {
    this.#o = options;
  }

  /** The holder's pension and medical personal account: kiosk terminals only. */
  async summary(request: {
    reader?: string | undefined;
    owner?: string | undefined;
  }): Promise<CitizenSummaryReply> {
    this.#allow(['kiosk'], 'the citizen summary is shown at kiosk terminals only');
    const proved = await this.#prove(request);
    if (!proved.card) return { pin: proved.pin, summary: null };
    const summary = await this.#o.registry.citizenSummary(proved.card.cardNumber, proved.card.proof);
    this.#o.log.info('citizen summary', { cardNumber: maskCardNumber(summary.cardNumber) });
    return {
      pin: proved.pin,
      summary: { ...summary, cardNumber: this.#shown(summary.cardNumber) },
    };
  }

  /**
   * The annual pension eligibility certification, journalled: kiosk and bank terminals. When
   * card-service does not answer it stays in the outbox and is sent again, and the answer says so.
   */
  async certify(request: {
    reader?: string | undefined;
    owner?: string | undefined;
  }): Promise<PensionCertificationReply> {
    this.#allow(['kiosk', 'bank'], 'certifications are made at kiosk and bank terminals only');
    const proved = await this.#prove(request);
    if (!proved.card) return { pin: proved.pin, certification: null };
    const { cardNumber, proof } = proved.card;
    let view: PensionCertificationView;
    try {
      const { answer, idempotencyKey } = await this.#o.registry.certifyPension(cardNumber, proof);
      view = {
        status: 'certified',
        certifiedAt: answer.certification.certifiedAt,
        validUntil: answer.certification.validUntil,
        reference: idempotencyKey,
      };
    } catch (e) {
      const reference = isRegistryError(e) ? e.details?.idempotencyKey : undefined;
      if (!isRegistryError(e, 'REGISTRY_UNREACHABLE') || typeof reference !== 'string') throw e;
      view = { status: 'queued', reference };
    }
    this.#o.log.info('pension certification', {
      cardNumber: maskCardNumber(cardNumber),
      status: view.status,
      reference: view.reference,
    });
    return { pin: proved.pin, certification: view };
  }

  /**
   * Kiosk and bank services go by the terminal's mode (`terminalMode`): the certificate's type as
   * well as the configuration's, so that a terminal enrolled as a kiosk offers no counter service.
   */
  #allow(modes: readonly ('kiosk' | 'bank')[], message: string): void {
    const { terminalType, registry } = this.#o;
    const mode = terminalMode(terminalType, registry.enrolledType);
    if (!terminalType || !(modes as readonly string[]).includes(mode)) {
      throw new ApiProblem(403, 'TERMINAL_TYPE_FORBIDDEN', message, {
        terminalType: registry.enrolledType ?? terminalType ?? null,
      });
    }
    if (!registry.enabled) {
      throw new ApiProblem(503, 'REGISTRY_NOT_CONFIGURED', 'no card-service is configured on this terminal');
    }
  }

  #shown(cardNumber: string): string {
    return this.#o.revealPersonalData ? cardNumber : maskCardNumber(cardNumber);
  }

  async #prove(request: { reader?: string | undefined; owner?: string | undefined }): Promise<Proved> {
    const { card, pin, registry } = this.#o;
    const reader = request.reader ?? this.#o.cardReader();
    let proved: Proved['card'];
    const view = await this.#o.pinOperation(reader, async () => {
      const outcome = await pin.withPin(
        'verify',
        (digits) =>
          card.paymentProof(digits, {
            reader,
            challenge: (cardIdCode) => registry.paymentChallenge(cardIdCode),
          }),
        request.owner,
      );
      if (outcome.outcome === 'pin-refused') return { status: outcome.status, message: outcome.message };
      if (outcome.outcome === 'other-card') throw new Error('a proof for any card found another card');
      proved = { cardNumber: outcome.cardNumber, proof: outcome.proof };
      return { status: OK, message: describePinStatus(OK) };
    });
    return proved && view.ok ? { pin: view, card: proved } : { pin: view };
  }
}
