import type { CardEvent } from '@sscard/registry-protocol';
import { DomainError } from '../errors.js';
import type { ActorKind } from '../registry/actor.js';
import type { Card, CardStatus } from '../registry/model.js';

/**
 * The card lifecycle, in one table. Every change of a card's state goes through `transition`,
 * so what is legal is read here and nowhere else.
 *
 *   issued ──activateSocialSecurity──▶ active ◀──unblock / liftTemporaryLoss── temporarily_lost
 *      │  (activateFinancial: a flag, in issued or active)   │ ──reportTemporaryLoss──▶ ┘
 *      │                                                     ├──reportFormalLoss──▶ lost (final)
 *      └────────────── cancel ──▶ cancelled ◀── cancel ──────┤                        │
 *                                                            └──replace──▶ replaced ◀─┘
 *
 * `resetPin` records a PIN reset and leaves the state as it is. A temporary card follows the
 * same table; its short validity is its expiry date.
 */
export { CARD_EVENTS, type CardEvent, TERMINAL_TYPES, type TerminalType } from '@sscard/registry-protocol';

interface Transition {
  from: readonly CardStatus[];
  /** `null`: the state stays (a flag or an event only). */
  to: CardStatus | null;
  actors: readonly ActorKind[];
}

export const TRANSITIONS: Readonly<Record<CardEvent, Transition>> = {
  activateSocialSecurity: { from: ['issued'], to: 'active', actors: ['operator', 'bank'] },
  activateFinancial: { from: ['issued', 'active'], to: null, actors: ['operator', 'bank'] },
  // The one thing a kiosk may do to a card: a citizen who misses the card blocks it at once.
  reportTemporaryLoss: { from: ['active'], to: 'temporarily_lost', actors: ['operator', 'kiosk', 'bank'] },
  unblock: { from: ['temporarily_lost'], to: 'active', actors: ['operator', 'bank'] },
  liftTemporaryLoss: { from: ['temporarily_lost'], to: 'active', actors: ['system'] },
  reportFormalLoss: { from: ['active', 'temporarily_lost'], to: 'lost', actors: ['operator'] },
  replace: { from: ['active', 'temporarily_lost', 'lost'], to: 'replaced', actors: ['operator'] },
  cancel: { from: ['issued', 'active', 'temporarily_lost', 'lost'], to: 'cancelled', actors: ['operator'] },
  // At a bureau counter, on a clerk's authorisation (bureau-counter/pin-authorisations.ts).
  resetPin: { from: ['issued', 'active'], to: null, actors: ['operator', 'bureau'] },
};

/** The state after `event`, or a DomainError naming the state and the event. */
export function nextState(
  card: Pick<Card, 'status' | 'financialActive'>,
  event: CardEvent,
  actor: ActorKind,
) {
  const t = TRANSITIONS[event];
  if (!t) throw new DomainError('UNKNOWN_EVENT', `unknown card event ${event}`, 400, { event });
  if (!t.actors.includes(actor)) {
    throw new DomainError('EVENT_NOT_ALLOWED', `${actor} may not ${event} a card`, 403, {
      event,
      actor,
    });
  }
  if (!t.from.includes(card.status) || (event === 'activateFinancial' && card.financialActive)) {
    throw new DomainError(
      'ILLEGAL_TRANSITION',
      `a card in state ${card.status}${event === 'activateFinancial' && card.financialActive ? ' with the financial function active' : ''} cannot ${event}`,
      409,
      { state: card.status, event },
    );
  }
  return t.to ?? card.status;
}
