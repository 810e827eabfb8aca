import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DomainError } from '../errors.js';
import type { Card, CardStatus } from '../registry/model.js';
import { effectiveCard } from '../registry/card-status.js';
import { CARD_EVENTS, TRANSITIONS, nextState } from './transitions.js';

const STATES: CardStatus[] = ['issued', 'active', 'temporarily_lost', 'lost', 'replaced', 'cancelled'];

describe('card lifecycle table', () => {
  for (const state of STATES) {
    for (const event of CARD_EVENTS) {
      const t = TRANSITIONS[event];
      const actor = t.actors[0]!;
      const legal = t.from.includes(state);
      test(`${event} from ${state} is ${legal ? `legal → ${t.to ?? state}` : 'refused'}`, () => {
        const card = { status: state, financialActive: false };
        if (legal) assert.equal(nextState(card, event, actor), t.to ?? state);
        else {
          assert.throws(
            () => nextState(card, event, actor),
            (e: unknown) =>
              e instanceof DomainError &&
              e.code === 'ILLEGAL_TRANSITION' &&
              e.details?.state === state &&
              e.details?.event === event &&
              e.message.includes(state) &&
              e.message.includes(event),
          );
        }
      });
    }
  }

  test('a kiosk may place a temporary loss and nothing else', () => {
    const allowed = CARD_EVENTS.filter((e) => TRANSITIONS[e].actors.includes('kiosk'));
    assert.deepEqual(allowed, ['reportTemporaryLoss']);
    assert.throws(
      () => nextState({ status: 'temporarily_lost', financialActive: false }, 'unblock', 'kiosk'),
      (e: unknown) => e instanceof DomainError && e.code === 'EVENT_NOT_ALLOWED' && e.status === 403,
    );
  });

  test('hospital and pharmacy terminals change no card state', () => {
    for (const e of CARD_EVENTS) {
      assert.ok(!TRANSITIONS[e].actors.includes('hospital'));
      assert.ok(!TRANSITIONS[e].actors.includes('pharmacy'));
    }
  });

  test('activating the financial function twice is refused', () => {
    assert.throws(
      () => nextState({ status: 'active', financialActive: true }, 'activateFinancial', 'operator'),
      (e: unknown) => e instanceof DomainError && e.code === 'ILLEGAL_TRANSITION',
    );
  });

  test('a temporary loss reads as lifted once its period is over, and not before', () => {
    const card = {
      status: 'temporarily_lost',
      temporaryLossUntil: '2025-03-08T02:00:00.000Z',
    } as Card;
    assert.equal(effectiveCard(card, new Date('2025-03-08T01:59:59.999Z')).status, 'temporarily_lost');
    const lifted = effectiveCard(card, new Date('2025-03-08T02:00:00.000Z'));
    assert.equal(lifted.status, 'active');
    assert.equal(lifted.temporaryLossUntil, null);
  });
});
