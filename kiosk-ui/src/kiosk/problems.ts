import { T, type Text } from '../i18n.js';
import type { Problem } from '../protocol.js';
import { W } from './words.js';

/** What a refused service (summary, certification) means for the citizen, and what to do next. */
export function serviceProblemText(problem: Problem): Text {
  switch (problem.code) {
    case 'CARD_PRESENCE_UNPROVEN':
    case 'CARD_PRESENCE_FAILED':
    case 'PIN_NOT_VERIFIED':
      return W.cardNotConfirmed;
    case 'PINPAD_UNAVAILABLE':
    case 'PINPAD_DISCONNECTED':
      return T.pinUnavailable;
    case 'PINPAD_BUSY':
      return T.pinBusy;
    case 'CardMute':
      return T.cardMute;
    case 'NOT_SSSE_CARD':
      return T.notSocialSecurityCard;
    default:
      return W.serviceUnavailable;
  }
}

/** "Go to counter 3", or to any staff counter where the hall has not named one. */
export function counterText(counter: string | undefined): Text {
  if (!counter) return W.goToAnyCounter;
  return {
    zh: W.goToCounter.zh.replace('{counter}', counter),
    en: W.goToCounter.en.replace('{counter}', counter),
  };
}
