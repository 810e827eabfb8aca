import { EventEmitter } from 'node:events';
import type {
  DeskBillAnswer,
  DeskDayView,
  Quote as DeskQuote,
  DeskPendingView,
  DeskReconciliationView,
  DeskReversalView,
  DeskSettlementView,
  DeskStepEvent,
} from '@sscard/agent-protocol';
import type {
  DeskBillLinesRequest,
  DeskCancelRequest,
  DeskPreSettleRequest,
  DeskReversalRequest,
  DeskSettleRequest,
  DeskVisitRequest,
} from '@sscard/agent-protocol/settlement';
import { maskCardNumber } from '@sscard/card-core';
import type { Logger } from '@sscard/log';
import type { Quote, Visit } from '@sscard/registry-protocol/settlement';
import type { CardOperations } from '../card-operations.js';
import type { TerminalType } from '../config/schema.js';
import { compareWithService, daySettlements, pendingItems } from '../registry/desk-journal.js';
import {
  MONEY_OPERATIONS,
  SETTLEMENT_OPERATION_NAMES,
  type SettleOutcome,
} from '../registry/desk-settlement.js';
import { isRegistryError } from '../registry/errors.js';
import type { RegistryLink } from '../registry/registry-link.js';
import type { ReaderSource } from './agent-actions.js';
import type { PinFlow } from './pin-flow.js';
import { ApiProblem, requireGenuine } from './problem.js';
import { terminalMode } from './terminal-mode.js';

export interface DeskActionEvents {
  'settlement-step': [event: DeskStepEvent];
}

export interface DeskActionsOptions {
  card: CardOperations;
  readers: ReaderSource;
  pin: PinFlow;
  registry: RegistryLink;
  log: Logger;
  /** The configured type; the certificate's type is what decides once the terminal is enrolled. */
  terminalType: TerminalType | undefined;
  clock?: () => Date;
}

/** Quotes live a few minutes at the service; the agent forgets them after this long. */
const QUOTE_MEMORY_MS = 30 * 60_000;

/** `YYYY-MM-DD` in China (UTC+8): the institutions' business day. */
function businessDay(instant: Date): string {
  return new Date(instant.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
}

/**
 * The hospital or pharmacy desk's settlement flow: register the visit of the card in the reader,
 * bill lines, pre-settle, then the PIN on the PIN pad and the card's payment proof in one card
 * session, and the settle; cancel, reversal, the day's list, pending items and the day's
 * reconciliation. Every request to card-service goes through the journal first (see
 * registry/desk-settlement.ts). Each finished step is announced for the desk screen.
 */
export class DeskActions extends EventEmitter<DeskActionEvents> {
  readonly #options: DeskActionsOptions;
  readonly #clock: () => Date;
  /** Visits registered and quotes made at this agent, for the card check at settle. */
  readonly #visits = new Map<string, { visit: Visit; at: number }>();
  readonly #quotes = new Map<string, { quote: Quote; at: number }>();
  /** While the patient types the PIN for a settle: the reader named, or null for the only card. */
  #pinFor: { reader: string | null } | undefined;

  constructor(options: DeskActionsOptions) {
    super();
    this.#options = options;
    this.#clock = options.clock ?? (() => new Date());
    // A PIN typed for a card that has gone would be for nothing (or for the next card): the
    // entry ends at once instead of holding the pad until its timeout.
    options.readers.on('card-removed', (event) => {
      const entry = this.#pinFor;
      if (entry && (entry.reader === null || entry.reader === event.reader)) options.pin.cancel();
    });
  }

  async registerVisit(request: DeskVisitRequest): Promise<Visit> {
    this.guard();
    const { card, registry } = this.#options;
    // The card number comes from the card, checked genuine; never from the caller.
    const read = await card.readCard({ ...(request.reader ? { reader: request.reader } : {}), verify: true });
    requireGenuine(read.verification, 'it cannot be settled here');
    const visit = await registry.settlement((r) =>
      r.register({
        cardNumber: read.info.cardNumber,
        scheme: request.scheme,
        visitType: request.visitType,
        hisVisitNo: request.hisVisitNo,
      }),
    );
    this.#remember(this.#visits, visit.visitId, { visit, at: this.#clock().getTime() });
    this.#options.log.info('settlement visit registered', {
      visitId: visit.visitId,
      cardNumber: maskCardNumber(visit.cardNumber),
      visitType: visit.visitType,
      crossRegion: visit.crossRegion,
    });
    this.emit('settlement-step', { step: 'visit-registered', visit });
    return visit;
  }

  async addBillLines(visitId: string, request: DeskBillLinesRequest): Promise<DeskBillAnswer> {
    this.guard();
    const bill = await this.#options.registry.settlement((r) => r.addBillLines(visitId, request.lines));
    this.emit('settlement-step', { step: 'bill-uploaded', bill });
    return bill;
  }

  /**
   * The quote as the desk sees it; the challenge card-service issued with it stays here, for the
   * card's payment proof at the settle.
   */
  async preSettle(visitId: string, request: DeskPreSettleRequest): Promise<DeskQuote> {
    this.guard();
    const quoted = await this.#options.registry.settlement((r) => r.preSettle(visitId, request.useAccount));
    this.#remember(this.#quotes, quoted.quoteId, { quote: quoted, at: this.#clock().getTime() });
    const { challenge: _challenge, ...quote } = quoted;
    this.emit('settlement-step', { step: 'quoted', quote });
    return quote;
  }

  /**
   * The patient's PIN on the PIN pad, then in one card session: the card's number checked against
   * the visit, VERIFY, the payment proof over the challenge that came with the quote; then the
   * settle, journalled. No card is held while the patient types, and nothing is asked of
   * card-service before the settle itself.
   */
  async settle(request: DeskSettleRequest, owner?: string): Promise<DeskSettlementView> {
    this.guard();
    const { card, pin, registry, log } = this.#options;
    const quoted = this.#quotes.get(request.quoteId);
    const visit = quoted && this.#visits.get(quoted.quote.visitId);
    if (!quoted || !visit) {
      throw new ApiProblem(
        404,
        'QUOTE_NOT_AT_THIS_DESK',
        'this agent made no such quote (or has restarted since): pre-settle again',
        { quoteId: request.quoteId },
      );
    }
    const cardNumber = visit.visit.cardNumber;
    const entry = { reader: request.reader ?? null };
    this.#pinFor = entry;
    const proved = await pin
      .withPin(
        'verify',
        (digits) => {
          if (this.#pinFor === entry) this.#pinFor = undefined;
          return card.paymentProof(digits, {
            reader: request.reader,
            cardNumber,
            challenge: async () => quoted.quote.challenge,
          });
        },
        owner,
      )
      .finally(() => {
        if (this.#pinFor === entry) this.#pinFor = undefined;
      });
    if (proved.outcome === 'other-card') {
      throw new ApiProblem(409, 'CARD_NOT_OF_VISIT', "the card in the reader is not the visit's card", {
        visitId: visit.visit.visitId,
      });
    }
    if (proved.outcome === 'pin-refused') {
      const { status } = proved;
      log.info('settlement PIN refused by the card', { state: status.state });
      if (status.state === 'wrong') {
        throw new ApiProblem(403, 'PIN_WRONG', 'the card refused the PIN', { triesLeft: status.triesLeft });
      }
      throw new ApiProblem(403, 'PIN_BLOCKED', "the card's PIN is blocked");
    }
    let outcome: SettleOutcome;
    try {
      outcome = await registry.settlement((r) => r.settle(request.quoteId, proved.proof));
    } catch (e) {
      // Refused by card-service (a 4xx, its decision): most refusals come after the proof was
      // checked, which spent the quote's challenge, and the rest (an expired quote, a changed
      // bill) need a new quote too. Forgotten here, a second try is told to pre-settle again
      // instead of sending a proof over a spent challenge.
      if (isRegistryError(e, 'REFUSED') && (e.details?.status ?? 500) < 500)
        this.#quotes.delete(request.quoteId);
      const attemptKey = isRegistryError(e) ? e.details?.idempotencyKey : undefined;
      if (isRegistryError(e, 'REGISTRY_UNREACHABLE') && typeof attemptKey === 'string') {
        log.warn('settlement outcome pending: card-service could not be asked', { attemptKey });
        this.emit('settlement-step', { step: 'pending', attemptKey });
        throw new ApiProblem(
          503,
          'SETTLEMENT_OUTCOME_PENDING',
          'card-service did not answer; the attempt is journalled and will be resolved (never paid twice) when it answers',
          { attemptKey },
        );
      }
      throw e;
    }
    // A settle that arrived while its reversal was on the way was undone by it: nothing stands.
    if (outcome.kind === 'voided' || outcome.settlement.status !== 'settled') {
      log.warn('settle attempt voided after no answer', { attemptKey: outcome.attemptKey });
      throw new ApiProblem(
        409,
        'SETTLEMENT_ATTEMPT_VOIDED',
        'card-service did not answer and the attempt was reversed: nothing was paid; settle again',
        { attemptKey: outcome.attemptKey },
      );
    }
    const result: DeskSettlementView = { attemptKey: outcome.attemptKey, settlement: outcome.settlement };
    this.#quotes.delete(request.quoteId);
    log.info('settled', {
      attemptKey: result.attemptKey,
      settlementId: result.settlement.settlementId,
      medfee_sumamt: result.settlement.breakdown.medfee_sumamt,
    });
    this.emit('settlement-step', { step: 'settled', result });
    return result;
  }

  async cancel(request: DeskCancelRequest): Promise<DeskSettlementView> {
    this.guard();
    const settlement = await this.#pendingOnSilence(() =>
      this.#options.registry.settlement((r) => r.cancel(request.settlementId)),
    );
    const result = { attemptKey: settlement.attemptKey, settlement };
    this.emit('settlement-step', { step: 'cancelled', result });
    return result;
  }

  async reverse(request: DeskReversalRequest): Promise<DeskReversalView> {
    this.guard();
    const result = await this.#pendingOnSilence(() =>
      this.#options.registry.settlement((r) => r.reverse(request.attemptKey)),
    );
    this.emit('settlement-step', { step: 'reversed', result });
    return result;
  }

  async day(date = businessDay(this.#clock())): Promise<DeskDayView> {
    this.guard();
    const entries = await this.#options.registry.settlement((r) =>
      r.journal.entriesOf(SETTLEMENT_OPERATION_NAMES),
    );
    return { date, settlements: daySettlements(entries, date) };
  }

  async pending(): Promise<DeskPendingView> {
    this.guard();
    return this.#options.registry.settlement(async (r) => ({
      items: pendingItems(await r.journal.pending(), await r.journal.parked()),
    }));
  }

  /** The day's journal against the service's 3201 totals and 3202 detail, every mismatch listed. */
  async reconciliation(date = businessDay(this.#clock())): Promise<DeskReconciliationView> {
    this.guard();
    return this.#options.registry.settlement(async (r) => {
      const [totals, detail, entries, pending, parked] = await Promise.all([
        r.reconciliationTotals(date),
        r.reconciliationDetail(date),
        r.journal.entriesOf(SETTLEMENT_OPERATION_NAMES),
        r.journal.pending(),
        r.journal.parked(),
      ]);
      const journal = daySettlements(entries, date);
      const mine = detail.settlements.filter((s) => s.terminalId === r.terminalId);
      const mismatches = compareWithService(journal, mine);
      const standing = journal.filter((s) => s.settlement.status === 'settled');
      const unresolved = [...pending, ...parked].filter((e) => MONEY_OPERATIONS.includes(e.operation)).length;
      return {
        date,
        institutionId: totals.institutionId,
        terminalId: r.terminalId,
        service: totals,
        journal: {
          count: journal.length,
          standing: standing.length,
          medfee_sumamt: standing.reduce((sum, s) => sum + s.settlement.breakdown.medfee_sumamt, 0),
        },
        pending: unresolved,
        balanced: mismatches.length === 0 && unresolved === 0,
        mismatches,
      };
    });
  }

  /** A cancel or reversal without an answer stays journalled and is sent again: say so. */
  async #pendingOnSilence<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (e) {
      const key = isRegistryError(e) ? e.details?.idempotencyKey : undefined;
      if (isRegistryError(e, 'REGISTRY_UNREACHABLE') && typeof key === 'string') {
        throw new ApiProblem(
          503,
          'SETTLEMENT_OUTCOME_PENDING',
          'card-service did not answer; the request is journalled and will be sent again with the same key',
          { idempotencyKey: key },
        );
      }
      throw e;
    }
  }

  /**
   * Settlement is for hospital and pharmacy desks. The certificate's type is what card-service
   * goes by, so a terminal enrolled as a kiosk refuses whatever its configuration says, and one
   * configured as a kiosk refuses whatever it was enrolled as (`terminalMode`).
   */
  guard(): void {
    const { registry, terminalType } = this.#options;
    const enrolled = registry.enrolledType;
    if (terminalMode(terminalType, enrolled) !== 'desk') {
      throw new ApiProblem(
        403,
        'TERMINAL_TYPE_FORBIDDEN',
        'medical settlement is done at hospital and pharmacy terminals only',
        { terminalType: enrolled ?? terminalType ?? null },
      );
    }
    if (!registry.enabled) {
      throw new ApiProblem(503, 'REGISTRY_NOT_CONFIGURED', 'no card-service is configured on this terminal');
    }
  }

  #remember<T extends { at: number }>(map: Map<string, T>, key: string, value: T): void {
    const now = this.#clock().getTime();
    for (const [k, v] of map) if (now - v.at > QUOTE_MEMORY_MS) map.delete(k);
    map.set(key, value);
  }
}
