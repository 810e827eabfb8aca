import type { Text } from './i18n.js';
import { T } from './i18n.js';
import type { CardInfo, Problem } from './protocol.js';

/**
 * `20301001` → 2030年10月1日 / 2030-10-01. Anything that is not eight digits (the agent's mask
 * `********`, an empty field) is shown exactly as sent: the kiosk never invents a date.
 */
export function formatDate(yyyymmdd: string): Text {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(yyyymmdd);
  if (!m) return { zh: yyyymmdd, en: yyyymmdd };
  const [, y, mo, d] = m as unknown as [string, string, string, string];
  return { zh: `${y}年${Number(mo)}月${Number(d)}日`, en: `${y}-${mo}-${d}` };
}

/** Cards of indefinite validity carry an expiry far in the future (9999…). */
export function formatExpiry(yyyymmdd: string): Text {
  return yyyymmdd.startsWith('9999') ? T.noExpiry : formatDate(yyyymmdd);
}

export function formatValidity(info: CardInfo): Text {
  const from = formatDate(info.issueDate);
  const to = formatExpiry(info.expiryDate);
  return { zh: `${from.zh} 至 ${to.zh}`, en: `${from.en} to ${to.en}` };
}

const GENERATIONS: Record<number, Text> = {
  1: { zh: '第一代社会保障卡', en: 'First-generation card' },
  2: { zh: '第二代社会保障卡', en: 'Second-generation card' },
  3: { zh: '第三代社会保障卡', en: 'Third-generation card' },
};

/** The generation the agent derived from the card's specification version. */
export function formatGeneration(info: CardInfo): Text {
  return (
    GENERATIONS[info.generation] ?? { zh: `规范版本 ${info.specVersion}`, en: `Version ${info.specVersion}` }
  );
}

export function formatGender(gender: string): Text | undefined {
  if (gender === '1') return T.male;
  if (gender === '2') return T.female;
  return undefined;
}

/** The agent's verification check names in words a card holder understands. */
const CHECK_NAMES: Record<string, Text> = {
  'card-authentication': { zh: '卡片真伪认证', en: 'Card authenticity' },
  'validity-period': { zh: '卡片有效期', en: 'Validity period' },
  'holder-data-consistency': { zh: '持卡人信息一致性', en: 'Holder details consistency' },
  'region-consistency': { zh: '发卡地区一致性', en: 'Issuing region consistency' },
  'offline-data-authentication': { zh: '金融功能数据认证', en: 'Bank application data check' },
};

/** An unknown check is named as the agent named it rather than hidden. */
export function checkName(check: string): Text {
  return CHECK_NAMES[check] ?? { zh: check, en: check };
}

/** What a refused card read means for the person at the kiosk. */
export function readProblemText(problem: Problem): Text {
  switch (problem.code) {
    case 'ReaderBusy':
    case 'ReaderAmbiguous':
      return T.readerBusy;
    case 'ServiceUnavailable':
    case 'ReaderGone':
    case 'ReaderNotFound':
      return T.noReader;
    default:
      return T.readFailedHint;
  }
}

/** What a refused PIN operation (a device fault, not a PIN outcome) means at the kiosk. */
export function pinProblemText(problem: Problem): Text {
  switch (problem.code) {
    case 'PINPAD_UNAVAILABLE':
    case 'PINPAD_DISCONNECTED':
      return T.pinUnavailable;
    case 'PINPAD_BUSY':
      return T.pinBusy;
    default:
      return T.somethingWrong;
  }
}
