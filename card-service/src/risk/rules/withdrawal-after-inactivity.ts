import { addDays, chinaDate } from '../../clock.js';
import { cardSubject } from '../../registry/subjects.js';
import type { RiskRule } from './rule.js';

/**
 * A bank withdrawal from the card account of a pensioner whose certification has lapsed, with the
 * card not seen anywhere (no settlement, identity check, card event or withdrawal) for longer
 * than the configured days before it: a holder nobody has seen for a long time, and their card
 * now taking money out — the pattern of a death not reported. An alert for the bureau to look
 * into; the withdrawal itself goes on (it moves money already paid).
 */
export const withdrawalAfterInactivity: RiskRule = {
  code: 'WITHDRAWAL_AFTER_INACTIVITY',
  severity: 'high',
  words: 'a withdrawal after long inactivity from the account of a pensioner whose certification has lapsed',
  action: 'alert',
  async onEvent(tx, e, config) {
    if (e.kind !== 'withdrawal') return [];
    const today = chinaDate(new Date(e.at));
    const entitlement = await tx.get<{ certified_until: string }>(
      `SELECT certified_until FROM pension_entitlements
       WHERE person_no = ? AND status <> 'stopped' AND certified_until IS NOT NULL AND certified_until < ?`,
      [e.personNo, today],
    );
    if (!entitlement) return [];
    // This withdrawal's own presence is recorded already: the one before it.
    const before = await tx.get<{ at: string | null }>(
      'SELECT MAX(at) AS at FROM card_presence_events WHERE person_no = ? AND at < ?',
      [e.personNo, e.at],
    );
    const lastSeen = before?.at ?? null;
    if (lastSeen !== null && chinaDate(new Date(lastSeen)) >= addDays(today, -config.inactivityDays))
      return [];
    return [
      {
        personNo: e.personNo,
        subject: cardSubject(e.cardNumber),
        details: {
          certifiedUntil: entitlement.certified_until,
          lastSeen,
          inactivityDays: config.inactivityDays,
          terminalId: e.terminalId,
          region: e.region,
          at: e.at,
        },
        dedupKey: `${e.cardNumber}:${e.at}`,
      },
    ];
  },
};
