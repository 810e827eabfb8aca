import { EventEmitter } from 'node:events';

import { MinistryReturnCode } from '@sscard/agent-protocol';
import { maskCardNumber } from '@sscard/card-core';
import { returnCodeFor, returnCodeForPin } from '../apps/return-codes.js';
import type { CardOperations, PinResult } from '../card-operations.js';
import type { TerminalType } from '../config/schema.js';
import type { Logger } from '@sscard/log';
import { isPinEntryError, PinPadError } from '../pinpad/errors.js';
import type { RegistryLink } from '../registry/registry-link.js';
import { isRegistryError } from '../registry/index.js';
import type { AgentActionEvents, AgentActions, ReaderSource } from './agent-actions.js';
import {
  type CardReadView,
  type LostCardReportView,
  maskInfo,
  maskReadCardBas,
  type PinResultView,
  pinResultView,
  registryView,
} from './card-view.js';
import type { CardInterfaceType, MinistryBackend, MinistryFunction } from './ministry.js';
import type { PinFlow, PinOperation } from './pin-flow.js';
import { ApiProblem } from './problem.js';

export interface CardActionsOptions {
  card: CardOperations;
  readers: ReaderSource;
  pin: PinFlow;
  log: Logger;
  /** Full ID number and name in REST/socket.io reads (`api.revealPersonalData`). */
  revealPersonalData: boolean;
  /** `readers.card`: the preferred reader (a name substring) when a request names none. */
  preferredReader?: string | undefined;
  /** card-service: the registry check of every read, and lost-card reports. */
  registry: RegistryLink;
  /** Decides which services the terminal offers (card-service enforces the same from the certificate). */
  terminalType?: TerminalType | undefined;
}

/** The terminal types a citizen may report a card lost at (card-service's lifecycle table). */
const LOST_REPORT_TERMINALS: ReadonlySet<TerminalType> = new Set(['kiosk', 'bank']);

/** A card whose PIN was verified, for as long as it stays in its reader. */
interface VerifiedCard {
  reader: string;
  atr: string;
}

/**
 * The agent's actions on top of CardOperations and the PIN entry flow. PINs are collected before
 * the card session opens, so no card is held while a person types.
 */
export class CardActions extends EventEmitter<AgentActionEvents> implements AgentActions {
  readonly ministry: MinistryBackend;
  readonly #options: CardActionsOptions;
  /** Per reader: the card whose PIN was verified since it was inserted. Cleared when it comes out. */
  readonly #verified = new Map<string, VerifiedCard>();
  /** The reader a PIN entry in progress is for. */
  #pinReader: string | undefined;

  constructor(options: CardActionsOptions) {
    super();
    this.#options = options;
    options.readers.on('card-removed', (event) => {
      this.#verified.delete(event.reader);
      // A PIN typed for a card that has gone would be sent to nothing (or to the next card):
      // end the entry now instead of leaving the keypad busy until its timeout.
      if (this.#pinReader === event.reader) options.pin.cancel();
    });
    options.readers.on('reader-removed', (reader) => {
      this.#verified.delete(reader.name);
      if (this.#pinReader === reader.name) options.pin.cancel();
    });
    this.ministry = {
      iReadCardBas: (iType: CardInterfaceType) => options.card.readCardBas(iType),
      iReadCardNo: (iType: CardInterfaceType) => options.card.readCardNo(iType),
      iGetCardType: (iType: CardInterfaceType) => options.card.getCardType(iType),
      iVerifyPIN: async () => {
        const result = await this.verifyPin();
        return { code: result.code, output: '' };
      },
      iChangePIN: async () => {
        const result = await this.changePin();
        return { code: result.code, output: '' };
      },
    };
  }

  async readCard(request: { reader?: string | undefined }): Promise<CardReadView> {
    const { card, revealPersonalData, log, registry } = this.#options;
    const reader = request.reader ?? this.#preferredReader();
    // Every read that goes to the registry carries the card's proof that it is in this reader.
    const proveCardPresence = registry.enabled;
    const result = await card.readCard(
      reader === undefined
        ? { verify: true, proveCardPresence }
        : { reader, verify: true, proveCardPresence },
    );
    const checked = await registry.checkCard(
      {
        info: result.info,
        ...(result.verification ? { verification: result.verification } : {}),
      },
      result.cardPresentProof,
    );
    const view: CardReadView = {
      reader: result.reader,
      atr: result.atr,
      info: revealPersonalData ? result.info : maskInfo(result.info),
      verification: result.verification ?? null,
      readCardBas: revealPersonalData ? result.readCardBas : maskReadCardBas(result.readCardBas),
      apduCount: result.apduCount,
      masked: !revealPersonalData,
      registry: registryView(checked, revealPersonalData),
    };
    log.info('card read', {
      reader: result.reader,
      cardType: result.info.cardType,
      region: result.info.cardIdCode.slice(0, 6),
      genuine: result.verification?.genuine,
      failed: result.verification?.failed.map((f) => f.check),
      apduCount: result.apduCount,
      registry: checked.status,
      registryReason: checked.reason,
    });
    this.emit('card-read', view);
    return view;
  }

  async verifyPin(request: { owner?: string | undefined } = {}): Promise<PinResultView> {
    const reader = this.#cardReader();
    const atr = reader === undefined ? undefined : this.#atrIn(reader);
    const view = await this.#pinOperation('verify', reader, () =>
      this.#options.pin.withPin(
        'verify',
        (pin) => this.#options.card.verifyPin(pin, reader === undefined ? {} : { reader }),
        request.owner,
      ),
    );
    // Remembered only if the same card is still there: one removed during entry has already
    // cleared its record, and its successor has not proved anything.
    if (view.ok && reader !== undefined && atr !== undefined && this.#atrIn(reader) === atr) {
      this.#verified.set(reader, { reader, atr });
    }
    return view;
  }

  changePin(request: { owner?: string | undefined } = {}): Promise<PinResultView> {
    const reader = this.#cardReader();
    return this.#pinOperation('change', reader, () =>
      this.#options.pin.withPinChange(
        (oldPin, newPin) =>
          this.#options.card.changePin(oldPin, newPin, reader === undefined ? {} : { reader }),
        request.owner,
      ),
    );
  }

  /**
   * The citizen reports their card temporarily lost at the terminal. The card number is read from
   * the card in the reader, never taken from the caller, and the card's PIN must have been
   * verified since the card went in. The report goes through the outbox journal: when card-service
   * does not answer, it is kept and delivered later, and the answer says so.
   */
  async reportLost(request: { reader?: string | undefined }): Promise<LostCardReportView> {
    const { card, registry, terminalType, log, revealPersonalData } = this.#options;
    if (!terminalType || !LOST_REPORT_TERMINALS.has(terminalType)) {
      throw new ApiProblem(
        403,
        'TERMINAL_TYPE_FORBIDDEN',
        'lost-card reports are taken at kiosk and bank terminals only',
        { terminalType: terminalType ?? null },
      );
    }
    if (!registry.enabled) {
      throw new ApiProblem(503, 'REGISTRY_NOT_CONFIGURED', 'no card-service is configured on this terminal');
    }
    const reader = request.reader ?? this.#cardReader();
    const verified = reader === undefined ? undefined : this.#verified.get(reader);
    if (reader === undefined || !verified || this.#atrIn(reader) !== verified.atr) {
      throw new ApiProblem(
        403,
        'PIN_NOT_VERIFIED',
        "the card's PIN must be verified at this terminal after the card was inserted",
      );
    }
    const read = await card.readCard({ reader, verify: true });
    if (read.verification && !read.verification.genuine) {
      throw new ApiProblem(
        422,
        'CARD_NOT_GENUINE',
        'the card failed verification; it cannot be reported here',
        {
          failed: read.verification.failed.map((f) => f.check),
        },
      );
    }
    // A card swapped between the read and the check above would have cleared the record.
    if (this.#verified.get(reader) !== verified || read.atr !== verified.atr) {
      throw new ApiProblem(
        403,
        'PIN_NOT_VERIFIED',
        "the card's PIN must be verified at this terminal after the card was inserted",
      );
    }
    const cardNumber = read.info.cardNumber;
    const shownNumber = revealPersonalData ? cardNumber : maskCardNumber(cardNumber);
    let view: LostCardReportView;
    try {
      const result = await registry.reportTemporaryLoss(cardNumber);
      view = {
        status: 'reported',
        cardNumber: shownNumber,
        cardStatus: result.status,
        temporaryLossUntil: result.temporaryLossUntil,
        reportedAt: result.statusChangedAt,
        reference: result.idempotencyKey,
      };
    } catch (e) {
      const reference = isRegistryError(e) ? e.details?.idempotencyKey : undefined;
      if (!isRegistryError(e, 'REGISTRY_UNREACHABLE') || typeof reference !== 'string') throw e;
      view = { status: 'queued', cardNumber: shownNumber, reference };
    }
    log.info('lost-card report', {
      reader,
      cardNumber: maskCardNumber(cardNumber),
      status: view.status,
      reference: view.reference,
    });
    this.emit('lost-card-report', view);
    return view;
  }

  ministryCode(error: unknown, fn: MinistryFunction): number {
    // No PIN pad, or no screen to show the keypad: the function is not available on this terminal.
    if (error instanceof PinPadError)
      return error.code === 'PINPAD_UNAVAILABLE' ? MinistryReturnCode.UNSUPPORTED : -11;
    try {
      return returnCodeFor(error);
    } catch {
      this.#options.log.error('ministry call failed', { function: fn, error });
      return -11;
    }
  }

  /**
   * A PIN outcome, including one decided at the PIN pad (cancelled, timeout, entries differ), is
   * a result for the citizen, not a failure of the request; device faults stay errors.
   */
  async #pinOperation(
    operation: PinOperation,
    reader: string | undefined,
    run: () => Promise<PinResult>,
  ): Promise<PinResultView> {
    let view: PinResultView;
    this.#pinReader = reader;
    try {
      const result = await run();
      view = pinResultView({
        operation,
        code: returnCodeForPin(result.status),
        triesLeft: result.status.state === 'wrong' ? result.status.triesLeft : undefined,
        message: result.message,
      });
    } catch (e) {
      if (!isPinEntryError(e)) throw e;
      view = pinResultView({ operation, code: e.returnCode });
    } finally {
      this.#pinReader = undefined;
    }
    this.#options.log.info('PIN operation', { operation, code: view.code, triesLeft: view.triesLeft });
    this.emit('pin-result', view);
    return view;
  }

  /** The reader a PIN is for: the preferred one, or the only citizen's reader holding a card. */
  #cardReader(): string | undefined {
    const preferred = this.#preferredReader();
    if (preferred !== undefined) return preferred;
    const withCard = this.#options.readers
      .list()
      .filter((r) => (r.role === 'user' || r.role === 'contactless') && r.card);
    return withCard.length === 1 ? withCard[0]!.name : undefined;
  }

  #atrIn(reader: string): string | undefined {
    return this.#options.readers.list().find((r) => r.name === reader)?.card?.atr;
  }

  #preferredReader(): string | undefined {
    const pattern = this.#options.preferredReader;
    if (pattern === undefined) return undefined;
    return this.#options.readers.list().find((r) => r.role === 'user' && r.name.includes(pattern) && r.card)
      ?.name;
  }
}
