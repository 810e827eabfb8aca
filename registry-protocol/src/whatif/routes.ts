import type { z } from 'zod';
import { contracts } from '../contracts.js';
import { type RouteContract, route } from '../route.js';
import {
  analysisJobSchema,
  analysisJobsQuery,
  analysisJobsSchema,
  comparisonQuery,
  comparisonSchema,
} from './jobs.js';
import {
  DATA_QUALITY_REFUSALS,
  dataQualityScanBody,
  findingSchema,
  findingsQuery,
  findingsSchema,
  resolveFindingBody,
} from './data-quality.js';
import {
  fundCheckBody,
  fundCheckSchema,
  fundWatchBody,
  fundWatchKey,
  fundWatchSchema,
  fundWatchesSchema,
} from './fund-warnings.js';
import { pensionProjectionBody } from './pension-projection.js';
import { policyWhatIfBody } from './policy-whatif.js';

export const ANALYSIS_REFUSALS = [
  /** The service is stopping: the analysis did not start, or stopped before its end. */
  'ANALYSIS_STOPPED',
  /** A comparison of an analysis that is still running or failed. */
  'ANALYSIS_NOT_DONE',
  ...DATA_QUALITY_REFUSALS,
] as const;

const named = <T extends z.ZodType>(schema: T, id: string): T => {
  contracts.add(schema, { id });
  return schema;
};

const job = named(analysisJobSchema, 'AnalysisJob');
const jobs = named(analysisJobsSchema, 'AnalysisJobs');
const jobsQuery = named(analysisJobsQuery.omit({ kind: true }), 'AnalysisJobsQuery');
const compareQuery = named(comparisonQuery, 'AnalysisComparisonQuery');
const comparison = named(comparisonSchema, 'AnalysisComparison');

/** The four routes of one kind of analysis: start, list, one with its result, two compared. */
const analysisRoutes = <const Name extends string, const Path extends string, const B extends z.ZodType>(
  name: Name,
  path: Path,
  body: B,
  scope: NonNullable<RouteContract['access']['scope']>,
  what: string,
) =>
  [
    route({
      operationId: `start${name}`,
      method: 'post',
      path: `/v1/analyses/${path}`,
      summary: `Start ${what} in the background (audited); poll it for progress and its result`,
      tag: 'operator',
      access: { scope },
      body,
      responses: { 202: { description: 'the analysis, running', body: job } },
    }),
    route({
      operationId: `list${name}s`,
      method: 'get',
      path: `/v1/analyses/${path}`,
      summary: `Runs of ${what}, newest first, with their parameters (results apart)`,
      tag: 'operator',
      access: { scope },
      query: jobsQuery,
      responses: { 200: { description: 'the runs', body: jobs } },
    }),
    route({
      operationId: `get${name}`,
      method: 'get',
      path: `/v1/analyses/${path}/:jobId`,
      summary: `One run of ${what}: progress, parameters, and its result once done`,
      tag: 'operator',
      access: { scope },
      responses: { 200: { description: 'the run', body: job } },
    }),
    route({
      operationId: `compare${name}s`,
      method: 'get',
      path: `/v1/analyses/${path}-comparison`,
      summary: `Two finished runs of ${what} figure by figure (b − a)`,
      tag: 'operator',
      access: { scope },
      query: compareQuery,
      responses: { 200: { description: 'the figures of both and their differences', body: comparison } },
    }),
  ] as const;

export const whatIfRoutes = [
  ...analysisRoutes(
    'PolicyWhatIf',
    'policy-what-if',
    named(policyWhatIfBody, 'PolicyWhatIfRequest'),
    'settlement:manage',
    'a settlement policy what-if (the year replayed under changed parameters)',
  ),
  ...analysisRoutes(
    'PensionProjection',
    'pension-projection',
    named(pensionProjectionBody, 'PensionProjectionRequest'),
    'pension:manage',
    'a retirement-age projection of new pensioners, pension outflow and the fund',
  ),
  ...analysisRoutes(
    'DataQualityScan',
    'data-quality',
    named(dataQualityScanBody, 'DataQualityScanRequest'),
    'registry:write',
    'a data quality scan of the registry (findings kept until resolved)',
  ),
  route({
    operationId: 'listDataQualityFindings',
    method: 'get',
    path: '/v1/data-quality/findings',
    summary: 'Findings that break the registry as the one source of holder data: open, resolved or all',
    tag: 'operator',
    access: { scope: 'registry:read' },
    query: named(findingsQuery, 'DataQualityFindingsQuery'),
    responses: {
      200: { description: 'the findings, newest first', body: named(findingsSchema, 'DataQualityFindings') },
    },
  }),
  route({
    operationId: 'resolveDataQualityFinding',
    method: 'post',
    path: '/v1/data-quality/findings/:findingId/resolve',
    summary:
      'Resolve a finding: correct the ID number or the holder’s data, or dismiss it, with a note (audited)',
    tag: 'operator',
    access: { scope: 'registry:write' },
    body: named(resolveFindingBody, 'ResolveDataQualityFinding'),
    responses: {
      200: { description: 'the finding, resolved', body: named(findingSchema, 'DataQualityFinding') },
    },
  }),
  route({
    operationId: 'checkFunds',
    method: 'post',
    path: '/v1/funds/check',
    summary:
      'Forecast a region’s pooled, large-expense and pension funds and raise their warnings as risk alerts',
    tag: 'operator',
    access: { scope: 'risk:manage' },
    body: named(fundCheckBody, 'FundCheckRequest'),
    responses: {
      200: {
        description: 'the warnings with their figures, each fund’s months and forecast',
        body: named(fundCheckSchema, 'FundCheck'),
      },
    },
  }),
  route({
    operationId: 'setFundWatch',
    method: 'post',
    path: '/v1/funds/watches',
    summary:
      'Have the daily job check a region’s funds with these settings, as of the last complete month (audited)',
    tag: 'operator',
    access: { scope: 'risk:manage' },
    body: named(fundWatchBody, 'FundWatchRequest'),
    responses: { 200: { description: 'the standing check', body: named(fundWatchSchema, 'FundWatch') } },
  }),
  route({
    operationId: 'listFundWatches',
    method: 'get',
    path: '/v1/funds/watches',
    summary: 'The regions whose funds the daily job checks, with their settings and last check',
    tag: 'operator',
    access: { scope: 'risk:manage' },
    responses: { 200: { description: 'the standing checks', body: named(fundWatchesSchema, 'FundWatches') } },
  }),
  route({
    operationId: 'removeFundWatch',
    method: 'post',
    path: '/v1/funds/watches/remove',
    summary: 'Stop the daily check of a region’s funds (audited)',
    tag: 'operator',
    access: { scope: 'risk:manage' },
    body: named(fundWatchKey, 'FundWatchKey'),
    responses: { 200: { description: 'the standing checks left', body: fundWatchesSchema } },
  }),
] as const;
