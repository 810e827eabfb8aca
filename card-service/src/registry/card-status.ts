import type { Card, CardStatus } from './model.js';

/** States a card never leaves: its holder's next card is a new card. */
export const FINAL_STATES: readonly CardStatus[] = ['replaced', 'cancelled'];

/**
 * The card as it stands at `now`: a temporary loss whose period is over has lifted itself. This
 * is evaluated whenever a card is read, so no timer has to run for it.
 */
export function effectiveCard<C extends Pick<Card, 'status' | 'temporaryLossUntil' | 'statusChangedAt'>>(
  card: C,
  now: Date,
): C {
  if (
    card.status === 'temporarily_lost' &&
    card.temporaryLossUntil !== null &&
    card.temporaryLossUntil <= now.toISOString()
  ) {
    return { ...card, status: 'active', temporaryLossUntil: null, statusChangedAt: card.temporaryLossUntil };
  }
  return card;
}
