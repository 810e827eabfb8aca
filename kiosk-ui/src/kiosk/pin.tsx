import { Actions, Button } from '../components/button.js';
import { useWords } from '../components/language.js';
import { StaffCode } from '../components/problem.js';
import { Lead, Screen } from '../components/screen.js';
import { fill, T, type Text } from '../i18n.js';
import type { KeypadKey, PinPrompt, PinResultView } from '../protocol.js';
import { ThenFinish } from './messages.js';
import { W } from './words.js';

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

export interface PinProps {
  prompt: PinPrompt;
  /** The count of digits the agent holds (from its `pin-progress`); the page never knows more. */
  entered: number;
  digits: readonly string[];
  /** Confirm or cancel was pressed: the agent's answer is awaited. */
  waiting: boolean;
  onKey(key: KeypadKey): void;
  onCancel(): void;
}

/**
 * PIN entry. The digits never pass through this page as a value: on the keypad each press goes
 * straight to the agent as one key event, and the dots show the count the agent reports back. On a
 * hardware PIN pad the page only shows that count.
 */
export function PinScreen(props: PinProps) {
  const { t } = useWords();
  const { prompt, entered } = props;
  const slots = Math.max(prompt.minLength, Math.min(prompt.maxLength, 12));
  return (
    <Screen name="pin" title={t(heading(prompt))} data={{ device: prompt.device, step: prompt.step }}>
      <Lead>{t(prompt.device === 'keypad' ? T.onScreen : T.onPinPad)}</Lead>
      <div class="pin-dots" aria-hidden="true" data-entered={String(entered)}>
        {Array.from({ length: Math.max(slots, entered) }, (_, i) => (
          <span key={i} class={i < entered ? 'dot filled' : 'dot'} />
        ))}
      </div>
      <p class="sr-only" aria-live="polite" data-pin-progress="">
        {t(fill(T.pinDigitsEntered, { n: entered, max: slots }))}
      </p>
      <p class="lead" hidden={!props.waiting} aria-live="polite">
        {t(T.waitingForPin)}
      </p>
      {prompt.device === 'keypad' ? (
        <Keypad digits={props.digits} disabled={props.waiting} onKey={props.onKey} />
      ) : (
        <Actions>
          <Button onClick={props.onCancel} variant="secondary" disabled={props.waiting}>
            {t(T.keyCancel)}
          </Button>
        </Actions>
      )}
    </Screen>
  );
}

function Keypad(props: { digits: readonly string[]; disabled: boolean; onKey(key: KeypadKey): void }) {
  const { t } = useWords();
  const key = (k: KeypadKey, label: string, className: string, ariaLabel?: string) => (
    <button
      key={k}
      type="button"
      class={`key ${className}`}
      data-key={k}
      aria-label={ariaLabel}
      disabled={props.disabled}
      onClick={() => props.onKey(k)}
    >
      {label}
    </button>
  );
  const { digits } = props;
  return (
    <fieldset class="keypad" aria-label={t(T.enterPin)}>
      {digits.slice(0, 9).map((d) => key(d as KeypadKey, d, 'key-digit'))}
      {key('clear', t(T.keyClear), 'key-fn')}
      {key(digits[9] as KeypadKey, digits[9]!, 'key-digit')}
      {key('back', '⌫', 'key-fn', t(T.keyBackLabel))}
      {key('cancel', t(T.keyCancel), 'key-cancel')}
      {key('enter', t(T.keyConfirm), 'key-enter')}
    </fieldset>
  );
}

/** What the agent said about a PIN operation, in its own words, and what the citizen can do next. */
export function PinOutcomeScreen(props: {
  result: PinResultView;
  /** Locked, or the last try used up: where to go now. */
  counter?: Text | undefined;
  onRetry?: (() => void) | undefined;
  onContinue?: (() => void) | undefined;
  onFinish(): void;
}) {
  const { t } = useWords();
  const { result } = props;
  // The agent's sentence is already capitalised for a heading (pinResultView); the words stay the agent's.
  const title = result.ok ? (result.operation === 'change' ? T.pinChanged : T.pinAccepted) : result.message;
  const message = t(result.message);
  // The agent's sentence for a wrong PIN already says how many tries are left when the card said
  // so; the count is repeated on its own line only when the message does not carry it.
  const triesLine =
    !result.ok && result.triesLeft !== undefined && !message.includes(String(result.triesLeft))
      ? result.triesLeft === 1
        ? T.pinTryLeft
        : fill(T.pinTriesLeft, { n: result.triesLeft })
      : undefined;
  const buttons: { label: Text; onClick(): void }[] = [];
  if (props.onContinue) buttons.push({ label: T.back, onClick: props.onContinue });
  if (props.onRetry) buttons.push({ label: T.tryAgain, onClick: props.onRetry });
  return (
    <Screen
      name="pin-outcome"
      title={t(title)}
      tone={result.ok ? 'good' : 'bad'}
      data={{ code: String(result.code) }}
    >
      {triesLine && <Lead>{t(triesLine)}</Lead>}
      {!result.ok && result.outcome === 'entries-differ' && <Lead>{t(T.pinEntriesDiffer)}</Lead>}
      {props.counter && (
        <div class="verdict verdict-bad" data-next="counter">
          <p>{t(W.pinBlocked)}</p>
          <p>{t(props.counter)}</p>
        </div>
      )}
      <ThenFinish buttons={buttons} onFinish={props.onFinish} />
    </Screen>
  );
}

export function PinProblemScreen(props: {
  text: Text;
  code: string;
  onContinue?: (() => void) | undefined;
  onFinish(): void;
}) {
  const { t } = useWords();
  const buttons = props.onContinue ? [{ label: T.back, onClick: props.onContinue }] : [];
  return (
    <Screen name="pin-problem" title={t(props.text)} tone="bad">
      <StaffCode code={props.code} />
      <ThenFinish buttons={buttons} onFinish={props.onFinish} />
    </Screen>
  );
}
