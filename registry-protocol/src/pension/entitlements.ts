import { z } from 'zod';
import { contracts } from '../contracts.js';
import { instant, isoDate, region } from '../fields.js';

/**
 * Pension entitlements and the monthly run (issue 14): a holder's monthly amount, first month and
 * paying region, its status with history, and the payments each month's run posted to the
 * holder's card account.
 */
export const PENSION_STATUSES = ['active', 'suspended', 'stopped'] as const;
export type PensionStatus = (typeof PENSION_STATUSES)[number];

/** The refusals of the pension routes. */
export const PENSION_REFUSALS = [
  /** The holder has an entitlement already; change its status instead. */
  'PENSION_ENTITLEMENT_EXISTS',
  /** A stopped entitlement stays stopped; a status is not set to itself. */
  'PENSION_STATUS_ILLEGAL',
  /** The holder has no pension to certify for, or it is stopped. */
  'PENSION_NOT_CERTIFIABLE',
  /** A re-assessed amount from a month already paid: months paid are not paid again. */
  'PENSION_AMOUNT_ALREADY_PAID',
  /** A monthly run asked for a month that has not begun (in China time). */
  'PENSION_RUN_EARLY',
] as const;
export type PensionRefusal = (typeof PENSION_REFUSALS)[number];

/** A calendar month, `YYYY-MM`: the month a payment is for. */
export const month = z.string().regex(/^[0-9]{4}-(0[1-9]|1[0-2])$/, 'a month YYYY-MM');
/** A monthly amount in fen: more than nothing. */
export const monthlyAmount = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
export const personNo = z.string().min(1).max(40);

export const entitlementBody = z
  .strictObject({
    personNo,
    monthlyAmount,
    firstMonth: month,
    payingRegion: region,
  })
  .register(contracts, { id: 'PensionEntitlementRequest' });

export const entitlementSchema = z
  .strictObject({
    personNo: z.string(),
    monthlyAmount: z.number().int(),
    firstMonth: month,
    payingRegion: z.string(),
    status: z.enum(PENSION_STATUSES),
    /** The last month payable (set when the entitlement is stopped), or null. */
    lastMonth: month.nullable(),
    /** The last month paid, or null before the first payment. */
    paidThrough: month.nullable(),
    /** The last day of the certification cycle (12 months from the last certification or the grant). */
    certifiedUntil: isoDate,
    /** Why a suspended pension is suspended: a lapsed certification, or an operator. */
    suspendedFor: z.enum(['certification', 'operator']).nullable(),
    /** When the card account's pension use was frozen (a death or imprisonment registered), or null. */
    frozenAt: instant.nullable(),
    createdAt: instant,
    updatedAt: instant,
  })
  .register(contracts, { id: 'PensionEntitlement' });
export type PensionEntitlement = z.output<typeof entitlementSchema>;

export const entitlementChangeSchema = z
  .strictObject({
    at: instant,
    action: z.string(),
    status: z.enum(PENSION_STATUSES),
    monthlyAmount: z.number().int(),
    reason: z.string().nullable(),
    actor: z.string(),
  })
  .register(contracts, { id: 'PensionEntitlementChange' });

export const entitlementRecordSchema = z
  .strictObject({ entitlement: entitlementSchema, history: z.array(entitlementChangeSchema) })
  .register(contracts, { id: 'PensionEntitlementRecord' });
export type PensionEntitlementRecord = z.output<typeof entitlementRecordSchema>;

export const entitlementStatusBody = z
  .strictObject({
    status: z.enum(PENSION_STATUSES),
    reason: z.string().min(1).max(200),
    /** For `stopped`: the last month still payable; the current month when absent. */
    lastMonth: month.optional(),
  })
  .register(contracts, { id: 'PensionStatusRequest' });

/**
 * An entitlement's monthly amount re-assessed from a month on: the runs pay every month from
 * `fromMonth` (withheld months included) at the new amount, the months before it at the amount
 * they had. The month must not be paid yet.
 */
export const entitlementAmountBody = z
  .strictObject({
    monthlyAmount,
    fromMonth: month,
    /** The re-assessment's ground (the yearly adjustment, a correction). */
    reason: z.string().min(1).max(200),
  })
  .register(contracts, { id: 'PensionAmountRequest' });

export const pensionPaymentSchema = z
  .strictObject({
    month,
    amount: z.number().int(),
    payingRegion: z.string(),
    /** The run that paid it: later than `month` for withheld months paid on resumption. */
    runMonth: month,
    paidAt: instant,
    /** The ledger transaction of the payment. */
    txnId: z.string(),
  })
  .register(contracts, { id: 'PensionPayment' });
export type PensionPayment = z.output<typeof pensionPaymentSchema>;

export const pensionPaymentsSchema = z
  .strictObject({ personNo: z.string(), payments: z.array(pensionPaymentSchema) })
  .register(contracts, { id: 'PensionPayments' });

export const pensionRunSchema = z
  .strictObject({
    month,
    region: z.string(),
    startedAt: instant,
    updatedAt: instant,
    completedAt: instant.nullable(),
    /** Holders paid and payments posted so far (withheld months count one payment each). */
    holders: z.number().int(),
    payments: z.number().int(),
    amount: z.number().int(),
  })
  .register(contracts, { id: 'PensionRun' });
export type PensionRun = z.output<typeof pensionRunSchema>;

export const pensionRunsQuery = z.strictObject({ month }).register(contracts, { id: 'PensionRunsQuery' });
export const pensionRunsSchema = z
  .strictObject({ runs: z.array(pensionRunSchema) })
  .register(contracts, { id: 'PensionRuns' });

/**
 * The monthly run started through the API (it runs in the service, batch after batch, as the
 * command does): the month, and one paying region or every one. Asking again while it runs starts
 * nothing; asking after it completed pays only what has become due since, usually nothing.
 */
export const pensionRunBody = z
  .strictObject({ month, region: region.optional() })
  .register(contracts, { id: 'PensionRunRequest' });

export const pensionRunStartedSchema = z
  .strictObject({
    month,
    region: z.string().nullable(),
    /** False when the same run was already going: this request joined it. */
    started: z.boolean(),
    /** The month's runs as recorded so far; follow them with GET /v1/pensions/runs. */
    runs: z.array(pensionRunSchema),
  })
  .register(contracts, { id: 'PensionRunStarted' });
export type PensionRunStarted = z.output<typeof pensionRunStartedSchema>;
