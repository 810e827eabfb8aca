import { callAgent, type Refusal } from '../agent-rest.js';
import type { AgentSocket } from '../connection.js';
import type { CardSlot } from '../counter/card-watch.js';
import { CounterController } from '../counter/controller.js';
import { refusalText } from '../counter/problem.js';
import type { Text } from '../i18n.js';
import type { ClerkView, PinAuthorisationView, PinManagementView } from '../protocol.js';
import { CLERK_IDLE_MS, watchIdle } from './clerk-idle.js';
import { type BureauState, type BureauStep, type BureauTab, INITIAL } from './state.js';
import { BUREAU_REFUSALS, U } from './words.js';

const ID_NUMBER = /^[0-9]{17}[0-9X]$/;

/** The ministry codes a PIN command ends with at the counter, in words; others show their number. */
const PIN_COMMAND_CODES: Partial<Record<number, Text>> = {
  [-2205]: U.notAuthorised,
  [-2]: { zh: '读卡器中没有卡', en: 'No card in the reader' },
  [-4]: { zh: '卡片无应答，请重新插卡', en: 'The card does not answer; insert it again' },
  [-12]: { zh: '操作中断，请重新办理', en: 'The operation was interrupted; start again' },
  [-21]: { zh: '卡片未通过认证，不能办理', en: 'The card failed authentication: not done' },
  [-22]: { zh: '读卡器中的卡不是授权的那张卡', en: 'The card in the reader is not the one authorised' },
};

/**
 * The bureau counter: a clerk, signed in with their operator token, unblocks a locked PIN or
 * resets a forgotten one for the cardholder before them. Each operation is authorised at
 * card-service for this card, after the clerk has checked the cardholder's identity document,
 * and done at once (the counter's PSAM or card-service's HSM makes the command's MAC). The token
 * stays in this controller, in memory, until the clerk signs out or the page closes.
 */
export class BureauController extends CounterController<BureauStep, BureauState> {
  readonly #idleMs: number;
  #token: string | undefined;
  /** Ends the watch for the signed-in clerk's inactivity. */
  #stopIdle: (() => void) | undefined;

  constructor(socket: AgentSocket, options: { clerkIdleMs?: number } = {}) {
    super(socket, INITIAL);
    this.#idleMs = options.clerkIdleMs ?? CLERK_IDLE_MS;
  }

  protected cardChanged(card: CardSlot, step: BureauStep['name']): void {
    // A card taken out ends what was only begun; an outcome already shown stays for the clerk.
    if (card.state !== 'read' && step === 'identity') this.go({ name: 'card' });
    if (card.state === 'read' && step === 'card') this.go({ name: 'identity', error: undefined });
  }

  #refused(problem: Refusal): void {
    this.go({ name: 'problem', problem, text: refusalText(problem, BUREAU_REFUSALS) });
  }

  /** The screen a signed-in clerk starts a customer on. */
  #start(): BureauStep {
    return this.state.card.state === 'read' ? { name: 'identity', error: undefined } : { name: 'card' };
  }

  async signIn(token: string): Promise<void> {
    if (this.state.step.name !== 'sign-in') return;
    const clerkToken = token.trim();
    if (!clerkToken) {
      this.go({ name: 'sign-in', error: U.tokenMissing });
      return;
    }
    const reply = await callAgent<ClerkView>('POST', '/v1/bureau/clerk', { clerkToken });
    if (this.state.step.name !== 'sign-in') return;
    if (!reply.ok) {
      this.go({ name: 'sign-in', error: refusalText(reply.problem, BUREAU_REFUSALS) });
      return;
    }
    this.#token = clerkToken;
    this.set({ clerk: reply.result, idNumberText: '' });
    this.go(this.#start());
    this.#stopIdle?.();
    this.#stopIdle = watchIdle(this.#idleMs, () => this.#idle());
  }

  signOut(notice?: Text): void {
    if (this.state.step.name === 'working') return;
    this.#stopIdle?.();
    this.#stopIdle = undefined;
    this.#token = undefined;
    this.set({ clerk: undefined, idNumberText: '' });
    this.go({ name: 'sign-in', error: notice });
  }

  /** The clerk left the counter signed in: signed out, unless an operation is under way. */
  #idle(): void {
    if (this.state.step.name === 'working') {
      this.#stopIdle = watchIdle(this.#idleMs, () => this.#idle());
      return;
    }
    this.signOut(U.signedOutIdle);
  }

  openTab(tab: BureauTab): void {
    if (this.state.step.name === 'working') return;
    this.set({ tab, idNumberText: '' });
    if (this.#token !== undefined) this.go(this.#start());
  }

  editIdNumber(idNumberText: string): void {
    this.set({ idNumberText });
  }

  /**
   * The clerk has checked the cardholder's identity document: card-service authorises this one
   * operation for the card in the reader, and the counter does it at once.
   */
  async authoriseAndDo(): Promise<void> {
    const { card, step, tab, idNumberText } = this.state;
    const clerkToken = this.#token;
    if (card.state !== 'read' || step.name !== 'identity' || clerkToken === undefined) return;
    const holderIdNumber = idNumberText.trim().toUpperCase();
    if (!ID_NUMBER.test(holderIdNumber)) {
      this.go({ name: 'identity', error: U.idBad });
      return;
    }
    this.go({ name: 'working' });
    const granted = await callAgent<PinAuthorisationView>('POST', '/v1/bureau/pin-authorisation', {
      reader: card.reader,
      operation: tab,
      clerkToken,
      holderIdNumber,
    });
    if (!granted.ok) return this.#refused(granted.problem);
    const done = await callAgent<PinManagementView>('POST', '/v1/bureau/pin-management', {
      reader: card.reader,
      operation: tab,
    });
    if (!done.ok) return this.#refused(done.problem);
    this.set({ idNumberText: '' });
    if (done.result.ok) {
      this.go({ name: 'done', authorisation: granted.result, at: new Date().toISOString() });
    } else {
      const code = done.result.code;
      this.go({
        name: 'not-done',
        code,
        text: PIN_COMMAND_CODES[code] ?? { zh: `未能办理（代码 ${code}）`, en: `Not done (code ${code})` },
      });
    }
  }

  /** The next customer, or another try: the function's first screen. */
  next(): void {
    if (this.#token === undefined) return;
    this.set({ idNumberText: '' });
    this.go(this.#start());
  }
}
