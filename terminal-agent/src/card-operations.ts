import {
  type CaKeys,
  type CardAlgorithm,
  CardError,
  ProtocolError,
  ValidationError,
  fromHex,
  formatReadCardBas,
  parseAtr,
  toHex,
  wipe,
} from '@sscard/card-core';
import type { ProfileSet, SsseCardOsProfile } from '@sscard/firmware-profiles';
import {
  CRYPTOGRAM_TYPE,
  type ApplicationCryptogram,
  balanceEnquiryCdol1,
  cashWithdrawalCdol1,
  generateAc,
  issuerAuthenticate,
  readDebitApplication,
} from './apps/debit.js';
import { internalAuthenticate, paymentProof } from './apps/internal-authenticate.js';
import {
  changePin,
  checkNewPin,
  DEFAULT_PIN_CHANGE_POLICY,
  describePinStatus,
  type PinChangePolicy,
  type PinMessage,
  type PinStatus,
  verifyPin,
  changePinOnKeypad,
  verifyPinOnKeypad,
} from './apps/pin.js';
import { Psam } from './apps/psam.js';
import { returnCodeFor, returnCodeForReport } from './apps/return-codes.js';
import {
  type ExternalAuthenticator,
  readSsse,
  type SsseCardInfo,
  type SsseFieldSet,
  type SsseReadResult,
} from './apps/ssse.js';
import type { ReaderManager } from './readers/reader-manager.js';
import type { ReaderRole } from './readers/reader-roles.js';
import type { CardPresentProof, PresenceChallenger } from './registry/remote-card-auth.js';
import { type CardSession, openCardSession, withOneRetry } from './session/card-session.js';
import {
  type CardAuthVerifier,
  type PreparedCardAuthChallenge,
  PsamCardAuthVerifier,
  prepareCardAuthChallenge,
} from './verification/card-auth-verifier.js';
import type { CardCheckContext } from './verification/card-context.js';
import type { AheadOutcomes, CheckRegistry } from './verification/check-registry.js';
import { defaultChecks } from './verification/default-checks.js';
import { authenticateDebitApplication } from './verification/rules/offline-data-authentication.js';
import type { VerificationReport } from './verification/types.js';

/** What a debit transaction asks of the terminal between reading the card and its first GENERATE AC, and after it. */
export interface DebitOnlineSteps {
  /** The cardholder's part with the account number read: the bank PIN on the pad. */
  cardholder: (pan: string) => Promise<void>;
  /** The issuer's answer to the card's ARQC. */
  online: (request: DebitCryptogramRequest) => Promise<{ approved: boolean; arc: string; arpc: string }>;
}

/** The card's cryptograms: the first, and the second when the issuer was asked. */
export interface DebitOnlineResult {
  first: ApplicationCryptogram;
  second?: ApplicationCryptogram;
  issuerAuthenticated?: boolean;
}

/** What the issuer is sent of a first GENERATE AC (registry-protocol's withdrawal request). */
export interface DebitCryptogramRequest {
  pan: string;
  psn: string;
  amount: number;
  cdol1: string;
  aip: string;
  atc: string;
  iad: string;
  arqc: string;
}

export interface TerminalIdentity {
  /** `iReadCardBas` field 10: the terminal number the social insurance bureau assigned. */
  terminalNumber: string;
  /** `iReadCardBas` field 11: the device number of this terminal. */
  deviceNumber: string;
}

export interface CardOperationsOptions {
  readers: ReaderManager;
  terminal: TerminalIdentity;
  /** Card OS profiles (firmware-profiles) for quirks and generation hints from the ATR. */
  profiles?: ProfileSet;
  /**
   * Card authentication when the terminal has no PSAM: the registry service's challenge/verify.
   * Asked at every card, because the link's state changes while the agent runs: undefined while
   * the terminal is not in good standing, so that the check is skipped rather than failed.
   */
  remoteCardAuth?: () => CardAuthVerifier | undefined;
  /**
   * EXTERNAL AUTHENTICATE when the terminal has no PSAM: the registry service's HSM module, so
   * that a gen 3 card releases its holder data. Asked at every read, like `remoteCardAuth`;
   * without it such a card is read without its holder records.
   */
  remoteExternalAuth?: () => ExternalAuthenticator | undefined;
  /**
   * The registry service's challenge for a card-present proof (DESIGN.md §3), for reads that ask
   * for one. Asked at every read, like `remoteCardAuth`; undefined while the terminal is not in
   * good standing. It answers undefined when the service cannot give a challenge now.
   */
  cardPresence?: () => PresenceChallenger | undefined;
  /** Which new PINs a PIN change refuses before the card sees them (default: initial and trivial PINs). */
  pinChangePolicy?: PinChangePolicy;
  /** Payment system CA public keys: with them, cards with a debit application get SDA/DDA. */
  caKeys?: CaKeys;
  checks?: CheckRegistry<CardCheckContext>;
  clock?: () => Date;
}

export interface ReadCardOptions {
  /** A reader by name; without one, the only user reader holding a card. */
  reader?: string;
  /** Run the verification checks (default). A card that fails them is reported not genuine. */
  verify?: boolean;
  /** Reader roles to look in, in order of preference (`iReadCardBas` types 3 and 4). */
  roles?: readonly ReaderRole[];
  /** `readCardBas`: only the records `iReadCardBas` returns; the rest of `info` is empty (default `all`). */
  fields?: SsseFieldSet;
  /**
   * Have the card answer a fresh service challenge before it powers off, for the registry's
   * identity check that follows the read (`cardPresence`); the proof is single use and short lived.
   */
  proveCardPresence?: boolean;
  /**
   * Authenticate the terminal to a generation 3 card so that it releases its holder records
   * (default); off, such a card is read without them (`iReadCard` with `iAuthType` 0).
   */
  authenticateTerminal?: boolean;
  /** Also read the name extension record (EF06 tag 4E). */
  nameExtension?: boolean;
}

export interface ReadCardBasResult {
  /** 0, or the ministry's negative return code. */
  code: number;
  /** The result string; empty when `code` is not 0. */
  output: string;
  /** APDUs sent to the citizen's card, when one was read (not counting the PSAM's). */
  apduCount?: number;
}

export interface ReadCardResult {
  info: SsseCardInfo;
  /** Absent when verification was not asked for. */
  verification: VerificationReport | undefined;
  /** The ministry-style result string (empty holder fields when the card did not release them). */
  readCardBas: string;
  /** APDUs sent to the citizen's card (not counting the PSAM's). */
  apduCount: number;
  reader: string;
  /** ATR, upper-case hex. */
  atr: string;
  /**
   * The card's answer to the service's challenge, when asked for and the service gave one: it goes
   * with the identity check, which the service refuses if the answer is wrong.
   */
  cardPresentProof?: CardPresentProof;
}

export interface PinResult {
  status: PinStatus;
  message: PinMessage;
}

/** A payment proof (docs/card-conventions.md) for a medical settlement, made in one card session. */
export interface PaymentProofRequest {
  reader?: string | undefined;
  /**
   * The visit's card: a card with another number is refused before the PIN reaches it. Without
   * it, the card in the reader, whichever it is (a kiosk's citizen services).
   */
  cardNumber?: string | undefined;
  /**
   * The service's single-use challenge for the card, asked for once the card is identified (a
   * settle's is the one that came with its quote).
   */
  challenge: (
    cardIdCode: string,
  ) => Promise<{ challengeId: string; challenge: string; algorithm: CardAlgorithm }>;
}

export type PaymentProofResult =
  /** The card in the reader is not the visit's card: no PIN was sent to it. */
  | { outcome: 'other-card' }
  /** The card refused the PIN (wrong, blocked): no proof. */
  | { outcome: 'pin-refused'; status: PinStatus; message: PinMessage }
  | { outcome: 'proof'; proof: CardPresentProof; cardIdCode: string; cardNumber: string };

/** The terminal's PSAM for one read: whether there is one, and the hold once taken. */
interface PsamAccess {
  readonly present: boolean;
  taken: Psam | undefined;
}

type PresenceChallenge = NonNullable<Awaited<ReturnType<PresenceChallenger>>>;

/**
 * The service's challenge for this card, or undefined when there is none to answer: the service
 * gave none, or registered the card under another algorithm (the card could not answer it, and
 * the card-authentication check judges that card).
 */
async function presenceChallenge(
  challenger: PresenceChallenger,
  cardIdCode: string,
  algorithm: CardAlgorithm,
): Promise<PresenceChallenge | undefined> {
  const issued = await challenger(cardIdCode);
  return issued?.algorithm === algorithm ? issued : undefined;
}

/** The card's answer to the challenge; a card that refuses to answer gives no proof, not a failed read. */
async function answerChallenge(
  session: CardSession,
  issued: PresenceChallenge | undefined,
): Promise<CardPresentProof | undefined> {
  if (!issued) return undefined;
  try {
    const cryptogram = await internalAuthenticate(session, Buffer.from(issued.challenge, 'hex'));
    return { challengeId: issued.challengeId, cryptogram: cryptogram.toString('hex').toUpperCase() };
  } catch (e) {
    if (e instanceof CardError) return undefined;
    throw e;
  }
}

/**
 * A card-authentication verifier that has the card answer the service's presence challenge while
 * it judges the card's INTERNAL AUTHENTICATE answer: the card would otherwise sit idle through the
 * verdict (a round trip to card-service without a PSAM) and then take its second INTERNAL
 * AUTHENTICATE. The card gets the same commands in the same order as when the proof follows the
 * checks, and every card gets it whatever the verdict, as before; the verdict returns only once
 * the card has answered, so a check that uses the card after this one never finds it busy.
 */
function provingWhileJudged(
  verifier: CardAuthVerifier,
  prove: () => Promise<unknown> | undefined,
): CardAuthVerifier {
  const judged: CardAuthVerifier = {
    name: verifier.name,
    challenge: (request) => verifier.challenge(request),
    verify: async (request) => {
      const proving = prove();
      try {
        return await verifier.verify(request);
      } finally {
        // Its failure is the read's, reported where the proof is taken.
        await proving?.then(notFailed, failed);
      }
    },
  };
  if (verifier.unableToJudge) judged.unableToJudge = (error) => verifier.unableToJudge!(error);
  return judged;
}

const notFailed = (): false => false;
const failed = (): true => true;

const ROLES_BY_ITYPE: Record<number, readonly ReaderRole[]> = {
  1: ['user'],
  2: ['contactless'],
  3: ['user', 'contactless'],
  4: ['contactless', 'user'],
};

/**
 * The agent's card operations, the one entry point the local API calls. Each operation opens a
 * card session, does its work and closes it: no card is held while a person types a PIN (the PIN
 * arrives with the call), and a failure leaves no session behind.
 */
export class CardOperations {
  private readonly readers: ReaderManager;
  private readonly checks: CheckRegistry<CardCheckContext>;
  private readonly clock: () => Date;
  /** Profile matching runs patterns over the ATR; once per ATR is enough. */
  private readonly ssseOsByAtr = new Map<string, SsseCardOsProfile | undefined>();

  constructor(private readonly options: CardOperationsOptions) {
    this.readers = options.readers;
    this.checks = options.checks ?? defaultChecks();
    this.clock = options.clock ?? (() => new Date());
  }

  async readCard(options: ReadCardOptions = {}): Promise<ReadCardResult> {
    const session = await openCardSession(
      this.readers,
      options.reader,
      options.roles ? { roles: options.roles } : {},
    );
    const psam: PsamAccess = { present: this.readers.psamReader() !== undefined, taken: undefined };
    try {
      const cardOs = this.ssseOsOf(session.atr);
      return await withOneRetry(session, () => this.readOnce(session, options, cardOs, psam));
    } finally {
      await psam.taken?.close();
      await session.close();
    }
  }

  /**
   * One attempt at a read. The card is never left waiting for the agent where the data allow:
   * the PSAM is taken while the card answers SELECT; once the card's identification code and
   * algorithm are read, the PSAM diversifies the external authentication key and the verifier
   * prepares its challenge while the card answers its other records; the checks on the data run
   * while the last record is on its way; the card is powered off while the result is put
   * together. Whatever was started is settled before the attempt ends, so nothing of it reaches
   * a second attempt, the PSAM's next holder, or the next read.
   */
  private async readOnce(
    session: CardSession,
    options: ReadCardOptions,
    cardOs: SsseCardOsProfile | undefined,
    psam: PsamAccess,
  ): Promise<ReadCardResult> {
    const { verify = true } = options;
    const takePsam = (): Psam => {
      psam.taken ??= Psam.take(this.readers);
      return psam.taken;
    };
    let cardAuth: CardAuthVerifier | undefined;
    let prepared: PreparedCardAuthChallenge | undefined;
    const challenger = options.proveCardPresence ? this.options.cardPresence?.() : undefined;
    let presence: Promise<PresenceChallenge | undefined> | undefined;
    /** The card's answer to the service's challenge, once asked for (see `provingWhileJudged`). */
    let proving: Promise<CardPresentProof | undefined> | undefined;
    const prove = (): Promise<CardPresentProof | undefined> | undefined => {
      if (presence && !proving) {
        const issued = presence;
        proving = issued.then((challenge) => answerChallenge(session, challenge));
        // Awaited where the proof is taken; a failure meanwhile must not count as unhandled.
        proving.catch(() => undefined);
      }
      return proving;
    };
    let now: Date | undefined;
    let ahead: AheadOutcomes | undefined;
    let settled = false;
    const abandon = new AbortController();
    const giveUp = (): void => {
      if (!abandon.signal.aborted) abandon.abort(new Error('the read ended before this was needed'));
    };
    // Through the antenna a card never releases its holder data (docs/card-conventions.md): the
    // read asks for the public fields only and authenticates the card, not the terminal.
    const contactless = session.readerState.role === 'contactless';
    const externalAuthenticator: ExternalAuthenticator | undefined =
      contactless || options.authenticateTerminal === false
        ? undefined
        : psam.present
          ? (r) => {
              // A challenge withdrawn means the read failed: PSAM work not yet begun is dropped.
              r.challenge.catch(giveUp);
              return takePsam().externalAuthCryptogram(r.algorithm, r.cardIdCode, r.challenge, {
                signal: abandon.signal,
              });
            }
          : this.options.remoteExternalAuth?.();
    // What was started ahead of the card is finished before the PSAM goes or the read starts over;
    // after a failure, PSAM work not yet begun is dropped rather than done for nothing.
    const settleStarted = async (succeeded: boolean): Promise<void> => {
      settled = true;
      if (!succeeded) giveUp();
      if (prepared) await prepared.issued.then(notFailed, failed);
      if (presence) await presence.then(notFailed, failed);
      if (proving) await proving.then(notFailed, failed);
      if (ahead) await Promise.all(ahead.outcomes.values());
      if (psam.taken) {
        await psam.taken.settled();
        // A PSAM that could not be held is taken afresh if the read is tried again.
        if (await psam.taken.ready().then(notFailed, failed)) psam.taken = undefined;
      }
    };
    try {
      const reading = readSsse(session, {
        ...(cardOs ? { cardOs } : {}),
        ...(options.fields ? { fields: options.fields } : {}),
        ...(options.nameExtension ? { nameExtension: true } : {}),
        ...(externalAuthenticator ? { externalAuthenticator } : {}),
        ...(verify || challenger
          ? {
              onIdentified: ({ cardIdCode, algorithm }) => {
                // The service's challenge travels while the card answers its other records.
                if (challenger) {
                  presence = presenceChallenge(challenger, cardIdCode, algorithm);
                  // Awaited later; a failure meanwhile must not count as unhandled.
                  presence.catch(() => undefined);
                }
                if (!verify) return;
                const verifier = psam.present
                  ? new PsamCardAuthVerifier(takePsam(), { signal: abandon.signal })
                  : this.options.remoteCardAuth?.();
                cardAuth = verifier && challenger ? provingWhileJudged(verifier, prove) : verifier;
                if (cardAuth) prepared = prepareCardAuthChallenge(cardAuth, { cardIdCode, algorithm });
              },
            }
          : {}),
        ...(verify
          ? {
              whileLastRecord: (progress) => {
                now ??= this.clock();
                const context = this.checkContext(session, progress, now, cardAuth, prepared);
                ahead = this.checks.runAhead(context, new Set([progress.pending]));
              },
            }
          : {}),
      });
      // Taken while the card works on its SELECT: holding the PSAM (and, in the first read of the
      // process, connecting and selecting it) costs the read nothing.
      if (psam.present) takePsam();
      let read: SsseReadResult;
      try {
        read = await reading;
      } catch (e) {
        // A PSAM that could not be held is the error reported, as it was when the PSAM was taken
        // before the card was touched.
        await psam.taken?.ready();
        throw e;
      }
      if (psam.taken && !psam.taken.open) await psam.taken.ready();
      let verification: VerificationReport | undefined;
      if (verify) {
        now ??= this.clock();
        verification = await this.checks.verify(
          this.checkContext(session, read, now, cardAuth, prepared),
          ahead,
        );
      }
      const cardPresentProof = await prove();
      // Nothing more goes to the card: it powers off while the result is put together.
      const released = session.close();
      const result: ReadCardResult = {
        info: read.info,
        verification,
        readCardBas: this.formatReadCardBas(read.info, session.atr),
        apduCount: session.apduCount,
        reader: session.reader,
        atr: toHex(session.atr),
        ...(cardPresentProof ? { cardPresentProof } : {}),
      };
      // No second attempt follows a read that succeeded: the PSAM goes back while the card powers off.
      await settleStarted(true);
      await psam.taken?.close();
      await released;
      return result;
    } finally {
      if (!settled) await settleStarted(false);
    }
  }

  /**
   * The ministry `iReadCardBas(iType)`: 0 and the result string, or a negative return code and
   * an empty string. A card that fails verification gets -21/-22/-23 and no data.
   */
  async readCardBas(iType: number): Promise<ReadCardBasResult> {
    return this.ministryRead(iType, (result) => result.readCardBas);
  }

  /** The ministry `iReadCardNo(iType)`: the card (face) number and `|`, after the same checks as iReadCardBas. */
  readCardNo(iType: number): Promise<ReadCardBasResult> {
    return this.ministryRead(iType, (result) => `${result.info.cardNumber}|`);
  }

  /** The ministry `iGetCardType(iType)`: the card type byte and the specification version (`3|3.00|`). */
  getCardType(iType: number): Promise<ReadCardBasResult> {
    // The card type record is not among iReadCardBas's: this read takes all the card's records.
    return this.ministryRead(iType, (result) => `${result.info.cardType}|${result.info.specVersion}|`, 'all');
  }

  /**
   * The ministry `iReadCard`: the records `addresses` names, after the same checks as
   * iReadCardBas; -22 when the card is not the one `cardInfo` names. `authenticate` false leaves
   * a generation 3 card's holder records closed (their values empty).
   */
  readRecords(
    iType: number,
    request: { authenticate: boolean; nameExtension: boolean; check: (info: SsseCardInfo) => boolean },
    output: (info: SsseCardInfo) => string,
  ): Promise<ReadCardBasResult> {
    return this.ministryRead(
      iType,
      (result) => (request.check(result.info) ? output(result.info) : undefined),
      'all',
      { authenticateTerminal: request.authenticate, nameExtension: request.nameExtension },
    );
  }

  /** The numbers `iReadCardBas` reports of this terminal. */
  get terminal(): TerminalIdentity {
    return this.options.terminal;
  }

  /** The card OS profile an ATR matches, for the card's quirks and algorithm. */
  cardOsOf(atr: Buffer): SsseCardOsProfile | undefined {
    return this.ssseOsOf(atr);
  }

  /**
   * A verified read of the iReadCardBas records, answered in the interface's terms; `output`
   * undefined means the card is not the one the caller named (-22).
   */
  private async ministryRead(
    iType: number,
    output: (result: ReadCardResult) => string | undefined,
    fields: SsseFieldSet = 'readCardBas',
    options: Pick<ReadCardOptions, 'authenticateTerminal' | 'nameExtension'> = {},
  ): Promise<ReadCardBasResult> {
    const roles = ROLES_BY_ITYPE[iType];
    if (!roles) return { code: -14, output: '' };
    try {
      const result = await this.readCard({ roles, verify: true, fields, ...options });
      const code = result.verification ? returnCodeForReport(result.verification) : 0;
      const text = code === 0 ? output(result) : '';
      if (text === undefined) return { code: -22, output: '', apduCount: result.apduCount };
      return { code, output: text, apduCount: result.apduCount };
    } catch (e) {
      return { code: returnCodeFor(e), output: '' };
    }
  }

  /** VERIFY with a PIN entered before this call (ASCII digits). The caller's PIN buffer is wiped. */
  async verifyPin(pin: Buffer, options: { reader?: string } = {}): Promise<PinResult> {
    try {
      const status = await this.withSession(options.reader, (session) => verifyPin(session, pin));
      return { status, message: describePinStatus(status) };
    } finally {
      wipe(pin);
    }
  }

  /**
   * The account number (PAN) of the card's debit application, for a bank PIN block; the session
   * closes before any PIN is asked for. A card without one is a CardError `6A82`.
   */
  async debitPan(options: { reader?: string } = {}): Promise<string> {
    const debit = await this.withSession(options.reader, (session) =>
      readDebitApplication(session, this.clock()),
    );
    if (!debit) throw new CardError(0x6a82, 'the card has no debit application');
    return debit.pan;
  }

  /**
   * A cash withdrawal with the card's debit application, as one EMV transaction in one card
   * session, with one GET PROCESSING OPTIONS and so one application transaction counter: GPO and
   * the records, offline data authentication (when CA keys are configured), then `cardholder`
   * with the account number read (the bank PIN taken on the pad while the card waits, as online
   * PIN is in any EMV transaction), the first GENERATE AC asking for an ARQC over the amount, then
   * `online` (the issuer's answer), the ARPC given to the card (EXTERNAL AUTHENTICATE) and the
   * second GENERATE AC asking for a TC when the issuer approved, an AAC otherwise. Undefined
   * `online` answer: the card declined offline (its first cryptogram an AAC) and the issuer was
   * not asked. A card pulled on the way throws.
   */
  async debitWithdrawal(
    options: { reader?: string | undefined; amount: number },
    steps: DebitOnlineSteps,
  ): Promise<DebitOnlineResult> {
    const cdol1 = cashWithdrawalCdol1(options.amount, this.clock());
    return this.#debitOnline(options.reader, options.amount, cdol1, steps, (answer, issuerAuthenticated) =>
      answer.approved && issuerAuthenticated ? CRYPTOGRAM_TYPE.tc : CRYPTOGRAM_TYPE.aac,
    );
  }

  /**
   * A balance enquiry with the card's debit application: the same one transaction as a withdrawal
   * (one GPO, the bank PIN, an ARQC for amount 0 and transaction type 31, the issuer's ARPC to the
   * card), which the card ends with an AAC whatever the answer, since nothing is to be completed.
   */
  async debitBalanceEnquiry(
    options: { reader?: string | undefined },
    steps: DebitOnlineSteps,
  ): Promise<DebitOnlineResult> {
    const cdol1 = balanceEnquiryCdol1(this.clock());
    return this.#debitOnline(options.reader, 0, cdol1, steps, () => CRYPTOGRAM_TYPE.aac);
  }

  #debitOnline(
    reader: string | undefined,
    amount: number,
    cdol1: Buffer,
    steps: DebitOnlineSteps,
    secondType: (answer: { approved: boolean }, issuerAuthenticated: boolean) => number,
  ): Promise<DebitOnlineResult> {
    const now = this.clock();
    return this.withSession(reader, async (session) => {
      const debit = await readDebitApplication(session, now);
      if (!debit) throw new CardError(0x6a82, 'the card has no debit application');
      if (this.options.caKeys) {
        const oda = await authenticateDebitApplication(session, debit, this.options.caKeys, now);
        if (oda.ok === false)
          throw new ProtocolError('ODA_FAILED', `offline data authentication: ${oda.reason}`);
      }
      await steps.cardholder(debit.pan);
      const first = await generateAc(session, CRYPTOGRAM_TYPE.arqc, cdol1);
      if (first.type !== CRYPTOGRAM_TYPE.arqc) return { first };
      const psn = debit.tags.get(0x5f34);
      const answer = await steps.online({
        pan: debit.pan,
        psn: psn?.length === 1 ? toHex(psn) : '00',
        amount,
        cdol1: toHex(cdol1),
        aip: toHex(debit.aip),
        atc: toHex(first.atc),
        iad: toHex(first.iad),
        arqc: toHex(first.cryptogram),
      });
      const arc = Buffer.from(answer.arc, 'latin1');
      const issuerAuthenticated = await issuerAuthenticate(session, fromHex(answer.arpc), arc);
      const second = await generateAc(
        session,
        secondType(answer, issuerAuthenticated),
        Buffer.concat([arc, cdol1]),
      );
      return { first, second, issuerAuthenticated };
    });
  }

  /** VERIFY with the PIN taken on the keypad of the card's reader: the PIN never reaches the agent. */
  async verifyPinOnKeypad(options: { reader?: string } = {}): Promise<PinResult> {
    const status = await this.withSession(options.reader, (session) => verifyPinOnKeypad(session));
    return { status, message: describePinStatus(status) };
  }

  /**
   * The card's payment proof for a settlement, with a PIN entered before this call (wiped here):
   * one card session reads the card's number and identification code, checks it is the visit's
   * card, has the service's challenge issued for it, sends VERIFY and then, with nothing between,
   * the payment proof over the challenge. The card answers it only because VERIFY succeeded in
   * this session, which is how the service learns that the card itself verified its holder.
   */
  async paymentProof(pin: Buffer, request: PaymentProofRequest): Promise<PaymentProofResult> {
    try {
      return await this.withSession(request.reader, async (session) => {
        const cardOs = this.ssseOsOf(session.atr);
        const read = await readSsse(session, { ...(cardOs ? { cardOs } : {}), fields: 'readCardBas' });
        if (request.cardNumber !== undefined && read.info.cardNumber !== request.cardNumber) {
          return { outcome: 'other-card' as const };
        }
        const issued = await request.challenge(read.info.cardIdCode);
        if (issued.algorithm !== read.algorithm) {
          throw new ValidationError(
            'CARD_ALGORITHM_MISMATCH',
            `the registry issued this card with ${issued.algorithm} keys, but the card read is a ${read.algorithm} card`,
          );
        }
        const status = await verifyPin(session, pin);
        if (status.state !== 'ok') {
          return { outcome: 'pin-refused' as const, status, message: describePinStatus(status) };
        }
        const cryptogram = await paymentProof(session, Buffer.from(issued.challenge, 'hex'));
        return {
          outcome: 'proof' as const,
          cardIdCode: read.info.cardIdCode,
          cardNumber: read.info.cardNumber,
          proof: { challengeId: issued.challengeId, cryptogram: cryptogram.toString('hex').toUpperCase() },
        };
      });
    } finally {
      wipe(pin);
    }
  }

  /** CHANGE PIN with the PINs taken on the keypad of the card's reader: none reaches the agent. */
  async changePinOnKeypad(options: { reader?: string } = {}): Promise<PinResult> {
    const status = await this.withSession(options.reader, (session) => changePinOnKeypad(session));
    return { status, message: describePinStatus(status) };
  }

  /**
   * CHANGE PIN with both PINs entered before this call. Both buffers are wiped. A new PIN the
   * policy refuses is a PinEntryError (-36 the initial PIN, -35 a trivial one) before any
   * command reaches the card, so no try is spent.
   */
  async changePin(oldPin: Buffer, newPin: Buffer, options: { reader?: string } = {}): Promise<PinResult> {
    try {
      checkNewPin(newPin, this.options.pinChangePolicy ?? DEFAULT_PIN_CHANGE_POLICY);
      const status = await this.withSession(options.reader, (session) => changePin(session, oldPin, newPin));
      return { status, message: describePinStatus(status) };
    } finally {
      wipe(oldPin);
      wipe(newPin);
    }
  }

  private async withSession<T>(
    reader: string | undefined,
    work: (session: CardSession) => Promise<T>,
  ): Promise<T> {
    const session = await openCardSession(this.readers, reader);
    try {
      // PIN commands are not repeated after a glitch: a VERIFY that reached the card counted a try.
      return await work(session);
    } finally {
      await session.close();
    }
  }

  private ssseOsOf(atr: Buffer): SsseCardOsProfile | undefined {
    const key = atr.toString('hex');
    if (this.ssseOsByAtr.has(key)) return this.ssseOsByAtr.get(key);
    const match = this.options.profiles?.matchCardOs(atr);
    const os = match?.role === 'ssse' ? match : undefined;
    // Profiles do not change while the agent runs, and a terminal sees few distinct ATRs.
    if (this.ssseOsByAtr.size >= 256) this.ssseOsByAtr.clear();
    this.ssseOsByAtr.set(key, os);
    return os;
  }

  private checkContext(
    session: CardSession,
    read: SsseReadResult,
    now: Date,
    cardAuth: CardAuthVerifier | undefined,
    preparedChallenge: PreparedCardAuthChallenge | undefined,
  ): CardCheckContext {
    let debit: ReturnType<CardCheckContext['debit']> | undefined;
    return {
      subject: {
        atr: session.atr,
        info: read.info as CardCheckContext['subject']['info'],
        generation: read.generation,
        holderDataRead: read.holderDataRead,
        fieldsRead: read.fieldsRead,
      },
      now,
      session,
      algorithm: read.algorithm,
      debit: () => {
        debit ??= readDebitApplication(session, now);
        return debit;
      },
      ...(cardAuth ? { cardAuth } : {}),
      ...(preparedChallenge ? { preparedChallenge } : {}),
      ...(this.options.caKeys ? { caKeys: this.options.caKeys } : {}),
    };
  }

  private formatReadCardBas(info: SsseCardInfo, atr: Buffer): string {
    return formatReadCardBas({
      region: info.cardIdCode.slice(0, 6),
      ssn: info.ssn,
      cardNumber: info.cardNumber,
      cardIdCode: info.cardIdCode,
      name: info.name,
      atrHistorical: toHex(parseAtr(atr).historical),
      version: info.specVersion,
      issueDate: info.issueDate,
      expiryDate: info.expiryDate,
      terminalNumber: this.options.terminal.terminalNumber,
      terminalDeviceNumber: this.options.terminal.deviceNumber,
    });
  }
}
