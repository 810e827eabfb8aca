import type { pension } from '@sscard/registry-protocol';
import { appendAudit } from '../audit/audit-log.js';
import type { CardPresence } from '../card-auth/card-presence.js';
import type { Clock } from '../clock.js';
import { cardSubject } from '../registry/subjects.js';
import { holderSettlements } from '../settlement/holder-history.js';
import { account, balanceOf } from '../settlement/ledger.js';
import type { Store } from '../store/store.js';
import { getEntitlement, readPayments } from './entitlements.js';
import { readForProvenCard } from './proven-card.js';
import { pensionView } from './statement.js';

/** China Standard Time, the calendar the holder's year and months are counted in. */
const CHINA_OFFSET_MS = 8 * 3_600_000;

/**
 * The kiosk's view of the holder of the card in its reader: pension (with this year's total) and
 * the medical personal account (balance, twelve months, latest settlements), on one card-present
 * proof made with the PIN verified.
 */
export async function citizenSummary(
  store: Store,
  clock: Clock,
  presence: CardPresence,
  terminalId: string,
  body: { cardNumber: string; proof: { challengeId: string; cryptogram: string } },
): Promise<pension.CitizenSummary> {
  return readForProvenCard(store, presence, terminalId, body, async (tx, card) => {
    const now = clock();
    const thisMonth = new Date(now.getTime() + CHINA_OFFSET_MS).toISOString().slice(0, 7);
    const year = thisMonth.slice(0, 4);
    const e = await getEntitlement(tx, card.personNo);
    const payments = e ? await readPayments(tx, card.personNo, 24) : [];
    const medical = await holderSettlements(tx, card.personNo, thisMonth);
    await appendAudit(tx, clock, {
      terminalId,
      action: 'citizen.summary',
      subject: cardSubject(card.cardNumber),
      result: 'ok',
    });
    return {
      cardNumber: card.cardNumber,
      asOf: now.toISOString(),
      pension: e
        ? {
            ...pensionView(e),
            yearTotal: payments.filter((p) => p.runMonth.startsWith(year)).reduce((s, p) => s + p.amount, 0),
            payments,
          }
        : null,
      medical: { balance: await balanceOf(tx, account.personal(card.personNo)), ...medical },
    };
  });
}
