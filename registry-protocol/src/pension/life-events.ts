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
  /** A release of a holder with no imprisonment registered, or who is registered dead, or released on another date. */
  'LIFE_EVENT_NOT_RELEASABLE',
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
    /** For an imprisonment: the day of release, once registered. */
    releasedOn: isoDate.nullable(),
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

/**
 * A release from imprisonment: the pension is active again and the card account's pension use no
 * longer frozen. The months of the term (after the month of imprisonment, through the month of
 * release) are never paid; every other month withheld is paid by the next run, as when a
 * certification resumes a pension.
 */
export const releaseBody = z
  .strictObject({
    personNo,
    date: isoDate,
    /** The release certificate's number. */
    reference: z.string().min(1).max(100).optional(),
  })
  .register(contracts, { id: 'ReleaseRequest' });

export const releaseAnswerSchema = z
  .strictObject({
    registration: lifeEventSchema,
    /** The entitlement, active again, or null when the holder has none. */
    entitlement: entitlementSchema.nullable(),
    /** The months not paid for the term, or null when there are none. */
    unpaid: z.strictObject({ fromMonth: z.string(), toMonth: z.string() }).nullable(),
    replayed: z.boolean(),
  })
  .register(contracts, { id: 'ReleaseAnswer' });
export type ReleaseAnswer = z.output<typeof releaseAnswerSchema>;
