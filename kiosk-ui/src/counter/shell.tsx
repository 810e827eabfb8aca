import type { ComponentChildren, Ref } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { useWords } from '../components/language.js';
import { T, type Text } from '../i18n.js';
import type { ReaderState, TerminalView } from '../protocol.js';
import { userReaders } from '../kiosk/readers.js';
import { C } from './words.js';

export interface Tab<K extends string> {
  key: K;
  label: Text;
  /** The function key that opens it, e.g. `F2`. */
  fkey: string;
}

export interface CounterShellProps<K extends string> {
  title: Text;
  terminal: TerminalView;
  connection: 'connecting' | 'online' | 'offline';
  readers: readonly ReaderState[];
  tabs: readonly Tab<K>[];
  tab: K;
  onTab(tab: K): void;
  onSwitchLanguage(): void;
  children: ComponentChildren;
}

/**
 * A counter's frame, for staff who serve one customer after another: a slim bar (what this
 * terminal is, the reader, the language), the functions as tabs on F-keys, and the work area.
 */
export function CounterShell<K extends string>(props: CounterShellProps<K>) {
  const { lang, t } = useWords();
  const { terminal, tabs } = props;
  useEffect(() => {
    document.title = t(props.title);
  }, [lang, props.title]);
  useKeys(Object.fromEntries(tabs.map((tab) => [tab.fkey, () => props.onTab(tab.key)])), [tabs, props.onTab]);
  const readers = userReaders(props.readers).length;
  const status =
    props.connection === 'online'
      ? t(readers > 0 ? C.readerReady : C.noReader)
      : t(props.connection === 'connecting' ? C.connecting : C.offline);
  return (
    <div class="counter">
      <header class="counter-bar">
        <p class="counter-title">{t(props.title)}</p>
        <p class="counter-place" data-terminal={terminal.terminalId}>
          {terminal.institution ? `${terminal.institution.name} · ` : ''}
          {t(C.terminal)} {terminal.terminalId}
        </p>
        <p id="status" class="counter-status" role="status" data-state={props.connection}>
          {status}
        </p>
        <button
          id="lang-toggle"
          class="counter-lang"
          type="button"
          aria-label={t(T.switchLanguageLabel)}
          lang={lang === 'zh' ? 'en' : 'zh-CN'}
          onClick={props.onSwitchLanguage}
        >
          {t(T.switchLanguage)}
        </button>
      </header>
      <nav class="counter-tabs" aria-label={t(props.title)}>
        {tabs.map((tab) => (
          <button
            key={tab.key}
            type="button"
            class="counter-tab"
            aria-current={tab.key === props.tab ? 'page' : undefined}
            data-tab={tab.key}
            onClick={() => props.onTab(tab.key)}
          >
            <kbd>{tab.fkey}</kbd> {t(tab.label)}
          </button>
        ))}
      </nav>
      <main id="screen" class="counter-main">
        {props.children}
      </main>
    </div>
  );
}

/**
 * Keys of the counter (`F2`, `Escape`, `Enter`…) and what they do while a component shows. A key
 * with an action is not passed on to the browser (F-keys have browser meanings of their own).
 */
export function useKeys(actions: Record<string, (() => void) | undefined>, deps: unknown[]): void {
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent): void => {
      if (event.altKey || event.metaKey) return;
      const action = actions[event.key];
      if (!action) return;
      event.preventDefault();
      action();
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, deps);
}

/**
 * The field a counter screen starts in, focused when the screen appears: the clerk types at once,
 * without reaching for the mouse between customers.
 */
export function useFirstField<E extends HTMLElement>(): Ref<E> {
  const field = useRef<E>(null);
  useEffect(() => field.current?.focus(), []);
  return field;
}
