import { type ComponentChildren, createContext } from 'preact';
import { useContext, useEffect, useState } from 'preact/hooks';
import type { Lang, Language, Text } from '../i18n.js';

export interface Words {
  lang: Lang;
  /** The text pair in the language on screen. */
  t(text: Text): string;
}

const WordsContext = createContext<Words>({ lang: 'zh', t: (text) => text.zh });

/** The language on screen, for every component below; a switch renders them all again. */
export function LanguageProvider(props: { language: Language; children: ComponentChildren }) {
  const { language } = props;
  const [lang, setLang] = useState(language.current);
  useEffect(() => {
    setLang(language.current);
    return language.onChange(setLang);
  }, [language]);
  const words: Words = { lang, t: (text) => text[lang] };
  return <WordsContext.Provider value={words}>{props.children}</WordsContext.Provider>;
}

export function useWords(): Words {
  return useContext(WordsContext);
}
