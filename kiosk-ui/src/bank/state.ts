import type { Refusal } from '../agent-rest.js';
import type { CardSlot } from '../counter/card-watch.js';
import type { Text } from '../i18n.js';
import type { BankWithdrawalView, PinPrompt, ReaderState } from '../protocol.js';

export type BankTab = 'withdraw';

/** The withdrawal, one state per screen: card → amount → bank PIN and authorisation → result. */
export type WithdrawStep =
  | { name: 'card' }
  | { name: 'amount'; error: Text | undefined }
  | { name: 'pin'; amount: number; prompt: PinPrompt | undefined; entered: number }
  | { name: 'result'; result: BankWithdrawalView }
  | { name: 'problem'; problem: Refusal; text: Text };

export interface BankState {
  connection: 'connecting' | 'online' | 'offline';
  readers: ReaderState[];
  card: CardSlot;
  tab: BankTab;
  amountText: string;
  step: WithdrawStep;
  shown: number;
}

export const INITIAL: BankState = {
  connection: 'connecting',
  readers: [],
  card: { state: 'empty' },
  tab: 'withdraw',
  amountText: '',
  step: { name: 'card' },
  shown: 0,
};
