import type { riskRoutes } from '@sscard/registry-protocol';
import { alertEvents } from '../risk/alert-events.js';
import { acknowledgeAlert, getAlert, listAlerts } from '../risk/alerts.js';
import type { Services } from './context.js';
import type { Handlers } from './handler.js';

type RiskOperation = (typeof riskRoutes)[number]['operationId'];

/** The handlers of registry-protocol's risk routes. */
export function riskHandlers(svc: Services): Pick<Handlers, RiskOperation> {
  return {
    listRiskAlerts: {
      handle: async (ctx) => ({ body: { alerts: await listAlerts(svc.store, ctx.query) } }),
    },
    getRiskAlert: {
      handle: async (ctx) => {
        const alert = await getAlert(svc.store, ctx.params.alertId!);
        return { body: { alert, events: await alertEvents(svc.store, alert) } };
      },
    },
    acknowledgeRiskAlert: {
      handle: async (ctx) => ({
        body: await acknowledgeAlert(svc.store, svc.clock, ctx.params.alertId!, ctx.body.note, ctx.actor),
      }),
    },
  };
}
