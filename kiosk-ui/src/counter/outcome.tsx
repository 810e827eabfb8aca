import type { ComponentChildren } from 'preact';
import { useWords } from '../components/language.js';
import type { Text } from '../i18n.js';
import { useKeys } from './shell.js';
import { C } from './words.js';

/** One line of a slip's head: its label, its value, and optionally the field tests and styles find it by. */
export type SlipRow = readonly [label: Text, value: string, field?: string];

/** A slip's head: label and value, a line each. */
export function SlipRows(props: { rows: readonly SlipRow[] }) {
  const { t } = useWords();
  return (
    <dl class="slip-head">
      {props.rows.map(([label, value, field]) => (
        <div key={label.en}>
          <dt>{t(label)}</dt>
          <dd data-field={field}>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

/** The slip of a finished operation, the one the print style sheet prints; `children` follow its head. */
export function FinalSlip(props: { title: Text; rows: readonly SlipRow[]; children?: ComponentChildren }) {
  const { t } = useWords();
  return (
    <article class="slip slip-final" id="slip" aria-label={t(props.title)}>
      <h2>{t(props.title)}</h2>
      <SlipRows rows={props.rows} />
      {props.children}
    </article>
  );
}

/** A finished operation's way on: F8 prints its slip, Enter serves the next customer. */
export function PrintNextActions(props: { onNext(): void }) {
  const { t } = useWords();
  useKeys({ F8: () => window.print(), Enter: props.onNext }, [props.onNext]);
  return (
    <div class="counter-actions no-print">
      <button type="button" class="cbtn secondary" data-action="print" onClick={() => window.print()}>
        <kbd>F8</kbd> {t(C.print)}
      </button>
      <button type="button" class="cbtn primary" onClick={props.onNext}>
        <kbd>Enter</kbd> {t(C.next)}
      </button>
    </div>
  );
}

/** A screen's one way on: its button, and Enter for it. */
export function EnterAction(props: { label: Text; onEnter(): void }) {
  const { t } = useWords();
  useKeys({ Enter: props.onEnter }, [props.onEnter]);
  return (
    <div class="counter-actions">
      <button type="button" class="cbtn primary" onClick={props.onEnter}>
        <kbd>Enter</kbd> {t(props.label)}
      </button>
    </div>
  );
}
