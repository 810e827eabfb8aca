import { callAgent, type Refusal } from '../agent-rest.js';
import type { AgentSocket } from '../connection.js';
import { CardWatch } from '../counter/card-watch.js';
import { refusalText } from '../counter/problem.js';
import { Flow } from '../flows/flow.js';
import type { Text } from '../i18n.js';
import { parseYuan } from '../money.js';
import type { BankWithdrawalView } from '../protocol.js';
import { type BankState, type BankTab, INITIAL, type WithdrawStep } from './state.js';
import { B } from './words.js';

const BANK_REFUSALS: Partial<Record<string, Text>> = {
  WITHDRAWAL_NO_ANSWER: {
    zh: '发卡方未应答，交易已冲正，未扣款',
    en: 'The issuer did not answer; the transaction was reversed, nothing debited',
  },
};

/**
 * The bank counter: a pension withdrawal from the card account — the amount, the cardholder's
 * bank PIN on the PIN pad (enciphered there; this page only sees the count of keys), the card's
 * online authorisation through the agent, and the result to pay out on.
 */
export class BankController {
  readonly flow = new Flow<BankState>(INITIAL);
  readonly #cards: CardWatch;

  constructor(socket: AgentSocket) {
    this.#cards = new CardWatch(socket, {
      connection: (connection) => this.#set({ connection }),
      readers: (readers) => this.#set({ readers }),
      card: (card) => {
        this.#set({ card });
        const step = this.#state.step.name;
        if (card.state === 'empty' && (step === 'amount' || step === 'card')) this.#go({ name: 'card' });
        if (card.state === 'read' && step === 'card') this.#go({ name: 'amount', error: undefined });
      },
    });
    socket.on('pin-required', (prompt) => {
      const step = this.#state.step;
      if (step.name === 'pin') this.#set({ step: { ...step, prompt, entered: 0 } });
    });
    socket.on('pin-progress', (progress) => {
      const step = this.#state.step;
      if (step.name === 'pin' && step.prompt?.entryId === progress.entryId)
        this.#set({ step: { ...step, entered: progress.entered } });
    });
  }

  get #state(): BankState {
    return this.flow.state;
  }

  #set(changes: Partial<BankState>): void {
    this.flow.update((s) => ({ ...s, ...changes }));
  }

  #go(step: WithdrawStep): void {
    this.#set({ step, shown: this.#state.shown + 1 });
  }

  #refused(problem: Refusal): void {
    this.#go({ name: 'problem', problem, text: refusalText(problem, BANK_REFUSALS) });
  }

  openTab(tab: BankTab): void {
    this.#set({ tab });
  }

  readAgain(): void {
    const card = this.#state.card;
    if (card.state === 'failed' || card.state === 'read') this.#cards.read(card.reader);
  }

  editAmount(amountText: string): void {
    this.#set({ amountText });
  }

  /**
   * The withdrawal: the agent takes the bank PIN on the pad (this page sees the count of keys), the
   * card asks the issuer online, and the card's answer ends it.
   */
  async withdraw(): Promise<void> {
    const { card, step, amountText } = this.#state;
    if (card.state !== 'read' || step.name !== 'amount') return;
    const amount = parseYuan(amountText);
    if (amount === undefined || amount < 1) {
      this.#go({ name: 'amount', error: B.amountBad });
      return;
    }
    this.#go({ name: 'pin', amount, prompt: undefined, entered: 0 });
    const done = await callAgent<BankWithdrawalView>('POST', '/v1/card/debit/withdrawal', {
      reader: card.reader,
      amount,
    });
    if (!this.#still('pin')) return;
    if (!done.ok) return this.#refused(done.problem);
    this.#go({ name: 'result', result: done.result });
  }

  #still(name: WithdrawStep['name']): boolean {
    return this.#state.step.name === name;
  }

  /** The next customer (or the same one again): the amount cleared. */
  next(): void {
    this.#set({ amountText: '' });
    this.#go(this.#state.card.state === 'read' ? { name: 'amount', error: undefined } : { name: 'card' });
  }
}
