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
}

export type VerificationView = VerificationReport;

export interface PinResultView {
  operation: PinOperation;
  /** Ministry return code: 0, -31…-36 from the PIN pad, -51 wrong PIN, -52 locked, or a status word. */
  code: number;
  ok: boolean;
  /** Tries left after a wrong PIN, when the card said. */
  triesLeft?: number;
  message: { zh: string; en: string };
}

const MASKED_DATE = '********';

export function maskInfo(info: SsseCardInfo): SsseCardInfo {
  const masked: SsseCardInfo = {
    ...info,
    ssn: info.ssn ? maskIdNumber(info.ssn) : '',
    name: info.name ? maskName(info.name) : '',
    cardNumber: info.cardNumber ? maskCardNumber(info.cardNumber) : '',
    cardIdCode: info.cardIdCode ? maskCardIdCode(info.cardIdCode) : '',
    birthDate: info.birthDate ? MASKED_DATE : '',
  };
  if (info.nameExt) masked.nameExt = '*'.repeat(Array.from(info.nameExt).length);
  return masked;
}

/** Masks the personal fields of an iReadCardBas string, keeping its framing. */
export function maskReadCardBas(output: string): string {
  if (output === '') return output;
  const fields = parseReadCardBas(output);
  return formatReadCardBas({
    ...fields,
    ssn: fields.ssn ? maskIdNumber(fields.ssn) : '',
    name: fields.name ? maskName(fields.name) : '',
    cardNumber: fields.cardNumber ? maskCardNumber(fields.cardNumber) : '',
    cardIdCode: fields.cardIdCode ? maskCardIdCode(fields.cardIdCode) : '',
  });
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
    message: result.message ?? describeReadCardBasCode(result.code),
  };
  if (result.triesLeft !== undefined) view.triesLeft = result.triesLeft;
  return view;
}
