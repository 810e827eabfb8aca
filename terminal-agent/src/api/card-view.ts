import {
  describeReadCardBasCode,
  formatReadCardBas,
  maskCardIdCode,
  maskCardNumber,
  maskIdNumber,
  maskName,
  parseReadCardBas,
} from '@sscard/card-core';
import type { SsseCardInfo } from '../apps/ssse.js';
import type { RegistryCheckResult, RegistryCheckStatus } from '../registry/index.js';
import type { VerificationReport } from '../verification/types.js';
import type { PinOperation } from './pin-flow.js';

/**
 * The JSON the local API answers with and pushes to its UIs. These are the API's contract, kept
 * apart from the card layer's own types so that a change inside the agent does not silently
 * change what integrators receive.
 */

export interface CardReadView {
  reader: string;
  /** ATR, upper-case hex. */
  atr: string;
  /** The card's fields; the holder's are empty strings when the card did not release them. */
  info: SsseCardInfo;
  /** The checks that ran on the card; null when the read did not verify. */
  verification: VerificationView | null;
  /** The same read as the ministry interface's `iReadCardBas` output. */
  readCardBas: string;
  apduCount: number;
  /** True when the ID number, name, card number and card id code were masked for this terminal. */
  masked: boolean;
  /** What card-service says about the card (whether it is in force, whose, what it covers). */
  registry: RegistryView;
}

/**
 * The registry check of a read. `valid`: known and in force; `invalid`: refused, `reason` is the
 * service's code (`CARD_TEMPORARILY_LOST`, `CARD_EXPIRED`, `HOLDER_MISMATCH`…); `skipped`: not
 * asked (no service configured, card not genuine, holder data not released); `unavailable`: asked
 * but no verdict (service unreachable, terminal revoked). The holder is always masked.
 */
export interface RegistryView {
  status: RegistryCheckStatus;
  reason?: string;
  /** A sentence for the operator; never personal data. */
  message: string;
  checkedAt?: string;
  /** True when the service verified a fresh cryptogram of the card with the check. */
  cardPresent: boolean;
  card?: {
    cardNumber: string;
    status: string;
    expiryDate: string;
    temporary: boolean;
  };
  holder?: { name: string; idNumber: string; gender: string; region: string };
  coverage?: {
    schemeCode: string;
    schemeName: string | null;
    insuredRegion: string;
    status: string;
    startDate: string;
    pauseDate: string | null;
  }[];
}

/** The outcome of a lost-card report made at this terminal. */
export type LostCardReportView =
  | {
      /** card-service recorded the temporary loss. */
      status: 'reported';
      cardNumber: string;
      /** The card's state as the service answered: `temporarily_lost`. */
      cardStatus: string;
      /** When the loss lifts itself unless the holder reports a formal loss first. */
      temporaryLossUntil: string | null;
      reportedAt: string;
      /** The journal key: what an operator looks up in the service's audit log. */
      reference: string;
    }
  | {
      /** The service did not answer; the journalled report is delivered when it does. */
      status: 'queued';
      cardNumber: string;
      reference: string;
    };

export type VerificationView = VerificationReport;

export interface PinResultView {
  operation: PinOperation;
  /** Ministry return code: 0, -31…-36 from the PIN pad, -51 wrong PIN, -52 locked, or a status word. */
  code: number;
  ok: boolean;
  /** Tries left after a wrong PIN, when the card said. */
  triesLeft?: number;
  /** The outcome in words, each language starting with a capital so that a UI can show it as a heading. */
  message: { zh: string; en: string };
}

const MASKED_DATE = '********';

/** The identifiers a card read and its `iReadCardBas` string share; an empty field stays empty. */
interface Identifiers {
  ssn: string;
  name: string;
  cardNumber: string;
  cardIdCode: string;
}

function maskIdentifiers<T extends Identifiers>(fields: T): T {
  return {
    ...fields,
    ssn: maskIdNumber(fields.ssn),
    name: maskName(fields.name),
    cardNumber: maskCardNumber(fields.cardNumber),
    cardIdCode: maskCardIdCode(fields.cardIdCode),
  };
}

export function maskInfo(info: SsseCardInfo): SsseCardInfo {
  const masked = maskIdentifiers(info);
  masked.birthDate = info.birthDate ? MASKED_DATE : '';
  if (info.nameExt) masked.nameExt = '*'.repeat(Array.from(info.nameExt).length);
  return masked;
}

/** Masks the personal fields of an iReadCardBas string, keeping its framing. */
export function maskReadCardBas(output: string): string {
  if (output === '') return output;
  return formatReadCardBas(maskIdentifiers(parseReadCardBas(output)));
}

export function registryView(result: RegistryCheckResult, reveal: boolean): RegistryView {
  const view: RegistryView = {
    status: result.status,
    message: result.message,
    cardPresent: result.cardPresent,
  };
  if (result.reason) view.reason = result.reason;
  if (result.checkedAt) view.checkedAt = result.checkedAt;
  if (result.card) {
    const { cardNumber, status, expiryDate, temporary } = result.card;
    view.card = {
      cardNumber: reveal ? cardNumber : maskCardNumber(cardNumber),
      status,
      expiryDate,
      temporary,
    };
  }
  if (result.holder) {
    // The check masks the holder whatever the terminal; masking again keeps this view safe on its own.
    view.holder = {
      ...result.holder,
      name: maskName(result.holder.name),
      idNumber: maskIdNumber(result.holder.idNumber),
    };
  }
  if (result.coverage) view.coverage = result.coverage.map((c) => ({ ...c }));
  return view;
}

/** Sentences meant for a heading start with a capital, whichever layer wrote them. */
function capitalised(message: { zh: string; en: string }): { zh: string; en: string } {
  return { zh: message.zh, en: message.en.charAt(0).toUpperCase() + message.en.slice(1) };
}

export function pinResultView(result: {
  operation: PinOperation;
  code: number;
  triesLeft?: number | undefined;
  /** The card layer's sentence for the outcome; the ministry code's meaning when absent. */
  message?: { zh: string; en: string } | undefined;
}): PinResultView {
  const view: PinResultView = {
    operation: result.operation,
    code: result.code,
    ok: result.code === 0,
    message: capitalised(result.message ?? describeReadCardBasCode(result.code)),
  };
  if (result.triesLeft !== undefined) view.triesLeft = result.triesLeft;
  return view;
}
