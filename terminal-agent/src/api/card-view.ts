import {
  type CardInfo,
  type CardReadView,
  describeReturnCode,
  type LostCardReportView,
  type PinOperation,
  type PinResultView,
  pinOutcomeOf,
  type RegistryView,
  type VerificationView,
} from '@sscard/agent-protocol';
import {
  formatReadCardBas,
  maskCardIdCode,
  maskCardNumber,
  maskIdNumber,
  maskName,
  parseReadCardBas,
} from '@sscard/card-core';
import type { RegistryCheckResult } from '../registry/index.js';

/**
 * The JSON the local API answers with and pushes to its UIs (agent-protocol's views), built from
 * the card layer's own types so that a change inside the agent does not silently change what
 * integrators receive: a field the views lack fails this module's type check.
 */
export type { CardReadView, LostCardReportView, PinResultView, RegistryView, VerificationView };

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

export function maskInfo<Info extends CardInfo>(info: Info): Info {
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
    outcome: pinOutcomeOf(result.code),
    code: result.code,
    ok: result.code === 0,
    message: capitalised(result.message ?? describeReturnCode(result.code)),
  };
  if (result.triesLeft !== undefined) view.triesLeft = result.triesLeft;
  return view;
}
