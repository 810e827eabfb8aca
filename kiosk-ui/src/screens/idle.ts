import { h } from '../dom.js';
import { fill, T } from '../i18n.js';
import type { ReaderState } from '../protocol.js';
import { para, type ScreenContext, screen } from './layout.js';

/** The readers a citizen's card can go into (not the PSAM slots or ignored readers). */
export function userReaders(readers: readonly ReaderState[]): ReaderState[] {
  return readers.filter((r) => r.role === 'user' || r.role === 'contactless');
}

export function readerStatusText(ctx: ScreenContext, readers: readonly ReaderState[]): string {
  const count = userReaders(readers).length;
  if (count === 0) return ctx.t(T.noReader);
  if (count === 1) return ctx.t(T.readerReady);
  return ctx.t(fill(T.readersReady, { n: count }));
}

export function idleScreen(ctx: ScreenContext, readers: readonly ReaderState[]): HTMLElement {
  const ready = userReaders(readers).length > 0;
  return screen('idle', ctx.t(T.insertCard), [
    h(
      'div',
      { class: 'card-slot-illustration', attrs: { 'aria-hidden': 'true' } },
      h('div', { class: 'chip' }),
    ),
    para(ctx.t(T.insertCardHint)),
    h(
      'p',
      {
        class: `reader-state ${ready ? 'reader-ok' : 'reader-missing'}`,
        attrs: { 'data-readers': String(userReaders(readers).length) },
      },
      readerStatusText(ctx, readers),
    ),
  ]);
}

export function offlineScreen(ctx: ScreenContext, everConnected: boolean): HTMLElement {
  return screen(
    'offline',
    ctx.t(everConnected ? T.offline : T.connecting),
    [
      h('div', { class: 'spinner', attrs: { 'aria-hidden': 'true' } }),
      everConnected && para(ctx.t(T.offlineHint)),
    ],
    everConnected ? 'bad' : 'normal',
  );
}
