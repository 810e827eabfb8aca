import { maskCardNumber, maskIdNumber, maskName } from '@sscard/card-core';
import type { IdentityCheckRequest } from '@sscard/registry-protocol';
import type { Store } from '../store/store.js';

/**
 * A card read whose number or holder data disagreed with the registry, kept for the data quality
 * list (the registry is the one source of holder data: either the card or the record is wrong).
 * What the card said is kept masked, as the audit log keeps it.
 */
export async function recordReadMismatch(
  store: Store,
  read: {
    cardNumber: string;
    personNo: string;
    reason: string;
    terminalId: string;
    request: IdentityCheckRequest;
    at: string;
  },
): Promise<void> {
  await store.run(
    `INSERT INTO card_read_mismatches (card_number, person_no, reason, terminal_id, read_card_number, read_ssn,
       read_name, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      read.cardNumber,
      read.personNo,
      read.reason,
      read.terminalId,
      maskCardNumber(read.request.cardNumber),
      maskIdNumber(read.request.ssn.toUpperCase()),
      maskName(read.request.name.trim()),
      read.at,
    ],
  );
}
