import { callAgent, type Refusal, type RestReply } from '../agent-rest.js';
import type { AgentSocket } from '../connection.js';
import type { CardSlot } from '../counter/card-watch.js';
import { CounterController } from '../counter/controller.js';
import { refusalText } from '../counter/problem.js';
import { fill, type Text } from '../i18n.js';
import { keypadDigits } from '../kiosk/keypad.js';
import type {
  DeskBillAnswer,
  DeskDayView,
  DeskPendingView,
  DeskReconciliationView,
  DeskSettlementView,
  KeypadKey,
  Quote,
  Visit,
} from '../protocol.js';
import { parseBill } from './bill.js';
import {
  type DeskState,
  type DeskTab,
  EMPTY_FORM,
  INITIAL,
  type Priced,
  type SettleStep,
  type VisitForm,
} from './state.js';
import { D } from './words.js';

/** The PIN entry is timed by the agent; this only catches an answer that never comes. */
const SETTLE_ANSWER_MS = 180_000;

const DESK_REFUSALS: Partial<Record<string, Text>> = {
  CARD_NOT_OF_VISIT: {
    zh: '读卡器中的卡不是本次就诊的卡',
    en: "The card in the reader is not the visit's card",
  },
  QUOTE_NOT_AT_THIS_DESK: {
    zh: '预结算已失效，请重新预结算',
    en: 'The pre-settlement has lapsed; pre-settle again',
  },
  QUOTE_EXPIRED: { zh: '预结算已过期，请重新预结算', en: 'The pre-settlement expired; pre-settle again' },
  CARD_NOT_ACTIVE: {
    zh: '这张卡不能使用（已挂失或注销）',
    en: 'This card cannot be used (reported lost or cancelled)',
  },
  ITEM_UNKNOWN: { zh: '费用明细中有目录外的项目', en: 'A bill line names an item not in the catalogue' },
  SETTLEMENT_NOT_CANCELLABLE: { zh: '这笔结算不能撤销', en: 'This settlement cannot be cancelled' },
  CANCEL_OTHER_DAY: { zh: '只能撤销当日的结算', en: "Only today's settlements can be cancelled" },
  SETTLEMENT_OUTCOME_PENDING: {
    zh: '社保系统未应答，交易已记录，将自动核实，不会重复扣款',
    en: 'The registry did not answer; the transaction is journalled and will be resolved, never paid twice',
  },
  CARD_NOT_GENUINE: { zh: '卡片检验未通过，不能结算', en: 'The card failed its check; it cannot be settled' },
};

export function deskRefusalText(problem: Refusal): Text {
  return refusalText(problem, DESK_REFUSALS);
}

/**
 * The desk's behaviour: the settlement flow and the day's lists, driven by the clerk's keys and
 * the agent's answers. Every request goes to the agent (REST for the steps, socket.io for the
 * settle, whose PIN entry this page then owns and may cancel); the screens render `flow.state`.
 */
export class DeskController extends CounterController<SettleStep, DeskState> {
  readonly #socket: AgentSocket;
  /** Visits the HIS registered through the agent, by id, for its quotes that follow. */
  readonly #hisVisits = new Map<string, Visit>();
  /** Quotes this page asked for itself: their announcements are not the HIS's. */
  readonly #ownQuotes = new Set<string>();

  constructor(socket: AgentSocket) {
    super(socket, INITIAL);
    this.#socket = socket;
    socket.on('pin-required', (prompt) => {
      const step = this.state.step;
      if (step.name !== 'pin') return;
      this.set({ step: { ...step, prompt, entered: 0, digits: keypadDigits(false) } });
    });
    // The HIS may drive the first steps itself (visit, its bill, pre-settle) through the agent's
    // REST API: the agent announces each to its own page, and the desk takes the quote from there.
    socket.on('settlement-step', (event) => {
      if (event.step === 'visit-registered') this.#rememberVisit(event.visit);
      if (event.step === 'quoted') this.#hisQuoted(event.quote);
    });
    socket.on('pin-progress', (progress) => {
      const step = this.state.step;
      if (step.name !== 'pin' || step.prompt?.entryId !== progress.entryId) return;
      this.set({ step: { ...step, entered: progress.entered } });
    });
  }

  protected cardChanged(card: CardSlot, step: SettleStep['name']): void {
    // A card taken out mid-flow ends the flow (the agent cancels a PIN entry for it itself);
    // a slip already settled stays for printing.
    if (card.state === 'empty' && step !== 'settled' && step !== 'problem') this.go({ name: 'card' });
    if (card.state === 'read' && step === 'card') this.go({ name: 'form', error: undefined });
  }

  #refused(problem: Refusal, back: SettleStep | undefined): void {
    this.go({ name: 'problem', problem, text: deskRefusalText(problem), back });
  }

  // ---- tabs

  openTab(tab: DeskTab): void {
    this.set({ tab, notice: undefined, cancelling: undefined });
    if (tab === 'day') void this.loadDay();
    if (tab === 'pending') void this.loadPending();
    if (tab === 'reconciliation') void this.loadReconciliation();
  }

  // ---- the settlement flow

  editForm(changes: Partial<VisitForm>): void {
    this.set({ form: { ...this.state.form, ...changes } });
  }

  /** Register the visit, send the bill and pre-settle: the slip preview, or what stopped it. */
  async preSettle(): Promise<void> {
    const { form, card } = this.state;
    if (card.state !== 'read') return;
    if (form.hisVisitNo.trim() === '') {
      this.go({ name: 'form', error: D.visitNoMissing });
      return;
    }
    const bill = parseBill(form.billText);
    if (!bill.ok) {
      this.go({
        name: 'form',
        error: 'badLine' in bill ? fill(D.billBad, { n: bill.badLine }) : D.billEmpty,
      });
      return;
    }
    const back: SettleStep = { name: 'form', error: undefined };
    this.go({ name: 'working', what: D.registering });
    const visit = await callAgent<Visit>('POST', '/v1/settlement/visits', {
      reader: card.reader,
      scheme: form.scheme,
      visitType: form.visitType,
      hisVisitNo: form.hisVisitNo.trim(),
    });
    if (!this.#still('working')) return;
    if (!visit.ok) return this.#refused(visit.problem, back);
    this.go({ name: 'working', what: D.uploading });
    const billed = await callAgent<DeskBillAnswer>(
      'POST',
      `/v1/settlement/visits/${encodeURIComponent(visit.result.visitId)}/lines`,
      { lines: bill.lines },
    );
    if (!this.#still('working')) return;
    if (!billed.ok) return this.#refused(billed.problem, back);
    await this.#quote({ visit: visit.result, from: 'desk' }, true, back);
  }

  /** The same visit priced again, with or without the personal account. */
  async useAccount(useAccount: boolean): Promise<void> {
    const step = this.state.step;
    if (step.name !== 'quote' || step.priced.useAccount === useAccount) return;
    await this.#quote(step.priced, useAccount, step);
  }

  async #quote(priced: Pick<Priced, 'visit' | 'from'>, useAccount: boolean, back: SettleStep): Promise<void> {
    this.go({ name: 'working', what: D.quoting });
    const quote = await callAgent<Quote>(
      'POST',
      `/v1/settlement/visits/${encodeURIComponent(priced.visit.visitId)}/pre-settle`,
      { useAccount },
    );
    if (!this.#still('working')) return;
    if (!quote.ok) return this.#refused(quote.problem, back);
    this.#ownQuotes.add(quote.result.quoteId);
    this.go({ name: 'quote', priced: { ...priced, quote: quote.result, useAccount } });
  }

  /** The latest visits only: one whose quote never came is forgotten after a while. */
  #rememberVisit(visit: Visit): void {
    this.#hisVisits.set(visit.visitId, visit);
    for (const id of this.#hisVisits.keys()) {
      if (this.#hisVisits.size <= 20) break;
      this.#hisVisits.delete(id);
    }
  }

  #hisQuoted(quote: Quote): void {
    const visit = this.#hisVisits.get(quote.visitId);
    const step = this.state.step.name;
    if (!visit || this.#ownQuotes.has(quote.quoteId) || (step !== 'card' && step !== 'form')) return;
    this.#hisVisits.delete(quote.visitId);
    this.set({ tab: 'settle' });
    this.go({
      name: 'quote',
      // The HIS's choice of the account is not announced; what the breakdown took from it shows it.
      priced: { visit, quote, useAccount: quote.breakdown.acct_pay > 0, from: 'his' },
    });
  }

  /** The cardholder's PIN on the pad, the card's proof and the settle, through the socket. */
  settle(): void {
    const step = this.state.step;
    if (step.name !== 'quote' || this.state.card.state !== 'read') return;
    const { priced } = step;
    const reader = this.state.card.reader;
    this.go({ name: 'pin', priced, prompt: undefined, entered: 0, digits: [] });
    this.#socket
      .timeout(SETTLE_ANSWER_MS)
      .emit('settle', { quoteId: priced.quote.quoteId, reader }, (error, reply) => {
        if (!this.#still('pin')) return;
        if (error)
          return this.#refused({ code: 'NO_ANSWER', message: '', details: {} }, { name: 'quote', priced });
        if (reply.ok) {
          this.go({ name: 'settled', priced, result: reply.result });
          return;
        }
        // Back to the preview: a wrong PIN leaves the quote good, and from there the clerk can
        // pre-settle again or go back to the visit.
        this.#refused(reply.problem, { name: 'quote', priced });
      });
  }

  pressKey(key: KeypadKey): void {
    if (this.state.step.name === 'pin') this.#socket.emit('pin-key', key);
  }

  cancelPin(): void {
    if (this.state.step.name === 'pin') this.#socket.emit('pin-cancel');
  }

  /** From a problem: back to where it can be put right. */
  back(): void {
    const step = this.state.step;
    if (step.name === 'problem' && step.back) this.go(step.back);
    else if (step.name === 'quote') this.go({ name: 'form', error: undefined });
    else this.next();
  }

  /** The next patient: the form cleared, the card screen (or the form, with a card already read). */
  next(): void {
    this.set({ form: EMPTY_FORM });
    this.go(this.state.card.state === 'read' ? { name: 'form', error: undefined } : { name: 'card' });
  }

  #still(name: SettleStep['name']): boolean {
    return this.state.step.name === name;
  }

  // ---- the day's lists

  async loadDay(): Promise<void> {
    this.set({ day: { state: 'loading' } });
    this.set({ day: fetched(await callAgent<DeskDayView>('GET', '/v1/settlement/day')) });
  }

  askCancel(settlementId: string): void {
    this.set({ cancelling: { settlementId, working: false }, notice: undefined });
  }

  dropCancel(): void {
    this.set({ cancelling: undefined });
  }

  async confirmCancel(): Promise<void> {
    const cancelling = this.state.cancelling;
    if (!cancelling || cancelling.working) return;
    this.set({ cancelling: { ...cancelling, working: true } });
    const answer = await callAgent<DeskSettlementView>('POST', '/v1/settlement/cancel', {
      settlementId: cancelling.settlementId,
    });
    this.set({
      cancelling: undefined,
      notice: answer.ok
        ? fill(D.cancelled, { id: cancelling.settlementId })
        : deskRefusalText(answer.problem),
    });
    await this.loadDay();
  }

  async loadPending(): Promise<void> {
    this.set({ pending: { state: 'loading' } });
    this.set({ pending: fetched(await callAgent<DeskPendingView>('GET', '/v1/settlement/pending')) });
  }

  async loadReconciliation(): Promise<void> {
    this.set({ reconciliation: { state: 'loading' } });
    this.set({
      reconciliation: fetched(
        await callAgent<DeskReconciliationView>('GET', '/v1/settlement/reconciliation'),
      ),
    });
  }
}

function fetched<T>(reply: RestReply<T>) {
  return reply.ok
    ? { state: 'ready' as const, value: reply.result }
    : { state: 'failed' as const, problem: reply.problem };
}
