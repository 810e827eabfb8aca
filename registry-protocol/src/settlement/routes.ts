import { z } from 'zod';
import { contracts } from '../contracts.js';
import { route } from '../route.js';
import { breakdownSchema } from './breakdown.js';
import {
  PERSON_GROUPS,
  accumulatorsSchema,
  fenAmount,
  policyDraftSchema,
  pricedLineSchema,
  publishedPolicySchema,
  regionCode,
  visitTermsSchema,
} from './policy.js';
import {
  accountCreditBody,
  attemptStatusSchema,
  billAnswerSchema,
  billLinesBody,
  cancelBody,
  catalogueItemsBody,
  institutionBody,
  institutionTerminalBody,
  personGroupBody,
  preSettleBody,
  quoteSchema,
  reconciliationDetailSchema,
  reconciliationQuery,
  reconciliationTotalsSchema,
  registerVisitBody,
  reversalAnswerSchema,
  reversalBody,
  settleBody,
  settlementSchema,
  visitSchema,
} from './requests.js';

/** Settlement is done at hospital and pharmacy desks only. */
const DESKS = ['hospital', 'pharmacy'] as const;

const replayed = { replayed: z.boolean().optional() };
const named = <T extends z.ZodType>(schema: T, id: string): T => {
  contracts.add(schema, { id });
  return schema;
};

const visitAnswer = named(visitSchema.extend(replayed), 'SettlementVisit');
const billAnswer = named(billAnswerSchema.extend(replayed), 'SettlementBillAnswer');
const quoteAnswer = named(quoteSchema.extend(replayed), 'SettlementQuote');
const settlementAnswer = named(settlementSchema, 'Settlement');
named(breakdownSchema, 'SettlementBreakdown');
const policyListQuery = named(z.strictObject({ region: regionCode }), 'SettlementPolicyListQuery');
const publishedPolicy = named(publishedPolicySchema, 'SettlementPolicy');
const policyList = named(
  z.strictObject({ policies: z.array(publishedPolicySchema) }),
  'SettlementPolicyList',
);
/**
 * A policy draft tried on sample bills before it is published: each bill (its visit terms, the
 * holder's accumulators of the year so far, the priced lines, the personal account) is quoted by
 * the calculation the engine runs, under the draft and under the version in force on the draft's
 * first day, so the operator sees what the change does. Nothing is stored.
 */
export const policySampleSchema = z.strictObject({
  name: z.string().min(1).max(60),
  terms: visitTermsSchema,
  accumulators: accumulatorsSchema,
  lines: z.array(pricedLineSchema).min(1).max(200),
  account: z.strictObject({ balance: fenAmount, use: z.boolean() }),
});
export type PolicySample = z.input<typeof policySampleSchema>;
const policyQuoteBody = named(
  z.strictObject({ policy: policyDraftSchema, samples: z.array(policySampleSchema).min(1).max(20) }),
  'SettlementPolicyQuoteRequest',
);
const policyQuotes = named(
  z.strictObject({
    /** The version the draft is compared with, or null when none is in force on its first day. */
    inForceVersion: z.number().int().nullable(),
    quotes: z.array(
      z.strictObject({
        name: z.string(),
        draft: breakdownSchema,
        inForce: breakdownSchema.nullable(),
      }),
    ),
  }),
  'SettlementPolicyQuotes',
);
const institutionAnswer = named(institutionBody.extend({ createdAt: z.string() }), 'SettlementInstitution');
const ledgerVerification = named(
  z.union([
    z.strictObject({ ok: z.literal(true), transactions: z.number().int(), entries: z.number().int() }),
    z.strictObject({ ok: z.literal(false), problem: z.string() }),
  ]),
  'LedgerVerification',
);

export const settlementRoutes = [
  route({
    operationId: 'registerVisit',
    method: 'post',
    path: '/v1/settlement/visits',
    summary: '2201: register a visit of the card holder at the calling desk’s institution',
    tag: 'terminal',
    access: { terminals: DESKS },
    body: named(registerVisitBody, 'RegisterVisitRequest'),
    responses: {
      200: { description: 'the visit: insured and treatment region, level, person group', body: visitAnswer },
    },
  }),
  route({
    operationId: 'addBillLines',
    method: 'post',
    path: '/v1/settlement/visits/:visitId/lines',
    summary: '2204: upload bill lines, priced from the treatment region’s catalogue',
    tag: 'terminal',
    access: { terminals: DESKS },
    body: named(billLinesBody, 'BillLinesRequest'),
    responses: { 200: { description: 'the number of lines and the bill total', body: billAnswer } },
  }),
  route({
    operationId: 'preSettle',
    method: 'post',
    path: '/v1/settlement/visits/:visitId/pre-settle',
    summary:
      '2206: pre-settle: the breakdown as a quote valid a few minutes, with the challenge its settle’s payment proof answers; nothing moves',
    tag: 'terminal',
    access: { terminals: DESKS },
    body: named(preSettleBody, 'PreSettleRequest'),
    responses: {
      200: { description: 'the quote with its breakdown and its payment challenge', body: quoteAnswer },
    },
  }),
  route({
    operationId: 'settle',
    method: 'post',
    path: '/v1/settlement/settle',
    summary:
      '2207: settle a quote with the card’s payment proof over the quote’s challenge (card present, PIN verified by the card)',
    tag: 'terminal',
    access: { terminals: DESKS },
    body: named(settleBody, 'SettleRequest'),
    responses: { 200: { description: 'the settlement', body: settlementAnswer } },
  }),
  route({
    operationId: 'cancelSettlement',
    method: 'post',
    path: '/v1/settlement/cancel',
    summary: '2208: cancel a settlement of this institution on its business day',
    tag: 'terminal',
    access: { terminals: DESKS },
    body: named(cancelBody, 'CancelSettlementRequest'),
    responses: { 200: { description: 'the settlement, cancelled', body: settlementAnswer } },
  }),
  route({
    operationId: 'reverseSettlement',
    method: 'post',
    path: '/v1/settlement/reversals',
    summary: '2601: reverse a settle attempt whose answer the desk never got',
    tag: 'terminal',
    access: { terminals: DESKS },
    body: named(reversalBody, 'ReversalRequest'),
    responses: {
      200: {
        description: 'reversed, voided (it never settled and never will) or already_ended',
        body: named(reversalAnswerSchema, 'ReversalAnswer'),
      },
    },
  }),
  route({
    operationId: 'getSettlementAttempt',
    method: 'get',
    path: '/v1/settlement/attempts/:attemptKey',
    summary: 'What became of a settle attempt of this desk, by its idempotency key',
    tag: 'terminal',
    access: { terminals: DESKS },
    responses: {
      200: {
        description: 'settled, cancelled, reversed, voided or unknown, with the settlement',
        body: named(attemptStatusSchema, 'SettlementAttemptStatus'),
      },
    },
  }),
  route({
    operationId: 'getReconciliation',
    method: 'get',
    path: '/v1/settlement/reconciliation',
    summary: '3201: the institution’s totals for a business day',
    tag: 'terminal',
    access: { terminals: DESKS },
    query: named(reconciliationQuery, 'ReconciliationQuery'),
    responses: {
      200: {
        description: 'settled, ended since and standing totals',
        body: named(reconciliationTotalsSchema, 'ReconciliationTotals'),
      },
    },
  }),
  route({
    operationId: 'getReconciliationDetail',
    method: 'get',
    path: '/v1/settlement/reconciliation/detail',
    summary: '3202: the institution’s settlements of a business day, one by one',
    tag: 'terminal',
    access: { terminals: DESKS },
    query: reconciliationQuery,
    responses: {
      200: {
        description: 'the settlements of the day',
        body: named(reconciliationDetailSchema, 'ReconciliationDetail'),
      },
    },
  }),
  route({
    operationId: 'publishPolicy',
    method: 'post',
    path: '/v1/settlement/policies',
    summary: 'Publish a policy version for a region, scheme and year',
    tag: 'operator',
    access: { scope: 'settlement:manage' },
    body: named(policyDraftSchema, 'SettlementPolicyDraft'),
    responses: { 201: { description: 'the published version', body: publishedPolicy } },
  }),
  route({
    operationId: 'quotePolicyDraft',
    method: 'post',
    path: '/v1/settlement/policies/quote',
    summary: 'Quote sample bills under a policy draft and under the version in force, without publishing',
    tag: 'operator',
    access: { scope: 'settlement:manage' },
    body: policyQuoteBody,
    responses: { 200: { description: 'each sample quoted both ways', body: policyQuotes } },
  }),
  route({
    operationId: 'listPolicies',
    method: 'get',
    path: '/v1/settlement/policies',
    summary: 'The published policy versions of a region',
    tag: 'operator',
    access: { scope: 'settlement:manage' },
    query: policyListQuery,
    responses: { 200: { description: 'versions by scheme, year and version', body: policyList } },
  }),
  route({
    operationId: 'loadCatalogue',
    method: 'post',
    path: '/v1/settlement/catalogue',
    summary: 'Load catalogue items of a region (an item loaded again is replaced)',
    tag: 'operator',
    access: { scope: 'settlement:manage' },
    body: named(catalogueItemsBody, 'CatalogueItemsRequest'),
    responses: {
      200: {
        description: 'the number of items loaded',
        body: named(z.strictObject({ loaded: z.number().int() }), 'CatalogueLoaded'),
      },
    },
  }),
  route({
    operationId: 'createInstitution',
    method: 'post',
    path: '/v1/settlement/institutions',
    summary: 'Register a hospital or pharmacy with its region and level',
    tag: 'operator',
    access: { scope: 'settlement:manage' },
    body: named(institutionBody, 'InstitutionRequest'),
    responses: { 201: { description: 'the institution', body: institutionAnswer } },
  }),
  route({
    operationId: 'assignInstitutionTerminal',
    method: 'post',
    path: '/v1/settlement/institutions/:institutionId/terminals',
    summary: 'Assign a hospital or pharmacy terminal to the institution it settles for',
    tag: 'operator',
    access: { scope: 'settlement:manage' },
    body: named(institutionTerminalBody, 'InstitutionTerminalRequest'),
    responses: {
      200: {
        description: 'the assignment',
        body: named(
          z.strictObject({ institutionId: z.string(), terminalId: z.string() }),
          'InstitutionTerminal',
        ),
      },
    },
  }),
  route({
    operationId: 'setPersonGroup',
    method: 'post',
    path: '/v1/relations/:relationId/person-group',
    summary: 'Set whether the insured person is in service or retired under a relation',
    tag: 'operator',
    access: { scope: 'registry:write' },
    body: named(personGroupBody, 'PersonGroupRequest'),
    responses: {
      200: {
        description: 'the relation id and its person group',
        body: named(
          z.strictObject({ relationId: z.string(), personGroup: z.enum(PERSON_GROUPS) }),
          'RelationPersonGroup',
        ),
      },
    },
  }),
  route({
    operationId: 'creditPersonalAccount',
    method: 'post',
    path: '/v1/holders/:personNo/account-credits',
    summary: 'Credit a contribution to the holder’s personal medical account (once per reference)',
    tag: 'operator',
    access: { scope: 'settlement:manage' },
    body: named(accountCreditBody, 'AccountCreditRequest'),
    responses: {
      200: {
        description: 'the balance after, and whether this call credited',
        body: named(
          z.strictObject({ personNo: z.string(), balance: fenAmount, credited: z.boolean() }),
          'AccountCredit',
        ),
      },
    },
  }),
  route({
    operationId: 'verifyLedger',
    method: 'get',
    path: '/v1/settlement/ledger/verify',
    summary: 'Check the ledger: every transaction balances, every personal balance equals its entries',
    tag: 'operator',
    access: { scope: 'settlement:manage' },
    responses: {
      200: {
        description: '{ok: true, transactions, entries} or {ok: false, problem}',
        body: ledgerVerification,
      },
    },
  }),
] as const;
