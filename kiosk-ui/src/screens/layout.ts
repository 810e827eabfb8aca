import { button, h } from '../dom.js';
import { type Lang, T, type Text } from '../i18n.js';

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

/** The code a member of staff looks up when a citizen asks about a refusal. */
export function staffCodeNote(ctx: ScreenContext, code: string): HTMLParagraphElement {
  return h('p', { class: 'note' }, `${ctx.t(T.staffCode)}: ${code}`);
}

/** The screen's own buttons, then Finish: the main action when it is the only one. */
export function actionsThenFinish(
  ctx: ScreenContext,
  buttons: HTMLButtonElement[],
  onFinish: () => void,
): HTMLDivElement {
  return actions(...buttons, button(ctx.t(T.finish), onFinish, buttons.length > 0 ? 'secondary' : 'primary'));
}
