import type { pension } from '@sscard/registry-protocol';
import type { Services } from './context.js';
import type { Handlers } from './handler.js';
import {
  createEntitlement,
  entitlementRecord,
  listPayments,
  setEntitlementStatus,
} from '../pension/entitlements.js';
import { listRuns } from '../pension/monthly-run.js';

type PensionOperation = (typeof pension.pensionRoutes)[number]['operationId'];

/** The handlers of registry-protocol's pension routes. */
export function pensionHandlers(svc: Services): Pick<Handlers, PensionOperation> {
  return {
    createPensionEntitlement: {
      handle: async (ctx) => ({
        status: 201,
        body: await createEntitlement(svc.store, svc.clock, ctx.body, ctx.actor),
      }),
    },
    getPensionEntitlement: {
      handle: async (ctx) => ({ body: await entitlementRecord(svc.store, ctx.params.personNo!) }),
    },
    setPensionStatus: {
      handle: async (ctx) => ({
        body: await setEntitlementStatus(svc.store, svc.clock, ctx.params.personNo!, ctx.body, ctx.actor),
      }),
    },
    listPensionPayments: {
      handle: async (ctx) => ({
        body: {
          personNo: ctx.params.personNo!,
          payments: await listPayments(svc.store, ctx.params.personNo!),
        },
      }),
    },
    listPensionRuns: {
      handle: async (ctx) => ({ body: { runs: await listRuns(svc.store, ctx.query.month) } }),
    },
  };
}
