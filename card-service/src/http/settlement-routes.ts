import { quotePolicyDraft } from '../settlement/policy-quotes.js';
import type { settlement } from '@sscard/registry-protocol';
import type { RouteContext, Services } from './context.js';
import type { Handlers } from './handler.js';
import { idempotencyKeyOf } from './idempotency-key.js';
import { terminalOf } from './terminal-caller.js';
import { creditPersonalAccount } from '../settlement/accounts.js';
import { loadItems } from '../settlement/catalogue.js';
import type { Caller } from '../settlement/engine.js';
import { assignTerminal, createInstitution, institutionOfTerminal } from '../settlement/institutions.js';
import { verifyLedger } from '../settlement/ledger.js';
import { setPersonGroup } from '../settlement/person-groups.js';
import { listPolicies, publishPolicy } from '../settlement/policies.js';
import { reconciliationDetail, reconciliationTotals } from '../settlement/reconciliation.js';

type SettlementOperation = (typeof settlement.settlementRoutes)[number]['operationId'];

function deskOf(ctx: Pick<RouteContext, 'principal'>): string {
  return terminalOf(ctx).terminalId;
}

/** The calling desk and its `Idempotency-Key`. */
function callerOf(ctx: Pick<RouteContext, 'principal' | 'header'>): Caller {
  return { terminalId: deskOf(ctx), key: idempotencyKeyOf(ctx) };
}

/** The handlers of registry-protocol's settlement routes. */
export function settlementHandlers(svc: Services): Pick<Handlers, SettlementOperation> {
  const engine = svc.settlement;
  return {
    registerVisit: { handle: async (ctx) => ({ body: await engine.register(callerOf(ctx), ctx.body) }) },
    addBillLines: {
      handle: async (ctx) => ({
        body: await engine.addBillLines(callerOf(ctx), ctx.params.visitId!, ctx.body.lines),
      }),
    },
    preSettle: {
      handle: async (ctx) => ({
        body: await engine.preSettle(callerOf(ctx), ctx.params.visitId!, ctx.body.useAccount),
      }),
    },
    settle: { handle: async (ctx) => ({ body: await engine.settle(callerOf(ctx), ctx.body) }) },
    cancelSettlement: {
      handle: async (ctx) => ({ body: await engine.cancel(callerOf(ctx), ctx.body.settlementId) }),
    },
    reverseSettlement: {
      handle: async (ctx) => ({ body: await engine.reverse(callerOf(ctx), ctx.body.attemptKey) }),
    },
    getSettlementAttempt: {
      handle: async (ctx) => ({ body: await engine.attemptStatus(deskOf(ctx), ctx.params.attemptKey!) }),
    },
    getReconciliation: {
      handle: async (ctx) => {
        const institution = await institutionOfTerminal(svc.store, deskOf(ctx));
        return { body: await reconciliationTotals(svc.store, institution.institutionId, ctx.query.date) };
      },
    },
    getReconciliationDetail: {
      handle: async (ctx) => {
        const institution = await institutionOfTerminal(svc.store, deskOf(ctx));
        return { body: await reconciliationDetail(svc.store, institution.institutionId, ctx.query.date) };
      },
    },
    publishPolicy: {
      handle: async (ctx) => ({
        status: 201,
        body: await publishPolicy(svc.store, svc.clock, ctx.body, ctx.actor),
      }),
    },
    quotePolicyDraft: {
      handle: async (ctx) => ({ body: await quotePolicyDraft(svc.store, ctx.body.policy, ctx.body.samples) }),
    },
    listPolicies: {
      handle: async (ctx) => ({ body: { policies: await listPolicies(svc.store, ctx.query.region) } }),
    },
    loadCatalogue: {
      handle: async (ctx) => ({
        body: { loaded: await loadItems(svc.store, svc.clock, ctx.body.region, ctx.body.items, ctx.actor) },
      }),
    },
    createInstitution: {
      handle: async (ctx) => ({
        status: 201,
        body: await createInstitution(svc.store, svc.clock, ctx.body, ctx.actor),
      }),
    },
    assignInstitutionTerminal: {
      handle: async (ctx) => ({
        body: await assignTerminal(
          svc.store,
          svc.clock,
          ctx.params.institutionId!,
          ctx.body.terminalId,
          ctx.actor,
        ),
      }),
    },
    setPersonGroup: {
      handle: async (ctx) => ({
        body: await setPersonGroup(
          svc.store,
          svc.clock,
          ctx.params.relationId!,
          ctx.body.personGroup,
          ctx.actor,
        ),
      }),
    },
    creditPersonalAccount: {
      handle: async (ctx) => ({
        body: await creditPersonalAccount(
          svc.store,
          svc.clock,
          ctx.params.personNo!,
          ctx.body.amount,
          ctx.body.reference,
          ctx.actor,
        ),
      }),
    },
    verifyLedger: { handle: async () => ({ body: await verifyLedger(svc.store) }) },
  };
}
