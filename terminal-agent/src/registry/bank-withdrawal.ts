import {
  type WithdrawalAnswer,
  type WithdrawalBody,
  type WithdrawalCompletionAnswer,
  type WithdrawalCompletionBody,
  withdrawalAnswerSchema,
  withdrawalCompletionAnswerSchema,
} from '@sscard/registry-protocol/pension';
import { RegistryError } from './errors.js';
import type { JsonAnswer } from './https-json.js';
import type { JournalEntry } from './journal.js';
import { type Outbox, parsedAnswer, resultOf } from './outbox.js';

/**
 * A bank counter's withdrawals from the card account, each request journalled with its key before
 * it is sent. An authorisation that got no answer is never sent again: the card has moved on
 * without the ARPC, so it is reversed with its key — the service gives the money back if it
 * debited, or voids the key so that the authorisation is refused should it still arrive.
 * Completions (the card's TC, its AAC, a reversal) are sent again with their key until answered.
 */

export const WITHDRAWAL_OPERATIONS = {
  authorise: 'withdrawal.authorise',
  complete: 'withdrawal.complete',
} as const;

export type AuthorisationOutcome =
  | { authorisationKey: string; kind: 'authorised'; authorisation: WithdrawalAnswer }
  /** No answer came: the withdrawal was reversed (or its key voided) instead. */
  | { authorisationKey: string; kind: 'reversed'; completion: WithdrawalCompletionAnswer };

/** The outcome an answered authorisation entry records: its own answer, or the reversal that resolved it. */
export function authorisationOutcome(entry: JournalEntry): AuthorisationOutcome {
  const body = resultOf<Record<string, unknown>>(entry);
  const authorisationKey = entry.idempotencyKey;
  if (body && typeof body === 'object' && 'arpc' in body) {
    return {
      authorisationKey,
      kind: 'authorised',
      authorisation: parsedAnswer(withdrawalAnswerSchema, resultOf(entry), entry),
    };
  }
  return {
    authorisationKey,
    kind: 'reversed',
    completion: parsedAnswer(withdrawalCompletionAnswerSchema, resultOf(entry), entry),
  };
}

export class BankWithdrawalRequests {
  constructor(private readonly outbox: Outbox) {
    outbox.resolveWith(WITHDRAWAL_OPERATIONS.authorise, (entry) => this.#reverseUnanswered(entry));
  }

  /**
   * The online authorisation, journalled before it is sent. When no answer comes back it is
   * reversed at once; when even that cannot be sent it stays pending (resolved by the resend
   * passes), and the RegistryError (REGISTRY_UNREACHABLE) carries its key.
   */
  async authorise(body: WithdrawalBody): Promise<AuthorisationOutcome> {
    let answered: JournalEntry;
    try {
      answered = await this.outbox.submit({
        operation: WITHDRAWAL_OPERATIONS.authorise,
        method: 'POST',
        path: '/v1/pensions/withdrawals',
        body,
      });
    } catch (e) {
      const key = e instanceof RegistryError ? e.details?.idempotencyKey : undefined;
      const seq = typeof key === 'string' ? this.outbox.journal.seqOfKey(key) : undefined;
      if (!(e instanceof RegistryError) || e.code !== 'REGISTRY_UNREACHABLE' || seq === undefined) throw e;
      answered = await this.outbox.resolve(seq);
    }
    return authorisationOutcome(answered);
  }

  /** The card's TC, its AAC, or the terminal's reversal of an authorisation; sent again until answered. */
  async complete(body: WithdrawalCompletionBody): Promise<WithdrawalCompletionAnswer> {
    const entry = await this.outbox.submit({
      operation: WITHDRAWAL_OPERATIONS.complete,
      method: 'POST',
      path: '/v1/pensions/withdrawals/completion',
      body,
    });
    return parsedAnswer(withdrawalCompletionAnswerSchema, resultOf(entry), entry);
  }

  async #reverseUnanswered(entry: JournalEntry): Promise<JsonAnswer> {
    const reversal = await this.outbox.submit({
      operation: WITHDRAWAL_OPERATIONS.complete,
      method: 'POST',
      path: '/v1/pensions/withdrawals/completion',
      body: { authorisationKey: entry.idempotencyKey, outcome: 'reversal', reason: 'timeout' },
    });
    parsedAnswer(withdrawalCompletionAnswerSchema, resultOf(reversal), reversal);
    return { status: 200, body: reversal.answer!.body, headers: {} };
  }
}
