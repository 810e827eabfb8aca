import { button, h } from '../dom.js';
import { T, type Text } from '../i18n.js';
import { actions, para, type ScreenContext, screen, staffCodeNote } from './layout.js';

/** A wait the agent is working through (a card read, a PIN entry being set up). */
export function readingScreen(ctx: ScreenContext, title: Text): HTMLElement {
  return screen('reading', ctx.t(title), [
    h('div', { class: 'spinner', attrs: { 'aria-hidden': 'true' } }),
    para(ctx.t(T.readingHint)),
  ]);
}

export function readFailedScreen(
  ctx: ScreenContext,
  text: Text,
  code: string,
  on: { onRetry(): void; onFinish(): void },
): HTMLElement {
  return screen(
    'read-failed',
    ctx.t(T.readFailed),
    [
      para(ctx.t(text)),
      staffCodeNote(ctx, code),
      actions(button(ctx.t(T.readAgain), on.onRetry), button(ctx.t(T.finish), on.onFinish, 'secondary')),
    ],
    'bad',
  );
}

export function takeCardScreen(ctx: ScreenContext): HTMLElement {
  return screen('take-card', ctx.t(T.takeCard), [
    h(
      'div',
      { class: 'card-slot-illustration out', attrs: { 'aria-hidden': 'true' } },
      h('div', { class: 'chip' }),
    ),
    para(ctx.t(T.takeCardHint)),
  ]);
}

export function moreTimeScreen(ctx: ScreenContext, onMoreTime: () => void): HTMLElement {
  return screen('more-time', ctx.t(T.moreTime), [
    para(ctx.t(T.moreTimeHint)),
    actions(button(ctx.t(T.moreTimeYes), onMoreTime)),
  ]);
}
