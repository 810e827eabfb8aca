import {
  type Quote,
  type Settlement,
  type Visit,
  billAnswerSchema,
  quoteSchema,
  reversalAnswerSchema,
  settlementSchema,
  visitSchema,
} from '@sscard/registry-protocol/settlement';
import { z } from 'zod';
import type { RegistryClient } from './client.js';
import { RegistryError } from './errors.js';
import type { JsonAnswer } from './https-json.js';
import type { JournalEntry } from './journal.js';
import { type Outbox, parsedAnswer, resultOf } from './outbox.js';

/**
 * The desk's medical settlement requests to card-service (2201 … 2601), each journalled with its
 * idempotency key before it is sent. A settle that got no answer is never sent again: it is
 * resolved by the service's attempt status, and an attempt the service has no trace of is
 * reversed (2601), which voids it for good. So a payment the desk never saw confirmed neither
 * goes through later nor is lost: it ends settled (and the journal learns the settlement) or
 * voided. Cancellations and reversals carry no card proof and are simply sent again with their
 * key until the service answers.
 */

export const SETTLEMENT_OPERATIONS = {
  register: 'settlement.register',
  bill: 'settlement.bill',
  preSettle: 'settlement.preSettle',
  settle: 'settlement.settle',
  cancel: 'settlement.cancel',
  reverse: 'settlement.reverse',
} as const;

export const SETTLEMENT_OPERATION_NAMES: readonly string[] = Object.values(SETTLEMENT_OPERATIONS);

/** The operations that move money: written before they are sent, kept until they have an outcome. */
export const MONEY_OPERATIONS: readonly string[] = [
  SETTLEMENT_OPERATIONS.settle,
  SETTLEMENT_OPERATIONS.cancel,
  SETTLEMENT_OPERATIONS.reverse,
];

/** What became of a settle attempt, as the journal knows it. */
export type SettleOutcome =
  | { attemptKey: string; kind: 'settlement'; settlement: Settlement }
  /** It never settled and never will (reversed before it arrived). */
  | { attemptKey: string; kind: 'voided' };

export interface ReversalOutcome {
  attemptKey: string;
  outcome: 'reversed' | 'voided' | 'already_ended';
  settlement: Settlement | null;
}

/** The answer of an attempt status query or of a reversal: both say what became of an attempt. */
const attemptAnswerSchema = z.object({
  attemptKey: z.string(),
  outcome: z.enum(['settled', 'cancelled', 'reversed', 'voided', 'unknown', 'already_ended']),
  settlement: settlementSchema.nullable(),
});

const withoutReplayed = <T extends { replayed?: boolean | undefined }>(value: T): Omit<T, 'replayed'> => {
  const { replayed: _replayed, ...rest } = value;
  return rest;
};

/**
 * The outcome an answered settle entry records: the settle's own answer, or what resolved it (the
 * attempt status, or the reversal that voided it). A refusal throws as RegistryError REFUSED.
 */
export function settleOutcome(entry: JournalEntry): SettleOutcome {
  const body = resultOf(entry);
  const attemptKey = entry.idempotencyKey;
  if (body && typeof body === 'object' && 'settlementId' in body) {
    return {
      attemptKey,
      kind: 'settlement',
      settlement: withoutReplayed(
        parsedAnswer(settlementSchema.extend({ replayed: z.boolean().optional() }), body, entry),
      ),
    };
  }
  const answer = parsedAnswer(attemptAnswerSchema.extend({ replayed: z.boolean().optional() }), body, entry);
  if (answer.settlement) return { attemptKey, kind: 'settlement', settlement: answer.settlement };
  if (answer.outcome === 'voided') return { attemptKey, kind: 'voided' };
  throw new RegistryError('REGISTRY_PROTOCOL', `${attemptKey}: the attempt's outcome is ${answer.outcome}`, {
    idempotencyKey: attemptKey,
  });
}

/** The settlement an answered cancel entry carries. */
export function cancelOutcome(entry: JournalEntry): Settlement {
  return withoutReplayed(
    parsedAnswer(settlementSchema.extend({ replayed: z.boolean().optional() }), resultOf(entry), entry),
  );
}

export function reversalOutcome(entry: JournalEntry): ReversalOutcome {
  const answer = parsedAnswer(reversalAnswerSchema, resultOf(entry), entry);
  return { attemptKey: answer.attemptKey, outcome: answer.outcome, settlement: answer.settlement };
}

export class DeskSettlementRequests {
  constructor(
    private readonly outbox: Outbox,
    private readonly client: Pick<
      RegistryClient,
      'settlementAttempt' | 'reconciliationTotals' | 'reconciliationDetail' | 'terminalId'
    >,
  ) {
    outbox.resolveWith(SETTLEMENT_OPERATIONS.settle, (entry) => this.#resolveAttempt(entry));
  }

  get terminalId(): string {
    return this.client.terminalId;
  }

  get journal() {
    return this.outbox.journal;
  }

  /** 2201 for a card just read at this desk. */
  async register(body: {
    cardNumber: string;
    scheme: Visit['scheme'];
    visitType: Visit['visitType'];
    hisVisitNo: string;
  }): Promise<Visit> {
    const entry = await this.#submit(SETTLEMENT_OPERATIONS.register, '/v1/settlement/visits', body);
    return withoutReplayed(
      parsedAnswer(visitSchema.extend({ replayed: z.boolean().optional() }), resultOf(entry), entry),
    );
  }

  /** 2204. */
  async addBillLines(
    visitId: string,
    lines: { lineNo: number; itemCode: string; unitPrice: number; quantity: number }[],
  ): Promise<z.output<typeof billAnswerSchema>> {
    const entry = await this.#submit(
      SETTLEMENT_OPERATIONS.bill,
      `/v1/settlement/visits/${encodeURIComponent(visitId)}/lines`,
      { lines },
    );
    return withoutReplayed(
      parsedAnswer(billAnswerSchema.extend({ replayed: z.boolean().optional() }), resultOf(entry), entry),
    );
  }

  /**
   * 2206: nothing moves. The quote carries the challenge its settle's payment proof answers; a
   * retry of an unanswered pre-settle (same key) gets the same quote and challenge.
   */
  async preSettle(visitId: string, useAccount: boolean): Promise<Quote> {
    const entry = await this.#submit(
      SETTLEMENT_OPERATIONS.preSettle,
      `/v1/settlement/visits/${encodeURIComponent(visitId)}/pre-settle`,
      { useAccount },
    );
    return withoutReplayed(
      parsedAnswer(quoteSchema.extend({ replayed: z.boolean().optional() }), resultOf(entry), entry),
    );
  }

  /**
   * 2207, journalled before it is sent. When no answer comes back the attempt is resolved at once
   * (status, else reversal); when even that cannot be done it stays pending, and the RegistryError
   * (REGISTRY_UNREACHABLE) carries the attempt's key.
   */
  async settle(quoteId: string, proof: { challengeId: string; cryptogram: string }): Promise<SettleOutcome> {
    let answered: JournalEntry;
    try {
      answered = await this.#submit(SETTLEMENT_OPERATIONS.settle, '/v1/settlement/settle', {
        quoteId,
        proof,
      });
    } catch (e) {
      const key = e instanceof RegistryError ? e.details?.idempotencyKey : undefined;
      const seq = typeof key === 'string' ? this.outbox.journal.seqOfKey(key) : undefined;
      if (!(e instanceof RegistryError) || e.code !== 'REGISTRY_UNREACHABLE' || seq === undefined) throw e;
      answered = await this.outbox.resolve(seq);
    }
    return settleOutcome(answered);
  }

  /** Resolves a pending settle attempt of this desk now (the operator's "finish pending"). */
  async resolve(attemptKey: string): Promise<SettleOutcome | undefined> {
    const seq = this.outbox.journal.seqOfKey(attemptKey);
    const entry = seq === undefined ? undefined : await this.outbox.journal.get(seq);
    if (!entry || entry.operation !== SETTLEMENT_OPERATIONS.settle) return undefined;
    return settleOutcome(await this.outbox.resolve(entry.seq));
  }

  /** 2208. Stays in the journal, sent again with its key, until the service answers. */
  async cancel(settlementId: string): Promise<Settlement> {
    return cancelOutcome(
      await this.#submit(SETTLEMENT_OPERATIONS.cancel, '/v1/settlement/cancel', { settlementId }),
    );
  }

  /** 2601 of one of this desk's attempts. */
  async reverse(attemptKey: string): Promise<ReversalOutcome> {
    return reversalOutcome(
      await this.#submit(SETTLEMENT_OPERATIONS.reverse, '/v1/settlement/reversals', { attemptKey }),
    );
  }

  reconciliationTotals(date: string) {
    return this.client.reconciliationTotals(date);
  }

  reconciliationDetail(date: string) {
    return this.client.reconciliationDetail(date);
  }

  #submit(operation: string, path: string, body: unknown): Promise<JournalEntry> {
    return this.outbox.submit({ operation, method: 'POST', path, body });
  }

  /**
   * What the service says of an unanswered attempt; one it has no trace of is reversed, which
   * voids it: from then on the service refuses it should it still arrive.
   */
  async #resolveAttempt(entry: JournalEntry): Promise<JsonAnswer> {
    const status = await this.client.settlementAttempt(entry.idempotencyKey);
    if (status.outcome !== 'unknown') return { status: 200, body: status, headers: {} };
    const reversal = await this.#submit(SETTLEMENT_OPERATIONS.reverse, '/v1/settlement/reversals', {
      attemptKey: entry.idempotencyKey,
    });
    reversalOutcome(reversal);
    return { status: 200, body: reversal.answer!.body, headers: {} };
  }
}
