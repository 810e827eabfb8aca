import type { PsamProblemCode } from '@sscard/agent-protocol';
import {
  CLA,
  type CardAlgorithm,
  CardError,
  INS,
  PSAM_AID,
  PSAM_ALGORITHM_IDS,
  PSAM_KEY_IDS,
  type PsamKeyUsage,
  SELECT_BY,
  challengeBlock,
  parseCardIdCode,
  requireSuccess,
  SscardError,
} from '@sscard/card-core';
import { isReaderError, ReaderError } from '../readers/errors.js';
import type { ReaderManager } from '../readers/reader-manager.js';
import { CardSession } from '../session/card-session.js';

export type PsamErrorCode = PsamProblemCode;

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

export interface PsamOperationOptions {
  /** Once aborted, an operation that has not started yet fails with the signal's reason instead. */
  signal?: AbortSignal;
}

/** Memo key of a CardSession: the PSAM application is the selected one. */
const SELECTED = 'psam:selected';

const ignore = (): void => undefined;

function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/**
 * The terminal's PSAM, held for the length of one card operation. It computes the card
 * cryptograms the terminal compares or sends: diversify the card's key (`801A`), then encrypt one
 * block under it (`80FA`). The keys never leave the module.
 *
 * The PSAM never leaves its slot and serves every read, so its connection is kept between
 * operations (exclusive, powered) with the application selected: a read costs no connect,
 * power-up, SELECT or disconnect on the PSAM. The selection is re-established whenever the PSAM
 * was reset, reconnected, or answers as if it had forgotten it.
 *
 * A read asks for its cryptograms while the card is still busy with other commands, so several
 * may be asked for at once. The PSAM keeps one diversified key, the one of the last `801A`: the
 * operations run one after another, each `801A` with its own `80FA` and nothing in between.
 */
export class Psam {
  private session: CardSession | undefined;
  /** Holding the slot and selecting the application; every operation waits for it. */
  private readonly opening: Promise<void>;
  private isOpen = false;
  /** Settles when the last operation asked for has settled; the next one starts after it. */
  private idle: Promise<void>;
  private closing: Promise<void> | undefined;

  private constructor(private readonly readers: ReaderManager) {
    this.opening = this.connect();
    this.idle = this.opening.then(ignore, ignore);
  }

  /**
   * Takes the PSAM slot and selects the application in the background, so that the caller's card
   * can be busy meanwhile. Operations asked for before that is done wait for it, and fail with its
   * error (`PSAM_ABSENT` when the terminal has none) if it fails; `ready()` reports it too.
   */
  static take(readers: ReaderManager): Psam {
    return new Psam(readers);
  }

  /** Holds the PSAM slot with the PSAM application selected; `PSAM_ABSENT` when the terminal has none. */
  static async open(readers: ReaderManager): Promise<Psam> {
    const psam = Psam.take(readers);
    await psam.ready();
    return psam;
  }

  /** Resolves once the PSAM is held and selected; rejects with the reason it could not be. */
  ready(): Promise<void> {
    return this.opening;
  }

  /** Whether the PSAM is held and selected (`ready()` has resolved). */
  get open(): boolean {
    return this.isOpen;
  }

  private async connect(): Promise<void> {
    const session = await Psam.hold(this.readers);
    this.session = session;
    try {
      await this.ensureSelected();
    } catch (e) {
      this.session = undefined;
      await session.close();
      throw e;
    }
    this.isOpen = true;
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

  /** The session of a PSAM that is held; only called from inside `connect` or an operation. */
  private get held(): CardSession {
    if (!this.session) throw new ReaderError('SessionClosed', 'the PSAM is not held');
    return this.session;
  }

  private async ensureSelected(): Promise<void> {
    const session = this.held;
    if (session.memo.get(SELECTED) === true) return;
    try {
      const selected = await session.transmit(
        { cla: CLA.ISO, ins: INS.SELECT, p1: SELECT_BY.name, p2: 0x00, data: PSAM_AID },
        { raw: true },
      );
      requireSuccess(accept61xx(selected));
    } catch (e) {
      if (e instanceof CardError)
        throw new PsamError('PSAM_ABSENT', 'the PSAM slot holds no PSAM application', {}, { cause: e });
      throw e;
    }
    session.memo.set(SELECTED, true);
  }

  get apduCount(): number {
    return this.session?.apduCount ?? 0;
  }

  /** Runs `work` once the operations asked for before it have settled. */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const before = this.idle;
    const run = (async () => {
      await before;
      await this.opening;
      return await work();
    })();
    this.idle = run.then(ignore, ignore);
    return run;
  }

  /**
   * E(K_card, block) for the card with this identification code, under the key of `usage`. The
   * block may still be on its way (the card's GET CHALLENGE answer): the key is diversified at
   * once and the PSAM kept for this operation until the block is there. A block that never comes
   * (it rejects) ends the operation without `80FA`.
   */
  cryptogram(
    usage: PsamKeyUsage,
    algorithm: CardAlgorithm,
    cardIdCode: string,
    block: Uint8Array | PromiseLike<Uint8Array>,
    options: PsamOperationOptions = {},
  ): Promise<Buffer> {
    return this.encrypt(usage, algorithm, cardIdCode, block, (data) => data, options);
  }

  private encrypt<B>(
    usage: PsamKeyUsage,
    algorithm: CardAlgorithm,
    cardIdCode: string,
    input: B | PromiseLike<B>,
    blockOf: (input: B) => Uint8Array,
    { signal }: PsamOperationOptions,
  ): Promise<Buffer> {
    let id: Buffer;
    try {
      id = parseCardIdCode(cardIdCode).bytes;
    } catch (e) {
      return Promise.reject(e);
    }
    // A block still on its way may fail before the PSAM gets to it; the operation reports that.
    if (isPromiseLike(input)) Promise.resolve(input).catch(ignore);
    return this.exclusive(async () => {
      // Asked for ahead of need by a read that has since failed: the PSAM is spared the work.
      signal?.throwIfAborted();
      const prepared = await this.prepareKey(usage, algorithm, id);
      if (prepared.sw === 0x6a88) {
        throw new PsamError('PSAM_KEY_MISSING', `the PSAM has no ${usage} master key`, { usage });
      }
      if (prepared.sw === 0x6a81) {
        throw new PsamError('PSAM_ALGORITHM_UNSUPPORTED', `the PSAM does not support ${algorithm}`, {
          algorithm,
        });
      }
      requireSuccess(prepared);
      const data = blockOf(await input);
      const encrypted = await this.held.transmit({
        cla: CLA.PROPRIETARY,
        ins: INS.PSAM_ENCRYPT,
        p1: 0x00,
        p2: 0x00,
        data,
        le: 256,
      });
      return requireSuccess(encrypted);
    });
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
      cla: CLA.PROPRIETARY,
      ins: INS.PSAM_PREPARE_KEY,
      p1: PSAM_KEY_IDS[usage],
      p2: PSAM_ALGORITHM_IDS[algorithm],
      data: id,
    } as const;
    const session = this.held;
    const assumed = session.apduCount === 0;
    let answer: Awaited<ReturnType<CardSession['transmit']>>;
    try {
      answer = await session.transmit(command);
    } catch (e) {
      if (!assumed || !isReaderError(e, 'CardRemoved')) throw e;
      await session.close();
      this.session = undefined;
      this.session = await Psam.hold(this.readers);
      await this.ensureSelected();
      return this.held.transmit(command);
    }
    if (!assumed || answer.sw === 0x9000 || answer.sw === 0x6a88 || answer.sw === 0x6a81) return answer;
    session.memo.delete(SELECTED);
    await this.ensureSelected();
    return session.transmit(command);
  }

  /**
   * The EXTERNAL AUTHENTICATE cryptogram (RKSSSE) over an 8-byte GET CHALLENGE value. Asked for
   * before the card has answered GET CHALLENGE, it leaves only `80FA` to wait for the challenge.
   */
  externalAuthCryptogram(
    algorithm: CardAlgorithm,
    cardIdCode: string,
    challenge8: Uint8Array | PromiseLike<Uint8Array>,
    options: PsamOperationOptions = {},
  ): Promise<Buffer> {
    return this.encrypt(
      'externalAuth',
      algorithm,
      cardIdCode,
      challenge8,
      (challenge) => challengeBlock(algorithm, challenge),
      options,
    );
  }

  /** Settles once every operation asked for so far has settled (never rejects). */
  settled(): Promise<void> {
    return this.idle;
  }

  /**
   * Lets the next operation have the PSAM once every operation asked for has settled; the
   * connection stays up unless something went wrong.
   */
  close(): Promise<void> {
    this.closing ??= this.idle.then(() => this.session?.close());
    return this.closing;
  }
}

/** SELECT by name may answer 61xx (FCI waiting); nobody reads the FCI, so it counts as success. */
export function accept61xx<T extends { sw: number }>(res: T): T {
  return (res.sw & 0xff00) === 0x6100 ? { ...res, sw: 0x9000 } : res;
}
