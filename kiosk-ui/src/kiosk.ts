import type { AgentSocket } from './connection.js';
import { canReportLost, lostProblemText, pinProblemText, readProblemText } from './format.js';
import { type Language, T, type Text } from './i18n.js';
import { Inactivity, type InactivityDelays } from './inactivity.js';
import type {
  CardReadView,
  KeypadKey,
  LostCardReportView,
  PinPrompt,
  PinResultView,
  Problem,
  ReaderState,
} from './protocol.js';
import { detailsScreen, isGenuine, resultScreen } from './screens/card.js';
import { idleScreen, offlineScreen, readerStatusText, userReaders } from './screens/idle.js';
import type { ScreenContext } from './screens/layout.js';
import { lostConfirmScreen, lostProblemScreen, lostResultScreen } from './screens/lost.js';
import { menuScreen } from './screens/menu.js';
import { moreTimeScreen, readFailedScreen, readingScreen, takeCardScreen } from './screens/messages.js';
import {
  keypadDigits,
  type PinScreen,
  pinOutcomeScreen,
  pinProblemScreen,
  pinScreen,
} from './screens/pin.js';

/** A card read on a real reader takes well under a second; this only catches a lost answer. */
const READ_ANSWER_MS = 30_000;
/** A loss report reads the card and waits for card-service (its deadline is 15 s per attempt). */
const REPORT_ANSWER_MS = 60_000;

type View =
  | { name: 'idle' }
  | { name: 'reading' }
  | { name: 'read-failed'; text: Text; code: string }
  | { name: 'result' }
  | { name: 'menu' }
  | { name: 'details' }
  | { name: 'pin-starting' }
  | { name: 'pin'; prompt: PinPrompt; entered: number; digits: string[] }
  | { name: 'pin-outcome'; result: PinResultView }
  | { name: 'pin-problem'; text: Text; code: string; operation: 'verify' | 'change' }
  | { name: 'lost-confirm' }
  | { name: 'lost-sending' }
  | { name: 'lost-result'; result: LostCardReportView }
  | { name: 'lost-problem'; text: Text; code: string }
  | { name: 'take-card' }
  | { name: 'more-time'; resume: View };

/** Screens that show a citizen's data and wait for them: these ask before they give up. */
const WATCHED = new Set<View['name']>([
  'result',
  'menu',
  'details',
  'pin-outcome',
  'pin-problem',
  'read-failed',
  'lost-confirm',
  'lost-result',
  'lost-problem',
]);

/** One citizen's card in the reader, from insertion to removal. */
interface Visit {
  reader: string;
  card: CardReadView | undefined;
  /** The PIN was verified during this visit: the services are open. */
  verified: boolean;
  /** The citizen is done (or walked away): nothing is read again until this card comes out. */
  finished: boolean;
  /** The citizen confirmed a loss report and is verifying the PIN for it. */
  reportAfterPin: boolean;
  /** The card was reported lost in this visit: the report is not offered twice. */
  reported: boolean;
}

export interface KioskOptions {
  socket: AgentSocket;
  language: Language;
  /** Where screens go. */
  root: HTMLElement;
  /** The always-visible reader and connection status (a polite live region). */
  status: HTMLElement;
  /** For short announcements that are not a new screen (an assertive live region). */
  announce: HTMLElement;
  shuffleKeypad: boolean;
  /** When to ask "Do you need more time?" and when to give up (default two minutes, then one). */
  inactivity?: InactivityDelays;
}

/**
 * The kiosk's behaviour: which screen shows, driven by the agent's events. The agent's reader list
 * is the truth about cards; the insert and remove events are prompts to look at it sooner.
 */
export class Kiosk {
  readonly #o: KioskOptions;
  readonly #inactivity: Inactivity;
  #connection: 'connecting' | 'online' | 'offline' = 'connecting';
  #readers: ReaderState[] = [];
  #view: View = { name: 'idle' };
  #visit: Visit | undefined;
  #pinScreen: PinScreen | undefined;
  /** False once the agent said it takes no PINs: the PIN services are then not offered. */
  #pinAvailable = true;

  constructor(options: KioskOptions) {
    this.#o = options;
    this.#inactivity = new Inactivity(
      {
        onAsk: () => this.#show({ name: 'more-time', resume: this.#view }),
        onGiveUp: () => this.#finish(),
      },
      options.inactivity,
    );
    options.language.onChange(() => this.#render(false));
    window.addEventListener('keydown', (event) => this.#onKeyDown(event));
    this.#listen(options.socket);
    this.#render(false);
  }

  get #ctx(): ScreenContext {
    const language = this.#o.language;
    return { lang: language.current, t: (text) => language.t(text) };
  }

  #listen(socket: AgentSocket): void {
    socket.on('connect', () => {
      this.#connection = 'online';
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
      if (this.#connection !== 'online') return;
      const digits = keypadDigits(this.#o.shuffleKeypad);
      this.#show({ name: 'pin', prompt, entered: 0, digits });
    });
    socket.on('pin-progress', (progress) => {
      const view = this.#view;
      if (view.name !== 'pin' || view.prompt.entryId !== progress.entryId) return;
      view.entered = progress.entered;
      this.#pinScreen?.setEntered(progress.entered);
    });
    socket.on('pin-result', (result) => this.#pinResult(result));
  }

  // ---- agent and reader state

  #lostAgent(): void {
    // Until the first connection the screen already says "connecting"; retries change nothing.
    if (this.#connection !== 'online') return;
    this.#connection = 'offline';
    // Nobody can act on the card while the agent is away: drop the visit and what it showed.
    this.#visit = undefined;
    this.#pinScreen = undefined;
    this.#view = { name: 'idle' };
    this.#inactivity.stop();
    this.#render(true);
  }

  #reconcile(readers: ReaderState[]): void {
    this.#readers = readers;
    const visit = this.#visit;
    if (visit && !readers.some((r) => r.name === visit.reader && r.card)) {
      this.#endVisit();
      return;
    }
    if (!visit) {
      const withCard = userReaders(readers).find((r) => r.card);
      if (withCard) {
        this.#startRead(withCard.name);
        return;
      }
    }
    this.#renderStatus();
    if (this.#view.name === 'idle') this.#render(false);
  }

  // ---- card

  #startRead(reader: string): void {
    const visit: Visit = {
      reader,
      card: undefined,
      verified: false,
      finished: false,
      reportAfterPin: false,
      reported: false,
    };
    this.#visit = visit;
    this.#read(visit);
  }

  #read(visit: Visit): void {
    this.#show({ name: 'reading' });
    this.#o.socket.timeout(READ_ANSWER_MS).emit('read-card', { reader: visit.reader }, (error, reply) => {
      if (this.#visit !== visit || this.#view.name !== 'reading') return;
      if (error) {
        this.#show({ name: 'read-failed', text: T.readFailedHint, code: 'NO_ANSWER' });
      } else if (reply.ok) {
        this.#cardRead(reply.result);
      } else if (reply.problem.code === 'NoCard' || reply.problem.code === 'CardRemoved') {
        this.#endVisit();
      } else {
        this.#show({ name: 'read-failed', text: readProblemText(reply.problem), code: reply.problem.code });
      }
    });
  }

  #cardRead(card: CardReadView): void {
    const visit = this.#visit;
    if (!visit || visit.finished || card.reader !== visit.reader || this.#view.name !== 'reading') return;
    visit.card = card;
    this.#show({ name: 'result' });
  }

  /** The citizen is done: personal data leaves the screen and memory; the card stays until taken. */
  #finish(): void {
    if (this.#view.name === 'pin' || this.#view.name === 'pin-starting') this.#o.socket.emit('pin-cancel');
    this.#pinScreen = undefined;
    if (!this.#visit) {
      this.#show({ name: 'idle' });
      return;
    }
    this.#visit.card = undefined;
    this.#visit.finished = true;
    this.#show({ name: 'take-card' });
  }

  /** The card came out: back to the start, nothing of this citizen kept, language back to Chinese. */
  #endVisit(): void {
    if (this.#view.name === 'pin' || this.#view.name === 'pin-starting') this.#o.socket.emit('pin-cancel');
    this.#visit = undefined;
    this.#pinScreen = undefined;
    this.#view = { name: 'idle' };
    this.#o.language.set('zh');
    this.#show({ name: 'idle' });
  }

  // ---- PIN

  #startPin(operation: 'verify' | 'change'): void {
    const visit = this.#visit;
    if (!visit) return;
    this.#show({ name: 'pin-starting' });
    const onReply = (reply: { ok: true } | { ok: false; problem: Problem }): void => {
      // A PIN outcome arrives as `pin-result`; the reply matters only when the agent refused.
      if (reply.ok || this.#visit !== visit) return;
      if (reply.problem.code === 'PINPAD_UNAVAILABLE') this.#pinAvailable = false;
      if (reply.problem.code === 'NoCard' || reply.problem.code === 'CardRemoved') return;
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

  #pressKey(key: KeypadKey): void {
    if (this.#view.name !== 'pin' || this.#view.prompt.device !== 'keypad') return;
    this.#o.socket.emit('pin-key', key);
    // Confirm and cancel end this entry; the next prompt or the result replaces the screen.
    if (key === 'enter' || key === 'cancel') this.#pinScreen?.setWaiting();
  }

  #pinResult(result: PinResultView): void {
    this.#pinScreen = undefined;
    const visit = this.#visit;
    if (!visit || visit.finished) {
      if (this.#view.name === 'pin' || this.#view.name === 'pin-starting') {
        this.#show(visit ? { name: 'take-card' } : { name: 'idle' });
      }
      return;
    }
    // A wrong PIN keeps the pending report: "try again" leads back to it.
    const reportAfterPin = visit.reportAfterPin;
    if (result.ok || result.outcome === 'cancelled') visit.reportAfterPin = false;
    if (result.ok && result.operation === 'verify') {
      visit.verified = true;
      this.#o.announce.textContent = this.#o.language.t(T.pinAccepted);
      if (reportAfterPin) this.#reportLost();
      else this.#show({ name: 'menu' });
      return;
    }
    if (result.outcome === 'cancelled') {
      // Cancelled by the citizen: back to where they came from, no error screen.
      this.#show({ name: visit.verified ? 'menu' : 'result' });
      return;
    }
    this.#show({ name: 'pin-outcome', result });
  }

  // ---- lost-card report

  /** Confirmed by the citizen: the PIN first if this visit has not verified it, then the report. */
  #confirmLost(): void {
    const visit = this.#visit;
    if (!visit) return;
    if (visit.verified) {
      this.#reportLost();
      return;
    }
    visit.reportAfterPin = true;
    this.#startPin('verify');
  }

  #reportLost(): void {
    const visit = this.#visit;
    if (!visit) return;
    this.#show({ name: 'lost-sending' });
    this.#o.socket.timeout(REPORT_ANSWER_MS).emit('report-lost', { reader: visit.reader }, (error, reply) => {
      if (this.#visit !== visit || this.#view.name !== 'lost-sending') return;
      if (error) {
        this.#show({ name: 'lost-problem', text: T.lostUnavailable, code: 'NO_ANSWER' });
      } else if (reply.ok) {
        visit.reported = true;
        this.#show({ name: 'lost-result', result: reply.result });
      } else if (reply.problem.code === 'NoCard' || reply.problem.code === 'CardRemoved') {
        this.#endVisit();
      } else {
        this.#show({ name: 'lost-problem', text: lostProblemText(reply.problem), code: reply.problem.code });
      }
    });
  }

  // ---- screens

  #show(view: View): void {
    this.#view = view;
    this.#render(true);
    if (WATCHED.has(view.name)) this.#inactivity.watch();
    else if (view.name !== 'more-time') this.#inactivity.stop();
  }

  #renderStatus(): void {
    const ctx = this.#ctx;
    const text =
      this.#connection === 'online'
        ? readerStatusText(ctx, this.#readers)
        : ctx.t(this.#connection === 'connecting' ? T.connecting : T.offline);
    if (this.#o.status.textContent !== text) this.#o.status.textContent = text;
    this.#o.status.dataset.state = this.#connection;
  }

  /** Replaces the whole screen, so nothing of the previous one (a name, a card number) lingers. */
  #render(moveFocus: boolean): void {
    this.#renderStatus();
    const el = this.#screen();
    this.#o.root.replaceChildren(el);
    if (moveFocus) el.querySelector<HTMLElement>('h1')?.focus();
  }

  #screen(): HTMLElement {
    const ctx = this.#ctx;
    if (this.#connection !== 'online') return offlineScreen(ctx, this.#connection === 'offline');
    const view = this.#view;
    const card = this.#visit?.card;
    const finish = () => this.#finish();
    this.#pinScreen = undefined;
    switch (view.name) {
      case 'idle':
        return idleScreen(ctx, this.#readers);
      case 'reading':
      case 'pin-starting':
        return readingScreen(ctx, view.name === 'reading' ? T.reading : T.waitingForPin);
      case 'lost-sending':
        return readingScreen(ctx, T.lostSending);
      case 'lost-confirm':
        return lostConfirmScreen(ctx, {
          onConfirm: () => this.#confirmLost(),
          onBack: () =>
            this.#show({ name: this.#visit?.verified || !this.#pinAvailable ? 'menu' : 'result' }),
        });
      case 'lost-result':
        return lostResultScreen(ctx, view.result, { onFinish: finish });
      case 'lost-problem':
        return lostProblemScreen(ctx, view.text, view.code, {
          onBack: this.#visit?.card ? () => this.#show({ name: 'menu' }) : undefined,
          onFinish: finish,
        });
      case 'read-failed':
        return readFailedScreen(ctx, view.text, view.code, {
          onRetry: () => this.#visit && this.#read(this.#visit),
          onFinish: finish,
        });
      case 'result':
        if (!card) return takeCardScreen(ctx);
        return resultScreen(ctx, card, {
          onServices: () => {
            if (!isGenuine(card)) return;
            if (this.#visit?.verified || !this.#pinAvailable) this.#show({ name: 'menu' });
            else this.#startPin('verify');
          },
          onFinish: finish,
        });
      case 'details':
        if (!card) return takeCardScreen(ctx);
        return detailsScreen(ctx, card, () => this.#show({ name: 'menu' }));
      case 'menu':
        if (!card) return takeCardScreen(ctx);
        return menuScreen(ctx, {
          onViewCard: () => this.#show({ name: 'details' }),
          onChangePin:
            this.#pinAvailable && this.#visit?.verified ? () => this.#startPin('change') : undefined,
          // A loss report needs the PIN: not offered where the terminal takes none.
          onReportLost:
            this.#pinAvailable && !this.#visit?.reported && canReportLost(card.registry)
              ? () => this.#show({ name: 'lost-confirm' })
              : undefined,
          onFinish: finish,
        });
      case 'pin': {
        const screen = pinScreen(ctx, view.prompt, view.entered, view.digits, {
          onKey: (key) => this.#pressKey(key),
          onCancel: () => this.#o.socket.emit('pin-cancel'),
        });
        this.#pinScreen = screen;
        return screen.el;
      }
      case 'pin-outcome':
        return this.#pinOutcome(ctx, view.result);
      case 'pin-problem':
        return pinProblemScreen(ctx, view.text, view.code, {
          onContinue: this.#visit?.card
            ? () => this.#show({ name: this.#visit?.verified || !this.#pinAvailable ? 'menu' : 'result' })
            : undefined,
          onFinish: finish,
        });
      case 'take-card':
        return takeCardScreen(ctx);
      case 'more-time':
        return moreTimeScreen(ctx, () => this.#show(view.resume));
    }
  }

  #pinOutcome(ctx: ScreenContext, result: PinResultView): HTMLElement {
    const visit = this.#visit;
    const finish = () => this.#finish();
    const toMenu = visit?.verified ? () => this.#show({ name: 'menu' }) : undefined;
    if (result.ok) return pinOutcomeScreen(ctx, result, { onContinue: toMenu, onFinish: finish });
    // Locked, or the last try used up: only the counter can help now.
    const locked = result.outcome === 'locked' || result.triesLeft === 0;
    return pinOutcomeScreen(ctx, result, {
      onRetry: locked ? undefined : () => this.#startPin(result.operation),
      onContinue: locked ? undefined : toMenu,
      onFinish: finish,
    });
  }

  // ---- keyboard

  /** The keypad also answers the keyboard: digits, Backspace, Enter to confirm, Escape to cancel. */
  #onKeyDown(event: KeyboardEvent): void {
    const view = this.#view;
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
    this.#pressKey(key);
  }
}
