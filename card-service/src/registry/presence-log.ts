import type { pension } from '@sscard/registry-protocol';
import type { Queryable } from '../store/store.js';

/**
 * Behaviour with the card present: a medical settlement, a card event at a terminal, an identity
 * check that carried a card-present proof, each with the terminal's region and the time. Pension
 * certification counts them as signs of life ("silent" certification), and the risk rules read
 * where and when a card was used.
 */
export type PresenceKind = pension.PresenceKind;

export interface PresenceEvent {
  personNo: string;
  cardNumber: string;
  kind: PresenceKind;
  terminalId: string;
  region: string;
  at: string;
}

export async function recordPresence(q: Queryable, e: PresenceEvent): Promise<void> {
  await q.run(
    'INSERT INTO card_presence_events (person_no, card_number, kind, terminal_id, region, at) VALUES (?, ?, ?, ?, ?, ?)',
    [e.personNo, e.cardNumber, e.kind, e.terminalId, e.region, e.at],
  );
}
