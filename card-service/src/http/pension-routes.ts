import type { pension } from '@sscard/registry-protocol';
import { forbidden } from '../errors.js';
import {
  certificationsDue,
  certifyAtBureau,
  certifyWithCard,
  listCertifications,
} from '../pension/certification.js';
import {
  createEntitlement,
  entitlementRecord,
  listPayments,
  setEntitlementAmount,
  setEntitlementStatus,
} from '../pension/entitlements.js';
import { registerLifeEvent, registerRelease } from '../pension/life-events.js';
import { listRuns } from '../pension/monthly-run.js';
import { cardStatement } from '../pension/statement.js';
import {
  authoriseWithdrawal,
  completeWithdrawal,
  registerDebitAccount,
  setDebitAccountPin,
} from '../pension/withdrawal.js';
import { enquireBalance } from '../pension/balance-enquiry.js';
import type { BankTerminal } from '../pension/card-present.js';
import { citizenSummary } from '../pension/citizen-summary.js';
import { reconcileWithdrawals } from '../pension/withdrawal-reconciliation.js';
import type { RouteContext, Services } from './context.js';
import type { Handlers } from './handler.js';
import { idempotencyKeyOf } from './idempotency-key.js';
import { bankCounterOf, terminalOf } from './terminal-caller.js';

/** The calling bank counter as the pension's bank operations know it. */
function bankTerminalOf(ctx: Pick<RouteContext, 'principal'>): BankTerminal {
  const t = bankCounterOf(ctx);
  return { terminalId: t.terminalId, region: t.region };
}

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
    setPensionAmount: {
      handle: async (ctx) => ({
        body: await setEntitlementAmount(svc.store, svc.clock, ctx.params.personNo!, ctx.body, ctx.actor),
      }),
    },
    registerRelease: {
      handle: async (ctx) => ({
        body: await svc.store.transaction((tx) => registerRelease(tx, svc.clock, ctx.body, ctx.actor)),
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
    certifyPensionAtBureau: {
      handle: async (ctx) => ({
        status: 201,
        body: await certifyAtBureau(svc.store, svc.clock, ctx.body.personNo, ctx.body.note, ctx.actor),
      }),
    },
    certifyPensionWithCard: {
      handle: async (ctx) => {
        const t = terminalOf(ctx);
        const key = idempotencyKeyOf(ctx);
        if (t.type !== 'kiosk' && t.type !== 'bank')
          throw forbidden('TERMINAL_TYPE_FORBIDDEN', 'certification is at a kiosk or a bank counter');
        return {
          body: await certifyWithCard(
            svc.store,
            svc.clock,
            svc.presence,
            { terminalId: t.terminalId, type: t.type, region: t.region },
            key,
            ctx.body,
          ),
        };
      },
    },
    getPensionStatement: {
      handle: async (ctx) => {
        return {
          body: await cardStatement(svc.store, svc.clock, svc.presence, terminalOf(ctx).terminalId, ctx.body),
        };
      },
    },
    getCitizenSummary: {
      handle: async (ctx) => ({
        body: await citizenSummary(svc.store, svc.clock, svc.presence, terminalOf(ctx).terminalId, ctx.body),
      }),
    },
    listPensionCertifications: {
      handle: async (ctx) => ({
        body: {
          personNo: ctx.params.personNo!,
          certifications: await listCertifications(svc.store, ctx.params.personNo!),
        },
      }),
    },
    listPensionCertificationsDue: {
      handle: async (ctx) => ({
        body: await certificationsDue(svc.store, svc.clock, ctx.query),
      }),
    },
    registerLifeEvent: {
      handle: async (ctx) => ({
        body: await svc.store.transaction((tx) =>
          registerLifeEvent(tx, svc.clock, ctx.body, 'operator', ctx.actor),
        ),
      }),
    },
    registerDebitAccount: {
      handle: async (ctx) => {
        const { replayed, ...account } = await registerDebitAccount(
          svc.store,
          svc.clock,
          svc.hsm,
          ctx.body,
          ctx.actor,
        );
        return { status: replayed ? 200 : 201, body: replayed ? { ...account, replayed } : account };
      },
    },
    setDebitAccountPin: {
      handle: async (ctx) => ({
        body: await setDebitAccountPin(svc.store, svc.clock, svc.hsm, ctx.body, ctx.actor),
      }),
    },
    enquireBalance: {
      handle: async (ctx) => ({
        body: await enquireBalance(
          svc.store,
          svc.clock,
          svc.hsm,
          bankTerminalOf(ctx),
          idempotencyKeyOf(ctx),
          ctx.body,
        ),
      }),
    },
    authoriseWithdrawal: {
      handle: async (ctx) => ({
        body: await authoriseWithdrawal(
          svc.store,
          svc.clock,
          svc.hsm,
          svc.risk,
          bankTerminalOf(ctx),
          idempotencyKeyOf(ctx),
          ctx.body,
        ),
      }),
    },
    completeWithdrawal: {
      handle: async (ctx) => ({
        body: await completeWithdrawal(svc.store, svc.clock, svc.hsm, bankTerminalOf(ctx), ctx.body),
      }),
    },
    reconcileWithdrawals: {
      handle: async (ctx) => ({ body: await reconcileWithdrawals(svc.store, ctx.body) }),
    },
    startPensionRun: {
      handle: async (ctx) => ({
        status: 202,
        body: await svc.pensionRuns.startRequested(ctx.body, ctx.actor),
      }),
    },
    listPensionRuns: {
      handle: async (ctx) => ({ body: { runs: await listRuns(svc.store, ctx.query.month) } }),
    },
  };
}
