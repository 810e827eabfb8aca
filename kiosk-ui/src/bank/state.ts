import type { Refusal } from '../agent-rest.js';
import { COUNTER_START, type CounterState } from '../counter/state.js';
import type { Text } from '../i18n.js';
import type {
  BankBalanceView,
  BankWithdrawalView,
  PensionCertificationView,
  PensionStatementView,
  PinPrompt,
  PinResultView,
} from '../protocol.js';

/** F1 the pension withdrawal, F2 the card account's balance, F3 the annual certification. */
export type BankTab = 'withdraw' | 'balance' | 'certify';

/**
 * The services that start at the teller's Enter: the balance (on the bank PIN, as a withdrawal)
 * and the certification (on the card's social security PIN).
 */
export type PinService = 'balance' | 'certify';

/**
 * The counter's screens, one state each: card, then per function — the withdrawal's amount, bank
 * PIN and result; the balance's bank PIN and statement or decline; the certification's PIN (the
 * card's own) and answer.
 */
export type BankStep =
  | { name: 'card' }
  | { name: 'amount'; error: Text | undefined }
  | { name: 'pin'; amount: number; prompt: PinPrompt | undefined; entered: number }
  | { name: 'result'; result: BankWithdrawalView }
  | { name: 'ask-pin'; service: PinService }
  | { name: 'service-pin'; service: PinService; prompt: PinPrompt | undefined; entered: number }
  | { name: 'balance-pin' }
  | { name: 'balance-declined'; result: BankBalanceView }
  | { name: 'statement'; statement: PensionStatementView }
  | { name: 'certified'; certification: PensionCertificationView }
  | { name: 'pin-refused'; service: PinService; pin: PinResultView }
  | { name: 'problem'; problem: Refusal; text: Text };

export interface BankState extends CounterState<BankStep> {
  tab: BankTab;
  amountText: string;
}

export const INITIAL: BankState = {
  ...COUNTER_START,
  tab: 'withdraw',
  amountText: '',
  step: { name: 'card' },
};
