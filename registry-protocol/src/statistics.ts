import { z } from 'zod';
import { contracts } from './contracts.js';
import { instant, isoDate } from './fields.js';
import { route } from './route.js';

/**
 * The bureau's statistics ("macro view"): figures by region and period, read from the daily
 * roll-ups the service keeps, never from a scan of the events per request.
 *
 * Regions drill down by the prefix of the six-digit region code: none = the whole country by
 * province, 2 digits = a province by city, 4 = a city by district, 6 = one district. Every report
 * is a few named tables of plain columns, so that a chart, a table and a CSV download of the same
 * figures come from one answer.
 */
export const STATISTICS_REPORTS = [
  'registry',
  'identity-checks',
  'settlements',
  'pensions',
  'alerts',
] as const;
export type StatisticsReport = (typeof STATISTICS_REPORTS)[number];

export const REGION_LEVELS = ['nation', 'province', 'city', 'district'] as const;
export type RegionLevel = (typeof REGION_LEVELS)[number];

/** What a column holds: a count, money in fen, a ratio in basis points, or text (a day, a code). */
export const STAT_UNITS = ['count', 'fen', 'bp', 'text'] as const;
export type StatUnit = (typeof STAT_UNITS)[number];

export const regionPrefix = z
  .string()
  .regex(/^(\d{2}|\d{4}|\d{6})$/, 'a region code prefix: 2 (province), 4 (city) or 6 (district) digits');

export const statisticsQuery = z
  .strictObject({
    region: regionPrefix.optional(),
    /** First day of the period (China time); 30 days before `to` when omitted. */
    from: isoDate.optional(),
    /** Last day of the period, included; today when omitted. */
    to: isoDate.optional(),
  })
  .register(contracts, { id: 'StatisticsQuery' });
export type StatisticsQuery = z.input<typeof statisticsQuery>;

export const statisticsCsvQuery = statisticsQuery
  .extend({ table: z.string().regex(/^[A-Za-z]{1,40}$/, 'a table name of the report') })
  .register(contracts, { id: 'StatisticsCsvQuery' });

export const statColumnSchema = z
  .strictObject({ key: z.string(), title: z.string(), unit: z.enum(STAT_UNITS) })
  .register(contracts, { id: 'StatisticsColumn' });
export type StatColumn = z.output<typeof statColumnSchema>;

export const statTableSchema = z
  .strictObject({
    title: z.string(),
    columns: z.array(statColumnSchema),
    rows: z.array(z.record(z.string(), z.union([z.string(), z.number()]))),
  })
  .register(contracts, { id: 'StatisticsTable' });
export type StatTable = z.output<typeof statTableSchema>;

export const statisticsSchema = z
  .strictObject({
    report: z.enum(STATISTICS_REPORTS),
    region: z.strictObject({
      /** The prefix asked for; '' for the whole country. */
      code: z.string(),
      level: z.enum(REGION_LEVELS),
      /** The level the `region` column of by-region tables is at. */
      childLevel: z.enum(REGION_LEVELS),
    }),
    from: isoDate,
    to: isoDate,
    /** When the roll-ups these figures come from were last brought up to date; null: never yet. */
    asOf: instant.nullable(),
    tables: z.record(z.string(), statTableSchema),
  })
  .register(contracts, { id: 'Statistics' });
export type Statistics = z.output<typeof statisticsSchema>;

export const rollUpRequestSchema = z
  .strictObject({ from: isoDate.optional(), to: isoDate.optional() })
  .register(contracts, { id: 'StatisticsRollUpRequest' });

export const rollUpResultSchema = z
  .strictObject({
    days: z.array(isoDate),
    /** The day whose snapshots (holders, cards, certification) were taken: today. */
    snapshotDay: isoDate.nullable(),
    computedAt: instant,
  })
  .register(contracts, { id: 'StatisticsRollUp' });
export type RollUpResult = z.output<typeof rollUpResultSchema>;

export const STATISTICS_REFUSALS = [
  /** The report named in the path is not one of STATISTICS_REPORTS, or has no such table. */
  'REPORT_UNKNOWN',
] as const;

export const statisticsRoutes = [
  route({
    operationId: 'getStatistics',
    method: 'get',
    path: '/v1/statistics/:report',
    summary:
      'A statistics report (registry, identity-checks, settlements, pensions, alerts) for a region and period, from the daily roll-ups',
    tag: 'operator',
    access: { scope: 'statistics:read' },
    query: statisticsQuery,
    responses: { 200: { description: 'the report as named tables', body: statisticsSchema } },
  }),
  route({
    operationId: 'getStatisticsCsv',
    method: 'get',
    path: '/v1/statistics/:report/csv',
    summary: "One table of a statistics report as CSV (UTF-8, header row of the columns' keys)",
    tag: 'operator',
    access: { scope: 'statistics:read' },
    query: statisticsCsvQuery,
    responses: { 200: { description: 'the table as CSV', contentType: 'text/csv; charset=utf-8' } },
  }),
  route({
    operationId: 'rollUpStatistics',
    method: 'post',
    path: '/v1/statistics/roll-up',
    summary:
      "Bring the daily roll-ups up to date now for a span of days (default: the days since the last final one), and take today's snapshots",
    tag: 'operator',
    access: { scope: 'admin' },
    body: rollUpRequestSchema,
    responses: { 200: { description: 'the days computed', body: rollUpResultSchema } },
  }),
] as const;
