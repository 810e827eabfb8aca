import { z } from 'zod';
import { contracts } from './contracts.js';
import { cardPresentProof } from './fields.js';
import { cardSchema, historySchema, issuedCardSchema } from './holders.js';
import { route } from './route.js';
import { CARD_GENERATIONS, REQUESTABLE_CARD_EVENTS } from './vocabulary.js';

/** A lifecycle event for a card. Terminals send an `Idempotency-Key` header with it. */
export const cardEventRequestSchema = z
  .strictObject({
    event: z.enum(REQUESTABLE_CARD_EVENTS),
    reason: z.string().max(200).optional(),
    /** For `replace`: the generation of the new card; the old card's by default. */
    generation: z.union(CARD_GENERATIONS.map((g) => z.literal(g))).optional(),
    /** Card-present proof: required from terminals for every event (operators send none). */
    proof: cardPresentProof.optional(),
  })
  .register(contracts, { id: 'CardEventRequest' });
export type CardEventRequest = z.input<typeof cardEventRequestSchema>;

export const cardEventResultSchema = z
  .object({
    card: cardSchema,
    /** For `replace`: the new card and its personalisation document. */
    replacement: issuedCardSchema.optional(),
    /** True when the service answered with the result it stored for the idempotency key (a resend). */
    replayed: z.boolean().optional(),
  })
  .register(contracts, { id: 'CardEventResult' });
export type CardEventResult = z.output<typeof cardEventResultSchema>;

/** The part of a card event's answer a terminal reads: tolerant of everything else the service adds. */
export const terminalCardEventResultSchema = z.object({
  card: cardSchema.pick({ cardNumber: true, status: true, temporaryLossUntil: true, statusChangedAt: true }),
  replayed: z.boolean().optional(),
});

export const cardRoutes = [
  route({
    operationId: 'applyCardEvent',
    method: 'post',
    path: '/v1/cards/:cardNumber/events',
    summary: 'Apply a lifecycle event to a card (operators; kiosks and banks as the lifecycle table allows)',
    tag: 'terminal',
    access: { terminals: ['kiosk', 'bank'], scope: 'registry:write' },
    body: cardEventRequestSchema,
    responses: {
      200: {
        description:
          'the card after the event; for replace, also the new card and its personalisation document',
        body: cardEventResultSchema,
      },
    },
  }),
  route({
    operationId: 'getCard',
    method: 'get',
    path: '/v1/cards/:cardNumber',
    summary: 'A card as it stands now',
    tag: 'operator',
    access: { scope: 'registry:read' },
    responses: { 200: { description: 'the card', body: cardSchema } },
  }),
  route({
    operationId: 'getCardHistory',
    method: 'get',
    path: '/v1/cards/:cardNumber/history',
    summary: "The history of a card's lifecycle",
    tag: 'operator',
    access: { scope: 'registry:read' },
    responses: { 200: { description: 'history entries, oldest first', body: historySchema } },
  }),
] as const;
