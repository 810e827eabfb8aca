import { EventEmitter } from 'node:events';

import { returnCodeFor, returnCodeForPin } from '../apps/return-codes.js';
import type { CardOperations, PinResult } from '../card-service.js';
import type { Logger } from '../log.js';
import { isPinEntryError, PinPadError } from '../pinpad/errors.js';
import type { AgentActionEvents, AgentActions, ReaderSource } from './agent-actions.js';
import {
  type CardReadView,
  maskInfo,
  maskReadCardBas,
  type PinResultView,
  pinResultView,
} from './card-view.js';
import {
  type CardInterfaceType,
  MINISTRY_CODES,
  type MinistryBackend,
  type MinistryFunction,
} from './ministry.js';
import type { PinFlow, PinOperation } from './pin-flow.js';

export interface CardActionsOptions {
  card: CardOperations;
  readers: ReaderSource;
  pin: PinFlow;
  log: Logger;
  /** Full ID number and name in REST/socket.io reads (`api.revealPersonalData`). */
  revealPersonalData: boolean;
  /** `readers.card`: the preferred reader (a name substring) when a request names none. */
  preferredReader?: string | undefined;
}

/**
 * The agent's actions on top of CardOperations and the PIN entry flow. PINs are collected before
 * the card session opens, so no card is held while a person types.
 */
export class CardActions extends EventEmitter<AgentActionEvents> implements AgentActions {
  readonly ministry: MinistryBackend;
  readonly #options: CardActionsOptions;

  constructor(options: CardActionsOptions) {
    super();
    this.#options = options;
    this.ministry = {
      iReadCardBas: (iType: CardInterfaceType) => options.card.readCardBas(iType),
      iVerifyPIN: async () => {
        const result = await this.verifyPin();
        return { code: result.code, output: '' };
      },
    };
  }

  async readCard(request: { reader?: string | undefined }): Promise<CardReadView> {
    const { card, revealPersonalData, log } = this.#options;
    const reader = request.reader ?? this.#preferredReader();
    const result = await card.readCard(reader === undefined ? { verify: true } : { reader, verify: true });
    const view: CardReadView = {
      reader: result.reader,
      atr: result.atr,
      info: revealPersonalData ? result.info : maskInfo(result.info),
      verification: result.verification ?? null,
      readCardBas: revealPersonalData ? result.readCardBas : maskReadCardBas(result.readCardBas),
      apduCount: result.apduCount,
      masked: !revealPersonalData,
    };
    log.info('card read', {
      reader: result.reader,
      cardType: result.info.cardType,
      region: result.info.cardIdCode.slice(0, 6),
      genuine: result.verification?.genuine,
      failed: result.verification?.failed.map((f) => f.check),
      apduCount: result.apduCount,
    });
    this.emit('card-read', view);
    return view;
  }

  verifyPin(): Promise<PinResultView> {
    return this.#pinOperation('verify', () =>
      this.#options.pin.withPin('verify', (pin) => this.#options.card.verifyPin(pin)),
    );
  }

  changePin(): Promise<PinResultView> {
    return this.#pinOperation('change', () =>
      this.#options.pin.withPinChange((oldPin, newPin) => this.#options.card.changePin(oldPin, newPin)),
    );
  }

  ministryCode(error: unknown, fn: MinistryFunction): number {
    // No PIN pad, or no screen to show the keypad: the function is not available on this terminal.
    if (error instanceof PinPadError)
      return error.code === 'PINPAD_UNAVAILABLE' ? MINISTRY_CODES.UNSUPPORTED : -11;
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
  async #pinOperation(operation: PinOperation, run: () => Promise<PinResult>): Promise<PinResultView> {
    let view: PinResultView;
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
    }
    this.#options.log.info('PIN operation', { operation, code: view.code, triesLeft: view.triesLeft });
    this.emit('pin-result', view);
    return view;
  }

  #preferredReader(): string | undefined {
    const pattern = this.#options.preferredReader;
    if (pattern === undefined) return undefined;
    return this.#options.readers.list().find((r) => r.role === 'user' && r.name.includes(pattern) && r.card)
      ?.name;
  }
}
