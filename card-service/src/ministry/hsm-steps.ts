import {
  type HsmStep1Fields,
  challengeBlock,
  formatHsmKey,
  maskCardIdCode,
  parseHsmStep1,
} from '@sscard/card-core';
import type {
  HsmStepAnswer,
  HsmStepRefusal,
  PinManagementOperation,
  TerminalType,
} from '@sscard/registry-protocol';
import type { AuditWriter } from '../audit/audit-writer.js';
import { DomainError } from '../errors.js';
import type { PinAuthorisations } from '../bureau-counter/pin-authorisations.js';
import type { Card } from '../registry/model.js';
import { getCardByIdCode } from '../registry/queries.js';
import { cardSubject } from '../registry/subjects.js';
import type { Store } from '../store/store.js';
import type { HsmClient } from '../hsm/hsm-client.js';

/** A RELOAD PIN from the HSM sets the initial PIN: the citizen chooses their own with a PIN change, at the pad. */
export const RELOADED_PIN = '123456';

/** The second step's value, and for a PIN MAC the clerk whose authorisation it spent. */
interface SecondValue {
  value: string;
  operatorId?: string;
  details?: Record<string, unknown>;
}

export interface HsmStepTerminal {
  terminalId: string;
  type: TerminalType;
}

/**
 * The bureau HSM's side of the ministry interface's two-step calls for terminals without a PSAM
 * (DESIGN.md §6, docs/card-conventions.md). The first step lists the card's identification code,
 * a terminal random with the card's INTERNAL AUTHENTICATE answer over it, and the card's GET
 * CHALLENGE value. The HSM answers only for a card of this registry whose answer its issuer's key
 * reproduces — a card that is not genuine gets neither a cryptogram nor a MAC — and then gives the
 * EXTERNAL AUTHENTICATE cryptogram (a read) or the MAC of RELOAD PIN / PIN UNBLOCK (PIN
 * management, which the route admits from bureau counters only, and which spends a clerk's
 * authorisation for that card and operation before the HSM makes the MAC). Every answer is
 * audited, a PIN MAC with the clerk who authorised it: each opens a citizen's data or changes
 * their card.
 */
export class HsmSteps {
  constructor(
    private readonly store: Store,
    private readonly hsm: HsmClient,
    private readonly audit: AuditWriter,
    private readonly authorisations: PinAuthorisations,
  ) {}

  read(terminal: HsmStepTerminal, step1: string): Promise<HsmStepAnswer> {
    return this.answer(terminal, step1, 'card.hsmRead', async (fields, card) => {
      const { cryptogram } = await this.hsm.externalAuth({
        algorithm: card.algorithm,
        cardIdCode: fields.cardIdCode,
        challenge: fields.challenge,
      });
      return { value: cryptogram };
    });
  }

  pin(
    terminal: HsmStepTerminal,
    operation: PinManagementOperation,
    step1: string,
    authorisationId: string,
  ): Promise<HsmStepAnswer> {
    const action = operation === 'reload' ? 'card.hsmPinReload' : 'card.hsmPinUnblock';
    return this.answer(terminal, step1, action, async (fields, card) => {
      // Spent before the MAC is made, and only for the card the HSM has just vouched for (whose
      // state allows a PIN reset): an authorisation for another card opens nothing.
      const redeemed = await this.store.transaction((tx) =>
        this.authorisations.redeemIn(tx, terminal, authorisationId, card, operation, 'hsm'),
      );
      if (!redeemed.ok) throw redeemed.error;
      const request = {
        algorithm: card.algorithm,
        cardIdCode: fields.cardIdCode,
        challenge: fields.challenge,
      };
      const { mac } =
        operation === 'reload'
          ? // A PIN's BCD is its digits read as hex.
            await this.hsm.pinReloadMac({ ...request, newPinBcd: RELOADED_PIN })
          : await this.hsm.pinUnblockMac(request);
      return { value: mac, operatorId: redeemed.value.operatorId, details: { authorisationId } };
    });
  }

  private async answer(
    terminal: HsmStepTerminal,
    step1: string,
    action: string,
    secondValue: (fields: HsmStep1Fields, card: Card) => Promise<SecondValue>,
  ): Promise<HsmStepAnswer> {
    // A malformed step is card-core's error, answered 400 VALIDATION_FAILED.
    const fields = parseHsmStep1(step1);
    const card = await getCardByIdCode(this.store, fields.cardIdCode);
    const refuse = async (reason: HsmStepRefusal): Promise<HsmStepAnswer> => {
      await this.audit.append({
        terminalId: terminal.terminalId,
        action,
        subject: card ? cardSubject(card.cardNumber) : `card id ${maskCardIdCode(fields.cardIdCode)}`,
        result: reason,
      });
      return { verified: false, reason };
    };
    if (!card) return refuse('CARD_UNKNOWN');
    if (card.algorithm !== fields.algorithm) return refuse('ALGORITHM_MISMATCH');
    const { verified } = await this.hsm.verifyInternalAuth({
      algorithm: card.algorithm,
      cardIdCode: fields.cardIdCode,
      challenge: challengeBlock(card.algorithm, Buffer.from(fields.random, 'hex')).toString('hex'),
      cryptogram: fields.internalAnswer,
    });
    if (!verified) return refuse('CRYPTOGRAM_INVALID');
    let external: SecondValue;
    try {
      external = await secondValue(fields, card);
    } catch (e) {
      if (e instanceof DomainError) {
        await this.audit.append({
          terminalId: terminal.terminalId,
          action,
          subject: cardSubject(card.cardNumber),
          result: e.code,
        });
      }
      throw e;
    }
    await this.audit.append({
      terminalId: terminal.terminalId,
      operatorId: external.operatorId ?? null,
      action,
      subject: cardSubject(card.cardNumber),
      result: 'ok',
      ...(external.details ? { details: external.details } : {}),
    });
    return {
      verified: true,
      pKey: formatHsmKey({ internal: fields.internalAnswer, external: external.value }),
    };
  }
}
