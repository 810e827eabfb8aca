import {
  type CardAlgorithm,
  CardError,
  challengeBlock,
  fromHex,
  parseCardIdCode,
  requireSuccess,
  SscardError,
} from '@sscard/card-core';
import { isReaderError } from '../readers/errors.js';
import type { ReaderManager } from '../readers/reader-manager.js';
import { CardSession } from '../session/card-session.js';

/** The PSAM application (docs/card-conventions.md, sscard convention): RID D156000005 + `PSA`. */
export const PSAM_AID = fromHex('D156000005505341');

/** Key ids of `801A` P1. */
export const PSAM_KEY_ID = { internalAuth: 0x01, externalAuth: 0x02 } as const;
export type PsamKeyUsage = keyof typeof PSAM_KEY_ID;

/** Algorithm of `801A` P2. */
const PSAM_ALGORITHM: Record<CardAlgorithm, number> = { '3des': 0x01, sm4: 0x04 };

export type PsamErrorCode = 'PSAM_ABSENT' | 'PSAM_ALGORITHM_UNSUPPORTED' | 'PSAM_KEY_MISSING';

/** What the terminal's secure access module cannot do; each has its ministry return code (-2201…-2203). */
export class PsamError extends SscardError {
  declare readonly code: PsamErrorCode;

  constructor(
    code: PsamErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(code, message, details, options);
  }
}

/** Memo key of a CardSession: the PSAM application is the selected one. */
const SELECTED = 'psam:selected';

/**
 * The terminal's PSAM, held for the length of one card operation. It computes the card
 * cryptograms the terminal compares or sends: diversify the card's key (`801A`), then encrypt one
 * block under it (`80FA`). The keys never leave the module.
 *
 * The PSAM never leaves its slot and serves every read, so its connection is kept between
 * operations (exclusive, powered) with the application selected: a read costs no connect,
 * power-up, SELECT or disconnect on the PSAM. The selection is re-established whenever the PSAM
 * was reset, reconnected, or answers as if it had forgotten it.
 */
export class Psam {
  private constructor(
    private session: CardSession,
    private readonly readers: ReaderManager,
  ) {}

  /** Holds the PSAM slot with the PSAM application selected; `PSAM_ABSENT` when the terminal has none. */
  static async open(readers: ReaderManager): Promise<Psam> {
    const psam = new Psam(await Psam.hold(readers), readers);
    try {
      await psam.ensureSelected();
    } catch (e) {
      await psam.close();
      throw e;
    }
    return psam;
  }

  private static async hold(readers: ReaderManager): Promise<CardSession> {
    try {
      return new CardSession(await readers.hold({ roles: ['psam'], keepConnected: true }));
    } catch (e) {
      if (isReaderError(e, 'ReaderNotFound') || isReaderError(e, 'NoCard')) {
        throw new PsamError('PSAM_ABSENT', 'the terminal has no PSAM', {}, { cause: e });
      }
      throw e;
    }
  }

  private async ensureSelected(): Promise<void> {
    if (this.session.memo.get(SELECTED) === true) return;
    try {
      const selected = await this.session.transmit(
        { cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x00, data: PSAM_AID },
        { raw: true },
      );
      requireSuccess(accept61xx(selected));
    } catch (e) {
      if (e instanceof CardError)
        throw new PsamError('PSAM_ABSENT', 'the PSAM slot holds no PSAM application', {}, { cause: e });
      throw e;
    }
    this.session.memo.set(SELECTED, true);
  }

  get apduCount(): number {
    return this.session.apduCount;
  }

  /** E(K_card, block) for the card with this identification code, under the key of `usage`. */
  async cryptogram(
    usage: PsamKeyUsage,
    algorithm: CardAlgorithm,
    cardIdCode: string,
    block: Uint8Array,
  ): Promise<Buffer> {
    const id = parseCardIdCode(cardIdCode);
    const prepared = await this.prepareKey(usage, algorithm, id.bytes);
    if (prepared.sw === 0x6a88) {
      throw new PsamError('PSAM_KEY_MISSING', `the PSAM has no ${usage} master key`, { usage });
    }
    if (prepared.sw === 0x6a81) {
      throw new PsamError('PSAM_ALGORITHM_UNSUPPORTED', `the PSAM does not support ${algorithm}`, {
        algorithm,
      });
    }
    requireSuccess(prepared);
    const encrypted = await this.session.transmit({
      cla: 0x80,
      ins: 0xfa,
      p1: 0x00,
      p2: 0x00,
      data: block,
      le: 256,
    });
    return requireSuccess(encrypted);
  }

  /**
   * `801A` on the kept connection. Two things can have happened to the PSAM since the selection
   * was noted without the agent hearing of it: pcscd invalidated the handle (the module was
   * reseated), or the module lost power and answers with an error status. Either way the
   * selection is made again, on a fresh connection when the old one is gone, and `801A` is sent
   * once more; only answers that mean something (success, no such key, no such algorithm) pass.
   */
  private async prepareKey(usage: PsamKeyUsage, algorithm: CardAlgorithm, id: Buffer) {
    const command = {
      cla: 0x80,
      ins: 0x1a,
      p1: PSAM_KEY_ID[usage],
      p2: PSAM_ALGORITHM[algorithm],
      data: id,
    } as const;
    const assumed = this.session.apduCount === 0;
    let answer: Awaited<ReturnType<CardSession['transmit']>>;
    try {
      answer = await this.session.transmit(command);
    } catch (e) {
      if (!assumed || !isReaderError(e, 'CardRemoved')) throw e;
      await this.session.close();
      this.session = await Psam.hold(this.readers);
      await this.ensureSelected();
      return this.session.transmit(command);
    }
    if (!assumed || answer.sw === 0x9000 || answer.sw === 0x6a88 || answer.sw === 0x6a81) return answer;
    this.session.memo.delete(SELECTED);
    await this.ensureSelected();
    return this.session.transmit(command);
  }

  /** The EXTERNAL AUTHENTICATE cryptogram (RKSSSE) over an 8-byte GET CHALLENGE value. */
  externalAuthCryptogram(
    algorithm: CardAlgorithm,
    cardIdCode: string,
    challenge8: Uint8Array,
  ): Promise<Buffer> {
    return this.cryptogram('externalAuth', algorithm, cardIdCode, challengeBlock(algorithm, challenge8));
  }

  /** Lets the next operation have the PSAM; the connection stays up unless something went wrong. */
  close(): Promise<void> {
    return this.session.close();
  }
}

/** SELECT by name may answer 61xx (FCI waiting); nobody reads the FCI, so it counts as success. */
export function accept61xx<T extends { sw: number }>(res: T): T {
  return (res.sw & 0xff00) === 0x6100 ? { ...res, sw: 0x9000 } : res;
}
