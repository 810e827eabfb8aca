import { maskIdNumber, maskName } from '@sscard/card-core';
import type { CardStatus, HolderFound } from '@sscard/registry-protocol';
import { type Queryable, inJsonArray } from '../store/store.js';

/**
 * Finds holders by one exact key, whichever it is: a citizen ID number, a person number, a card
 * number or a full name; each is an index lookup. `reveal`: the caller may see names and ID
 * numbers whole (it may change the registry); otherwise they are masked here, before they leave.
 */
export async function searchHolders(
  q: Queryable,
  text: string,
  limit: number,
  reveal: boolean,
): Promise<HolderFound[]> {
  const key = text.trim();
  const rows = await q.all<{ person_no: string; id_number: string; name: string; region: string }>(
    `SELECT person_no, id_number, name, region FROM holders
     WHERE id_number = ? OR person_no = ? OR name = ?
        OR person_no IN (SELECT person_no FROM cards WHERE card_number = ?)
     ORDER BY person_no LIMIT ?`,
    [key.toUpperCase(), key, key, key.toUpperCase(), limit],
  );
  if (rows.length === 0) return [];
  const cards = await q.all<{ person_no: string; card_number: string; status: CardStatus }>(
    `SELECT person_no, card_number, status FROM cards WHERE ${inJsonArray(q.dialect, 'person_no')}
     ORDER BY created_at, card_number`,
    [JSON.stringify(rows.map((r) => r.person_no))],
  );
  return rows.map((r) => ({
    personNo: r.person_no,
    name: reveal ? r.name : maskName(r.name),
    idNumber: reveal ? r.id_number : maskIdNumber(r.id_number),
    region: r.region,
    masked: !reveal,
    cards: cards
      .filter((c) => c.person_no === r.person_no)
      .map((c) => ({ cardNumber: c.card_number, status: c.status })),
  }));
}
