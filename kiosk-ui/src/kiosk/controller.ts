import type { AgentSocket } from '../connection.js';
import { Flow } from '../flows/flow.js';
import { lostProblemText, pinProblemText, readProblemText } from '../format.js';
import { T } from '../i18n.js';
import type { Language } from '../i18n.js';
import { Inactivity, type InactivityDelays } from '../inactivity.js';
import type { CardReadView, KeypadKey, PinResultView, Problem, ReaderState } from '../protocol.js';
import { DEFAULT_DISPLAY, type PromptName, Prompts } from './display.js';
import { keypadDigits } from './keypad.js';
import { serviceProblemText } from './problems.js';
import { userReaders } from './readers.js';
import { INITIAL, type KioskState, type Service, type View, type Visit, WATCHED } from './state.js';
import { W } from './words.js';

/** A card read on a real reader takes well under a second; this only catches a lost answer. */
const READ_ANSWER_MS = 30_000;
/** A loss report reads the card and waits for card-service (its deadline is 15 s per attempt). */
const REPORT_ANSWER_MS = 60_000;
/** A service waits for the PIN (the agent times the entry, two minutes at a kiosk), then card-service. */
const SERVICE_ANSWER_MS = 240_000;

export interface KioskOptions {
  socket: AgentSocket;
  language: Language;
  shuffleKeypad: boolean;
  /** When to ask "Do you need more time?" and when to give up (default two minutes, then one). */
  inactivity?: InactivityDelays;
  /** The staff counter a citizen is sent to (`?counter=3`), when the hall names one. */
  counter?: string | undefined;
}

const gone = (problem: Problem): boolean => problem.code === 'NoCard' || problem.code === 'CardRemoved';

/**
 * The kiosk's behaviour: which screen shows, driven by the agent's events and the citizen's
 * actions. The agent's reader list is the truth about cards; the insert and remove events are
 * prompts to look at it sooner. The screens render `flow.state` and call the actions below.
 */
export class KioskController {
  readonly flow = new Flow<KioskState>(INITIAL);
  readonly #o: KioskOptions;
  readonly #inactivity: Inactivity;
  #visits = 0;
  /** The service whose PIN entry or answer is awaited: its PIN outcome comes with its answer. */
  #pending: Service | undefined;
  readonly #prompts = new Prompts();

  constructor(options: KioskOptions) {
    this.#o = options;
    this.#inactivity = new Inactivity(
      {
        onAsk: () => this.#show({ name: 'more-time', resume: this.#state.view }),
        onGiveUp: () => this.finish(),
      },
      options.inactivity,
    );
    this.#listen(options.socket);
  }

  get counter(): string | undefined {
    return this.#o.counter;
  }

  get #state(): KioskState {
    return this.flow.state;
  }

  get #visit(): Visit | undefined {
    return this.#state.visit;
  }

  #set(changes: Partial<KioskState>): void {
    this.flow.update((s) => ({ ...s, ...changes }));
  }

  #patchVisit(changes: Partial<Visit>): void {
    const visit = this.#visit;
    if (visit) this.#set({ visit: { ...visit, ...changes } });
  }

  /** Whether `visit` is still the one in the reader (an answer may arrive after it ended). */
  #current(visit: Visit): boolean {
    return this.#visit?.id === visit.id;
  }

  #listen(socket: AgentSocket): void {
    socket.on('connect', () => {
      this.#set({ connection: 'online' });
      this.#show({ name: 'idle' });
    });
    socket.on('disconnect', () => this.#lostAgent());
    socket.on('connect_error', () => this.#lostAgent());

    socket.on('readers', (readers) => this.#reconcile(readers));
    socket.on('card-inserted', (event) => {
      if ((event.role === 'user' || event.role === 'contactless') && !this.#visit)
        this.#startRead(event.reader);
    });
    socket.on('card-removed', (event) => {
      if (this.#visit?.reader === event.reader) this.#endVisit();
    });
    socket.on('card-read', (card) => this.#cardRead(card));
    socket.on('pin-required', (prompt) => {
      if (this.#state.connection !== 'online') return;
      const digits = keypadDigits(this.#o.shuffleKeypad);
      this.#show({ name: 'pin', prompt, entered: 0, digits, waiting: false });
    });
    socket.on('pin-progress', (progress) => {
      const view = this.#state.view;
      if (view.name !== 'pin' || view.prompt.entryId !== progress.entryId) return;
      // The same screen with a new count: not a new screen.
      this.#set({ view: { ...view, entered: progress.entered } });
    });
    socket.on('pin-result', (result) => this.#pinResult(result));
  }

  // ---- agent and reader state

  #lostAgent(): void {
    // Until the first connection the screen already says "connecting"; retries change nothing.
    if (this.#state.connection !== 'online') return;
    // Nobody can act on the card while the agent is away: drop the visit and what it showed.
    this.#inactivity.stop();
    this.#set({
      connection: 'offline',
      visit: undefined,
      view: { name: 'idle' },
      shown: this.#state.shown + 1,
    });
  }

  #reconcile(readers: ReaderState[]): void {
    this.#set({ readers });
    const visit = this.#visit;
    if (visit && !readers.some((r) => r.name === visit.reader && r.card)) {
      this.#endVisit();
      return;
    }
    if (!visit) {
      const withCard = userReaders(readers).find((r) => r.card);
      if (withCard) this.#startRead(withCard.name);
    }
  }

  // ---- card

  #startRead(reader: string): void {
    const visit: Visit = {
      id: ++this.#visits,
      reader,
      card: undefined,
      verified: false,
      finished: false,
      reportAfterPin: false,
      reported: false,
      summary: undefined,
    };
    this.#set({ visit });
    this.#read(visit);
  }

  #read(visit: Visit): void {
    this.#show({ name: 'reading' });
    this.#o.socket.timeout(READ_ANSWER_MS).emit('read-card', { reader: visit.reader }, (error, reply) => {
      if (!this.#current(visit) || this.#state.view.name !== 'reading') return;
      if (error) {
        this.#show({ name: 'read-failed', text: T.readFailedHint, code: 'NO_ANSWER' });
      } else if (reply.ok) {
        this.#cardRead(reply.result);
      } else if (gone(reply.problem)) {
        this.#endVisit();
      } else {
        this.#show({ name: 'read-failed', text: readProblemText(reply.problem), code: reply.problem.code });
      }
    });
  }

  #cardRead(card: CardReadView): void {
    const visit = this.#visit;
    if (!visit || visit.finished || card.reader !== visit.reader || this.#state.view.name !== 'reading')
      return;
    this.#patchVisit({ card });
    this.#show({ name: 'result' });
  }

  /** The citizen is done: personal data leaves the screen and memory; the card stays until taken. */
  finish(): void {
    this.#cancelPinEntry();
    if (!this.#visit) {
      this.#show({ name: 'idle' });
      return;
    }
    this.#patchVisit({ card: undefined, summary: undefined, finished: true });
    this.#show({ name: 'take-card' });
  }

  /** The card came out: back to the start, nothing of this citizen kept, language back to Chinese. */
  #endVisit(): void {
    this.#cancelPinEntry();
    this.#pending = undefined;
    this.#set({ visit: undefined, announcement: undefined, display: DEFAULT_DISPLAY });
    this.#o.language.set('zh');
    this.#show({ name: 'idle' });
  }

  #cancelPinEntry(): void {
    const name = this.#state.view.name;
    if (name === 'pin' || name === 'pin-starting') this.#o.socket.emit('pin-cancel');
  }

  // ---- navigation the screens offer

  retryRead(): void {
    const visit = this.#visit;
    if (visit) this.#read(visit);
  }

  /**
   * "Services": the PIN first, unless verified already or the terminal takes no PINs. Where
   * card-service knows the card, the PIN goes with the card's proof and opens the holder's pension
   * and medical account in the same step.
   */
  openServices(): void {
    const visit = this.#visit;
    if (!visit?.card || visit.card.verification?.genuine === false) return;
    const withSummary = visit.card.registry.status === 'valid' && this.#state.pinAvailable;
    if (withSummary && !visit.summary) this.runService('summary');
    else if (visit.verified || !this.#state.pinAvailable) this.#show({ name: 'menu' });
    else this.startPin('verify');
  }

  /** Back to the menu once the services are open, else to the card's result screen. */
  back(): void {
    const open = this.#visit?.verified || !this.#state.pinAvailable;
    this.#show({ name: open ? 'menu' : 'result' });
  }

  show(
    view: 'menu' | 'details' | 'lost-confirm' | 'pension' | 'medical' | 'statement' | 'certify-confirm',
  ): void {
    this.#show({ name: view });
  }

  // ---- the display and the spoken prompts

  toggleElderly(): void {
    const { display } = this.#state;
    this.#set({ display: { ...display, elderly: !display.elderly } });
  }

  toggleMuted(): void {
    const { display } = this.#state;
    if (!display.muted) this.#prompts.stop();
    this.#set({ display: { ...display, muted: !display.muted } });
  }

  #say(name: PromptName): void {
    if (!this.#state.display.muted) this.#prompts.play(name, this.#o.language.current);
  }

  // ---- the services that need the card's proof

  /**
   * The PIN, then the card's proof and card-service's answer, in one request to the agent. The
   * PIN outcome comes with the answer: a wrong PIN says the tries left and offers this service again.
   */
  runService(service: Service): void {
    const visit = this.#visit;
    if (!visit) return;
    this.#pending = service;
    this.#show({ name: 'pin-starting' });
    const request = { reader: visit.reader };
    const socket = this.#o.socket.timeout(SERVICE_ANSWER_MS);
    const settle = (
      error: Error | null,
      reply:
        | { ok: true; pin: PinResultView; apply: () => void }
        | { ok: false; problem: Problem }
        | undefined,
    ): void => {
      if (this.#pending === service) this.#pending = undefined;
      if (!this.#current(visit)) return;
      if (error || !reply) {
        this.#show({
          name: 'service-problem',
          title: W.serviceFailed,
          text: W.serviceUnavailable,
          code: 'NO_ANSWER',
        });
      } else if (!reply.ok) {
        if (gone(reply.problem)) {
          this.#endVisit();
          return;
        }
        if (reply.problem.code === 'PINPAD_UNAVAILABLE') this.#set({ pinAvailable: false });
        const title = service === 'certify' ? W.certifyFailed : W.serviceFailed;
        this.#show({
          name: 'service-problem',
          title,
          text: serviceProblemText(reply.problem),
          code: reply.problem.code,
        });
      } else if (reply.pin.ok) {
        reply.apply();
      } else if (reply.pin.outcome === 'cancelled') {
        this.back();
      } else {
        this.#show({ name: 'pin-outcome', result: reply.pin, retry: service });
      }
    };
    if (service === 'summary') {
      socket.emit('citizen-summary', request, (error, reply) =>
        settle(
          error,
          reply?.ok
            ? {
                ok: true,
                pin: reply.result.pin,
                apply: () => {
                  this.#patchVisit({ verified: true, summary: reply.result.summary ?? undefined });
                  this.#show({ name: 'menu' });
                },
              }
            : reply,
        ),
      );
    } else {
      socket.emit('certify-pension', request, (error, reply) =>
        settle(
          error,
          reply?.ok
            ? {
                ok: true,
                pin: reply.result.pin,
                apply: () => {
                  this.#patchVisit({ verified: true });
                  const result = reply.result.certification;
                  if (result) this.#show({ name: 'certify-result', result });
                },
              }
            : reply,
        ),
      );
    }
  }

  moreTime(): void {
    const view = this.#state.view;
    if (view.name === 'more-time') this.#show(view.resume);
  }

  // ---- PIN

  startPin(operation: 'verify' | 'change'): void {
    const visit = this.#visit;
    if (!visit) return;
    this.#show({ name: 'pin-starting' });
    const onReply = (reply: { ok: true } | { ok: false; problem: Problem }): void => {
      // A PIN outcome arrives as `pin-result`; the reply matters only when the agent refused.
      if (reply.ok || !this.#current(visit)) return;
      if (reply.problem.code === 'PINPAD_UNAVAILABLE') this.#set({ pinAvailable: false });
      if (gone(reply.problem)) return;
      this.#show({
        name: 'pin-problem',
        text: pinProblemText(reply.problem),
        code: reply.problem.code,
        operation,
      });
    };
    if (operation === 'verify') this.#o.socket.emit('verify-pin', onReply);
    else this.#o.socket.emit('change-pin', onReply);
  }

  pressKey(key: KeypadKey): void {
    const view = this.#state.view;
    if (view.name !== 'pin' || view.prompt.device !== 'keypad' || view.waiting) return;
    this.#o.socket.emit('pin-key', key);
    // Confirm and cancel end this entry; the next prompt or the result replaces the screen.
    if (key === 'enter' || key === 'cancel') this.#set({ view: { ...view, waiting: true } });
  }

  cancelPin(): void {
    this.#o.socket.emit('pin-cancel');
  }

  #pinResult(result: PinResultView): void {
    if (this.#pending) {
      // The service's answer carries this outcome; an accepted PIN waits for card-service now.
      if (result.ok) {
        this.#show({ name: 'loading', title: this.#pending === 'certify' ? W.certifying : W.loadingData });
      }
      return;
    }
    const visit = this.#visit;
    if (!visit || visit.finished) {
      const name = this.#state.view.name;
      if (name === 'pin' || name === 'pin-starting')
        this.#show(visit ? { name: 'take-card' } : { name: 'idle' });
      return;
    }
    // A wrong PIN keeps the pending report: "try again" leads back to it.
    const reportAfterPin = visit.reportAfterPin;
    if (result.ok || result.outcome === 'cancelled') this.#patchVisit({ reportAfterPin: false });
    if (result.ok && result.operation === 'verify') {
      this.#patchVisit({ verified: true });
      this.#set({ announcement: T.pinAccepted });
      if (reportAfterPin) this.#reportLost();
      else this.#show({ name: 'menu' });
      return;
    }
    if (result.outcome === 'cancelled') {
      // Cancelled by the citizen: back to where they came from, no error screen.
      this.#show({ name: this.#visit?.verified ? 'menu' : 'result' });
      return;
    }
    this.#show({ name: 'pin-outcome', result });
  }

  // ---- lost-card report

  /** Confirmed by the citizen: the PIN first if this visit has not verified it, then the report. */
  confirmLost(): void {
    const visit = this.#visit;
    if (!visit) return;
    if (visit.verified) {
      this.#reportLost();
      return;
    }
    this.#patchVisit({ reportAfterPin: true });
    this.startPin('verify');
  }

  #reportLost(): void {
    const visit = this.#visit;
    if (!visit) return;
    this.#show({ name: 'lost-sending' });
    this.#o.socket.timeout(REPORT_ANSWER_MS).emit('report-lost', { reader: visit.reader }, (error, reply) => {
      if (!this.#current(visit) || this.#state.view.name !== 'lost-sending') return;
      if (error) {
        this.#show({ name: 'lost-problem', text: T.lostUnavailable, code: 'NO_ANSWER' });
      } else if (reply.ok) {
        this.#patchVisit({ reported: true });
        this.#show({ name: 'lost-result', result: reply.result });
      } else if (gone(reply.problem)) {
        this.#endVisit();
      } else {
        this.#show({ name: 'lost-problem', text: lostProblemText(reply.problem), code: reply.problem.code });
      }
    });
  }

  // ---- screens

  #show(view: View): void {
    this.#set({ view, shown: this.#state.shown + 1 });
    if (view.name === 'idle' || view.name === 'take-card')
      this.#say(view.name === 'idle' ? 'insert-card' : 'take-card');
    else if (view.name === 'pin' && view.prompt.step !== 'new' && view.prompt.step !== 'confirm')
      this.#say('enter-pin');
    if (WATCHED.has(view.name)) this.#inactivity.watch();
    else if (view.name !== 'more-time') this.#inactivity.stop();
  }

  // ---- keyboard

  /** The keypad also answers the keyboard: digits, Backspace, Enter to confirm, Escape to cancel. */
  onKeyDown(event: KeyboardEvent): void {
    const view = this.#state.view;
    if (
      view.name !== 'pin' ||
      view.prompt.device !== 'keypad' ||
      event.altKey ||
      event.ctrlKey ||
      event.metaKey
    ) {
      return;
    }
    const onButton = event.target instanceof HTMLButtonElement;
    let key: KeypadKey | undefined;
    if (/^[0-9]$/.test(event.key)) key = event.key as KeypadKey;
    else if (event.key === 'Backspace') key = 'back';
    else if (event.key === 'Escape') key = 'cancel';
    // Enter on a focused button presses that button; elsewhere it confirms.
    else if (event.key === 'Enter' && !onButton) key = 'enter';
    if (!key) return;
    event.preventDefault();
    this.pressKey(key);
  }
}
