import type { Queryable } from '../../store/store.js';
import type { RiskFinding, RuleIdentity } from '../alerts.js';

/** Something done with a card present, as the rules see it when it happens. */
export interface RiskEvent {
  kind: 'settlement' | 'card_event' | 'identity_check' | 'withdrawal';
  personNo: string;
  cardNumber: string;
  /** The card's lifecycle status when it was used. */
  cardStatus: string;
  terminalId: string;
  region: string;
  at: string;
}

/** The rules' parameters (the service's `risk` configuration). */
export interface RiskConfig {
  /** More settlements than this for one holder in one China calendar day is an alert. */
  maxSettlementsPerDay: number;
  /** A card seen in two provinces faster than this (km/h, capital to capital) is an alert. */
  maxKmPerHour: number;
  /** A withdrawal with the certification lapsed and the card unseen this many days before it is an alert. */
  inactivityDays: number;
}

/**
 * A risk rule: a small named unit with its code, severity, words and whether it blocks, that
 * looks at a transaction as it happens (`onEvent`, inside the transaction) and over a whole day
 * (`daily`, the daily job). A finding is raised as an alert once, whichever of the two saw it.
 */
export interface RiskRule extends RuleIdentity {
  /** Reads only (the caller raises the alerts), and may run beside the other rules' reads. */
  onEvent?(tx: Queryable, event: RiskEvent, config: RiskConfig): Promise<RiskFinding[]>;
  /** `day`: a China calendar date; `from`, `to`: its bounds as instants. */
  daily?(
    q: Queryable,
    day: { date: string; from: string; to: string },
    config: RiskConfig,
  ): Promise<RiskFinding[]>;
}
