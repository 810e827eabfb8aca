import { z } from 'zod';

/**
 * Medical settlement policy: what an operator publishes per insured region, scheme and year, and
 * what the calculation reads. Money is integer fen, ratios and shares basis points (10000 = 100 %).
 */

export const SCHEME_CODES = ['310', '390'] as const;
export type SchemeCode = (typeof SCHEME_CODES)[number];

export const VISIT_TYPES = ['outpatient', 'inpatient'] as const;
export type VisitType = (typeof VISIT_TYPES)[number];

export const HOSPITAL_LEVELS = [1, 2, 3] as const;
export type HospitalLevel = (typeof HOSPITAL_LEVELS)[number];

export const PERSON_GROUPS = ['in_service', 'retired'] as const;
export type PersonGroup = (typeof PERSON_GROUPS)[number];

export const ITEM_CLASSES = ['A', 'B', 'C'] as const;
export type ItemClass = (typeof ITEM_CLASSES)[number];

/** An amount of money in fen: a non-negative safe integer. */
export const fenAmount = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
export const basisPoints = z.number().int().min(0).max(10_000);
export const regionCode = z.string().regex(/^[1-9][0-9]{5}$/, 'a six-digit region code');
export const isoDate = z
  .string()
  .regex(/^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$/, 'a date YYYY-MM-DD');

const byLevel = <T extends z.ZodType>(value: T) => z.strictObject({ '1': value, '2': value, '3': value });
const byGroup = z.strictObject({ in_service: basisPoints, retired: basisPoints });

export const policyParametersSchema = z.strictObject({
  /** Outpatient deductible per calendar year, by hospital level. */
  outpatientDeductible: byLevel(fenAmount),
  /** Inpatient deductible per admission, by hospital level. */
  inpatientDeductible: byLevel(fenAmount),
  /** The pooled fund's share of what is left after the deductible: visit type × level × group. */
  ratios: z.strictObject({ outpatient: byLevel(byGroup), inpatient: byLevel(byGroup) }),
  /** The most the pooled fund pays for one person in one year. */
  pooledFundCeiling: fenAmount,
  /** The large-expense fund, which takes what the pooled fund's ceiling leaves; null: none. */
  largeExpenseFund: z
    .strictObject({
      /** Its own yearly deductible. */
      deductible: fenAmount,
      ratio: basisPoints,
      /** Its yearly ceiling; null: none. */
      ceiling: fenAmount.nullable(),
    })
    .nullable(),
});
export type PolicyParameters = z.infer<typeof policyParametersSchema>;

/** A policy as an operator writes it (the CLI's JSON file, the API's body). */
export const policyDraftSchema = z
  .strictObject({
    region: regionCode,
    scheme: z.enum(SCHEME_CODES),
    year: z.number().int().min(2000).max(2199),
    /** The first day this version applies; within `year`. */
    effectiveFrom: isoDate,
    parameters: policyParametersSchema,
  })
  .refine((p) => p.effectiveFrom.startsWith(`${p.year}-`), {
    message: 'effectiveFrom lies in the policy year',
    path: ['effectiveFrom'],
  });
export type PolicyDraft = z.infer<typeof policyDraftSchema>;

/** A published version: versions of one region, scheme and year count 1, 2, 3… and are never changed. */
export const publishedPolicySchema = z.strictObject({
  region: regionCode,
  scheme: z.enum(SCHEME_CODES),
  year: z.number().int(),
  version: z.number().int().min(1),
  effectiveFrom: isoDate,
  parameters: policyParametersSchema,
  publishedAt: z.string(),
  publishedBy: z.string(),
});
export type PublishedPolicy = z.infer<typeof publishedPolicySchema>;

/** Year-to-date amounts of one person under one scheme and insured region. */
export const accumulatorsSchema = z.strictObject({
  outpatientDeductiblePaid: fenAmount,
  pooledFundUsed: fenAmount,
  largeExpenseDeductiblePaid: fenAmount,
  largeExpenseFundUsed: fenAmount,
});
export type Accumulators = z.infer<typeof accumulatorsSchema>;

export const ZERO_ACCUMULATORS: Accumulators = {
  outpatientDeductiblePaid: 0,
  pooledFundUsed: 0,
  largeExpenseDeductiblePaid: 0,
  largeExpenseFundUsed: 0,
};

/** One catalogue item of a region. */
export const catalogueItemSchema = z
  .strictObject({
    itemCode: z.string().min(1).max(50),
    name: z.string().min(1).max(200),
    itemClass: z.enum(ITEM_CLASSES),
    /** Class B only: the share the patient pays before the funds look at the item. */
    preSelfPayShare: basisPoints,
    /** The most the funds recognise per unit; null: no ceiling. */
    priceCeiling: fenAmount.nullable(),
  })
  .refine((i) => i.itemClass === 'B' || i.preSelfPayShare === 0, {
    message: 'only class B items have a pre-self-pay share',
    path: ['preSelfPayShare'],
  });
export type CatalogueItem = z.infer<typeof catalogueItemSchema>;

/** A bill line as the calculation sees it: the item resolved from the catalogue. */
export const pricedLineSchema = z.strictObject({
  itemCode: z.string().min(1).max(50),
  itemClass: z.enum(ITEM_CLASSES),
  preSelfPayShare: basisPoints,
  priceCeiling: fenAmount.nullable(),
  unitPrice: fenAmount,
  /** Whole units (tablets, sessions, days). */
  quantity: z.number().int().min(1).max(1_000_000),
});
export type PricedLine = z.infer<typeof pricedLineSchema>;

export const visitTermsSchema = z.strictObject({
  visitType: z.enum(VISIT_TYPES),
  hospitalLevel: z.union([z.literal(1), z.literal(2), z.literal(3)]),
  personGroup: z.enum(PERSON_GROUPS),
});
export type VisitTerms = z.infer<typeof visitTermsSchema>;
