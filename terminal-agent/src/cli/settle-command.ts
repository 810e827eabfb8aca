import type {
  DeskDayView,
  DeskPendingView,
  DeskReconciliationView,
  DeskReversalView,
  DeskSettlementView,
} from '@sscard/agent-protocol';
import { DESK_API_PATHS } from '@sscard/agent-protocol/settlement';
import { fen, formatYuan } from '@sscard/card-core';
import type { ClientConfig } from '../config/schema.js';
import { agentClient } from './agent-client.js';
import { CliError, EXIT } from './exit-codes.js';

/**
 * `sscard settle …`: the desk operator's view of the settlement journal and the two corrections
 * that need no card, through the running agent (its journal is the desk's record; the agent is the
 * one process that writes it).
 *
 *   sscard settle day [--date YYYY-MM-DD]       this desk's settlements of the day, as they stand
 *   sscard settle pending                       journal items without an outcome
 *   sscard settle reconcile [--date YYYY-MM-DD] the journal against card-service's 3201/3202
 *   sscard settle cancel --settlement ID        2208, the same day
 *   sscard settle reverse --attempt KEY         2601 of an attempt whose outcome is not known
 */

export const SETTLE_USAGE = `  settle day [--date D]      this desk's settlements of a business day (default today)
  settle pending             settlement requests in the journal without an outcome
  settle reconcile [--date D]  the journal against card-service's totals and detail; exit 4 on a mismatch
  settle cancel --settlement ID  cancel a settlement of today (2208)
  settle reverse --attempt KEY   reverse a settle attempt whose outcome the desk never learned (2601)`;

export interface SettleOptions {
  json: boolean;
  date: string | undefined;
  settlement: string | undefined;
  attempt: string | undefined;
}

const yuan = (amount: number): string => formatYuan(fen(amount));

function settlementLine({ attemptKey, settlement: s }: DeskSettlementView): string {
  const b = s.breakdown;
  return `${s.settlementId}  ${s.status.padEnd(9)} total ${yuan(b.medfee_sumamt)}  funds ${yuan(b.fund_pay_sumamt)}  account ${yuan(b.acct_pay)}  cash ${yuan(b.psn_cash_pay)}  ${attemptKey}`;
}

function printReconciliation(r: DeskReconciliationView): void {
  const t = r.service;
  console.log(`${r.date}  ${r.institutionId}  desk ${r.terminalId}`);
  console.log(
    `service   settled ${t.settled.count} (${yuan(t.settled.medfee_sumamt)})  ended ${t.ended.count} (${yuan(t.ended.medfee_sumamt)})  standing ${t.standing.count} (${yuan(t.standing.medfee_sumamt)})`,
  );
  console.log(
    `journal   ${r.journal.count} settlements, ${r.journal.standing} standing (${yuan(r.journal.medfee_sumamt)})  pending ${r.pending}`,
  );
  for (const m of r.mismatches) {
    const side = (v: { status: string; medfee_sumamt: number } | null) =>
      v ? `${v.status} ${yuan(v.medfee_sumamt)}` : '—';
    console.log(
      `MISMATCH  ${m.kind}  ${m.settlementId ?? ''}  journal ${side(m.journal)}  service ${side(m.service)}  ${m.attemptKey ?? ''}`,
    );
  }
  console.log(r.balanced ? 'balanced' : 'NOT balanced');
}

export async function settleCommand(
  config: ClientConfig,
  sub: string | undefined,
  options: SettleOptions,
): Promise<number> {
  const agent = await agentClient(config);
  if (!agent)
    throw new CliError(
      EXIT.AGENT,
      'no agent answers: settlement goes through the running agent (sscard agent)',
    );
  const query = options.date ? `?date=${encodeURIComponent(options.date)}` : '';
  const print = (value: unknown, human: () => void): void => {
    if (options.json) console.log(JSON.stringify(value, null, 2));
    else human();
  };
  switch (sub) {
    case 'day': {
      const day = (await agent.get(`${DESK_API_PATHS.day}${query}`)) as DeskDayView;
      print(day, () => {
        console.log(`${day.date}: ${day.settlements.length} settlements`);
        for (const s of day.settlements) console.log(settlementLine(s));
      });
      return EXIT.OK;
    }
    case 'pending': {
      const pending = (await agent.get(DESK_API_PATHS.pending)) as DeskPendingView;
      print(pending, () => {
        if (pending.items.length === 0) console.log('nothing pending');
        for (const p of pending.items) {
          console.log(
            `${p.idempotencyKey}  ${p.operation.padEnd(10)} ${p.state}  since ${p.createdAt}  attempts ${p.attempts}${p.lastError ? `  ${p.lastError}` : ''}`,
          );
        }
      });
      return pending.items.length > 0 ? EXIT.AGENT : EXIT.OK;
    }
    case 'reconcile': {
      const r = (await agent.get(`${DESK_API_PATHS.reconciliation}${query}`)) as DeskReconciliationView;
      print(r, () => printReconciliation(r));
      return r.balanced ? EXIT.OK : EXIT.AGENT;
    }
    case 'cancel': {
      if (!options.settlement) throw new CliError(EXIT.USAGE, 'settle cancel needs --settlement ID');
      const result = (await agent.post(DESK_API_PATHS.cancel, {
        settlementId: options.settlement,
      })) as DeskSettlementView;
      print(result, () => console.log(settlementLine(result)));
      return EXIT.OK;
    }
    case 'reverse': {
      if (!options.attempt) throw new CliError(EXIT.USAGE, 'settle reverse needs --attempt KEY');
      const result = (await agent.post(DESK_API_PATHS.reversals, {
        attemptKey: options.attempt,
      })) as DeskReversalView;
      print(result, () =>
        console.log(
          `${result.attemptKey}  ${result.outcome}${result.settlement ? `  ${result.settlement.settlementId}` : ''}`,
        ),
      );
      return EXIT.OK;
    }
    default:
      throw new CliError(
        EXIT.USAGE,
        `settle needs one of: day, pending, reconcile, cancel, reverse\n\n${SETTLE_USAGE}`,
      );
  }
}
