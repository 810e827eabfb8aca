import type { Refusal } from '../agent-rest.js';
import { fill, type Text } from '../i18n.js';
import { C } from './words.js';

/** What a refusal means for the clerk, in words; the code stays beside it for support. */
export function refusalText(problem: Refusal, specific: Partial<Record<string, Text>> = {}): Text {
  const own = specific[problem.code];
  if (own) return own;
  switch (problem.code) {
    case 'AGENT_UNREACHABLE':
    case 'NO_ANSWER':
      return C.noAnswer;
    case 'PIN_WRONG': {
      const left = problem.details.triesLeft;
      return fill(C.pinWrong, { n: typeof left === 'number' ? left : '?' });
    }
    case 'PIN_BLOCKED':
      return C.pinBlocked;
    case 'PIN_CANCELLED':
      return C.pinCancelled;
    case 'PIN_TIMEOUT':
      return C.pinTimeout;
    case 'TERMINAL_TYPE_FORBIDDEN':
      return C.forbidden;
    case 'NoCard':
    case 'CardRemoved':
      return C.cardGone;
    default:
      // The agent's own sentence, in either language: better than nothing, and the code is shown.
      return { zh: problem.message || C.failed.zh, en: problem.message || C.failed.en };
  }
}
