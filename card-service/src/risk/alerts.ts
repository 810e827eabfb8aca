import { randomUUID } from 'node:crypto';
import type { RiskAlert, RiskAction, RiskSeverity } from '@sscard/registry-protocol';
import { appendAudit } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import { DomainError, notFound } from '../errors.js';
import { type Actor, actorLabel, auditActor } from '../registry/actor.js';
import type { Queryable, Store } from '../store/store.js';

/** What a rule says about itself: its code, how grave, its words, and whether it blocks. */
export interface RuleIdentity {
  code: string;
  severity: RiskSeverity;
  words: string;
  action: RiskAction;
}

/** One thing a rule found. `dedupKey` names the finding: the same finding is raised once. */
export interface RiskFinding {
  personNo: string | null;
  subject: string;
  details: Record<string, unknown>;
  amountToRecover?: number | null;
  dedupKey: string;
}

interface AlertRow {
  alert_id: string;
  rule_code: string;
  severity: RiskSeverity;
  action: RiskAction;
  person_no: string | null;
  subject: string;
  words: string;
  details: string;
  amount_to_recover: number | string | null;
  raised_at: string;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
  acknowledgement_note: string | null;
}

const fromRow = (r: AlertRow): RiskAlert => ({
  alertId: r.alert_id,
  ruleCode: r.rule_code,
  severity: r.severity,
  action: r.action,
  personNo: r.person_no,
  subject: r.subject,
  words: r.words,
  details: JSON.parse(r.details) as Record<string, unknown>,
  amountToRecover: r.amount_to_recover === null ? null : Number(r.amount_to_recover),
  raisedAt: r.raised_at,
  acknowledgedAt: r.acknowledged_at,
  acknowledgedBy: r.acknowledged_by,
  note: r.acknowledgement_note,
});

/**
 * Stores a finding as an alert, audited, in the caller's transaction; answers the alert, or
 * undefined when the same finding was raised before.
 */
export async function raiseAlert(
  tx: Queryable,
  clock: Clock,
  rule: RuleIdentity,
  f: RiskFinding,
): Promise<RiskAlert | undefined> {
  const alert: RiskAlert = {
    alertId: randomUUID(),
    ruleCode: rule.code,
    severity: rule.severity,
    action: rule.action,
    personNo: f.personNo,
    subject: f.subject,
    words: rule.words,
    details: f.details,
    amountToRecover: f.amountToRecover ?? null,
    raisedAt: clock().toISOString(),
    acknowledgedAt: null,
    acknowledgedBy: null,
    note: null,
  };
  const inserted = await tx.run(
    `INSERT INTO risk_alerts (alert_id, rule_code, severity, action, person_no, subject, words, details,
       amount_to_recover, dedup_key, raised_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (dedup_key) DO NOTHING`,
    [
      alert.alertId,
      alert.ruleCode,
      alert.severity,
      alert.action,
      alert.personNo,
      alert.subject,
      alert.words,
      JSON.stringify(alert.details),
      alert.amountToRecover,
      `${rule.code}:${f.dedupKey}`,
      alert.raisedAt,
    ],
  );
  if (inserted.changes === 0) return undefined;
  await appendAudit(tx, clock, {
    operatorId: 'sscard-service',
    action: 'risk.alert',
    subject: alert.subject,
    result: rule.action === 'block' ? 'blocked' : 'alerted',
    details: { alertId: alert.alertId, ruleCode: rule.code, amountToRecover: alert.amountToRecover },
  });
  return alert;
}

export async function listAlerts(
  q: Queryable,
  filter: {
    status: 'open' | 'acknowledged' | 'all';
    ruleCode?: string | undefined;
    personNo?: string | undefined;
    limit: number;
  },
): Promise<RiskAlert[]> {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (filter.status === 'open') where.push('acknowledged_at IS NULL');
  if (filter.status === 'acknowledged') where.push('acknowledged_at IS NOT NULL');
  if (filter.ruleCode) {
    where.push('rule_code = ?');
    params.push(filter.ruleCode);
  }
  if (filter.personNo) {
    where.push('person_no = ?');
    params.push(filter.personNo);
  }
  params.push(filter.limit);
  const rows = await q.all<AlertRow>(
    `SELECT * FROM risk_alerts${where.length ? ` WHERE ${where.join(' AND ')}` : ''}
     ORDER BY raised_at DESC, alert_id LIMIT ?`,
    params,
  );
  return rows.map(fromRow);
}

export async function getAlert(q: Queryable, alertId: string): Promise<RiskAlert> {
  const row = await q.get<AlertRow>('SELECT * FROM risk_alerts WHERE alert_id = ?', [alertId]);
  if (!row) throw notFound('alert', { alertId });
  return fromRow(row);
}

/** Acknowledges an open alert with the operator's note, audited; an acknowledged one stays as it was. */
export async function acknowledgeAlert(
  store: Store,
  clock: Clock,
  alertId: string,
  note: string,
  actor: Actor,
): Promise<RiskAlert> {
  return store.transaction(async (tx) => {
    const row = await tx.get<AlertRow>('SELECT * FROM risk_alerts WHERE alert_id = ?', [alertId]);
    if (!row) throw notFound('alert');
    if (row.acknowledged_at !== null) {
      throw new DomainError('ALERT_ACKNOWLEDGED', 'the alert was acknowledged already', 409, {
        acknowledgedAt: row.acknowledged_at,
      });
    }
    const at = clock().toISOString();
    const by = actorLabel(actor);
    const changed = await tx.run(
      `UPDATE risk_alerts SET acknowledged_at = ?, acknowledged_by = ?, acknowledgement_note = ?
       WHERE alert_id = ? AND acknowledged_at IS NULL`,
      [at, by, note, alertId],
    );
    if (changed.changes === 0)
      throw new DomainError('ALERT_ACKNOWLEDGED', 'the alert was acknowledged already', 409);
    await appendAudit(tx, clock, {
      ...auditActor(actor),
      action: 'risk.acknowledge',
      subject: row.subject,
      result: 'ok',
      details: { alertId, ruleCode: row.rule_code, note },
    });
    return fromRow({ ...row, acknowledged_at: at, acknowledged_by: by, acknowledgement_note: note });
  });
}
