import { connectAgent } from './connection.js';
import { Language, T } from './i18n.js';
import { delaysFromQuery } from './inactivity.js';
import { Kiosk } from './kiosk.js';

function byId(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (!el) throw new Error(`index.html has no #${id}`);
  return el;
}

const language = new Language();
const toggle = byId('lang-toggle') as HTMLButtonElement;
const brand = byId('brand');

function applyChrome(): void {
  brand.textContent = language.t(T.title);
  document.title = language.t(T.title);
  toggle.textContent = language.t(T.switchLanguage);
  toggle.setAttribute('aria-label', language.t(T.switchLanguageLabel));
  // The button names the other language in that language.
  toggle.lang = language.current === 'zh' ? 'en' : 'zh-CN';
}
applyChrome();
language.onChange(applyChrome);
toggle.addEventListener('click', () => language.toggle());

// The keypad's digits are shuffled when the kiosk is opened with `?keypad=shuffled`.
const shuffleKeypad = new URLSearchParams(location.search).get('keypad') === 'shuffled';

new Kiosk({
  socket: connectAgent(),
  language,
  root: byId('screen'),
  status: byId('status'),
  announce: byId('announce'),
  shuffleKeypad,
  inactivity: delaysFromQuery(location.search),
});
