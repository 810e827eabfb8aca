import { button, h } from '../dom.js';
import { fill, T, type Text } from '../i18n.js';
import { formatDate } from '../format.js';
import type { LostCardReportView } from '../protocol.js';
import { actions, actionsThenFinish, para, type ScreenContext, screen, staffCodeNote } from './layout.js';

/** Before anything is sent: what a temporary loss means, and a way back. */
export function lostConfirmScreen(
  ctx: ScreenContext,
  on: { onConfirm(): void; onBack(): void },
): HTMLElement {
  return screen('lost-confirm', ctx.t(T.lostConfirmTitle), [
    para(ctx.t(T.lostConfirmText)),
    actions(button(ctx.t(T.lostConfirm), on.onConfirm), button(ctx.t(T.back), on.onBack, 'secondary')),
  ]);
}

/** `2025-03-08T02:00:00.000Z` → the calendar day in China, as the rest of the kiosk writes dates. */
function chinaDay(iso: string): Text | undefined {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return undefined;
  const day = new Date(at + 8 * 3_600_000).toISOString().slice(0, 10).replaceAll('-', '');
  return formatDate(day);
}

/**
 * The outcome: reported (the card is stopped now) or queued (no answer yet: re-sent until the
 * service answers, but it takes effect only while its card proof is fresh, so staff confirm it).
 */
export function lostResultScreen(
  ctx: ScreenContext,
  result: LostCardReportView,
  on: { onFinish(): void },
): HTMLElement {
  const children: (Node | false | undefined)[] = [];
  if (result.status === 'reported') {
    const until = result.temporaryLossUntil ? chinaDay(result.temporaryLossUntil) : undefined;
    if (until) children.push(para(ctx.t(fill(T.lostUntil, { date: ctx.t(until) }))));
  } else {
    children.push(para(ctx.t(T.lostQueuedHint)));
  }
  children.push(
    h('p', { class: 'note' }, `${ctx.t(T.lostReference)}: ${result.reference}`),
    actions(button(ctx.t(T.finish), on.onFinish)),
  );
  const el = screen(
    'lost-result',
    ctx.t(result.status === 'reported' ? T.lostReported : T.lostQueued),
    children,
    result.status === 'reported' ? 'good' : 'normal',
  );
  el.dataset.status = result.status;
  return el;
}

export function lostProblemScreen(
  ctx: ScreenContext,
  text: Text,
  code: string,
  on: { onBack?: () => void; onFinish(): void },
): HTMLElement {
  const back = on.onBack ? [button(ctx.t(T.back), on.onBack)] : [];
  return screen(
    'lost-problem',
    ctx.t(T.lostFailed),
    [para(ctx.t(text)), staffCodeNote(ctx, code), actionsThenFinish(ctx, back, on.onFinish)],
    'bad',
  );
}
