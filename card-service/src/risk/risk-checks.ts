import type { RiskAlert } from '@sscard/registry-protocol';
import { type Clock, addDays } from '../clock.js';
import { type PresenceEvent, recordPresence } from '../registry/presence-log.js';
import type { Queryable, Store } from '../store/store.js';
import { raiseAlert } from './alerts.js';
import { cardInLossUsed } from './rules/card-in-loss-used.js';
import { paymentAfterDeath } from './rules/payment-after-death.js';
import type { RiskConfig, RiskEvent, RiskRule } from './rules/rule.js';
import { tooFarTooFast } from './rules/too-far-too-fast.js';
import { tooManySettlements } from './rules/too-many-settlements.js';
import { withdrawalAfterDeath } from './rules/withdrawal-after-death.js';
import { withdrawalAfterInactivity } from './rules/withdrawal-after-inactivity.js';

/** Every rule, in the order they run. A new rule is one module and one line here. */
export const RULES: readonly RiskRule[] = [
  paymentAfterDeath,
  withdrawalAfterDeath,
  withdrawalAfterInactivity,
  cardInLossUsed,
  tooManySettlements,
  tooFarTooFast,
];

export const DEFAULT_RISK_CONFIG: RiskConfig = {
  maxSettlementsPerDay: 5,
  maxKmPerHour: 800,
  inactivityDays: 365,
};

/**
 * The rules at work: on every transaction with the card present (settlements, card events at
 * terminals, identity checks with a proof), inside its database transaction, and in the daily job.
 */
export class RiskChecks {
  constructor(
    private readonly clock: Clock,
    readonly config: RiskConfig = DEFAULT_RISK_CONFIG,
    readonly rules: readonly RiskRule[] = RULES,
  ) {}

  /**
   * Records the card-present event and runs every rule on it in the caller's transaction; answers
   * the alerts raised. A caller refuses its transaction when one of them is a blocking rule's,
   * committing the alert with the refusal.
   */
  async onCardPresent(tx: Queryable, event: PresenceEvent & { cardStatus: string }): Promise<RiskAlert[]> {
    const { cardStatus, ...presence } = event;
    await recordPresence(tx, presence);
    const seen: RiskEvent = { ...presence, cardStatus };
    // A rule's look only reads, so the rules' reads go to the store together (on sqlite3 side by
    // side in the thread pool rather than one trip after another); their alerts are raised after,
    // in the rules' order.
    const findings = await Promise.all(this.rules.map((rule) => rule.onEvent?.(tx, seen, this.config) ?? []));
    const raised: RiskAlert[] = [];
    for (const [i, rule] of this.rules.entries()) {
      for (const finding of findings[i]!) {
        const alert = await raiseAlert(tx, this.clock, rule, finding);
        if (alert) raised.push(alert);
      }
    }
    return raised;
  }

  /** The daily job over one China calendar day: each rule's findings, raised once; counts by rule. */
  async daily(store: Store, date: string): Promise<{ ruleCode: string; findings: number; raised: number }[]> {
    // China time is UTC+8 all year: the day runs from 16:00 UTC the day before.
    const from = new Date(Date.parse(`${date}T00:00:00+08:00`)).toISOString();
    const to = new Date(Date.parse(`${addDays(date, 1)}T00:00:00+08:00`)).toISOString();
    const out: { ruleCode: string; findings: number; raised: number }[] = [];
    for (const rule of this.rules) {
      if (!rule.daily) continue;
      const findings = await rule.daily(store, { date, from, to }, this.config);
      let raised = 0;
      await store.transaction(async (tx) => {
        for (const f of findings) if (await raiseAlert(tx, this.clock, rule, f)) raised++;
      });
      out.push({ ruleCode: rule.code, findings: findings.length, raised });
    }
    return out;
  }
}

export const blocking = (alerts: readonly RiskAlert[]): RiskAlert | undefined =>
  alerts.find((a) => a.action === 'block');
