import { z } from 'zod';
import { contracts } from '../contracts.js';
import { cardNumber, cardPresentProof, instant, isoDate, region } from '../fields.js';
import { entitlementSchema, personNo } from './entitlements.js';

/**
 * Eligibility certification (待遇领取资格认证): once every 12 months a pensioner shows that they
 * are alive and entitled — at a kiosk with card, PIN and a card-present proof, at a bank counter
 * the same way, at a bureau office before an operator, or silently, from behaviour with the card
 * present (a medical settlement, a card event, an identity check) in the last months.
 */
/**
 * Behaviour with the card present that certifies silently: a medical settlement, a card event at
 * a terminal (with its proof), an identity check with a card-present proof, a bank withdrawal
 * authorised by the card's cryptogram.
 */
export const PRESENCE_KINDS = ['settlement', 'card_event', 'identity_check', 'withdrawal'] as const;
export type PresenceKind = (typeof PRESENCE_KINDS)[number];

export const CERTIFICATION_METHODS = ['kiosk', 'bank', 'bureau', 'silent'] as const;
export type CertificationMethod = (typeof CERTIFICATION_METHODS)[number];

export const certificationSchema = z
  .strictObject({
    personNo: z.string(),
    certifiedAt: instant,
    method: z.enum(CERTIFICATION_METHODS),
    /** The last day of the cycle this certification starts. */
    validUntil: isoDate,
    terminalId: z.string().nullable(),
    operatorId: z.string().nullable(),
    /** What it rests on: the terminal's card and proof, or the behaviour event (kind, time, region). */
    evidence: z.record(z.string(), z.unknown()),
  })
  .register(contracts, { id: 'PensionCertification' });
export type PensionCertification = z.output<typeof certificationSchema>;

export const certificationAnswerSchema = z
  .strictObject({
    certification: certificationSchema,
    /** The entitlement after it: a pension suspended for a lapsed certification is active again. */
    entitlement: entitlementSchema,
    replayed: z.boolean().optional(),
  })
  .register(contracts, { id: 'PensionCertificationAnswer' });
export type CertificationAnswer = z.output<typeof certificationAnswerSchema>;

export const bureauCertificationBody = z
  .strictObject({ personNo, note: z.string().min(1).max(200).optional() })
  .register(contracts, { id: 'PensionBureauCertificationRequest' });

export const cardCertificationBody = z
  .strictObject({ cardNumber, proof: cardPresentProof })
  .register(contracts, { id: 'PensionCardCertificationRequest' });

export const certificationsSchema = z
  .strictObject({ personNo: z.string(), certifications: z.array(certificationSchema) })
  .register(contracts, { id: 'PensionCertifications' });

/** The most holders one page of the due list has. */
export const MAX_DUE_PAGE = 1000;

/**
 * Where a page of the due list ends and the next begins: the last holder's cycle end and person
 * number (`2027-01-09:P0001`). Pass it back as it is.
 */
const dueCursor = z.string().regex(/^\d{4}-\d{2}-\d{2}:.{1,40}$/, 'a nextCursor of an earlier page');

export const certificationDueQuery = z
  .strictObject({
    withinDays: z.coerce.number().int().min(0).max(366).default(30),
    region: region.optional(),
    limit: z.coerce.number().int().min(1).max(MAX_DUE_PAGE).default(100),
    /** The `nextCursor` of the page before; absent: the first page. */
    after: dueCursor.optional(),
  })
  .register(contracts, { id: 'PensionCertificationDueQuery' });

export const certificationDueSchema = z
  .strictObject({
    asOf: isoDate,
    holders: z.array(
      z.strictObject({
        personNo: z.string(),
        payingRegion: z.string(),
        status: z.string(),
        certifiedUntil: isoDate,
        /** The cycle has ended: the next run suspends the pension unless behaviour certifies it. */
        lapsed: z.boolean(),
      }),
    ),
    /** Where the next page begins, null on the last page. */
    nextCursor: dueCursor.nullable(),
  })
  .register(contracts, { id: 'PensionCertificationDue' });
export type CertificationDue = z.infer<typeof certificationDueSchema>;
