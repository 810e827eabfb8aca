import { z } from 'zod';
import { contracts } from './contracts.js';
import { instant, region, terminalId } from './fields.js';
import { route } from './route.js';
import { TERMINAL_STATUSES, TERMINAL_TYPES } from './vocabulary.js';

/** A one-time enrolment code and the terminal's own certificate request. */
export const enrolRequestSchema = z
  .strictObject({
    code: z.string().min(1).max(64),
    /** PEM PKCS#10 certificate request over the terminal's own RSA key (2048 bits or more). */
    csr: z.string().min(1).max(16_384),
  })
  .register(contracts, { id: 'EnrolRequest' });
export type EnrolRequest = z.input<typeof enrolRequestSchema>;

export const enrolmentSchema = z
  .object({
    terminalId: z.string(),
    type: z.enum(TERMINAL_TYPES),
    region: z.string(),
    certificatePem: z.string(),
    caCertificatePem: z.string(),
    serial: z.string(),
    notAfter: instant,
  })
  .register(contracts, { id: 'Enrolment' });
export type Enrolment = z.output<typeof enrolmentSchema>;

/**
 * A terminal renewing its certificate over its current one (mutual TLS): a new key pair made on
 * the terminal, its CSR; the subject again comes from the registry, never from the CSR.
 */
export const certificateRenewalRequestSchema = z
  .strictObject({
    /** PEM PKCS#10 certificate request over the terminal's new RSA key (2048 bits or more). */
    csr: z.string().min(1).max(16_384),
  })
  .register(contracts, { id: 'CertificateRenewalRequest' });
export type CertificateRenewalRequest = z.input<typeof certificateRenewalRequestSchema>;

/** The medical institution a hospital or pharmacy desk settles for, as an operator assigned it. */
export const terminalInstitutionSchema = z
  .object({
    institutionId: z.string(),
    name: z.string(),
    region: z.string(),
    level: z.union([z.literal(1), z.literal(2), z.literal(3)]),
  })
  .register(contracts, { id: 'TerminalInstitution' });
export type TerminalInstitution = z.output<typeof terminalInstitutionSchema>;

const terminalFields = {
  terminalId: z.string(),
  type: z.enum(TERMINAL_TYPES),
  region: z.string(),
  status: z.enum(TERMINAL_STATUSES),
};

/**
 * The calling terminal as the service knows it (`GET /v1/terminal`), with the institution it
 * settles for: null for a desk not yet assigned, and for every other type.
 */
export const terminalSelfSchema = z
  .object({ ...terminalFields, institution: terminalInstitutionSchema.nullable() })
  .register(contracts, { id: 'TerminalSelf' });
export type TerminalSelf = z.output<typeof terminalSelfSchema>;

export const terminalSchema = z
  .object({
    ...terminalFields,
    createdAt: instant,
    enrolledAt: instant.nullable(),
    revokedAt: instant.nullable(),
    /** The last request the service took from it, to the minute; null: none since it enrolled. */
    lastSeenAt: instant.nullable(),
  })
  .register(contracts, { id: 'Terminal' });
export type TerminalRecord = z.output<typeof terminalSchema>;

export const terminalListSchema = z
  .object({ terminals: z.array(terminalSchema) })
  .register(contracts, { id: 'TerminalList' });

export const enrolmentCodeRequestSchema = z
  .strictObject({
    terminalId,
    type: z.enum(TERMINAL_TYPES),
    region,
    ttlSeconds: z
      .number()
      .int()
      .min(60)
      .max(30 * 86400)
      .optional(),
  })
  .register(contracts, { id: 'EnrolmentCodeRequest' });
export type EnrolmentCodeRequest = z.input<typeof enrolmentCodeRequestSchema>;

export const enrolmentCodeSchema = z
  .object({
    /** Shown once to the operator, who types it into the terminal; only its hash is stored. */
    code: z.string(),
    terminalId: z.string(),
    type: z.enum(TERMINAL_TYPES),
    region: z.string(),
    expiresAt: instant,
  })
  .register(contracts, { id: 'EnrolmentCode' });

export const terminalRoutes = [
  route({
    operationId: 'enrolTerminal',
    method: 'post',
    path: '/v1/enrol',
    summary: 'Redeem a one-time enrolment code for a terminal certificate',
    tag: 'terminal',
    access: { public: true },
    body: enrolRequestSchema,
    responses: {
      201: { description: 'the terminal certificate and the CA certificate', body: enrolmentSchema },
    },
  }),
  route({
    operationId: 'getCallingTerminal',
    method: 'get',
    path: '/v1/terminal',
    summary: 'The calling terminal as the service knows it, with the institution a desk settles for',
    tag: 'terminal',
    access: { terminals: TERMINAL_TYPES },
    responses: {
      200: { description: 'terminal id, type, region, status, institution', body: terminalSelfSchema },
    },
  }),
  route({
    operationId: 'renewTerminalCertificate',
    method: 'post',
    path: '/v1/terminal/certificate',
    summary:
      "Renew the calling terminal's certificate over a new key before it expires; the presented certificate stays good for a grace period, then lapses",
    tag: 'terminal',
    access: { terminals: TERMINAL_TYPES },
    body: certificateRenewalRequestSchema,
    responses: {
      201: {
        description: 'the new certificate (same terminal, type and region) and the CA certificate',
        body: enrolmentSchema,
      },
    },
  }),
  route({
    operationId: 'createEnrolmentCode',
    method: 'post',
    path: '/v1/enrolment-codes',
    summary: 'Create a one-time enrolment code for a terminal',
    tag: 'operator',
    access: { scope: 'terminals:manage' },
    body: enrolmentCodeRequestSchema,
    responses: { 201: { description: 'the code (shown once) and its expiry', body: enrolmentCodeSchema } },
  }),
  route({
    operationId: 'listTerminals',
    method: 'get',
    path: '/v1/terminals',
    summary: 'List terminals',
    tag: 'operator',
    access: { scope: 'terminals:manage' },
    responses: { 200: { description: 'terminals with type, region and status', body: terminalListSchema } },
  }),
  route({
    operationId: 'revokeTerminal',
    method: 'post',
    path: '/v1/terminals/:terminalId/revoke',
    summary: "Revoke a terminal and its certificates (effective at the terminal's next request)",
    tag: 'operator',
    access: { scope: 'terminals:manage' },
    responses: { 200: { description: 'the revoked terminal', body: terminalSchema } },
  }),
] as const;
