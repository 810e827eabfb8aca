import type { Text } from './i18n.js';
import { T } from './i18n.js';
import type { CardInfo, Problem, RegistryReason, RegistryView } from './protocol.js';

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
    // A card that does not answer the reset: most often the wrong way round.
    case 'CardMute':
      return T.cardMute;
    case 'NOT_SSSE_CARD':
      return T.notSocialSecurityCard;
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

/** The registry's refusal reasons in words a card holder understands. */
const REGISTRY_REASONS: Partial<Record<RegistryReason, Text>> = {
  CARD_TEMPORARILY_LOST: { zh: '这张卡已临时挂失', en: 'This card is reported temporarily lost' },
  CARD_LOST: { zh: '这张卡已挂失', en: 'This card is reported lost' },
  CARD_EXPIRED: { zh: '这张卡已过有效期', en: 'This card has expired' },
  CARD_CANCELLED: { zh: '这张卡已注销', en: 'This card has been cancelled' },
  CARD_REPLACED: {
    zh: '这张卡已换发新卡，请使用新卡',
    en: 'This card has been replaced: please use your new card',
  },
  CARD_NOT_ACTIVATED: { zh: '这张卡还没有启用', en: 'This card has not been activated yet' },
  CARD_UNKNOWN: {
    zh: '社保系统中没有这张卡的记录',
    en: 'The social security system has no record of this card',
  },
  CARD_DATA_MISMATCH: {
    zh: '卡内信息与社保系统记录不一致',
    en: "The card's details do not match the social security system's records",
  },
  HOLDER_MISMATCH: {
    zh: '持卡人信息与社保系统记录不一致',
    en: "The holder's details do not match the social security system's records",
  },
};

const REGISTRY_REFUSED: Text = {
  zh: '社保系统没有确认这张卡',
  en: 'The social security system did not confirm this card',
};

/**
 * What the registry said about the card, or undefined when there is nothing to say to the
 * citizen (no registry on this terminal, or the card already failed the terminal's own checks).
 */
export function registryText(registry: RegistryView): Text | undefined {
  switch (registry.status) {
    case 'valid':
      return T.registryValid;
    case 'invalid':
      return REGISTRY_REASONS[registry.reason as RegistryReason] ?? REGISTRY_REFUSED;
    case 'unavailable':
      return T.registryUnavailable;
    case 'skipped':
      return undefined;
  }
}

/**
 * Whether a loss report can be offered for this read: the registry knows the card in force. A
 * report needs the card to answer card-service's challenge, so with card-service out of reach the
 * kiosk sends the citizen to a counter instead of offering what it cannot do.
 */
export function canReportLost(registry: RegistryView): boolean {
  return registry.status === 'valid';
}

/** What a refused loss report means at the kiosk. */
export function lostProblemText(problem: Problem): Text {
  switch (problem.code) {
    case 'ILLEGAL_TRANSITION':
    case 'EVENT_NOT_ALLOWED':
      return T.lostAlready;
    case 'PINPAD_BUSY':
      return T.pinBusy;
    case 'CARD_PRESENCE_UNPROVEN':
    case 'CARD_PRESENCE_REQUIRED':
    case 'CARD_PRESENCE_FAILED':
      return T.lostCardNotConfirmed;
    default:
      return T.lostUnavailable;
  }
}
