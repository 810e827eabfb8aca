import { balanceEnquiryAnswerSchema, balanceEnquiryBody } from './balance-enquiry.js';
import { route } from '../route.js';
import { citizenSummaryBody, citizenSummarySchema } from './citizen-summary.js';
import {
  MAX_BANK_DAY_RECORDS,
  WITHDRAWAL_RECONCILIATION_BODY_BYTES,
  withdrawalReconciliationBody,
  withdrawalReconciliationSchema,
} from './withdrawal-reconciliation.js';
import { lifeEventAnswerSchema, lifeEventBody, releaseAnswerSchema, releaseBody } from './life-events.js';
import { cardStatementBody, pensionStatementSchema } from './statement.js';
import {
  debitAccountBody,
  debitAccountPinBody,
  debitAccountSchema,
  withdrawalAnswerSchema,
  withdrawalBody,
  withdrawalCompletionAnswerSchema,
  withdrawalCompletionBody,
} from './withdrawal.js';
import {
  bureauCertificationBody,
  cardCertificationBody,
  certificationAnswerSchema,
  certificationDueQuery,
  certificationDueSchema,
  certificationsSchema,
} from './certification.js';
import {
  entitlementAmountBody,
  entitlementBody,
  entitlementRecordSchema,
  entitlementStatusBody,
  pensionPaymentsSchema,
  pensionRunBody,
  pensionRunStartedSchema,
  pensionRunsQuery,
  pensionRunsSchema,
} from './entitlements.js';

export const pensionRoutes = [
  route({
    operationId: 'createPensionEntitlement',
    method: 'post',
    path: '/v1/pensions/entitlements',
    summary: 'Grant a holder a monthly pension: amount in fen, first month, paying region',
    tag: 'operator',
    access: { scope: 'pension:manage' },
    body: entitlementBody,
    responses: {
      201: { description: 'the entitlement, active, with its history', body: entitlementRecordSchema },
    },
  }),
  route({
    operationId: 'getPensionEntitlement',
    method: 'get',
    path: '/v1/pensions/entitlements/:personNo',
    summary: 'A holder’s entitlement and every change of it',
    tag: 'operator',
    access: { scope: 'pension:manage' },
    responses: { 200: { description: 'the entitlement with its history', body: entitlementRecordSchema } },
  }),
  route({
    operationId: 'setPensionStatus',
    method: 'post',
    path: '/v1/pensions/entitlements/:personNo/status',
    summary: 'Suspend, resume or stop a holder’s pension, with the reason',
    tag: 'operator',
    access: { scope: 'pension:manage' },
    body: entitlementStatusBody,
    responses: { 200: { description: 'the entitlement with its history', body: entitlementRecordSchema } },
  }),
  route({
    operationId: 'setPensionAmount',
    method: 'post',
    path: '/v1/pensions/entitlements/:personNo/amount',
    summary:
      'Re-assess a holder’s monthly amount from a month on: the next run pays the new amount (audited)',
    tag: 'operator',
    access: { scope: 'pension:manage' },
    body: entitlementAmountBody,
    responses: { 200: { description: 'the entitlement with its history', body: entitlementRecordSchema } },
  }),
  route({
    operationId: 'listPensionPayments',
    method: 'get',
    path: '/v1/pensions/entitlements/:personNo/payments',
    summary: 'The payments the monthly runs posted for a holder, by month',
    tag: 'operator',
    access: { scope: 'pension:manage' },
    responses: { 200: { description: 'the payments, oldest month first', body: pensionPaymentsSchema } },
  }),
  route({
    operationId: 'listPensionRuns',
    method: 'get',
    path: '/v1/pensions/runs',
    summary: 'The monthly runs of a month, per paying region, with their progress',
    tag: 'operator',
    access: { scope: 'pension:manage' },
    query: pensionRunsQuery,
    responses: { 200: { description: 'one run per region', body: pensionRunsSchema } },
  }),
  route({
    operationId: 'startPensionRun',
    method: 'post',
    path: '/v1/pensions/runs',
    summary:
      'Start the monthly run of a month (one paying region or all) in the service; asked again while it runs, it is joined',
    tag: 'operator',
    access: { scope: 'pension:manage' },
    body: pensionRunBody,
    responses: {
      202: { description: 'started, or already running; the runs so far', body: pensionRunStartedSchema },
    },
  }),
  route({
    operationId: 'certifyPensionAtBureau',
    method: 'post',
    path: '/v1/pensions/certifications',
    summary: 'Record a certification made before an operator at a bureau office',
    tag: 'operator',
    access: { scope: 'pension:manage' },
    body: bureauCertificationBody,
    responses: {
      201: { description: 'the certification and the entitlement', body: certificationAnswerSchema },
    },
  }),
  route({
    operationId: 'certifyPensionWithCard',
    method: 'post',
    path: '/v1/pensions/certifications/card',
    summary:
      'Certify at a kiosk or bank counter: the card present, its PIN verified by the card (Idempotency-Key)',
    tag: 'terminal',
    access: { terminals: ['kiosk', 'bank'] },
    body: cardCertificationBody,
    responses: {
      200: { description: 'the certification and the entitlement', body: certificationAnswerSchema },
    },
  }),
  route({
    operationId: 'listPensionCertifications',
    method: 'get',
    path: '/v1/pensions/entitlements/:personNo/certifications',
    summary: 'A holder’s certifications, oldest first',
    tag: 'operator',
    access: { scope: 'pension:manage' },
    responses: { 200: { description: 'the certifications', body: certificationsSchema } },
  }),
  route({
    operationId: 'listPensionCertificationsDue',
    method: 'get',
    path: '/v1/pensions/certifications/due',
    summary: 'Pensioners whose certification cycle ends within the days asked (or has ended), for outreach',
    tag: 'operator',
    access: { scope: 'pension:manage' },
    query: certificationDueQuery,
    responses: { 200: { description: 'holders by the end of their cycle', body: certificationDueSchema } },
  }),
  route({
    operationId: 'registerLifeEvent',
    method: 'post',
    path: '/v1/pensions/life-events',
    summary:
      'Register a death or imprisonment: payments stop after its month, pension use frozen, overpayments alerted',
    tag: 'operator',
    access: { scope: 'pension:manage' },
    body: lifeEventBody,
    responses: {
      200: {
        description: 'the registration, the entitlement and the alerts raised',
        body: lifeEventAnswerSchema,
      },
    },
  }),
  route({
    operationId: 'registerRelease',
    method: 'post',
    path: '/v1/pensions/life-events/release',
    summary:
      'Register a release from imprisonment: the pension active again, the term’s months unpaid, the months withheld before it paid by the next run',
    tag: 'operator',
    access: { scope: 'pension:manage' },
    body: releaseBody,
    responses: { 200: { description: 'the registration and the entitlement', body: releaseAnswerSchema } },
  }),
  route({
    operationId: 'getPensionStatement',
    method: 'post',
    path: '/v1/pensions/statement',
    summary:
      'The card account’s balance and pension payments, for the card in a kiosk’s reader, its PIN verified by the card (a bank counter asks on the bank PIN: balance-enquiries)',
    tag: 'terminal',
    access: { terminals: ['kiosk'] },
    body: cardStatementBody,
    responses: {
      200: { description: 'balance, pension and the latest payments', body: pensionStatementSchema },
    },
  }),
  route({
    operationId: 'getCitizenSummary',
    method: 'post',
    path: '/v1/citizens/summary',
    summary:
      'The pension and the medical personal account (balance, 12 months, latest settlements) of the card in a kiosk’s reader, its PIN verified by the card',
    tag: 'terminal',
    access: { terminals: ['kiosk'] },
    body: citizenSummaryBody,
    responses: {
      200: { description: 'the pension and the medical account', body: citizenSummarySchema },
    },
  }),
  route({
    operationId: 'registerDebitAccount',
    method: 'post',
    path: '/v1/pensions/debit-accounts',
    summary: 'Register the bank’s account of a card: its debit application’s PAN and sequence number',
    tag: 'operator',
    access: { scope: 'pension:manage' },
    body: debitAccountBody,
    responses: {
      201: { description: 'the card’s debit account', body: debitAccountSchema },
      200: { description: 'the same registration, made before', body: debitAccountSchema },
    },
  }),
  route({
    operationId: 'setDebitAccountPin',
    method: 'post',
    path: '/v1/pensions/debit-accounts/pin',
    summary:
      'Set a new bank PIN for a debit account (forgotten or blocked), as a zone-key PIN block: its verification value made by the HSM, the wrong tries cleared',
    tag: 'operator',
    access: { scope: 'pension:manage' },
    body: debitAccountPinBody,
    responses: { 200: { description: 'the card’s debit account', body: debitAccountSchema } },
  }),
  route({
    operationId: 'enquireBalance',
    method: 'post',
    path: '/v1/pensions/balance-enquiries',
    summary:
      'A balance enquiry at a bank counter: bank PIN and the ARQC of an enquiry verified by the HSM, counter checked, the statement and the ARPC answered (Idempotency-Key)',
    tag: 'terminal',
    access: { terminals: ['bank'] },
    body: balanceEnquiryBody,
    responses: {
      200: {
        description: 'the statement, or the decline, with the ARPC for the card',
        body: balanceEnquiryAnswerSchema,
      },
    },
  }),
  route({
    operationId: 'authoriseWithdrawal',
    method: 'post',
    path: '/v1/pensions/withdrawals',
    summary:
      'Authorise a cash withdrawal from the card account at a bank counter: bank PIN and ARQC verified by the HSM, counter checked, account debited, ARPC answered (Idempotency-Key)',
    tag: 'terminal',
    access: { terminals: ['bank'] },
    body: withdrawalBody,
    responses: {
      200: { description: 'approved or declined, with the ARPC for the card', body: withdrawalAnswerSchema },
    },
  }),
  route({
    operationId: 'completeWithdrawal',
    method: 'post',
    path: '/v1/pensions/withdrawals/completion',
    summary:
      'End a withdrawal: the card’s TC (verified by the HSM) completes it; its AAC (verified likewise) or the terminal’s reversal gives the money back, once',
    tag: 'terminal',
    access: { terminals: ['bank'] },
    body: withdrawalCompletionBody,
    responses: {
      200: { description: 'the withdrawal’s final status', body: withdrawalCompletionAnswerSchema },
    },
  }),
  route({
    operationId: 'reconcileWithdrawals',
    method: 'post',
    path: '/v1/pensions/withdrawals/reconciliation',
    summary: `Reconcile a bank’s day of withdrawals against the ledger: both sides’ totals and every difference, listed (up to ${MAX_BANK_DAY_RECORDS} withdrawals a request; a larger day in parts by terminal)`,
    tag: 'operator',
    access: { scope: 'pension:manage' },
    body: withdrawalReconciliationBody,
    bodyLimitBytes: WITHDRAWAL_RECONCILIATION_BODY_BYTES,
    responses: {
      200: { description: 'the totals and the differences', body: withdrawalReconciliationSchema },
    },
  }),
] as const;
