import { type OpenapiDocument, ROUTES, type RouteContract } from '@sscard/registry-protocol';
import { listAudit, verifyAuditChain } from '../audit/audit-log.js';
import { pensionHandlers } from './pension-routes.js';
import { riskHandlers } from './risk-routes.js';
import { settlementHandlers } from './settlement-routes.js';
import { statisticsHandlers } from './statistics-routes.js';
import { findInstitutionOfTerminal } from '../settlement/institutions.js';
import { whatIfHandlers } from './whatif-routes.js';
import { hsmDir } from '../config.js';
import { hsmPaths } from '../hsm/hsm-paths.js';
import { DomainError, unauthorized } from '../errors.js';
import type { PreparedIdentity } from '../identity/identity-check.js';
import {
  createOperatorToken,
  listOperatorTokens,
  hasScope,
  operatorRecord,
  revokeOperatorToken,
  rotateOperatorToken,
} from '../terminals/operator-tokens.js';
import {
  createEnrolmentCode,
  enrolTerminal,
  listTerminals,
  listedTerminal,
  renewTerminalCertificate,
  revokeTerminal,
} from '../terminals/terminals.js';
import type { RouteContext, RouteResult, Services } from './context.js';
import type { Handler, Handlers } from './handler.js';
import { searchHolders } from '../registry/holder-search.js';
import { disclosedHistory, disclosedRecord } from '../registry/holder-disclosure.js';
import { idempotencyKeyOf } from './idempotency-key.js';
import { terminalOf } from './terminal-caller.js';

export type { Handler, HandlerContext, Handlers } from './handler.js';

/** A route as the HTTP layer registers it: the contract and its handler. */
export interface RouteDef extends RouteContract {
  prepare?(body: never): Promise<unknown> | undefined;
  handle(ctx: RouteContext): Promise<RouteResult>;
}

/** Whether the caller sees holders' names and ID numbers whole: an operator who may change the registry. */
function revealsHolders(ctx: RouteContext): boolean {
  return ctx.principal.kind === 'operator' && hasScope(ctx.principal.operator, 'registry:write');
}

export function buildRoutes(svc: Services, openapi: OpenapiDocument): RouteDef[] {
  const handlers: Handlers = {
    getHealth: {
      handle: async () => {
        try {
          await svc.store.get('SELECT 1 AS ok');
          return { body: { status: 'ok', store: svc.store.dialect, time: svc.clock().toISOString() } };
        } catch {
          throw new DomainError('STORE_UNAVAILABLE', 'the store does not answer', 503);
        }
      },
    },
    getMetrics: {
      handle: async () => ({
        body: await svc.metrics.registry.metrics(),
        contentType: svc.metrics.registry.contentType,
      }),
    },
    getOpenapi: {
      handle: async () => ({ body: openapi }),
    },
    enrolTerminal: {
      handle: async (ctx) => {
        const b = ctx.body;
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
    getCallingTerminal: {
      handle: async (ctx) => {
        const { terminalId, type, region, status } = terminalOf(ctx);
        const found = await findInstitutionOfTerminal(svc.store, terminalId);
        const institution = found
          ? { institutionId: found.institutionId, name: found.name, region: found.region, level: found.level }
          : null;
        return { body: { terminalId, type, region, status, institution } };
      },
    },
    renewTerminalCertificate: {
      handle: async (ctx) => {
        const t = terminalOf(ctx);
        const renewed = await renewTerminalCertificate(
          svc.store,
          svc.clock,
          svc.ca,
          svc.config.tls.terminalCertificateDays,
          svc.config.tls.renewalGraceSeconds,
          t.terminalId,
          ctx.body.csr,
        );
        svc.log.info('terminal certificate renewed', {
          terminalId: renewed.terminalId,
          serial: renewed.serial,
        });
        return { status: 201, body: renewed };
      },
    },
    checkIdentity: {
      prepare: (body) => svc.identity.prepare(body),
      handle: async (ctx) => {
        const t = terminalOf(ctx);
        return {
          body: await svc.identity.check(
            { id: t.terminalId, type: t.type, region: t.region },
            ctx.body,
            ctx.prepared as PreparedIdentity | undefined,
          ),
        };
      },
    },
    createChallenge: {
      handle: async (ctx) => {
        const t = terminalOf(ctx);
        const b = ctx.body;
        return { status: 201, body: await svc.presence.issue(t.terminalId, b.cardIdCode) };
      },
    },
    verifyCardAuthentication: {
      handle: async (ctx) => {
        const t = terminalOf(ctx);
        const result = await svc.presence.verify(t.terminalId, ctx.body);
        return {
          body: result.verified
            ? { verified: true, cardNumber: result.card.cardNumber }
            : { verified: false, reason: result.reason },
        };
      },
    },
    computeExternalAuthentication: {
      handle: async (ctx) => {
        const t = terminalOf(ctx);
        return {
          body: await svc.externalAuth.answer(t.terminalId, ctx.body),
        };
      },
    },
    answerHsmReadStep: {
      handle: async (ctx) => {
        const t = terminalOf(ctx);
        return { body: await svc.hsmSteps.read(t, ctx.body.step1) };
      },
    },
    translatePinBlock: {
      handle: async (ctx) => {
        const t = terminalOf(ctx);
        return { body: await svc.pinBlocks.translate(t.terminalId, ctx.body) };
      },
    },
    answerHsmPinStep: {
      handle: async (ctx) => {
        const t = terminalOf(ctx);
        const b = ctx.body;
        return { body: await svc.hsmSteps.pin(t, b.operation, b.step1, b.authorisationId) };
      },
    },
    signInCounterClerk: {
      handle: async (ctx) => ({
        body: await svc.pinAuthorisations.signIn(terminalOf(ctx), ctx.body.clerkToken),
      }),
    },
    authorisePinManagement: {
      handle: async (ctx) => ({
        status: 201,
        body: await svc.pinAuthorisations.authorise(terminalOf(ctx), ctx.body),
      }),
    },
    redeemPinAuthorisation: {
      handle: async (ctx) => ({
        body: await svc.pinAuthorisations.redeemForPsam(
          terminalOf(ctx),
          ctx.params.authorisationId!,
          ctx.body,
        ),
      }),
    },
    applyCardEvent: {
      handle: async (ctx) => {
        const b = ctx.body;
        const cardNumber = ctx.params.cardNumber!;
        const event = b.event;
        if (ctx.principal.kind === 'terminal') {
          const key = idempotencyKeyOf(ctx);
          const t = ctx.principal.terminal;
          return {
            body: await svc.registry.applyTerminalCardEvent(
              {
                terminal: { terminalId: t.terminalId, type: t.type, region: t.region },
                cardNumber,
                event,
                reason: b.reason,
                proof: b.proof,
                idempotencyKey: key,
              },
              { presence: svc.presence, authority: svc.config.terminalAuthority, risk: svc.risk },
            ),
          };
        }
        const result = await svc.registry.applyCardEvent(cardNumber, event, ctx.actor, {
          ...(b.reason !== undefined ? { reason: b.reason } : {}),
          ...(b.generation !== undefined ? { generation: b.generation } : {}),
        });
        return { body: result };
      },
    },
    createOperatorToken: {
      handle: async (ctx) => ({
        status: 201,
        body: await createOperatorToken(svc.store, svc.clock, svc.config.operatorTokens, ctx.body, ctx.actor),
      }),
    },
    listOperatorTokens: {
      handle: async () => ({ body: { tokens: await listOperatorTokens(svc.store, svc.clock) } }),
    },
    revokeOperatorToken: {
      handle: async (ctx) => ({
        body: await revokeOperatorToken(svc.store, svc.clock, ctx.params.tokenId!, ctx.actor),
      }),
    },
    rotateOperatorToken: {
      handle: async (ctx) => ({
        status: 201,
        body: await rotateOperatorToken(
          svc.store,
          svc.clock,
          svc.config.operatorTokens,
          ctx.params.tokenId!,
          ctx.body,
          ctx.actor,
        ),
      }),
    },
    getCallingOperator: {
      handle: async (ctx) => {
        if (ctx.principal.kind !== 'operator') {
          throw unauthorized('TOKEN_REQUIRED', 'this route needs an operator token');
        }
        return { body: await operatorRecord(svc.store, svc.clock, ctx.principal.operator.tokenId) };
      },
    },
    rotateCallingOperatorToken: {
      handle: async (ctx) => {
        if (ctx.principal.kind !== 'operator') {
          throw unauthorized('TOKEN_REQUIRED', 'this route needs an operator token');
        }
        const operator = ctx.principal.operator;
        // The secret a rotation replaced is good for its overlap, not for taking the token over.
        if (operator.viaPreviousSecret) {
          throw unauthorized(
            'TOKEN_EXPIRED',
            'this secret was replaced by a rotation: rotate with the current secret',
          );
        }
        return {
          status: 201,
          body: await rotateOperatorToken(
            svc.store,
            svc.clock,
            svc.config.operatorTokens,
            operator.tokenId,
            ctx.body,
            ctx.actor,
          ),
        };
      },
    },
    createEnrolmentCode: {
      handle: async (ctx) => {
        const b = ctx.body;
        const code = await createEnrolmentCode(
          svc.store,
          svc.clock,
          {
            terminalId: b.terminalId,
            type: b.type,
            region: b.region,
            ttlSeconds: b.ttlSeconds ?? svc.config.enrolmentCodeTtlSeconds,
          },
          ctx.actor,
        );
        return { status: 201, body: code };
      },
    },
    listTerminals: {
      handle: async () => {
        await svc.contacts.flush();
        return { body: { terminals: await listTerminals(svc.store) } };
      },
    },
    revokeTerminal: {
      handle: async (ctx) => {
        const revoked = await revokeTerminal(svc.store, svc.clock, ctx.params.terminalId!, ctx.actor);
        return { body: await listedTerminal(svc.store, revoked.terminalId) };
      },
    },
    createHolder: {
      handle: async (ctx) => {
        const { relations, ...holder } = ctx.body;
        const created = await svc.registry.createHolder(holder, relations ?? [], ctx.actor);
        const record = await svc.registry.holderRecord(created.personNo);
        return { status: 201, body: disclosedRecord(record, revealsHolders(ctx)) };
      },
    },
    searchHolders: {
      handle: async (ctx) => ({
        body: {
          holders: await searchHolders(svc.store, ctx.query.q, ctx.query.limit, revealsHolders(ctx)),
        },
      }),
    },
    getHolder: {
      handle: async (ctx) => ({
        body: disclosedRecord(await svc.registry.holderRecord(ctx.params.personNo!), revealsHolders(ctx)),
      }),
    },
    updateHolder: {
      handle: async (ctx) => ({
        body: await svc.registry.updateHolder(ctx.params.personNo!, ctx.body, ctx.actor),
      }),
    },
    getHolderHistory: {
      handle: async (ctx) => ({
        body: disclosedHistory(
          await svc.registry.history('holder', ctx.params.personNo!),
          revealsHolders(ctx),
        ),
      }),
    },
    addRelation: {
      handle: async (ctx) => ({
        status: 201,
        body: await svc.registry.addRelation(ctx.params.personNo!, ctx.body, ctx.actor),
      }),
    },
    setRelationStatus: {
      handle: async (ctx) => {
        const b = ctx.body;
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
    issueCard: {
      handle: async (ctx) => ({
        status: 201,
        body: await svc.registry.issueCard(ctx.params.personNo!, ctx.body, ctx.actor),
      }),
    },
    getCard: {
      handle: async (ctx) => ({ body: await svc.registry.card(ctx.params.cardNumber!) }),
    },
    getCardHistory: {
      handle: async (ctx) => ({
        body: { history: await svc.registry.history('card', ctx.params.cardNumber!) },
      }),
    },
    listAudit: {
      handle: async (ctx) => {
        const qy = ctx.query;
        return { body: { entries: await listAudit(svc.store, qy.after, qy.limit) } };
      },
    },
    verifyAudit: {
      handle: async () => ({
        body: await verifyAuditChain(svc.store, undefined, {
          hsm: svc.hsm,
          checkpointLogPath: hsmPaths(hsmDir(svc.config)).checkpointLog,
        }),
      }),
    },
    ...settlementHandlers(svc),
    ...pensionHandlers(svc),
    ...riskHandlers(svc),
    ...whatIfHandlers(svc),
    ...statisticsHandlers(svc),
  };
  return ROUTES.map(
    (contract) =>
      ({ ...contract, ...(handlers[contract.operationId] as unknown as Handler<RouteContract>) }) as RouteDef,
  );
}
