import { button, h } from '../dom.js';
import { T } from '../i18n.js';
import { type ScreenContext, screen } from './layout.js';

export interface MenuHandlers {
  onViewCard(): void;
  /** Absent when the terminal takes no PINs. */
  onChangePin?: () => void;
  /** Absent when the registry does not know the card in force (already lost, no registry). */
  onReportLost?: () => void;
  onFinish(): void;
}

/** The services a kiosk offers after a card was read and its PIN verified. */
export function menuScreen(ctx: ScreenContext, on: MenuHandlers): HTMLElement {
  return screen('menu', ctx.t(T.servicesTitle), [
    h(
      'div',
      { class: 'menu' },
      button(ctx.t(T.viewCard), on.onViewCard),
      on.onChangePin && button(ctx.t(T.changePin), on.onChangePin),
      on.onReportLost && button(ctx.t(T.reportLost), on.onReportLost),
      button(ctx.t(T.finish), on.onFinish, 'secondary'),
    ),
  ]);
}
