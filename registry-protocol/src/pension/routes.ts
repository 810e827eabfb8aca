import { route } from '../route.js';
import {
  entitlementBody,
  entitlementRecordSchema,
  entitlementStatusBody,
  pensionPaymentsSchema,
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
] as const;
