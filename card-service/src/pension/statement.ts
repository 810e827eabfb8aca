import type { pension } from '@sscard/registry-protocol';
import { appendAudit } from '../audit/audit-log.js';
import type { CardPresence } from '../card-auth/card-presence.js';
import type { Clock } from '../clock.js';
import { cardSubject } from '../registry/subjects.js';
import { account, balanceOf } from '../settlement/ledger.js';
import type { Queryable, Store } from '../store/store.js';
import { getEntitlement, readPayments } from './entitlements.js';
import { readForProvenCard } from './proven-card.js';

/** What a holder is shown of their pension entitlement. */
export interface PensionView {
  monthlyAmount: number;
  status: pension.PensionStatus;
  paidThrough: string | null;
  certifiedUntil: string;
  frozen: boolean;
}

export function pensionView(e: pension.PensionEntitlement): PensionView {
  return {
    monthlyAmount: e.monthlyAmount,
    status: e.status,
    paidThrough: e.paidThrough,
    certifiedUntil: e.certifiedUntil,
    frozen: e.frozenAt !== null,
  };
}

type Statement = {
  cardNumber: string;
  cardAccountBalance: number;
  pension: PensionView | null;
  payments: pension.PensionPayment[];
};

/**
 * The statement of the card in the terminal's reader: only when the card answers the terminal's
 * challenge after its PIN was verified, so that a terminal shows a holder their own account and
 * nobody else's.
 */
export async function cardStatement(
  store: Store,
  clock: Clock,
  presence: CardPresence,
  terminalId: string,
  body: { cardNumber: string; proof: { challengeId: string; cryptogram: string } },
): Promise<Statement> {
  return readForProvenCard(store, presence, terminalId, body, async (tx, card) => {
    await appendAudit(tx, clock, {
      terminalId,
      action: 'pension.statement',
      subject: cardSubject(card.cardNumber),
      result: 'ok',
    });
    return statementOf(tx, card);
  });
}

/** The card account's balance, the pension and its latest 24 payments of a card's holder. */
export async function statementOf(
  q: Queryable,
  card: { cardNumber: string; personNo: string },
): Promise<Statement> {
  const e = await getEntitlement(q, card.personNo);
  return {
    cardNumber: card.cardNumber,
    cardAccountBalance: await balanceOf(q, account.card(card.personNo)),
    pension: e ? pensionView(e) : null,
    payments: await readPayments(q, card.personNo, 24),
  };
}
