import { maskCardNumber, maskIdNumber } from '@sscard/card-core';
import type { Holder } from './model.js';

/** How a card and a holder are named in the audit log: masked, so the log never holds a full number. */
export const cardSubject = (cardNumber: string): string => `card ${maskCardNumber(cardNumber)}`;

export const holderSubject = (h: Pick<Holder, 'idNumber' | 'personNo'>): string =>
  `holder ${h.personNo} ${maskIdNumber(h.idNumber)}`;
