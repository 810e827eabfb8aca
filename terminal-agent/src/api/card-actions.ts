import { EventEmitter } from 'node:events';

import { MinistryReturnCode } from '@sscard/agent-protocol';
import { maskCardNumber, maskPan, wipe } from '@sscard/card-core';
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
import type { MinistryArguments, MinistryBackend, MinistryFunction, MinistryResult } from './ministry.js';
import type {
  BankBalanceView,
  BankPinBlockView,
  BankWithdrawalView,
  CitizenSummaryReply,
  HsmStepRequest,
  PensionCertificationReply,
} from '@sscard/agent-protocol';
import { ReaderError } from '../readers/errors.js';
import type { AuthorisationOutcome } from '../registry/bank-withdrawal.js';
import { PIN_AUTHORISATION_REFUSALS, type PinManagementOperation } from '@sscard/registry-protocol';
import type { BalanceEnquiryAnswer } from '@sscard/registry-protocol/pension';
import type { ClerkView, PinAuthorisationView, PinManagementView } from '@sscard/agent-protocol';
import type { SsseCardInfo } from '../apps/ssse.js';
import { type HeldAuthorisation, PinAuthorisationHold } from './pin-authorisation-hold.js';
import { formatRecords, parseCardInfo, parseRecordAddresses } from '../ministry/card-addresses.js';
import type { HsmSteps } from '../ministry/hsm-steps.js';
import type { PinFlow, PinOperation } from './pin-flow.js';
import { CitizenServices } from './citizen-services.js';
import { ApiProblem, requireGenuine } from './problem.js';
import { BankPinEntry } from './bank-pin.js';
import { terminalMode } from './terminal-mode.js';

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
  /** The ministry interface's two-step calls through the bureau's HSM. */
  hsmSteps: HsmSteps;
}

/**
 * What card-service says when a clerk's authorisation cannot be used (spent, lapsed, for another
 * card) or the card's state allows no PIN reset: the counter's answer is "not authorised".
 */
const AUTHORISATION_REFUSALS: ReadonlySet<string> = new Set<string>([
  ...PIN_AUTHORISATION_REFUSALS,
  'ILLEGAL_TRANSITION',
  'EVENT_NOT_ALLOWED',
]);

/** The terminal types a citizen may report a card lost at (card-service's lifecycle table). */
const LOST_REPORT_TERMINALS: ReadonlySet<TerminalType> = new Set(['kiosk', 'bank']);

const iTypeOf = (args: MinistryArguments): number => args.iType ?? 0;

/** The two-step calls work on the contacts only: the antenna offers neither terminal authentication nor PIN commands. */
function contactOnlySync(iType: number): MinistryResult | undefined {
  return iType === 2 ? { code: MinistryReturnCode.UNSUPPORTED, output: '' } : undefined;
}

function contactOnly(iType: number): Promise<MinistryResult> | undefined {
  const refused = contactOnlySync(iType);
  return refused && Promise.resolve(refused);
}

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
  readonly #citizen: CitizenServices;
  /** Bureau counters: the clerk's authorisations, per reader, for the card that was there. */
  readonly #authorisations = new PinAuthorisationHold();

  constructor(options: CardActionsOptions) {
    super();
    this.#options = options;
    this.#citizen = new CitizenServices({
      ...options,
      pinOperation: (reader, run) => {
        // Remembered as verified only if the same card is still there when the PIN was accepted.
        const atr = reader === undefined ? undefined : this.#atrIn(reader);
        return this.#pinOperation('verify', reader, run).then((view) => {
          if (view.ok && reader !== undefined && atr !== undefined && this.#atrIn(reader) === atr) {
            this.#verified.set(reader, { reader, atr });
          }
          return view;
        });
      },
      cardReader: () => this.#cardReader(),
    });
    options.readers.on('card-removed', (event) => {
      this.#verified.delete(event.reader);
      this.#authorisations.drop(event.reader);
      void options.hsmSteps.cardLeft(event.reader);
      // A PIN typed for a card that has gone would be sent to nothing (or to the next card):
      // end the entry now instead of leaving the keypad busy until its timeout.
      if (this.#pinReader === event.reader) options.pin.cancel();
    });
    options.readers.on('reader-removed', (reader) => {
      this.#verified.delete(reader.name);
      this.#authorisations.drop(reader.name);
      void options.hsmSteps.cardLeft(reader.name);
      if (this.#pinReader === reader.name) options.pin.cancel();
    });
    const steps = options.hsmSteps;
    this.ministry = {
      iReadCardBas: (args) => options.card.readCardBas(iTypeOf(args)),
      iReadCardNo: (args) => options.card.readCardNo(iTypeOf(args)),
      iGetCardType: (args) => options.card.getCardType(iTypeOf(args)),
      iReadCard: (args) => this.#readRecords(args),
      iGetReaderInfo: async () => ({
        code: MinistryReturnCode.OK,
        // The reader's serial number is this device's number: the agent is the reader the page sees.
        output: `${options.card.terminal.deviceNumber}|${options.card.terminal.terminalNumber}|`,
      }),
      iReadCardBas_HSM_Step1: (args) => contactOnly(iTypeOf(args)) ?? steps.step1('read'),
      iReadCardBas_HSM_Step2: (args) => steps.step2('read', args.pKey!),
      iReadCard_HSM_Step1: (args) => contactOnly(iTypeOf(args)) ?? this.#readRecordsStep1(args),
      iReadCard_HSM_Step2: (args) => steps.step2('readRecords', args.pKey!),
      iVerifyPIN: async () => {
        const result = await this.verifyPin();
        return { code: result.code, output: '' };
      },
      iChangePIN: async () => {
        const result = await this.changePin();
        return { code: result.code, output: '' };
      },
      iReloadPIN: (args) => this.#managePin('reload', args),
      iUnblockPIN: (args) => this.#managePin('unblock', args),
      iReloadPIN_HSM_Step1: (args) => this.#pinStep1('reload', args),
      iReloadPIN_HSM_Step2: (args) => this.#pinStep2('reload', args),
      iUnblockPIN_HSM_Step1: (args) => this.#pinStep1('unblock', args),
      iUnblockPIN_HSM_Step2: (args) => this.#pinStep2('unblock', args),
    };
  }

  /**
   * The bureau HSM's key for a first step's output, through this terminal's link to card-service:
   * for pages that have no line of their own to the bureau. The service judges the card.
   */
  hsmStep(request: { function: HsmStepRequest['function']; step1: string }): Promise<string> {
    const operation =
      request.function === 'iReadCardBas_HSM_Step1' || request.function === 'iReadCard_HSM_Step1'
        ? 'read'
        : request.function === 'iReloadPIN_HSM_Step1'
          ? 'reload'
          : 'unblock';
    if (!this.#options.registry.enabled) {
      throw new ApiProblem(503, 'REGISTRY_NOT_CONFIGURED', 'no card-service is configured on this terminal');
    }
    if (operation === 'read') return this.#options.registry.hsmStep({ operation, step1: request.step1 });
    if (this.#pinManagementRefused()) {
      throw new ApiProblem(
        403,
        'TERMINAL_TYPE_FORBIDDEN',
        'PINs are reloaded and unblocked at bureau counters only',
      );
    }
    const held = this.#heldFor(operation);
    if (!held) {
      throw new ApiProblem(
        403,
        'PIN_NOT_AUTHORISED',
        `no clerk's authorisation to ${operation} the PIN of the card in the reader`,
      );
    }
    this.#authorisations.spend(held);
    return this.#options.registry.hsmStep({
      operation,
      step1: request.step1,
      authorisationId: held.authorisationId,
    });
  }

  /**
   * A clerk signs in at this bureau counter: card-service checks that their operator token may
   * authorise PIN reload and unblock. The agent keeps no token: the page sends it with each
   * authorisation while the clerk is signed in.
   */
  async signInClerk(request: { clerkToken: string }): Promise<ClerkView> {
    this.#bureauCounterOnly();
    const clerk = await this.#options.registry.signInClerk(request.clerkToken);
    this.#options.log.info('clerk signed in', { clerk: clerk.operatorId });
    return clerk;
  }

  /**
   * The clerk authorises one PIN reload or unblock for the card in the reader, having checked the
   * citizen's identity document: the card is read (its number is the card's, never the page's) and
   * answers a fresh challenge of card-service, which checks the clerk's token and scope, that the
   * ID number is the holder's, and that the card's state allows it. The authorisation is held for
   * this card in this reader until it is used or the card leaves; a new one replaces it.
   */
  async authorisePin(request: {
    reader?: string | undefined;
    operation: PinManagementOperation;
    clerkToken: string;
    holderIdNumber: string;
  }): Promise<PinAuthorisationView> {
    this.#bureauCounterOnly();
    const { card, registry, log, revealPersonalData } = this.#options;
    const reader = request.reader ?? this.#cardReader();
    const read = await card.readCard(
      reader === undefined
        ? { verify: true, proveCardPresence: true }
        : { reader, verify: true, proveCardPresence: true },
    );
    requireGenuine(read.verification, 'its PIN is not reset here');
    const proof = read.cardPresentProof;
    if (!proof) {
      throw new ApiProblem(
        503,
        'CARD_PRESENCE_UNPROVEN',
        'the card could not prove to card-service that it is in the reader: card-service gave no challenge, or the card did not answer it',
      );
    }
    const granted = await registry.authorisePin({
      clerkToken: request.clerkToken,
      operation: request.operation,
      cardNumber: read.info.cardNumber,
      cardIdCode: read.info.cardIdCode,
      holderIdNumber: request.holderIdNumber,
      proof,
    });
    this.#authorisations.hold({
      authorisationId: granted.authorisationId,
      operation: granted.operation,
      cardNumber: granted.cardNumber,
      reader: read.reader,
      atr: read.atr,
      expiresAt: granted.expiresAt,
    });
    log.info('PIN authorisation', {
      operation: granted.operation,
      cardNumber: maskCardNumber(granted.cardNumber),
      clerk: granted.clerk.operatorId,
      reader: read.reader,
      expiresAt: granted.expiresAt,
    });
    return {
      operation: granted.operation,
      cardNumber: revealPersonalData ? granted.cardNumber : maskCardNumber(granted.cardNumber),
      clerk: granted.clerk,
      expiresAt: granted.expiresAt,
    };
  }

  /** The authorised PIN reload or unblock on the card in the reader, with the PSAM or the HSM. */
  async managePin(request: {
    reader?: string | undefined;
    operation: PinManagementOperation;
  }): Promise<PinManagementView> {
    this.#bureauCounterOnly();
    const reader = request.reader ?? this.#cardReader();
    const result = await this.#managePin(request.operation, { iType: 1, pCardInfo: '' }, reader);
    return { operation: request.operation, ok: result.code === MinistryReturnCode.OK, code: result.code };
  }

  #bureauCounterOnly(): void {
    if (this.#pinManagementRefused()) {
      throw new ApiProblem(
        403,
        'TERMINAL_TYPE_FORBIDDEN',
        'PINs are reloaded and unblocked at bureau counters only, on a clerk’s authorisation',
        { terminalType: this.#options.terminalType ?? null },
      );
    }
    if (!this.#options.registry.enabled) {
      throw new ApiProblem(503, 'REGISTRY_NOT_CONFIGURED', 'no card-service is configured on this terminal');
    }
  }

  /** The clerk's authorisation for `operation` on the card now in `reader` (the card reader by default). */
  #heldFor(operation: PinManagementOperation, reader = this.#cardReader()): HeldAuthorisation | undefined {
    return this.#authorisations.find(
      reader,
      reader === undefined ? undefined : this.#atrIn(reader),
      operation,
    );
  }

  /** A refusal of card-service about the authorisation, as the ministry code the counter answers. */
  #authorisationCode(e: unknown): number | undefined {
    if (!isRegistryError(e, 'REFUSED')) return undefined;
    return e.serviceCode !== undefined && AUTHORISATION_REFUSALS.has(e.serviceCode)
      ? MinistryReturnCode.PIN_NOT_AUTHORISED
      : undefined;
  }

  #readRecords(args: MinistryArguments): Promise<MinistryResult> {
    const accept = parseCardInfo(args.pCardInfo ?? '');
    const addresses = parseRecordAddresses(args.pFileAddr ?? '');
    if (!accept || !addresses) return Promise.resolve({ code: MinistryReturnCode.BAD_PARAMETER, output: '' });
    return this.#options.card.readRecords(
      iTypeOf(args),
      { authenticate: args.iAuthType === 1, nameExtension: addresses.nameExtension, check: accept },
      (info) => formatRecords(info, addresses.fields),
    );
  }

  #readRecordsStep1(args: MinistryArguments): Promise<MinistryResult> {
    const accept = parseCardInfo(args.pCardInfo ?? '');
    const addresses = parseRecordAddresses(args.pFileAddr ?? '');
    if (!accept || !addresses) return Promise.resolve({ code: MinistryReturnCode.BAD_PARAMETER, output: '' });
    return this.#options.hsmSteps.step1('readRecords', accept, addresses);
  }

  /**
   * Whether PIN reload and unblock are offered here: at a bureau counter only (registry-protocol's
   * PIN_MANAGEMENT_TERMINALS), by the terminal's mode, so that a certificate and a configuration
   * that disagree offer none.
   */
  #pinManagementRefused(): MinistryResult | undefined {
    return terminalMode(this.#options.terminalType, this.#options.registry.enrolledType) === 'bureau'
      ? undefined
      : { code: MinistryReturnCode.UNSUPPORTED, output: '' };
  }

  /** The first step, for the card the clerk authorised `operation` on (-2205 without one). */
  #pinStep1(
    operation: PinManagementOperation,
    args: MinistryArguments,
    reader = this.#cardReader(),
  ): Promise<MinistryResult> {
    const refused = this.#pinManagementRefused() ?? contactOnlySync(iTypeOf(args));
    if (refused) return Promise.resolve(refused);
    const accept = parseCardInfo(args.pCardInfo ?? '');
    if (!accept) return Promise.resolve({ code: MinistryReturnCode.BAD_PARAMETER, output: '' });
    const held = this.#heldFor(operation, reader);
    if (!held) return Promise.resolve({ code: MinistryReturnCode.PIN_NOT_AUTHORISED, output: '' });
    return this.#options.hsmSteps.step1(operation, this.#authorisedCard(accept, held));
  }

  /** The card the caller names, and the one the clerk authorised. */
  #authorisedCard(
    accept: (info: SsseCardInfo) => boolean,
    held: HeldAuthorisation,
  ): (info: SsseCardInfo) => boolean {
    return (info) => accept(info) && info.cardNumber === held.cardNumber;
  }

  #pinStep2(operation: PinManagementOperation, args: MinistryArguments): Promise<MinistryResult> {
    const refused = this.#pinManagementRefused();
    if (refused) return Promise.resolve(refused);
    return this.#options.hsmSteps.step2(operation, args.pKey!);
  }

  /**
   * `iReloadPIN` / `iUnblockPIN` in one call: with the terminal's PSAM, or else the two steps with
   * this terminal's own link to the bureau's HSM in between. A reload sets the initial PIN, which the citizen replaces with a PIN
   * change before the card can be used.
   */
  async #managePin(
    operation: PinManagementOperation,
    args: MinistryArguments,
    reader = this.#cardReader(),
  ): Promise<MinistryResult> {
    const refused = this.#pinManagementRefused() ?? contactOnlySync(iTypeOf(args));
    if (refused) return refused;
    const accept = parseCardInfo(args.pCardInfo ?? '');
    if (!accept) return { code: MinistryReturnCode.BAD_PARAMETER, output: '' };
    const held = this.#heldFor(operation, reader);
    if (!held) return { code: MinistryReturnCode.PIN_NOT_AUTHORISED, output: '' };
    const { registry, hsmSteps, log } = this.#options;
    // With the PSAM, the authorisation is spent once the card is known to be the one authorised.
    const withPsam = hsmSteps.withPsam(operation, this.#authorisedCard(accept, held), async (info) => {
      this.#authorisations.spend(held);
      try {
        await registry.redeemPinAuthorisation(held.authorisationId, {
          operation,
          cardNumber: info.cardNumber,
        });
        return undefined;
      } catch (e) {
        const code = this.#authorisationCode(e);
        if (code === undefined) throw e;
        log.warn('PIN authorisation refused', {
          operation,
          reason: isRegistryError(e) ? e.serviceCode : undefined,
        });
        return code;
      }
    });
    if (withPsam) return withPsam;
    const first = await this.#pinStep1(operation, args, reader);
    if (first.code !== MinistryReturnCode.OK) return first;
    this.#authorisations.spend(held);
    let pKey: string;
    try {
      pKey = await registry.hsmStep({
        operation,
        step1: first.output,
        authorisationId: held.authorisationId,
      });
    } catch (e) {
      await hsmSteps.close();
      if (isRegistryError(e, 'REFUSED') && e.serviceCode === 'CRYPTOGRAM_INVALID') {
        return { code: MinistryReturnCode.CARD_NOT_GENUINE, output: '' };
      }
      if (isRegistryError(e, 'NOT_ENROLLED')) return { code: MinistryReturnCode.NO_PSAM, output: '' };
      const code = this.#authorisationCode(e);
      if (code !== undefined) {
        log.warn('PIN authorisation refused', {
          operation,
          reason: isRegistryError(e) ? e.serviceCode : undefined,
        });
        return { code, output: '' };
      }
      throw e;
    }
    return hsmSteps.step2(operation, pKey);
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
    // A reader with its own keypad takes the PIN there and builds the VERIFY itself: the PIN
    // never reaches the agent, and no PIN pad or screen keypad is asked.
    const onReaderKeypad = reader !== undefined && this.#onReaderKeypad(reader);
    const view = await this.#pinOperation('verify', reader, () =>
      onReaderKeypad
        ? this.#options.card.verifyPinOnKeypad({ reader })
        : this.#options.pin.withPin(
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
    // A serial keypad reader's profile has the change command, a PC/SC PIN pad its
    // FEATURE_MODIFY_PIN_DIRECT; a pad without one takes verifies only, and its changes go the usual way.
    const state =
      reader === undefined ? undefined : this.#options.readers.list().find((r) => r.name === reader);
    if (reader !== undefined && state?.pinChangeEntry === 'keypad') {
      return this.#pinOperation('change', reader, () => this.#options.card.changePinOnKeypad({ reader }));
    }
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
   * verified since the card went in. In the same read the card answers a fresh challenge of
   * card-service (INTERNAL AUTHENTICATE), the proof the service requires that the card is in this
   * terminal's reader; without it nothing is sent. The report goes through the outbox journal: when
   * card-service does not answer, it is kept and re-sent, and the answer says so.
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
    const read = await card.readCard({ reader, verify: true, proveCardPresence: true });
    requireGenuine(read.verification, 'it cannot be reported here');
    // A card swapped between the read and the check above would have cleared the record.
    if (this.#verified.get(reader) !== verified || read.atr !== verified.atr) {
      throw new ApiProblem(
        403,
        'PIN_NOT_VERIFIED',
        "the card's PIN must be verified at this terminal after the card was inserted",
      );
    }
    const cardNumber = read.info.cardNumber;
    const proof = read.cardPresentProof;
    if (!proof) {
      throw new ApiProblem(
        503,
        'CARD_PRESENCE_UNPROVEN',
        'the card could not prove to card-service that it is in the reader: card-service gave no challenge, or the card did not answer it',
      );
    }
    const shownNumber = revealPersonalData ? cardNumber : maskCardNumber(cardNumber);
    let view: LostCardReportView;
    try {
      const result = await registry.reportTemporaryLoss(cardNumber, proof);
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

  /** The PIN, then the holder's pension and medical account (kiosk terminals). */
  citizenSummary(request: {
    reader?: string | undefined;
    owner?: string | undefined;
  }): Promise<CitizenSummaryReply> {
    return this.#citizen.summary(request);
  }

  /** The PIN, then the annual pension certification (kiosk and bank terminals). */
  certifyPension(request: {
    reader?: string | undefined;
    owner?: string | undefined;
  }): Promise<PensionCertificationReply> {
    return this.#citizen.certify(request);
  }

  /**
   * The cardholder's bank PIN for the card's debit account, at a bank counter: the account number
   * is read from the card (whose session closes before the PIN is asked for), the PIN pad
   * enciphers the PIN block under its terminal PIN key, and card-service's HSM re-enciphers it
   * under the zone PIN key. The agent holds only enciphered blocks.
   */
  async bankPinBlock(request: { reader?: string | undefined; format: 0 | 4 }): Promise<BankPinBlockView> {
    const { card, registry, pin, log } = this.#options;
    this.#bankCounterOnly('bank PINs are taken at bank terminals only');
    const reader = request.reader ?? this.#cardReader();
    const pan = await card.debitPan(reader === undefined ? {} : { reader });
    const block = await pin.encipheredPinBlock({ pan, format: request.format });
    try {
      const translated = await registry.translatePinBlock({
        pan,
        format: request.format,
        pinBlock: block.toString('hex').toUpperCase(),
      });
      const shown = maskPan(pan);
      log.info('bank PIN block', { pan: shown, format: request.format });
      return { pan: shown, pinBlock: translated.pinBlock, format: 0 };
    } finally {
      wipe(block);
    }
  }

  /**
   * A cash withdrawal from the card account at a bank counter, as one EMV transaction: in one card
   * session the debit application is read (one GET PROCESSING OPTIONS, so one application
   * transaction counter), the PIN pad enciphers the bank PIN block for the account number read,
   * under its terminal PIN key, while the card waits; the card's ARQC for the amount goes with the
   * PIN block to card-service (journalled), whose HSM verifies both, its answer goes back to the
   * card, and the ending the card chose is sent as the completion — the TC completes it; an AAC,
   * a card pulled after the approval or a TC the issuer does not verify reverses it. An
   * authorisation that got no answer is reversed by the journal before the card is answered.
   */
  async bankWithdrawal(request: {
    reader?: string | undefined;
    amount: number;
    pinFormat?: 0 | 4;
  }): Promise<BankWithdrawalView> {
    const { card, registry, pin: pinPad, log } = this.#options;
    this.#bankCounterOnly('withdrawals are made at bank terminals only');
    const reader = request.reader ?? this.#cardReader();
    const bankPin = new BankPinEntry(pinPad, request.pinFormat ?? 0);
    let outcome: AuthorisationOutcome | undefined;
    const view = (status: BankWithdrawalView['status']): BankWithdrawalView => {
      const authorised = outcome?.kind === 'authorised' ? outcome.authorisation : undefined;
      return {
        status,
        pan: maskPan(bankPin.pan),
        amount: request.amount,
        withdrawalId: authorised?.withdrawalId ?? null,
        arc: authorised?.arc ?? null,
        pinTriesLeft: authorised?.pinTriesLeft ?? null,
        balance: authorised?.balance ?? null,
        authorisationKey: outcome?.authorisationKey ?? null,
      };
    };
    const complete = (
      outcomeName: 'tc' | 'aac' | 'reversal',
      extra: { reason?: 'card_removed' | 'terminal_error'; cryptogram?: string; iad?: string },
    ) =>
      registry.withdrawals((w) =>
        w.complete({ authorisationKey: outcome!.authorisationKey, outcome: outcomeName, ...extra }),
      );
    const reverse = async (reason: 'card_removed' | 'terminal_error') => {
      await complete('reversal', { reason });
      log.info('bank withdrawal reversed', {
        authorisationKey: outcome!.authorisationKey,
        amount: request.amount,
        reason,
      });
    };
    let ended: Awaited<ReturnType<CardOperations['debitWithdrawal']>>;
    try {
      ended = await card.debitWithdrawal(
        { reader, amount: request.amount },
        {
          cardholder: bankPin.cardholder,
          online: async (cryptogram) => {
            outcome = await registry.withdrawals((w) =>
              w.authorise({ ...cryptogram, pinFormat: bankPin.format, pinBlock: bankPin.hex() }),
            );
            if (outcome.kind === 'reversed') {
              throw new ApiProblem(
                502,
                'WITHDRAWAL_NO_ANSWER',
                'card-service did not answer the authorisation; it was reversed',
                {
                  authorisationKey: outcome.authorisationKey,
                },
              );
            }
            return outcome.authorisation;
          },
        },
      );
    } catch (e) {
      // Approved, then the card was pulled (or failed) before its second cryptogram: give it back.
      if (outcome?.kind === 'authorised' && outcome.authorisation.approved) {
        await reverse(e instanceof ReaderError ? 'card_removed' : 'terminal_error');
        if (e instanceof ApiProblem) throw e;
        return view('reversed');
      }
      throw e;
    } finally {
      bankPin.wipe();
    }
    if (!ended.second || outcome?.kind !== 'authorised') return view('declined_by_card');
    const second = {
      cryptogram: ended.second.cryptogram.toString('hex').toUpperCase(),
      iad: ended.second.iad.toString('hex').toUpperCase(),
    };
    const byCard = ended.second.type === 0x40 ? 'tc' : 'aac';
    try {
      await complete(byCard, second);
    } catch (e) {
      // A TC or AAC the issuer's HSM does not verify is no ending the card vouched for: the
      // terminal undoes an approved withdrawal itself, and no cash is handed out.
      if (!isRegistryError(e) || e.serviceCode !== 'CRYPTOGRAM_INVALID') throw e;
      log.warn('bank withdrawal: the card’s second cryptogram did not verify', {
        authorisationKey: outcome.authorisationKey,
      });
      if (!outcome.authorisation.approved) return view('declined');
      await reverse('terminal_error');
      return view('reversed');
    }
    const status = !outcome.authorisation.approved ? 'declined' : byCard === 'tc' ? 'completed' : 'reversed';
    log.info('bank withdrawal', {
      authorisationKey: outcome.authorisationKey,
      amount: request.amount,
      status,
    });
    return view(status);
  }

  /**
   * A balance enquiry of the card account at a bank counter. The card account is the debit
   * application's account, so its holder proves themselves as for a withdrawal: in one card
   * session (one GET PROCESSING OPTIONS, one counter) the debit application is read, the PIN pad
   * enciphers the bank PIN for the account number read, and the card's ARQC for an enquiry goes
   * with the PIN block to card-service, whose HSM verifies both; its answer goes back to the card,
   * which ends the enquiry with an AAC. The social security PIN is the kiosk's, not the bank's.
   */
  async bankBalance(request: { reader?: string | undefined; pinFormat?: 0 | 4 }): Promise<BankBalanceView> {
    const { card, registry, pin: pinPad, log } = this.#options;
    this.#bankCounterOnly('balance enquiries are made at bank terminals only');
    const reader = request.reader ?? this.#cardReader();
    const bankPin = new BankPinEntry(pinPad, request.pinFormat ?? 0);
    let answer: BalanceEnquiryAnswer | undefined;
    try {
      await card.debitBalanceEnquiry(
        { reader },
        {
          cardholder: bankPin.cardholder,
          online: async ({ amount: _, ...cryptogram }) => {
            answer = await registry.enquireBalance({
              ...cryptogram,
              pinFormat: bankPin.format,
              pinBlock: bankPin.hex(),
            });
            return answer;
          },
        },
      );
    } finally {
      bankPin.wipe();
    }
    const shown = maskPan(bankPin.pan);
    const status = !answer ? 'declined_by_card' : answer.approved ? 'shown' : 'declined';
    log.info('bank balance enquiry', { pan: shown, status, arc: answer?.arc ?? null });
    const statement = answer?.statement ?? null;
    return {
      status,
      pan: shown,
      arc: answer?.arc ?? null,
      pinTriesLeft: answer?.pinTriesLeft ?? null,
      statement: statement && {
        ...statement,
        cardNumber: this.#options.revealPersonalData
          ? statement.cardNumber
          : maskCardNumber(statement.cardNumber),
      },
    };
  }

  /**
   * The bank counter's calls, at bank terminals only: by the certificate's type as well as the
   * configuration's (`terminalMode`), so that a terminal enrolled as a kiosk never moves money
   * whatever a page or its configuration asks.
   */
  #bankCounterOnly(refusal: string): void {
    const { registry, terminalType } = this.#options;
    if (terminalMode(terminalType, registry.enrolledType) !== 'bank') {
      throw new ApiProblem(403, 'TERMINAL_TYPE_FORBIDDEN', refusal, {
        terminalType: registry.enrolledType ?? terminalType ?? null,
      });
    }
    if (!registry.enabled) {
      throw new ApiProblem(503, 'REGISTRY_NOT_CONFIGURED', 'no card-service is configured on this terminal');
    }
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

  /** The reader takes PINs on its own keypad (and sends the card's command itself). */
  #onReaderKeypad(reader: string): boolean {
    return this.#options.readers.list().find((r) => r.name === reader)?.pinEntry === 'keypad';
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
