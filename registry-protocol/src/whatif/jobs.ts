import { z } from 'zod';
import { instant } from '../fields.js';

/**
 * Analyses that run in the background (a policy replay, a retirement-age projection, a data
 * quality scan): started by an operator, followed by their progress, and kept with the parameters
 * they ran with, so that two results can be compared.
 */
export const ANALYSIS_KINDS = ['policy', 'pension', 'dataQuality'] as const;
export type AnalysisKind = (typeof ANALYSIS_KINDS)[number];

export const ANALYSIS_STATUSES = ['running', 'done', 'failed'] as const;
export type AnalysisStatus = (typeof ANALYSIS_STATUSES)[number];

export const analysisJobSchema = z.strictObject({
  jobId: z.string(),
  kind: z.enum(ANALYSIS_KINDS),
  status: z.enum(ANALYSIS_STATUSES),
  /** Items done of the total (settlements replayed, holders projected, holders scanned). */
  done: z.number().int(),
  total: z.number().int(),
  /** The request as the operator made it. */
  parameters: z.record(z.string(), z.unknown()),
  /** The kind's result once done: a `PolicyWhatIfResult`, a `PensionProjectionResult`… */
  result: z.record(z.string(), z.unknown()).nullable(),
  error: z.string().nullable(),
  startedBy: z.string(),
  startedAt: instant,
  finishedAt: instant.nullable(),
});
export type AnalysisJob = z.output<typeof analysisJobSchema>;

export const analysisJobsQuery = z.strictObject({
  kind: z.enum(ANALYSIS_KINDS).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const analysisJobsSchema = z.strictObject({
  /** Newest first, without their results (fetch a job for its result). */
  jobs: z.array(analysisJobSchema),
});

/** Two results of one kind side by side: each figure of `a`, of `b`, and b − a. */
export const comparisonQuery = z.strictObject({ a: z.string().min(1), b: z.string().min(1) });

export const comparedFigureSchema = z.strictObject({
  /** Where the figure sits in the result, e.g. `funds.after.pooled`. */
  path: z.string(),
  a: z.number(),
  b: z.number(),
  difference: z.number(),
});

export const comparisonSchema = z.strictObject({
  kind: z.enum(ANALYSIS_KINDS),
  a: analysisJobSchema,
  b: analysisJobSchema,
  /** Every numeric figure the two results share, in the order of `a`'s result. */
  figures: z.array(comparedFigureSchema),
});
export type Comparison = z.output<typeof comparisonSchema>;
