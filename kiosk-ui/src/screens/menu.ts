import { button, h } from '../dom.js';
import { T } from '../i18n.js';
import { type ScreenContext, screen } from './layout.js';

export interface MenuHandlers {
  onViewCard(): void;
  /** Absent when the terminal takes no PINs. */
  onChangePin?: () => void;
  onFinish(): void;
}

/**
 * The services a kiosk offers after a card was read and its PIN verified. Reporting a card lost
 * joins this list when the agent has an endpoint for it; until then the kiosk does not offer it.
 */
export function menuScreen(ctx: ScreenContext, on: MenuHandlers): HTMLElement {
  return screen('menu', ctx.t(T.servicesTitle), [
    h(
      'div',
      { class: 'menu' },
      button(ctx.t(T.viewCard), on.onViewCard),
      on.onChangePin && button(ctx.t(T.changePin), on.onChangePin),
      button(ctx.t(T.finish), on.onFinish, 'secondary'),
    ),
  ]);
}
