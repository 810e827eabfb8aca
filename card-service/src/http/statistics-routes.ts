import type { statisticsRoutes } from '@sscard/registry-protocol';
import { DomainError } from '../errors.js';
import { reportName, statisticsReport, tableCsv } from '../statistics/reports.js';
import type { Services } from './context.js';
import type { Handlers } from './handler.js';

type StatisticsOperation = (typeof statisticsRoutes)[number]['operationId'];

/** The handlers of registry-protocol's statistics routes. */
export function statisticsHandlers(svc: Services): Pick<Handlers, StatisticsOperation> {
  return {
    getStatistics: {
      handle: async (ctx) => ({
        body: await statisticsReport(svc.store, svc.clock, reportName(ctx.params.report!), ctx.query),
      }),
    },
    getStatisticsCsv: {
      handle: async (ctx) => {
        const { table: name, ...query } = ctx.query;
        const report = reportName(ctx.params.report!);
        const answer = await statisticsReport(svc.store, svc.clock, report, query);
        const t = answer.tables[name];
        if (!t) {
          throw new DomainError('REPORT_UNKNOWN', `the ${report} report has no table ${name}`, 404, {
            tables: Object.keys(answer.tables),
          });
        }
        return { body: tableCsv(t), contentType: 'text/csv; charset=utf-8' };
      },
    },
    rollUpStatistics: {
      handle: async (ctx) => ({
        body: await svc.statistics.run({ ...ctx.body, snapshot: true }),
      }),
    },
  };
}
