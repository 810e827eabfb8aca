import { button, h } from '../dom.js';
import { fill, T, type Text } from '../i18n.js';
import type { KeypadKey, PinPrompt, PinResultView } from '../protocol.js';
import { actions, actionsThenFinish, para, type ScreenContext, screen, staffCodeNote } from './layout.js';

const DIGITS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '0'] as const;

/** Fisher–Yates with the browser's CSPRNG: a shuffled keypad must not be guessable. */
export function shuffledDigits(): string[] {
  const out: string[] = [...DIGITS];
  const random = new Uint32Array(out.length);
  crypto.getRandomValues(random);
  for (let i = out.length - 1; i > 0; i--) {
    const j = random[i]! % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function heading(prompt: PinPrompt): Text {
  if (prompt.operation === 'verify') return T.enterPin;
  switch (prompt.step) {
    case 'current':
      return T.enterCurrentPin;
    case 'new':
      return T.enterNewPin;
    case 'confirm':
      return T.confirmNewPin;
  }
}

export interface PinScreen {
  el: HTMLElement;
  /** The count of digits the agent holds (from its `pin-progress`); the screen never knows more. */
  setEntered(entered: number): void;
  setWaiting(): void;
}

export interface PinHandlers {
  onKey(key: KeypadKey): void;
  onCancel(): void;
}

/**
 * PIN entry. The digits never pass through this page as a value: on the keypad each press goes
 * straight to the agent as one key event, and the dots show the count the agent reports back. On a
 * hardware PIN pad the page only shows that count.
 */
export function pinScreen(
  ctx: ScreenContext,
  prompt: PinPrompt,
  entered: number,
  digits: readonly string[],
  on: PinHandlers,
): PinScreen {
  const slots = Math.max(prompt.minLength, Math.min(prompt.maxLength, 12));
  const dots = h('div', { class: 'pin-dots', attrs: { 'aria-hidden': 'true' } });
  const progress = h('p', { class: 'sr-only', attrs: { 'aria-live': 'polite', 'data-pin-progress': '' } });
  const wait = h(
    'p',
    { class: 'lead', hidden: true, attrs: { 'aria-live': 'polite' } },
    ctx.t(T.waitingForPin),
  );

  const setEntered = (n: number): void => {
    dots.replaceChildren(
      ...Array.from({ length: Math.max(slots, n) }, (_, i) =>
        h('span', { class: i < n ? 'dot filled' : 'dot' }),
      ),
    );
    dots.dataset.entered = String(n);
    progress.textContent = ctx.t(fill(T.pinDigitsEntered, { n, max: slots }));
  };
  setEntered(entered);

  const keypad = prompt.device === 'keypad' ? keypadGrid(ctx, digits, on) : undefined;
  const el = screen('pin', ctx.t(heading(prompt)), [
    para(ctx.t(prompt.device === 'keypad' ? T.onScreen : T.onPinPad)),
    dots,
    progress,
    wait,
    keypad ?? actions(button(ctx.t(T.keyCancel), on.onCancel, 'secondary')),
  ]);
  el.dataset.device = prompt.device;
  el.dataset.step = prompt.step;
  return {
    el,
    setEntered,
    setWaiting() {
      wait.hidden = false;
      for (const b of el.querySelectorAll('button')) b.disabled = true;
    },
  };
}

/** The on-screen keypad's digits, in the order the keypad shows them. */
export function keypadDigits(shuffle: boolean): string[] {
  return shuffle ? shuffledDigits() : [...DIGITS];
}

function keypadGrid(ctx: ScreenContext, digits: readonly string[], on: PinHandlers): HTMLElement {
  const key = (k: KeypadKey, label: string, className: string, ariaLabel?: string): HTMLButtonElement => {
    const b = h(
      'button',
      {
        type: 'button',
        class: `key ${className}`,
        onClick: () => on.onKey(k),
        attrs: { 'data-key': k, ...(ariaLabel ? { 'aria-label': ariaLabel } : {}) },
      },
      label,
    );
    return b;
  };
  const grid = h('div', { class: 'keypad', role: 'group', attrs: { 'aria-label': ctx.t(T.enterPin) } });
  for (const d of digits.slice(0, 9)) grid.append(key(d as KeypadKey, d, 'key-digit'));
  grid.append(
    key('clear', ctx.t(T.keyClear), 'key-fn'),
    key(digits[9] as KeypadKey, digits[9]!, 'key-digit'),
    key('back', '⌫', 'key-fn', ctx.t(T.keyBackLabel)),
    key('cancel', ctx.t(T.keyCancel), 'key-cancel'),
    key('enter', ctx.t(T.keyConfirm), 'key-enter'),
  );
  return grid;
}

/** What the agent said about a PIN operation, in its own words, and what the citizen can do next. */
export function pinOutcomeScreen(
  ctx: ScreenContext,
  result: PinResultView,
  on: { onRetry?: () => void; onContinue?: () => void; onFinish(): void },
): HTMLElement {
  const success = result.ok;
  // The agent's sentence is already capitalised for a heading (pinResultView); the words stay the agent's.
  const title = success ? (result.operation === 'change' ? T.pinChanged : T.pinAccepted) : result.message;
  const extra: (Node | false)[] = [];
  if (!success) {
    // The agent's sentence for a wrong PIN already says how many tries are left when the card said
    // so; the count is repeated on its own line only when the message does not carry it.
    const message = ctx.t(result.message);
    if (result.triesLeft !== undefined && !message.includes(String(result.triesLeft))) {
      extra.push(
        para(ctx.t(result.triesLeft === 1 ? T.pinTryLeft : fill(T.pinTriesLeft, { n: result.triesLeft }))),
      );
    }
    if (result.outcome === 'entries-differ') extra.push(para(ctx.t(T.pinEntriesDiffer)));
  }
  const buttons: HTMLButtonElement[] = [];
  if (on.onContinue) buttons.push(button(ctx.t(T.back), on.onContinue));
  if (on.onRetry) buttons.push(button(ctx.t(T.tryAgain), on.onRetry));
  const el = screen(
    'pin-outcome',
    ctx.t(title),
    [...extra, actionsThenFinish(ctx, buttons, on.onFinish)],
    success ? 'good' : 'bad',
  );
  el.dataset.code = String(result.code);
  return el;
}

export function pinProblemScreen(
  ctx: ScreenContext,
  text: Text,
  code: string,
  on: { onContinue?: () => void; onFinish(): void },
): HTMLElement {
  const back = on.onContinue ? [button(ctx.t(T.back), on.onContinue)] : [];
  return screen(
    'pin-problem',
    ctx.t(text),
    [staffCodeNote(ctx, code), actionsThenFinish(ctx, back, on.onFinish)],
    'bad',
  );
}
