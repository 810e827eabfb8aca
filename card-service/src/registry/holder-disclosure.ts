import { maskBirthDate, maskIdNumber, maskName } from '@sscard/card-core';
import type { HolderRecord } from './holders.js';
import type { HistoryEntry, Holder } from './model.js';

/**
 * What of a holder an operator sees. Who may change the registry (`registry:write`, or admin) sees
 * names, ID numbers and birth dates whole; who may only read it sees them masked on every route
 * that answers with them: the search (`holder-search.ts`), and the record and its history, masked
 * here before they leave. Each answer says `masked`, so a screen can tell the operator why.
 */

const MASKS: Readonly<Record<string, (value: string) => string>> = {
  name: maskName,
  idNumber: maskIdNumber,
  birthDate: maskBirthDate,
};

export function maskedHolder(holder: Holder): Holder {
  return {
    ...holder,
    name: maskName(holder.name),
    idNumber: maskIdNumber(holder.idNumber),
    birthDate: maskBirthDate(holder.birthDate),
  };
}

export function disclosedRecord(record: HolderRecord, reveal: boolean): HolderRecord & { masked: boolean } {
  return reveal
    ? { ...record, masked: false }
    : { ...record, holder: maskedHolder(record.holder), masked: true };
}

/** A history entry's changes carry a holder's fields as a value (`create`) or a `[before, after]` pair (`update`). */
function maskedChange(value: unknown, mask: (value: string) => string): unknown {
  if (typeof value === 'string') return mask(value);
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' ? mask(v) : v));
  return value;
}

export function disclosedHistory(
  history: HistoryEntry[],
  reveal: boolean,
): { history: HistoryEntry[]; masked: boolean } {
  if (reveal) return { history, masked: false };
  return {
    history: history.map((e) => ({
      ...e,
      changes: Object.fromEntries(
        Object.entries(e.changes).map(([field, value]) => {
          const mask = MASKS[field];
          return [field, mask ? maskedChange(value, mask) : value];
        }),
      ),
    })),
    masked: true,
  };
}
