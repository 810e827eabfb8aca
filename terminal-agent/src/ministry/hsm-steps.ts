import { randomBytes } from 'node:crypto';
import {
  CLA,
  INS,
  SSSE_KEY_IDS,
  type CardAlgorithm,
  challengeBlock,
  constantTimeEqual,
  formatHsmStep1,
  formatReadCardBas,
  parseAtr,
  parseHsmKey,
  maskCardNumber,
  requireSuccess,
  toHex,
} from '@sscard/card-core';
import type { PinManagementOperation } from '@sscard/registry-protocol';
import { MinistryReturnCode } from '@sscard/agent-protocol';
import type { Logger } from '@sscard/log';
import { internalAuthenticate } from '../apps/internal-authenticate.js';
import { returnCodeFor } from '../apps/return-codes.js';
import {
  HOLDER_FIELDS,
  type HolderField,
  readHolderFields,
  readSsse,
  type SsseCardInfo,
} from '../apps/ssse.js';
import { formatRecords, type RecordAddresses } from './card-addresses.js';
import type { ReaderManager } from '../readers/reader-manager.js';
import { type CardSession, openCardSession } from '../session/card-session.js';
import { transmitPinManagement } from './pin-management-command.js';
import { pinCommandWithPsam } from './psam-pin-commands.js';
import type { SsseCardOsProfile } from '@sscard/firmware-profiles';

/** How long a first step keeps the card powered for its second: an HSM round trip, not a person. */
export const HSM_STEP_TTL_MS = 60_000;

/** `read`: iReadCardBas's fields; `readRecords`: iReadCard's records; or a PIN command. */
export type HsmStepOperation = 'read' | 'readRecords' | PinManagementOperation;

export interface HsmStepResult {
  code: number;
  output: string;
}

export interface HsmStepsOptions {
  readers: ReaderManager;
  cardOsOf: (atr: Buffer) => SsseCardOsProfile | undefined;
  terminal: { terminalNumber: string; deviceNumber: string };
  log: Logger;
  ttlMs?: number;
}

/** A first step waiting for its second: the card stays powered with its challenge. */
interface OpenStep {
  operation: HsmStepOperation;
  session: CardSession;
  info: SsseCardInfo;
  /** `readRecords`: the records the second step returns. */
  records: RecordAddresses | undefined;
  algorithm: CardAlgorithm;
  /** The card's INTERNAL AUTHENTICATE answer in the first step, which the HSM's key must repeat. */
  internalAnswer: Buffer;
  timer: NodeJS.Timeout;
}

/**
 * The two-step calls of the ministry interface for terminals without a PSAM
 * (`iReadCardBas_HSM_Step1`/`Step2`, `iReloadPIN_HSM_…`, `iUnblockPIN_HSM_…`; card-core
 * `formatHsmStep1` for the layout). The first step reads the card's public records, has the card
 * answer INTERNAL AUTHENTICATE over a fresh terminal random and gives its GET CHALLENGE value,
 * and keeps the card powered and held; the second step takes the bureau HSM's key, checks that the
 * HSM vouched for this card's answer, and sends the command the challenge is for: EXTERNAL
 * AUTHENTICATE and the holder records, RELOAD PIN, or PIN UNBLOCK. The challenge is valid for the
 * card's next command only, so nothing else reaches the card in between: the reader stays held,
 * for at most `ttlMs`, and a new first step ends an open one.
 */
export class HsmSteps {
  readonly #options: HsmStepsOptions;
  #open: OpenStep | undefined;

  constructor(options: HsmStepsOptions) {
    this.#options = options;
  }

  /**
   * The first step on the contact card (the antenna offers neither terminal authentication nor
   * PIN commands). `accept` checks the card against what the caller named (-22 when not it).
   */
  async step1(
    operation: HsmStepOperation,
    accept: (info: SsseCardInfo) => boolean = () => true,
    records?: RecordAddresses,
  ): Promise<HsmStepResult> {
    await this.close();
    let session: CardSession | undefined;
    try {
      session = await openCardSession(this.#options.readers, undefined, { roles: ['user'] });
      const cardOs = this.#options.cardOsOf(session.atr);
      // iReadCard may ask for any record of EF05: the first step reads them all.
      const fields = operation === 'readRecords' ? 'all' : 'readCardBas';
      const read = await readSsse(session, { fields, ...(cardOs ? { cardOs } : {}) });
      if ((operation === 'read' || operation === 'readRecords') && read.generation !== 3) {
        // Cards before generation 3 release their holder records without a terminal authentication.
        return await this.#fail(session, MinistryReturnCode.HSM_NOT_NEEDED);
      }
      if (!accept(read.info)) return await this.#fail(session, MinistryReturnCode.DATA_MISMATCH);
      const random = randomBytes(8);
      const internalAnswer = await internalAuthenticate(session, challengeBlock(read.algorithm, random));
      // The challenge last: the card keeps it for its next command, the second step's.
      const challenge = requireSuccess(
        await session.transmit({ cla: CLA.ISO, ins: INS.GET_CHALLENGE, p1: 0x00, p2: 0x00, le: 8 }),
        'get challenge',
      );
      const output = formatHsmStep1({
        region: read.info.cardIdCode.slice(0, 6),
        atrHistorical: toHex(parseAtr(session.atr).historical),
        algorithm: read.algorithm,
        cardIdCode: read.info.cardIdCode,
        challenge: toHex(challenge),
        random: toHex(random),
        internalAnswer: toHex(internalAnswer),
        terminalNumber: this.#options.terminal.terminalNumber,
      });
      const held = session;
      const timer = setTimeout(() => {
        if (this.#open?.session === held) void this.close();
      }, this.#options.ttlMs ?? HSM_STEP_TTL_MS);
      timer.unref();
      this.#open = {
        operation,
        session,
        info: read.info,
        records,
        algorithm: read.algorithm,
        internalAnswer,
        timer,
      };
      return { code: MinistryReturnCode.OK, output };
    } catch (e) {
      await session?.close();
      return { code: returnCodeFor(e), output: '' };
    }
  }

  /**
   * The second step with the bureau HSM's key. -12 when no first step of this operation is
   * open (none made, expired, or ended by another); -22 when the key is for another card or step.
   */
  async step2(operation: HsmStepOperation, pKey: string): Promise<HsmStepResult> {
    const open = this.#open;
    if (!open || open.operation !== operation || !open.session.open) {
      return { code: MinistryReturnCode.NOT_CONNECTED, output: '' };
    }
    this.#open = undefined;
    clearTimeout(open.timer);
    const { session } = open;
    try {
      let key: ReturnType<typeof parseHsmKey>;
      try {
        key = parseHsmKey(pKey);
      } catch {
        return { code: MinistryReturnCode.BAD_PARAMETER, output: '' };
      }
      if (!constantTimeEqual(Buffer.from(key.internal, 'hex'), open.internalAnswer)) {
        return { code: MinistryReturnCode.DATA_MISMATCH, output: '' };
      }
      const external = Buffer.from(key.external, 'hex');
      if (operation === 'read')
        return { code: MinistryReturnCode.OK, output: await this.#readHolder(open, external) };
      if (operation === 'readRecords')
        return { code: MinistryReturnCode.OK, output: await this.#readRecords(open, external) };
      if (external.length !== 4) return { code: MinistryReturnCode.BAD_PARAMETER, output: '' };
      await transmitPinManagement(session, operation, external);
      this.#options.log.info('PIN management', {
        operation,
        via: 'hsm',
        cardNumber: maskCardNumber(open.info.cardNumber),
      });
      return { code: MinistryReturnCode.OK, output: '' };
    } catch (e) {
      return { code: returnCodeFor(e), output: '' };
    } finally {
      await session.close();
    }
  }

  /**
   * RELOAD PIN or PIN UNBLOCK in one call with this terminal's PSAM, which needs no HSM; undefined
   * when the terminal has none. `spend` runs before the PSAM makes the MAC (`pinCommandWithPsam`).
   */
  withPsam(
    operation: PinManagementOperation,
    accept: (info: SsseCardInfo) => boolean,
    spend: (info: SsseCardInfo) => Promise<number | undefined>,
  ): Promise<HsmStepResult> | undefined {
    if (this.#options.readers.psamReader() === undefined) return undefined;
    return pinCommandWithPsam(this.#options, operation, accept, spend);
  }

  /** A card left its reader: a first step open on it has nothing to continue with. */
  async cardLeft(reader: string): Promise<void> {
    if (this.#open?.session.reader === reader) await this.close();
  }

  /** Ends an open first step, if any, and lets the card go. */
  async close(): Promise<void> {
    const open = this.#open;
    this.#open = undefined;
    if (!open) return;
    clearTimeout(open.timer);
    await open.session.close();
  }

  async #authenticate(session: CardSession, cryptogram: Buffer): Promise<void> {
    requireSuccess(
      await session.transmit({
        cla: CLA.ISO,
        ins: INS.EXTERNAL_AUTHENTICATE,
        p1: 0x00,
        p2: SSSE_KEY_IDS.externalAuth,
        data: cryptogram,
      }),
      'external authentication',
    );
  }

  /** iReadCard's records: EF05's from the first step, EF06's asked for now the card is open. */
  async #readRecords(open: OpenStep, cryptogram: Buffer): Promise<string> {
    const { session, info } = open;
    const fields = open.records!.fields;
    await this.#authenticate(session, cryptogram);
    const wanted = (HOLDER_FIELDS as readonly string[]).filter((f) =>
      fields.includes(f as HolderField),
    ) as HolderField[];
    const holder = await readHolderFields(session, info.generation, [
      ...wanted,
      ...(fields.includes('nameExt') ? (['nameExt'] as const) : []),
    ]);
    return formatRecords({ ...info, ...holder } as SsseCardInfo, fields);
  }

  async #readHolder(open: OpenStep, cryptogram: Buffer): Promise<string> {
    const { session, info } = open;
    await this.#authenticate(session, cryptogram);
    const holder = await readHolderFields(session, info.generation);
    return formatReadCardBas({
      region: info.cardIdCode.slice(0, 6),
      ssn: holder.ssn ?? '',
      cardNumber: info.cardNumber,
      cardIdCode: info.cardIdCode,
      name: holder.name ?? '',
      atrHistorical: toHex(parseAtr(session.atr).historical),
      version: info.specVersion,
      issueDate: info.issueDate,
      expiryDate: info.expiryDate,
      terminalNumber: this.#options.terminal.terminalNumber,
      terminalDeviceNumber: this.#options.terminal.deviceNumber,
    });
  }

  async #fail(session: CardSession, code: number): Promise<HsmStepResult> {
    await session.close();
    return { code, output: '' };
  }
}
