import { button, h } from '../dom.js';
import {
  checkName,
  formatDate,
  formatExpiry,
  formatGender,
  formatGeneration,
  formatValidity,
  registryText,
} from '../format.js';
import { T, type Text } from '../i18n.js';
import type { CardReadView, RegistryView, VerificationView } from '../protocol.js';
import { actions, para, type ScreenContext, screen } from './layout.js';

type Row = [label: Text, value: string | undefined];

/** A definition list of the card's fields; an empty field says the card did not give it. */
function fields(ctx: ScreenContext, rows: Row[]): HTMLDListElement {
  const list = h('dl', { class: 'fields' });
  for (const [label, value] of rows) {
    const empty = value === undefined || value === '';
    list.append(
      h(
        'div',
        { class: 'field' },
        h('dt', {}, ctx.t(label)),
        h('dd', { class: empty ? 'empty' : '' }, empty ? ctx.t(T.notReleased) : value),
      ),
    );
  }
  return list;
}

function holderName(card: CardReadView): string {
  return card.info.name + (card.info.nameExt ?? '');
}

/** The verification outcome in plain words, naming each check that failed. */
export function verificationBlock(ctx: ScreenContext, verification: VerificationView | null): HTMLElement {
  if (!verification) {
    return h(
      'div',
      { class: 'verdict verdict-none', attrs: { 'data-verdict': 'none' } },
      ctx.t(T.notVerified),
    );
  }
  if (verification.genuine) {
    return h(
      'div',
      { class: 'verdict verdict-good', attrs: { 'data-verdict': 'genuine' } },
      h('span', { class: 'verdict-mark', attrs: { 'aria-hidden': 'true' } }, '✓'),
      ctx.t(T.genuine),
    );
  }
  return h(
    'div',
    { class: 'verdict verdict-bad', attrs: { 'data-verdict': 'not-genuine' } },
    h(
      'p',
      {},
      h('span', { class: 'verdict-mark', attrs: { 'aria-hidden': 'true' } }, '✗'),
      ctx.t(T.notGenuine),
    ),
    h(
      'ul',
      { class: 'failed-checks' },
      ...verification.failed.map((f) =>
        h(
          'li',
          { attrs: { 'data-check': f.check } },
          `${ctx.t(T.failedCheck)}：${ctx.t(checkName(f.check))}`,
        ),
      ),
    ),
  );
}

/** What the social security system said about the card, in plain words; nothing when it was not asked. */
export function registryBlock(ctx: ScreenContext, registry: RegistryView): HTMLElement | undefined {
  const text = registryText(registry);
  if (!text) return undefined;
  const tone = registry.status === 'valid' ? 'good' : registry.status === 'invalid' ? 'bad' : 'none';
  const mark = registry.status === 'valid' ? '✓' : registry.status === 'invalid' ? '✗' : undefined;
  return h(
    'div',
    {
      class: `verdict verdict-${tone}`,
      attrs: {
        'data-registry': registry.status,
        ...(registry.reason ? { 'data-reason': registry.reason } : {}),
      },
    },
    h(
      'p',
      {},
      mark && h('span', { class: 'verdict-mark', attrs: { 'aria-hidden': 'true' } }, mark),
      ctx.t(text),
    ),
    registry.status === 'invalid' && h('p', {}, ctx.t(T.registryInvalidHint)),
  );
}

export function isGenuine(card: CardReadView): boolean {
  // A terminal that checked nothing makes no claim; only a failed check stops the services.
  return card.verification?.genuine !== false;
}

export interface ResultHandlers {
  onServices(): void;
  onFinish(): void;
}

/** Right after a read: who the card belongs to, what card it is, and whether it is genuine. */
export function resultScreen(ctx: ScreenContext, card: CardReadView, on: ResultHandlers): HTMLElement {
  const genuine = isGenuine(card);
  return screen(
    'result',
    ctx.t(T.cardRead),
    [
      fields(ctx, [
        [T.name, holderName(card)],
        [T.cardNumber, card.info.cardNumber],
        [T.generation, ctx.t(formatGeneration(card.info))],
        [T.validity, ctx.t(formatValidity(card.info))],
      ]),
      verificationBlock(ctx, card.verification),
      genuine && registryBlock(ctx, card.registry),
      !genuine && para(ctx.t(T.notGenuineHint)),
      card.masked && para(ctx.t(T.maskedNote), 'note'),
      genuine
        ? actions(
            button(ctx.t(T.toServices), on.onServices),
            button(ctx.t(T.finish), on.onFinish, 'secondary'),
          )
        : actions(button(ctx.t(T.finish), on.onFinish)),
    ],
    genuine ? 'normal' : 'bad',
  );
}

/** "View my card information": every field the agent sent, as it sent it. */
export function detailsScreen(ctx: ScreenContext, card: CardReadView, onBack: () => void): HTMLElement {
  const gender = formatGender(card.info.gender);
  return screen('details', ctx.t(T.viewCard), [
    fields(ctx, [
      [T.name, holderName(card)],
      [T.gender, gender ? ctx.t(gender) : undefined],
      [T.ssn, card.info.ssn],
      [T.cardNumber, card.info.cardNumber],
      [T.generation, ctx.t(formatGeneration(card.info))],
      [T.issueDate, ctx.t(formatDate(card.info.issueDate))],
      [T.expiryDate, ctx.t(formatExpiry(card.info.expiryDate))],
    ]),
    verificationBlock(ctx, card.verification),
    card.masked && para(ctx.t(T.maskedNote), 'note'),
    actions(button(ctx.t(T.back), onBack)),
  ]);
}
