import {
  CLA,
  CardError,
  INITIAL_PIN,
  INS,
  type NewPinRefusal,
  PIN_MANAGEMENT_OP,
  isInitialPin,
  isTrivialPin,
  wipe,
} from '@sscard/card-core';
import { PinEntryError } from '../pinpad/errors.js';
import { ReaderError } from '../readers/errors.js';
import type { KeypadOutcome } from '../readers/reader-backend.js';
import type { CardSession } from '../session/card-session.js';
import { selectSsse } from './ssse.js';

/** PINs of the social security application: 6 digits, sent as 3 BCD bytes (DESIGN.md §6). */
export const PIN_DIGITS = 6;

/** The PIN issuers set on a new card. */
export { INITIAL_PIN };

/**
 * The terminal's rule for a new PIN, applied before the card sees it (the card accepts any six
 * digits). `refuseInitialPin`: not the initial PIN `123456` (-36, "cannot change to the initial
 * PIN"). `refuseTrivialPin`: not one digit six times (`000000`…`999999`) nor six consecutive
 * digits up or down (`012345`…`456789`, `987654`…`543210`), the PINs issuers hand out as initial
 * PINs and the first ones a finder of the card tries (-35, "initial PIN not allowed").
 */
export interface PinChangePolicy {
  refuseInitialPin: boolean;
  refuseTrivialPin: boolean;
}

export const DEFAULT_PIN_CHANGE_POLICY: Readonly<PinChangePolicy> = {
  refuseInitialPin: true,
  refuseTrivialPin: true,
};

/** Throws the PinEntryError of the rule a new PIN (ASCII digits) breaks; the PIN is never copied into a string. */
export function checkNewPin(digits: Uint8Array, policy: PinChangePolicy = DEFAULT_PIN_CHANGE_POLICY): void {
  if (digits.length !== PIN_DIGITS) return; // the length is pinToBcd's to refuse (-33)
  if (policy.refuseInitialPin && isInitialPin(digits)) throw newPinRefused('initial');
  if (policy.refuseTrivialPin && isTrivialPin(digits)) throw newPinRefused('trivial');
}

/** The PinEntryError of a new PIN the rule refuses: -36 the initial PIN, -35 a trivial one. */
export function newPinRefused(refusal: NewPinRefusal): PinEntryError {
  return refusal === 'initial'
    ? new PinEntryError('PIN_CHANGE_TO_INITIAL', 'the PIN cannot be changed to the initial PIN')
    : new PinEntryError(
        'PIN_INITIAL_NOT_ALLOWED',
        'the new PIN is too easy to guess (one digit repeated, or consecutive digits)',
      );
}

/** What the card said about a PIN, in the terms a citizen needs. */
export type PinStatus = { state: 'ok' } | { state: 'wrong'; triesLeft: number } | { state: 'blocked' };

export interface PinMessage {
  zh: string;
  en: string;
}

/** The sentence a kiosk shows for a PIN outcome, in Chinese and English. */
export function describePinStatus(status: PinStatus): PinMessage {
  switch (status.state) {
    case 'ok':
      return { zh: '密码正确。', en: 'PIN accepted.' };
    case 'wrong':
      return status.triesLeft > 0
        ? {
            zh: `密码错误，还可以再试 ${status.triesLeft} 次。`,
            en: `Wrong PIN. You have ${status.triesLeft} ${status.triesLeft === 1 ? 'try' : 'tries'} left.`,
          }
        : { zh: '密码错误，密码已锁定。', en: 'Wrong PIN. The PIN is now locked.' };
    case 'blocked':
      return {
        zh: '密码已锁定，请携带身份证件到社保经办机构或合作银行网点解锁。',
        en: 'The PIN is locked. Please bring your ID to a social insurance office or partner bank branch to unlock it.',
      };
  }
}

/**
 * ASCII digits (as the PIN pad hands them over) into BCD, written straight into a buffer the
 * caller wipes: no string copy of the PIN ever exists.
 */
export function pinToBcd(digits: Uint8Array): Buffer {
  if (digits.length !== PIN_DIGITS) {
    throw new PinEntryError('PIN_BAD_LENGTH', `a PIN has ${PIN_DIGITS} digits`, { entered: digits.length });
  }
  const out = Buffer.alloc(PIN_DIGITS / 2);
  for (let i = 0; i < PIN_DIGITS; i++) {
    const d = digits[i]! - 0x30;
    if (d < 0 || d > 9) {
      wipe(out);
      throw new PinEntryError('PIN_BAD_LENGTH', 'a PIN has digits only');
    }
    out[i >> 1]! |= i % 2 === 0 ? d << 4 : d;
  }
  return out;
}

/** 63Cx and 6983 are answers about the PIN, not failures of the command. */
function statusOf(sw: number): PinStatus {
  if (sw === 0x9000) return { state: 'ok' };
  if ((sw & 0xfff0) === 0x63c0)
    return sw === 0x63c0 ? { state: 'blocked' } : { state: 'wrong', triesLeft: sw & 0x0f };
  if (sw === 0x6983) return { state: 'blocked' };
  throw new CardError(sw);
}

/** VERIFY `00 20 00 00 03` + PIN BCD. Selects the application first. Wipes its copy of the PIN. */
export async function verifyPin(session: CardSession, digits: Uint8Array): Promise<PinStatus> {
  const bcd = pinToBcd(digits);
  try {
    await selectSsse(session);
    const res = await session.transmit({ cla: CLA.ISO, ins: INS.VERIFY, p1: 0x00, p2: 0x00, data: bcd });
    return statusOf(res.sw);
  } finally {
    wipe(bcd);
  }
}

/**
 * VERIFY with the PIN taken on the reader's own keypad: the agent sends the header, the reader
 * the PIN. Selects the application first. The cardholder's Cancel and the keypad's timeout are
 * PIN entry outcomes (-31, -32), as at a PIN pad.
 */
export async function verifyPinOnKeypad(session: CardSession): Promise<PinStatus> {
  await selectSsse(session);
  return keypadStatus(session, await session.keypadVerify(Buffer.from([CLA.ISO, INS.VERIFY, 0x00, 0x00])));
}

/**
 * CHANGE PIN with all three PINs taken on the reader's keypad: the reader checks the new PIN and
 * its confirmation agree (-34) and the new-PIN rule (-36, -35) before the card sees anything.
 */
export async function changePinOnKeypad(session: CardSession): Promise<PinStatus> {
  await selectSsse(session);
  const header = Buffer.from([CLA.PROPRIETARY, INS.PIN_MANAGEMENT, PIN_MANAGEMENT_OP.change, 0x00]);
  return keypadStatus(session, await session.keypadChange(header));
}

function keypadStatus(session: CardSession, entry: KeypadOutcome): PinStatus {
  if (entry.outcome === 'cancelled')
    throw new PinEntryError('PIN_CANCELLED', 'the cardholder cancelled PIN entry');
  if (entry.outcome === 'timeout') throw new PinEntryError('PIN_TIMEOUT', 'no PIN was entered in time');
  if (entry.outcome === 'badLength') {
    throw new PinEntryError('PIN_BAD_LENGTH', 'the PIN entered on the keypad has the wrong number of digits');
  }
  if (entry.outcome === 'entriesDiffer') {
    throw new PinEntryError('PIN_ENTRIES_DIFFER', 'the new PIN and its confirmation differ');
  }
  if (entry.outcome === 'newPinRefused') throw newPinRefused(entry.refusal);
  if (entry.response.length < 2) {
    throw new ReaderError('CardProtocol', `"${session.reader}" answered without a status word`, {
      reader: session.reader,
    });
  }
  return statusOf(entry.response.readUInt16BE(entry.response.length - 2));
}

/**
 * CHANGE PIN `80 5E 01 00 07` old FF new (sscard convention). A wrong old PIN counts as a failed
 * try on the card, so the answer is the same PinStatus as VERIFY's.
 */
export async function changePin(
  session: CardSession,
  oldDigits: Uint8Array,
  newDigits: Uint8Array,
): Promise<PinStatus> {
  const oldBcd = pinToBcd(oldDigits);
  let newBcd: Buffer | undefined;
  let data: Buffer | undefined;
  try {
    newBcd = pinToBcd(newDigits);
    data = Buffer.concat([oldBcd, Buffer.from([0xff]), newBcd]);
    await selectSsse(session);
    const res = await session.transmit({
      cla: CLA.PROPRIETARY,
      ins: INS.PIN_MANAGEMENT,
      p1: PIN_MANAGEMENT_OP.change,
      p2: 0x00,
      data,
    });
    return statusOf(res.sw);
  } finally {
    wipe(oldBcd);
    wipe(newBcd);
    wipe(data);
  }
}
