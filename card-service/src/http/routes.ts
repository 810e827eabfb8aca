import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { listAudit, verifyAuditChain } from '../audit/audit-log.js';
import { DomainError, forbidden } from '../errors.js';
import { type CardEvent, TERMINAL_TYPES } from '../lifecycle/transitions.js';
import { canonicalJson } from '../audit/canonical-json.js';
import type { PreparedIdentity } from '../identity/identity-check.js';
import { createOperatorToken } from '../terminals/operator-tokens.js';
import { createEnrolmentCode, enrolTerminal, listTerminals, revokeTerminal } from '../terminals/terminals.js';
import type { Access, RouteContext, RouteResult, Services } from './context.js';
import * as s from './schemas.js';

/**
 * Every route of the API in one table: method, path, who may call it, the body schema, and the
 * handler. The express app registers exactly these, and the OpenAPI document is written from them.
 */
export interface RouteDef {
  method: 'get' | 'post' | 'patch';
  path: string;
  summary: string;
  tag: 'ops' | 'terminal' | 'operator';
  access: Access;
  body?: z.ZodType;
  query?: z.ZodType;
  /** Status → description of the answers besides the common problem responses. */
  responses: Record<number, string>;
  /**
   * Reads that depend only on the validated body, started beside the caller's identification
   * instead of after it; `handle` gets their promise as `ctx.prepared`. Run only for callers with a
   * client certificate this service's CA issued, and used only once the caller has passed every
   * check (identity, permissions, rate limit), so a refused request gets the same answer as
   * without it. Undefined from `prepare` means nothing was started.
   */
  prepare?(body: never): Promise<unknown> | undefined;
  handle(ctx: RouteContext): Promise<RouteResult>;
}

const ALL_TERMINALS = TERMINAL_TYPES;

const terminalOf = (ctx: RouteContext) => {
  if (ctx.principal.kind !== 'terminal') throw forbidden('TERMINAL_ONLY', 'only a terminal may call this');
  return ctx.principal.terminal;
};

export function buildRoutes(svc: Services, openapi: () => unknown): RouteDef[] {
  return [
    {
      method: 'get',
      path: '/healthz',
      summary: 'Liveness and store reachability',
      tag: 'ops',
      access: { public: true },
      responses: { 200: 'the service and its store answer', 503: 'the store does not answer' },
      handle: async () => {
        try {
          await svc.store.get('SELECT 1 AS ok');
          return { body: { status: 'ok', store: svc.store.dialect, time: svc.clock().toISOString() } };
        } catch {
          throw new DomainError('STORE_UNAVAILABLE', 'the store does not answer', 503);
        }
      },
    },
    {
      method: 'get',
      path: '/metrics',
      summary: 'Prometheus metrics',
      tag: 'ops',
      access: { public: true },
      responses: { 200: 'metrics in the Prometheus text format' },
      handle: async () => ({
        body: await svc.metrics.registry.metrics(),
        contentType: svc.metrics.registry.contentType,
      }),
    },
    {
      method: 'get',
      path: '/openapi.json',
      summary: 'This API as an OpenAPI 3 document',
      tag: 'ops',
      access: { public: true },
      responses: { 200: 'the OpenAPI document' },
      handle: async () => ({ body: openapi() }),
    },
    {
      method: 'post',
      path: '/v1/enrol',
      summary: 'Redeem a one-time enrolment code for a terminal certificate',
      tag: 'terminal',
      access: { public: true },
      body: s.enrolBody,
      responses: { 201: 'the terminal certificate and the CA certificate' },
      handle: async (ctx) => {
        const b = ctx.body as z.infer<typeof s.enrolBody>;
        const enrolment = await enrolTerminal(
          svc.store,
          svc.clock,
          svc.ca,
          svc.config.tls.terminalCertificateDays,
          b.code,
          b.csr,
        );
        svc.log.info('terminal enrolled', { terminalId: enrolment.terminalId, serial: enrolment.serial });
        return { status: 201, body: enrolment };
      },
    },
    {
      method: 'get',
      path: '/v1/terminal',
      summary: 'The calling terminal as the service knows it',
      tag: 'terminal',
      access: { terminals: ALL_TERMINALS },
      responses: { 200: 'terminal id, type, region, status' },
      handle: async (ctx) => ({ body: terminalOf(ctx) }),
    },
    {
      method: 'post',
      path: '/v1/identity/check',
      summary: 'Check a card just read: genuine, valid now, whose, what coverage',
      tag: 'terminal',
      access: { terminals: ALL_TERMINALS },
      body: s.identityCheckBody,
      responses: { 200: 'the verdict: valid, or a refusal reason, with holder and coverage when valid' },
      prepare: (body: z.infer<typeof s.identityCheckBody>) => svc.identity.prepare(body),
      handle: async (ctx) => {
        const t = terminalOf(ctx);
        return {
          body: await svc.identity.check(
            { id: t.terminalId, type: t.type },
            ctx.body as z.infer<typeof s.identityCheckBody>,
            ctx.prepared as PreparedIdentity | undefined,
          ),
        };
      },
    },
    {
      method: 'post',
      path: '/v1/challenges',
      summary: 'A single-use challenge for a card-present proof (INTERNAL AUTHENTICATE)',
      tag: 'terminal',
      access: { terminals: ALL_TERMINALS },
      body: s.challengeBody,
      responses: { 201: 'challengeId, challenge (hex, one cipher block), algorithm, expiresAt' },
      handle: async (ctx) => {
        const t = terminalOf(ctx);
        const b = ctx.body as z.infer<typeof s.challengeBody>;
        return { status: 201, body: await svc.presence.issue(t.terminalId, b.cardIdCode) };
      },
    },
    {
      method: 'post',
      path: '/v1/card-auth/verify',
      summary: "Verify a card's INTERNAL AUTHENTICATE answer over a challenge (terminals without a PSAM)",
      tag: 'terminal',
      access: { terminals: ALL_TERMINALS },
      body: s.cardAuthBody,
      responses: { 200: '{verified: true, cardNumber} or {verified: false, reason}' },
      handle: async (ctx) => {
        const t = terminalOf(ctx);
        const result = await svc.presence.verify(t.terminalId, ctx.body as z.infer<typeof s.cardAuthBody>);
        return {
          body: result.verified
            ? { verified: true, cardNumber: result.card.cardNumber }
            : { verified: false, reason: result.reason },
        };
      },
    },
    {
      method: 'post',
      path: '/v1/card-auth/external',
      summary:
        "The EXTERNAL AUTHENTICATE cryptogram over a card's challenge, so that a gen 3 card releases its holder data (terminals without a PSAM)",
      tag: 'terminal',
      access: { terminals: ALL_TERMINALS },
      body: s.externalAuthBody,
      responses: { 200: 'cryptogram (hex, one cipher block) and the algorithm the card was issued with' },
      handle: async (ctx) => {
        const t = terminalOf(ctx);
        return {
          body: await svc.externalAuth.answer(t.terminalId, ctx.body as z.infer<typeof s.externalAuthBody>),
        };
      },
    },
    {
      method: 'post',
      path: '/v1/cards/:cardNumber/events',
      summary:
        'Apply a lifecycle event to a card (operators; kiosks and banks as the lifecycle table allows)',
      tag: 'terminal',
      access: { terminals: ['kiosk', 'bank'], scope: 'registry:write' },
      body: s.cardEventBody,
      responses: {
        200: 'the card after the event; for replace, also the new card and its personalisation document',
      },
      handle: async (ctx) => {
        const b = ctx.body as z.infer<typeof s.cardEventBody>;
        const cardNumber = ctx.params.cardNumber!;
        const event = b.event as CardEvent;
        let idempotency: { terminalId: string; key: string; requestHash: string } | undefined;
        if (ctx.principal.kind === 'terminal') {
          const terminalId = ctx.principal.terminal.terminalId;
          const key = ctx.header('idempotency-key');
          if (!key || key.length > 100) {
            throw new DomainError(
              'IDEMPOTENCY_KEY_REQUIRED',
              'terminals send an Idempotency-Key header (1–100 characters)',
              400,
            );
          }
          // A temporary loss is the one event for a card that is not at hand; everything else
          // needs the card in the terminal's reader (DESIGN.md §3).
          if (event !== 'reportTemporaryLoss') {
            if (!b.proof)
              throw new DomainError('CARD_PRESENCE_REQUIRED', `${event} needs a card-present proof`, 403);
            const card = await svc.registry.card(cardNumber);
            const proof = await svc.presence.verify(terminalId, { ...b.proof, cardIdCode: card.cardIdCode });
            if (!proof.verified) {
              throw new DomainError('CARD_PRESENCE_FAILED', 'the card-present proof was refused', 403, {
                reason: proof.reason,
              });
            }
          }
          idempotency = {
            terminalId,
            key,
            requestHash: createHash('sha256')
              .update(canonicalJson({ cardNumber, event, reason: b.reason ?? null }))
              .digest('hex'),
          };
        }
        const result = await svc.registry.applyCardEvent(cardNumber, event, ctx.actor, {
          ...(b.reason !== undefined ? { reason: b.reason } : {}),
          ...(b.generation !== undefined ? { generation: b.generation } : {}),
          ...(idempotency ? { idempotency } : {}),
        });
        return { body: result };
      },
    },
    {
      method: 'post',
      path: '/v1/operator-tokens',
      summary: 'Create an operator API token with scopes (shown once)',
      tag: 'operator',
      access: { scope: 'admin' },
      body: s.operatorTokenBody,
      responses: { 201: 'the token (shown once) and its id and scopes' },
      handle: async (ctx) => {
        const b = ctx.body as z.infer<typeof s.operatorTokenBody>;
        return {
          status: 201,
          body: await createOperatorToken(svc.store, svc.clock, b.name, b.scopes, ctx.actor),
        };
      },
    },
    {
      method: 'post',
      path: '/v1/enrolment-codes',
      summary: 'Create a one-time enrolment code for a terminal',
      tag: 'operator',
      access: { scope: 'terminals:manage' },
      body: s.enrolmentCodeBody,
      responses: { 201: 'the code (shown once) and its expiry' },
      handle: async (ctx) => {
        const b = ctx.body as z.infer<typeof s.enrolmentCodeBody>;
        const code = await createEnrolmentCode(
          svc.store,
          svc.clock,
          {
            terminalId: b.terminalId,
            type: b.type as (typeof TERMINAL_TYPES)[number],
            region: b.region,
            ttlSeconds: b.ttlSeconds ?? svc.config.enrolmentCodeTtlSeconds,
          },
          ctx.actor,
        );
        return { status: 201, body: code };
      },
    },
    {
      method: 'get',
      path: '/v1/terminals',
      summary: 'List terminals',
      tag: 'operator',
      access: { scope: 'terminals:manage' },
      responses: { 200: 'terminals with type, region and status' },
      handle: async () => ({ body: { terminals: await listTerminals(svc.store) } }),
    },
    {
      method: 'post',
      path: '/v1/terminals/:terminalId/revoke',
      summary: "Revoke a terminal and its certificates (effective at the terminal's next request)",
      tag: 'operator',
      access: { scope: 'terminals:manage' },
      responses: { 200: 'the revoked terminal' },
      handle: async (ctx) => ({
        body: await revokeTerminal(svc.store, svc.clock, ctx.params.terminalId!, ctx.actor),
      }),
    },
    {
      method: 'post',
      path: '/v1/holders',
      summary: 'Register a card holder with insurance relations',
      tag: 'operator',
      access: { scope: 'registry:write' },
      body: s.holderBody,
      responses: { 201: 'the holder record' },
      handle: async (ctx) => {
        const { relations, ...holder } = ctx.body as z.infer<typeof s.holderBody>;
        const created = await svc.registry.createHolder(holder, relations ?? [], ctx.actor);
        return { status: 201, body: await svc.registry.holderRecord(created.personNo) };
      },
    },
    {
      method: 'get',
      path: '/v1/holders/:personNo',
      summary: 'A holder with insurance relations and cards',
      tag: 'operator',
      access: { scope: 'registry:read' },
      responses: { 200: 'the holder record' },
      handle: async (ctx) => ({ body: await svc.registry.holderRecord(ctx.params.personNo!) }),
    },
    {
      method: 'patch',
      path: '/v1/holders/:personNo',
      summary: "Change a holder's name, ethnicity, birthplace or region",
      tag: 'operator',
      access: { scope: 'registry:write' },
      body: s.holderPatchBody,
      responses: { 200: 'the holder after the change' },
      handle: async (ctx) => ({
        body: await svc.registry.updateHolder(
          ctx.params.personNo!,
          ctx.body as z.infer<typeof s.holderPatchBody>,
          ctx.actor,
        ),
      }),
    },
    {
      method: 'get',
      path: '/v1/holders/:personNo/history',
      summary: "The history of a holder's record",
      tag: 'operator',
      access: { scope: 'registry:read' },
      responses: { 200: 'history entries, oldest first' },
      handle: async (ctx) => ({
        body: { history: await svc.registry.history('holder', ctx.params.personNo!) },
      }),
    },
    {
      method: 'post',
      path: '/v1/holders/:personNo/relations',
      summary: 'Add an insurance relation',
      tag: 'operator',
      access: { scope: 'registry:write' },
      body: s.relationBody,
      responses: { 201: 'the relation' },
      handle: async (ctx) => ({
        status: 201,
        body: await svc.registry.addRelation(
          ctx.params.personNo!,
          ctx.body as z.infer<typeof s.relationBody>,
          ctx.actor,
        ),
      }),
    },
    {
      method: 'post',
      path: '/v1/relations/:relationId/status',
      summary: 'Pause, resume or terminate an insurance relation',
      tag: 'operator',
      access: { scope: 'registry:write' },
      body: s.relationStatusBody,
      responses: { 200: 'the relation after the change' },
      handle: async (ctx) => {
        const b = ctx.body as z.infer<typeof s.relationStatusBody>;
        return {
          body: await svc.registry.setRelationStatus(
            ctx.params.relationId!,
            b.status,
            b.date ?? null,
            ctx.actor,
          ),
        };
      },
    },
    {
      method: 'post',
      path: '/v1/holders/:personNo/cards',
      summary: 'Issue a card (or a temporary card) and get its personalisation document',
      tag: 'operator',
      access: { scope: 'registry:write' },
      body: s.issueCardBody,
      responses: { 201: 'the card and its personalisation document (with the initial PIN, shown once)' },
      handle: async (ctx) => ({
        status: 201,
        body: await svc.registry.issueCard(
          ctx.params.personNo!,
          ctx.body as z.infer<typeof s.issueCardBody>,
          ctx.actor,
        ),
      }),
    },
    {
      method: 'get',
      path: '/v1/cards/:cardNumber',
      summary: 'A card as it stands now',
      tag: 'operator',
      access: { scope: 'registry:read' },
      responses: { 200: 'the card' },
      handle: async (ctx) => ({ body: await svc.registry.card(ctx.params.cardNumber!) }),
    },
    {
      method: 'get',
      path: '/v1/cards/:cardNumber/history',
      summary: "The history of a card's lifecycle",
      tag: 'operator',
      access: { scope: 'registry:read' },
      responses: { 200: 'history entries, oldest first' },
      handle: async (ctx) => ({
        body: { history: await svc.registry.history('card', ctx.params.cardNumber!) },
      }),
    },
    {
      method: 'get',
      path: '/v1/audit',
      summary: 'Audit log entries after a sequence number',
      tag: 'operator',
      access: { scope: 'audit:read' },
      query: s.auditQuery,
      responses: { 200: 'entries in sequence order' },
      handle: async (ctx) => {
        const qy = ctx.query as z.infer<typeof s.auditQuery>;
        return { body: { entries: await listAudit(svc.store, qy.after, qy.limit) } };
      },
    },
    {
      method: 'get',
      path: '/v1/audit/verify',
      summary: 'Verify the audit hash chain',
      tag: 'operator',
      access: { scope: 'audit:read' },
      responses: { 200: '{ok: true, entries, headHash} or {ok: false, firstBadSeq, reason}' },
      handle: async () => ({ body: await verifyAuditChain(svc.store) }),
    },
  ];
}
