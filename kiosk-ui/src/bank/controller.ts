import { callAgent, type Refusal } from '../agent-rest.js';
import type { AgentSocket } from '../connection.js';
import type { CardSlot } from '../counter/card-watch.js';
import { CounterController } from '../counter/controller.js';
import { refusalText } from '../counter/problem.js';
import type { Text } from '../i18n.js';
import { parseYuan } from '../money.js';
import type { BankBalanceView, BankWithdrawalView } from '../protocol.js';
import { type BankState, type BankStep, type BankTab, INITIAL, type PinService } from './state.js';
import { B } from './words.js';

/** A PIN entry is timed by the agent; this only catches an answer that never comes. */
const PIN_SERVICE_ANSWER_MS = 180_000;

const BANK_REFUSALS: Partial<Record<string, Text>> = {
  WITHDRAWAL_NO_ANSWER: {
    zh: '发卡方未应答，交易已冲正，未扣款',
    en: 'The issuer did not answer; the transaction was reversed, nothing debited',
  },
  PENSION_NOT_FOUND: { zh: '持卡人没有养老金待遇', en: 'The cardholder has no pension' },
  CARD_NOT_ACTIVE: {
    zh: '这张卡不能使用（已挂失或注销）',
    en: 'This card cannot be used (reported lost or cancelled)',
  },
};

/** Where a function starts once the card is read. */
function startOf(tab: BankTab): BankStep {
  return tab === 'withdraw' ? { name: 'amount', error: undefined } : { name: 'ask-pin', service: tab };
}

/**
 * The bank counter: the pension withdrawal from the card account (the amount, the cardholder's
 * bank PIN on the PIN pad — enciphered there, this page sees only the count of keys — and the
 * card's online authorisation), the card account's balance, and the annual pension certification
 * (both on the card's own social security PIN, typed on the pad).
 */
export class BankController extends CounterController<BankStep, BankState> {
  readonly #socket: AgentSocket;

  constructor(socket: AgentSocket) {
    super(socket, INITIAL);
    this.#socket = socket;
    socket.on('pin-required', (prompt) => {
      const step = this.state.step;
      if (step.name === 'pin' || step.name === 'service-pin')
        this.set({ step: { ...step, prompt, entered: 0 } });
    });
    socket.on('pin-progress', (progress) => {
      const step = this.state.step;
      if ((step.name === 'pin' || step.name === 'service-pin') && step.prompt?.entryId === progress.entryId)
        this.set({ step: { ...step, entered: progress.entered } });
    });
  }

  protected cardChanged(card: CardSlot, step: BankStep['name']): void {
    // A card taken out ends what was only begun; an answer already given stays for the teller.
    if (card.state === 'empty' && (step === 'amount' || step === 'ask-pin')) this.go({ name: 'card' });
    if (card.state === 'read' && step === 'card') this.go(startOf(this.state.tab));
  }

  #refused(problem: Refusal): void {
    this.go({ name: 'problem', problem, text: refusalText(problem, BANK_REFUSALS) });
  }

  #still(name: BankStep['name']): boolean {
    return this.state.step.name === name;
  }

  /** Another function: not while a PIN is being typed (the pad is the cardholder's until it ends). */
  openTab(tab: BankTab): void {
    const step = this.state.step.name;
    if (step === 'pin' || step === 'balance-pin' || step === 'service-pin') return;
    this.set({ tab, amountText: '' });
    this.go(this.state.card.state === 'read' ? startOf(tab) : { name: 'card' });
  }

  editAmount(amountText: string): void {
    this.set({ amountText });
  }

  /**
   * The withdrawal: the agent takes the bank PIN on the pad, the card asks the issuer online, and
   * the card's answer ends it.
   */
  async withdraw(): Promise<void> {
    const { card, step, amountText } = this.state;
    if (card.state !== 'read' || step.name !== 'amount') return;
    const amount = parseYuan(amountText);
    if (amount === undefined || amount < 1) {
      this.go({ name: 'amount', error: B.amountBad });
      return;
    }
    this.go({ name: 'pin', amount, prompt: undefined, entered: 0 });
    const done = await callAgent<BankWithdrawalView>('POST', '/v1/card/debit/withdrawal', {
      reader: card.reader,
      amount,
    });
    if (!this.#still('pin')) return;
    if (!done.ok) return this.#refused(done.problem);
    this.go({ name: 'result', result: done.result });
  }

  /**
   * The balance: the account holder types the bank PIN on the pad, as for a withdrawal, and the
   * card's enquiry goes online with it. The certification: the cardholder types the card's social
   * security PIN, the card proves itself to card-service, and the service answers — over the
   * socket, so that this page owns that PIN entry and may end it.
   */
  askPin(): void {
    const { card, step } = this.state;
    if (card.state !== 'read' || step.name !== 'ask-pin') return;
    const { service } = step;
    if (service === 'balance') {
      void this.#enquire(card.reader);
      return;
    }
    this.go({ name: 'service-pin', service, prompt: undefined, entered: 0 });
    const socket = this.#socket.timeout(PIN_SERVICE_ANSWER_MS);
    const noAnswer: Refusal = { code: 'NO_ANSWER', message: '', details: {} };
    socket.emit('certify-pension', { reader: card.reader }, (error, reply) => {
      if (!this.#still('service-pin')) return;
      if (error) return this.#refused(noAnswer);
      if (!reply.ok) return this.#refused(reply.problem);
      const { pin, certification } = reply.result;
      this.go(certification ? { name: 'certified', certification } : { name: 'pin-refused', service, pin });
    });
  }

  async #enquire(reader: string): Promise<void> {
    this.go({ name: 'balance-pin' });
    const done = await callAgent<BankBalanceView>('POST', '/v1/card/debit/balance', { reader });
    if (!this.#still('balance-pin')) return;
    if (!done.ok) return this.#refused(done.problem);
    const { result } = done;
    this.go(
      result.status === 'shown' && result.statement
        ? { name: 'statement', statement: result.statement }
        : { name: 'balance-declined', result },
    );
  }

  cancelPin(): void {
    if (this.#still('service-pin')) this.#socket.emit('pin-cancel');
  }

  /** The same function again (the next customer, or another try): its first screen. */
  next(): void {
    this.set({ amountText: '' });
    this.go(this.state.card.state === 'read' ? startOf(this.state.tab) : { name: 'card' });
  }

  /** A refused PIN: ask for it again. */
  retry(service: PinService): void {
    if (this.state.card.state !== 'read') {
      this.next();
      return;
    }
    this.go({ name: 'ask-pin', service });
    this.askPin();
  }
}
