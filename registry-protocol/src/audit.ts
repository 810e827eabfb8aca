import { z } from 'zod';
import { contracts } from './contracts.js';
import { instant } from './fields.js';
import { route } from './route.js';

export const auditQuerySchema = z
  .strictObject({
    after: z.coerce.number().int().min(0).default(0),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .register(contracts, { id: 'AuditQuery' });
export type AuditQuery = z.input<typeof auditQuerySchema>;

export const auditEntrySchema = z
  .object({
    seq: z.number().int(),
    at: instant,
    terminalId: z.string().nullable(),
    operatorId: z.string().nullable(),
    action: z.string(),
    subject: z.string(),
    result: z.string(),
    details: z.record(z.string(), z.unknown()),
    prevHash: z.string(),
    hash: z.string(),
  })
  .register(contracts, { id: 'AuditEntry' });
export type AuditEntry = z.output<typeof auditEntrySchema>;

export const auditEntriesSchema = z
  .object({ entries: z.array(auditEntrySchema) })
  .register(contracts, { id: 'AuditEntries' });

export const auditVerificationSchema = z
  .union([
    z.object({
      ok: z.literal(true),
      entries: z.number().int(),
      headSeq: z.number().int(),
      headHash: z.string(),
      /** Checkpoints the HSM certified, checked; the last certified seq; entries after it. */
      checkpoints: z.number().int().optional(),
      certifiedSeq: z.number().int().optional(),
      uncertifiedEntries: z.number().int().optional(),
    }),
    z.object({
      ok: z.literal(false),
      entries: z.number().int(),
      /** The first seq at which the chain is not what it should be. */
      firstBadSeq: z.number().int(),
      reason: z.enum([
        'missing',
        'altered',
        'out-of-order',
        'head-mismatch',
        /** The hash at a certified seq is not the one the HSM certified: the chain was rewritten. */
        'checkpoint-mismatch',
        /** The chain ends before a certified seq: a deleted tail or an older copy of the database. */
        'truncated',
        /** A checkpoint whose MAC is not the HSM's. */
        'checkpoint-forged',
        /** The HSM's checkpoint log is not one unbroken chain, or lacks a checkpoint the database has. */
        'checkpoint-log-broken',
      ]),
    }),
  ])
  .register(contracts, { id: 'AuditVerification' });
export type AuditVerification = z.output<typeof auditVerificationSchema>;

export const auditRoutes = [
  route({
    operationId: 'listAudit',
    method: 'get',
    path: '/v1/audit',
    summary: 'Audit log entries after a sequence number',
    tag: 'operator',
    access: { scope: 'audit:read' },
    query: auditQuerySchema,
    responses: { 200: { description: 'entries in sequence order', body: auditEntriesSchema } },
  }),
  route({
    operationId: 'verifyAudit',
    method: 'get',
    path: '/v1/audit/verify',
    summary: 'Verify the audit hash chain',
    tag: 'operator',
    access: { scope: 'audit:read' },
    responses: {
      200: {
        description:
          '{ok: true, entries, headSeq, headHash, checkpoints, certifiedSeq, uncertifiedEntries} or {ok: false, entries, firstBadSeq, reason}',
        body: auditVerificationSchema,
      },
    },
  }),
] as const;
