import type { ComponentChildren } from 'preact';
import { useEffect } from 'preact/hooks';
import { T } from '../i18n.js';
import { useWords } from './language.js';

export interface TopBarProps {
  /** What the terminal's state is (readers, connection), in words. */
  status: string;
  state: string;
  onSwitchLanguage(): void;
  /** A mode's own switches, before the language switch. */
  children?: ComponentChildren;
}

/** The always-visible bar: what this is, the terminal's state, and the language switch. */
export function TopBar(props: TopBarProps) {
  const { lang, t } = useWords();
  useEffect(() => {
    document.title = t(T.title);
  }, [lang]);
  return (
    <header class="topbar">
      <p id="brand" class="brand">
        {t(T.title)}
      </p>
      <p id="status" class="status" role="status" data-state={props.state}>
        {props.status}
      </p>
      {props.children}
      <button
        id="lang-toggle"
        class="btn btn-lang"
        type="button"
        aria-label={t(T.switchLanguageLabel)}
        // The button names the other language in that language.
        lang={lang === 'zh' ? 'en' : 'zh-CN'}
        onClick={props.onSwitchLanguage}
      >
        {t(T.switchLanguage)}
      </button>
    </header>
  );
}
