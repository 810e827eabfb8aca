import { cardSubject } from '../../registry/subjects.js';
import type { RiskRule } from './rule.js';

const LOSS = ['temporarily_lost', 'lost'];

/**
 * A card reported lost (temporarily or formally) answered a card-present proof at a settlement
 * desk or in an identity check: someone holds a card its holder says they do not have.
 */
export const cardInLossUsed: RiskRule = {
  code: 'CARD_IN_LOSS_USED',
  severity: 'high',
  words: 'a card reported lost was used with the card present',
  action: 'block',
  async onEvent(_tx, e) {
    if (e.kind === 'card_event' || !LOSS.includes(e.cardStatus)) return [];
    return [
      {
        personNo: e.personNo,
        subject: cardSubject(e.cardNumber),
        details: { kind: e.kind, status: e.cardStatus, terminalId: e.terminalId, region: e.region, at: e.at },
        dedupKey: `${e.cardNumber}:${e.at}`,
      },
    ];
  },
  // Card-present behaviour of the day on a card in loss since before it (its status unchanged since).
  async daily(q, day) {
    const rows = await q.all<{
      person_no: string;
      card_number: string;
      kind: string;
      terminal_id: string;
      region: string;
      at: string;
      status: string;
    }>(
      `SELECT e.person_no, e.card_number, e.kind, e.terminal_id, e.region, e.at, c.status
       FROM card_presence_events e JOIN cards c ON c.card_number = e.card_number
       WHERE e.at >= ? AND e.at < ? AND e.kind <> 'card_event'
         AND c.status IN ('temporarily_lost', 'lost') AND c.status_changed_at <= e.at
       ORDER BY e.at`,
      [day.from, day.to],
    );
    return rows.map((r) => ({
      personNo: r.person_no,
      subject: cardSubject(r.card_number),
      details: { kind: r.kind, status: r.status, terminalId: r.terminal_id, region: r.region, at: r.at },
      dedupKey: `${r.card_number}:${r.at}`,
    }));
  },
};
