import { z } from 'zod';
import { contracts } from './contracts.js';
import { instant } from './fields.js';
import { route } from './route.js';

/**
 * Risk alerts: what a rule found (a payment after a registered death, a card in loss used, too
 * many settlements in a day, a card in two places too far apart too quickly), stored until an
 * operator acknowledges it with a note.
 */
export const RISK_SEVERITIES = ['low', 'medium', 'high'] as const;
export type RiskSeverity = (typeof RISK_SEVERITIES)[number];
/** `block`: the transaction it fired on was refused; `alert`: it went through and is to be looked at. */
export const RISK_ACTIONS = ['block', 'alert'] as const;
export type RiskAction = (typeof RISK_ACTIONS)[number];

export const RISK_REFUSALS = [
  /** A risk rule that blocks refused the transaction; the alert names the rule. */
  'RISK_BLOCKED',
  'ALERT_ACKNOWLEDGED',
] as const;

export const riskAlertSchema = z
  .strictObject({
    alertId: z.string(),
    ruleCode: z.string(),
    severity: z.enum(RISK_SEVERITIES),
    action: z.enum(RISK_ACTIONS),
    personNo: z.string().nullable(),
    /** Whom or what it concerns, masked: a card, a holder, a payment. */
    subject: z.string(),
    /** The rule's words, for the operator. */
    words: z.string(),
    details: z.record(z.string(), z.unknown()),
    /** Fen to recover (a payment made after a death), or null. */
    amountToRecover: z.number().int().nullable(),
    raisedAt: instant,
    acknowledgedAt: instant.nullable(),
    acknowledgedBy: z.string().nullable(),
    note: z.string().nullable(),
  })
  .register(contracts, { id: 'RiskAlert' });
export type RiskAlert = z.output<typeof riskAlertSchema>;

export const riskAlertsQuery = z
  .strictObject({
    status: z.enum(['open', 'acknowledged', 'all']).default('open'),
    ruleCode: z.string().min(1).max(60).optional(),
    personNo: z.string().min(1).max(40).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .register(contracts, { id: 'RiskAlertsQuery' });

export const riskAlertsSchema = z
  .strictObject({ alerts: z.array(riskAlertSchema) })
  .register(contracts, { id: 'RiskAlerts' });

export const acknowledgeAlertBody = z
  .strictObject({ note: z.string().min(1).max(500) })
  .register(contracts, { id: 'AcknowledgeAlertRequest' });

/** One event of the holder's that the alert was raised over, or that happened beside it. */
export const RISK_EVENT_KINDS = ['settlement', 'card-presence', 'pension-payment', 'withdrawal'] as const;
export const riskEventSchema = z
  .strictObject({
    at: instant,
    kind: z.enum(RISK_EVENT_KINDS),
    /** What it was: a settlement's institution, a presence's kind, a payment's month. */
    what: z.string(),
    terminalId: z.string().nullable(),
    region: z.string().nullable(),
    /** Fen, or null for an event without an amount. */
    amount: z.number().int().nullable(),
    reference: z.string(),
  })
  .register(contracts, { id: 'RiskEvent' });
export type RiskEvent = z.output<typeof riskEventSchema>;

export const riskAlertDetailSchema = z
  .strictObject({
    alert: riskAlertSchema,
    /** The holder's events from the day before the finding's day to the day after, in time order. */
    events: z.array(riskEventSchema),
  })
  .register(contracts, { id: 'RiskAlertDetail' });
export type RiskAlertDetail = z.output<typeof riskAlertDetailSchema>;

export const riskRoutes = [
  route({
    operationId: 'listRiskAlerts',
    method: 'get',
    path: '/v1/risk/alerts',
    summary: 'Risk alerts, newest first: open, acknowledged or all; by rule or holder',
    tag: 'operator',
    access: { scope: 'risk:manage' },
    query: riskAlertsQuery,
    responses: { 200: { description: 'the alerts', body: riskAlertsSchema } },
  }),
  route({
    operationId: 'getRiskAlert',
    method: 'get',
    path: '/v1/risk/alerts/:alertId',
    summary:
      "One alert with the holder's events around it (settlements, card presence, pension payments, withdrawals)",
    tag: 'operator',
    access: { scope: 'risk:manage' },
    responses: { 200: { description: 'the alert and its events', body: riskAlertDetailSchema } },
  }),
  route({
    operationId: 'acknowledgeRiskAlert',
    method: 'post',
    path: '/v1/risk/alerts/:alertId/acknowledge',
    summary: 'Acknowledge an alert with a note of what was done (audited)',
    tag: 'operator',
    access: { scope: 'risk:manage' },
    body: acknowledgeAlertBody,
    responses: { 200: { description: 'the alert, acknowledged', body: riskAlertSchema } },
  }),
] as const;
