import { randomUUID } from 'node:crypto';
import { maskCardIdCode } from '@sscard/card-core';
import type {
  Clerk,
  PinAuthorisation,
  PinAuthorisationRefusal,
  PinAuthorisationRequest,
  PinManagementOperation,
  PinRedemption,
  ProblemCode,
  TerminalType,
} from '@sscard/registry-protocol';
import { type AuditInput, appendAudit } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import { DomainError } from '../errors.js';
import { nextState } from '../lifecycle/transitions.js';
import type { Card } from '../registry/model.js';
import { getCard, getHolder } from '../registry/queries.js';
import { cardSubject } from '../registry/subjects.js';
import { type Queryable, type Store, forUpdate } from '../store/store.js';
import { type Operator, authenticateOperator, hasScope } from '../terminals/operator-tokens.js';
import type { CardPresence } from '../card-auth/card-presence.js';

/** The counter asking: its certificate's id and type. */
export interface CounterTerminal {
  terminalId: string;
  type: TerminalType;
}

/** How the PIN command's MAC was made: by the counter's PSAM, or by the service's HSM. */
export type PinMacSource = 'psam' | 'hsm';

const STATUS: Record<PinAuthorisationRefusal, number> = {
  CLERK_NOT_ALLOWED: 403,
  HOLDER_MISMATCH: 422,
  AUTHORISATION_UNKNOWN: 404,
  AUTHORISATION_EXPIRED: 409,
  AUTHORISATION_USED: 409,
  AUTHORISATION_MISMATCH: 409,
};

const MESSAGES: Record<PinAuthorisationRefusal, string> = {
  CLERK_NOT_ALLOWED:
    "the clerk's operator token may not authorise PIN reload or unblock (scope pin:authorise)",
  HOLDER_MISMATCH: "the ID number given is not the card holder's",
  AUTHORISATION_UNKNOWN: 'no such PIN authorisation at this counter',
  AUTHORISATION_EXPIRED: 'the PIN authorisation has expired; the clerk authorises again',
  AUTHORISATION_USED: 'the PIN authorisation has been used; each one serves one operation',
  AUTHORISATION_MISMATCH: 'the PIN authorisation is for another card or the other operation',
};

const pinRefusal = (code: PinAuthorisationRefusal, details?: Record<string, unknown>): DomainError =>
  new DomainError(code, MESSAGES[code], STATUS[code], details);

interface AuthorisationRow {
  authorisation_id: string;
  terminal_id: string;
  operator_id: string;
  card_number: string;
  operation: PinManagementOperation;
  expires_at: string;
  used_at: string | null;
}

/** An authorisation spent: the clerk who gave it, for the audit entry of what it allowed. */
export interface Redeemed {
  authorisationId: string;
  operatorId: string;
  redeemedAt: string;
}

/** A refusal decided inside a transaction that must still commit (its audit entry, a spent challenge). */
type Outcome<T> = { ok: true; value: T } | { ok: false; error: DomainError };

/**
 * A clerk's authorisation of one PIN reload or unblock at a bureau counter
 * (registry-protocol pin-authorisations.ts). The clerk is an operator whose token has the
 * `pin:authorise` scope; the counter passes the token on, the service never keeps it. The
 * authorisation binds the counter, the clerk, the card the counter proved is in its reader, the
 * holder whose identity document the clerk checked, and the operation; it lapses after
 * `ttlSeconds` and its first use spends it under the row's lock, so two uses never both succeed.
 * Every grant, refusal and use is audited with the clerk's token id.
 */
export class PinAuthorisations {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly presence: CardPresence,
    private readonly ttlSeconds: number,
  ) {}

  /** The clerk signing in at the counter; audited, refused like an authorisation by the same clerk. */
  async signIn(terminal: CounterTerminal, clerkToken: string): Promise<Clerk> {
    const clerk = await this.clerk(terminal, clerkToken);
    await this.store.transaction((tx) =>
      appendAudit(tx, this.clock, {
        terminalId: terminal.terminalId,
        operatorId: clerk.tokenId,
        action: 'counter.clerkSignIn',
        subject: `operator ${clerk.tokenId}`,
        result: 'ok',
      }),
    );
    return { operatorId: clerk.tokenId, name: clerk.name };
  }

  async authorise(terminal: CounterTerminal, request: PinAuthorisationRequest): Promise<PinAuthorisation> {
    const clerk = await this.clerk(terminal, request.clerkToken);
    const proofInput = {
      challengeId: request.proof.challengeId,
      cardIdCode: request.cardIdCode,
      cryptogram: request.proof.cryptogram,
    };
    // The HSM is asked outside the transaction (a slow HSM must not hold the write lock).
    const verdict = await this.presence.judge(terminal.terminalId, proofInput, 'presence');
    const outcome = await this.store.transaction(async (tx): Promise<Outcome<PinAuthorisation>> => {
      const audit = (result: string, subject: string, details: Record<string, unknown> = {}) =>
        appendAudit(tx, this.clock, {
          terminalId: terminal.terminalId,
          operatorId: clerk.tokenId,
          action: 'card.pinAuthorise',
          subject,
          result,
          details: { operation: request.operation, ...details },
        });
      const proof = await this.presence.verifyIn(tx, terminal.terminalId, proofInput, verdict);
      if (!proof.verified) {
        await audit('CARD_PRESENCE_FAILED', `card id ${maskCardIdCode(request.cardIdCode)}`, {
          reason: proof.reason,
        });
        return {
          ok: false,
          error: new DomainError(
            'CARD_PRESENCE_FAILED',
            `the card did not prove it is in this counter's reader: ${proof.reason}`,
            422,
            { reason: proof.reason },
          ),
        };
      }
      const card = proof.card;
      const subject = cardSubject(card.cardNumber);
      if (card.cardNumber !== request.cardNumber) {
        await audit('AUTHORISATION_MISMATCH', subject);
        return { ok: false, error: pinRefusal('AUTHORISATION_MISMATCH') };
      }
      const holder = await getHolder(tx, card.personNo);
      if (!holder || holder.idNumber !== request.holderIdNumber.toUpperCase()) {
        await audit('HOLDER_MISMATCH', subject);
        return { ok: false, error: pinRefusal('HOLDER_MISMATCH') };
      }
      try {
        nextState(card, 'resetPin', terminal.type);
      } catch (e) {
        if (!(e instanceof DomainError)) throw e;
        await audit(e.code, subject);
        return { ok: false, error: e };
      }
      const now = this.clock();
      const authorisation: PinAuthorisation = {
        authorisationId: randomUUID(),
        operation: request.operation,
        cardNumber: card.cardNumber,
        clerk: { operatorId: clerk.tokenId, name: clerk.name },
        expiresAt: new Date(now.getTime() + this.ttlSeconds * 1000).toISOString(),
      };
      await tx.run(
        `INSERT INTO pin_authorisations (authorisation_id, terminal_id, operator_id, card_number, operation, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
        [
          authorisation.authorisationId,
          terminal.terminalId,
          clerk.tokenId,
          card.cardNumber,
          request.operation,
          now.toISOString(),
          authorisation.expiresAt,
        ],
      );
      await audit('ok', subject, {
        authorisationId: authorisation.authorisationId,
        expiresAt: authorisation.expiresAt,
      });
      return { ok: true, value: authorisation };
    });
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  /**
   * Spends the authorisation for `card` and `operation` at this counter, in the caller's
   * transaction (the HSM's MAC, the PSAM's redemption), or says why not. The card's state is
   * judged again: it may have been reported lost since the clerk authorised.
   */
  async redeemIn(
    tx: Queryable,
    terminal: CounterTerminal,
    authorisationId: string,
    card: Card,
    operation: PinManagementOperation,
    via: PinMacSource,
  ): Promise<Outcome<Redeemed>> {
    const row = await tx.get<AuthorisationRow>(
      `SELECT authorisation_id, terminal_id, operator_id, card_number, operation, expires_at, used_at
       FROM pin_authorisations WHERE authorisation_id = ?${forUpdate(tx.dialect)}`,
      [authorisationId],
    );
    // Another counter's authorisation is as good as unknown to this one.
    if (!row || row.terminal_id !== terminal.terminalId) {
      return { ok: false, error: pinRefusal('AUTHORISATION_UNKNOWN') };
    }
    const now = this.clock().toISOString();
    if (row.used_at !== null) return { ok: false, error: pinRefusal('AUTHORISATION_USED') };
    if (row.expires_at <= now) return { ok: false, error: pinRefusal('AUTHORISATION_EXPIRED') };
    if (row.card_number !== card.cardNumber || row.operation !== operation) {
      return { ok: false, error: pinRefusal('AUTHORISATION_MISMATCH') };
    }
    try {
      nextState(card, 'resetPin', terminal.type);
    } catch (e) {
      if (e instanceof DomainError) return { ok: false, error: e };
      throw e;
    }
    await tx.run('UPDATE pin_authorisations SET used_at = ?, used_via = ? WHERE authorisation_id = ?', [
      now,
      via,
      authorisationId,
    ]);
    return { ok: true, value: { authorisationId, operatorId: row.operator_id, redeemedAt: now } };
  }

  /**
   * The counter's PSAM is about to make the command's MAC: the authorisation is spent now, and the
   * PIN change audited with the clerk who authorised it. Refusals are audited too.
   */
  async redeemForPsam(
    terminal: CounterTerminal,
    authorisationId: string,
    request: { operation: PinManagementOperation; cardNumber: string },
  ): Promise<PinRedemption> {
    const action = request.operation === 'reload' ? 'card.psamPinReload' : 'card.psamPinUnblock';
    const outcome = await this.store.transaction(async (tx): Promise<Outcome<Redeemed>> => {
      const entry = (result: string, operatorId: string | null): AuditInput => ({
        terminalId: terminal.terminalId,
        operatorId,
        action,
        subject: cardSubject(request.cardNumber),
        result,
        details: { authorisationId },
      });
      const card = await getCard(tx, request.cardNumber);
      const redeemed = card
        ? await this.redeemIn(tx, terminal, authorisationId, card, request.operation, 'psam')
        : { ok: false as const, error: pinRefusal('AUTHORISATION_MISMATCH') };
      await appendAudit(
        tx,
        this.clock,
        entry(redeemed.ok ? 'ok' : redeemed.error.code, redeemed.ok ? redeemed.value.operatorId : null),
      );
      return redeemed;
    });
    if (!outcome.ok) throw outcome.error;
    return { authorisationId, redeemedAt: outcome.value.redeemedAt };
  }

  /**
   * The clerk behind a token: an operator whose token holds `pin:authorise` (or `admin`). A token
   * that names no operator, or one expired or revoked, is refused as the clerk's, not as the
   * counter's (the counter's certificate is good); each refusal is audited.
   */
  private async clerk(terminal: CounterTerminal, clerkToken: string): Promise<Operator> {
    let operator: Operator | undefined;
    let reason: ProblemCode | undefined;
    try {
      operator = await authenticateOperator(this.store, this.clock, clerkToken);
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
      reason = e.code as ProblemCode;
    }
    if (operator && hasScope(operator, 'pin:authorise')) return operator;
    const why = reason ?? 'SCOPE_MISSING';
    await this.store.transaction((tx) =>
      appendAudit(tx, this.clock, {
        terminalId: terminal.terminalId,
        operatorId: operator?.tokenId ?? null,
        action: 'counter.clerkRefused',
        subject: operator ? `operator ${operator.tokenId}` : `terminal ${terminal.terminalId}`,
        result: why,
      }),
    );
    throw pinRefusal('CLERK_NOT_ALLOWED', { reason: why });
  }
}
