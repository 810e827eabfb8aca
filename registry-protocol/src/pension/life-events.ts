import { z } from 'zod';
import { contracts } from '../contracts.js';
import { instant, isoDate } from '../fields.js';
import { riskAlertSchema } from '../risk.js';
import { entitlementSchema, personNo } from './entitlements.js';

/**
 * Death and imprisonment registrations (from an operator, or the civil affairs and justice feeds):
 * payments stop from the month after the date, the card account's pension use is frozen, and
 * every payment already made for a later month raises an alert with the amount to recover.
 */
export const LIFE_EVENT_KINDS = ['death', 'imprisonment'] as const;
export type LifeEventKind = (typeof LIFE_EVENT_KINDS)[number];

export const LIFE_EVENT_REFUSALS = [
  /** The holder has a registration of that kind with another date already. */
  'LIFE_EVENT_CONFLICT',
] as const;

export const lifeEventBody = z
  .strictObject({
    personNo,
    kind: z.enum(LIFE_EVENT_KINDS),
    date: isoDate,
    /** The certificate or judgment number, or the feed's record id. */
    reference: z.string().min(1).max(100).optional(),
  })
  .register(contracts, { id: 'LifeEventRequest' });

export const lifeEventSchema = z
  .strictObject({
    personNo: z.string(),
    kind: z.enum(LIFE_EVENT_KINDS),
    date: isoDate,
    reference: z.string().nullable(),
    source: z.enum(['operator', 'feed']),
    registeredAt: instant,
    registeredBy: z.string(),
  })
  .register(contracts, { id: 'LifeEvent' });

export const lifeEventAnswerSchema = z
  .strictObject({
    registration: lifeEventSchema,
    /** The entitlement, stopped and frozen, or null when the holder had none. */
    entitlement: entitlementSchema.nullable(),
    /** The alerts this registration raised: one per payment made for a month after the date. */
    alerts: z.array(riskAlertSchema),
    /** True when the same registration was made before; nothing changed. */
    replayed: z.boolean(),
  })
  .register(contracts, { id: 'LifeEventAnswer' });
