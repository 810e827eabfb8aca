import { h } from '../dom.js';
import type { Lang, Text } from '../i18n.js';

export interface ScreenContext {
  lang: Lang;
  t(text: Text): string;
}

/**
 * One screen, one task: a heading (focused when the screen appears, so screen readers announce
 * it) and the screen's content. `tone` colours the heading for outcomes that need attention.
 */
export function screen(
  name: string,
  title: string,
  children: (Node | false | null | undefined)[],
  tone: 'normal' | 'good' | 'bad' = 'normal',
): HTMLElement {
  return h(
    'section',
    { class: `screen screen-${name}`, attrs: { 'data-screen': name, 'aria-labelledby': `${name}-title` } },
    h('h1', { id: `${name}-title`, class: `screen-title tone-${tone}`, tabIndex: -1 }, title),
    ...children,
  );
}

export function para(text: string, className = 'lead'): HTMLParagraphElement {
  return h('p', { class: className }, text);
}

export function actions(...buttons: HTMLButtonElement[]): HTMLDivElement {
  return h('div', { class: 'actions' }, ...buttons);
}
