import {
  CLA,
  type CardAlgorithm,
  INS,
  INTERNAL_AUTH_PURPOSE,
  PIN_MANAGEMENT_OP,
  SSSE_AID,
  SSSE_KEY_IDS,
  SW,
  authBlockSize,
  challengeBlock,
  pinUnblockMacInput,
  constantTimeEqual,
  encrypt,
  paymentProofBlock,
  triesLeftSw,
  verifyMac,
} from '@sscard/card-core';
import { type CommandContext, type Instruction, TableApplication, fciTemplate } from '../cos/application.js';
import { type PinCounter, type PinMemory, isBcdPin } from '../cos/pin.js';
import { addressRecord } from '../cos/records.js';
import { type AccessCondition, RecordFile } from '../cos/record-file.js';
import { type Command, type Reply, dataReply, status, success } from '../cos/reply.js';
import type { SsseCardKeys } from './ssse-keys.js';

/**
 * FID of the social security DF for selection by FID or path. Real cards select it by name; the
 * FID is an sscard convention.
 */
export const SSSE_DF_FID = 0xddf1;

export interface SsseApplicationOptions {
  generation: 2 | 3;
  ef05: readonly Buffer[];
  ef06: readonly Buffer[];
  keys: SsseCardKeys;
  /** The card's PIN counter: it survives resets, the verified state does not. */
  pin: PinCounter;
  /** Generation 3 cards release the holder data (EF06) only after EXTERNAL AUTHENTICATE. */
  holderDataNeedsExternalAuth: boolean;
  /** SELECT answers `611E` and the FCI follows through GET RESPONSE (see CardApplication). */
  fciWaiting: boolean;
}

/** What the SSSE application keeps across power loss: the PIN and its counter, and EF05/EF06. */
export interface SsseMemory {
  pin: PinMemory;
  /** Records of EF05 and EF06, upper-case hex, in record order. */
  ef05: string[];
  ef06: string[];
}

const MAC_LENGTH = 4;

/**
 * The social security application (SSSE): its DF with EF05 (card data) and EF06 (holder data),
 * the PIN, card authentication (INTERNAL AUTHENTICATE), terminal authentication (EXTERNAL
 * AUTHENTICATE) and secured record updates, by docs/card-conventions.md.
 */
export class SsseApplication extends TableApplication {
  readonly aid = Buffer.from(SSSE_AID);
  readonly fid = SSSE_DF_FID;
  readonly files: readonly RecordFile[];
  readonly fciWaiting: boolean;
  readonly #generation: 2 | 3;
  readonly #keys: SsseCardKeys;
  readonly #pin: PinCounter;
  protected readonly instructions: ReadonlyMap<number, Instruction>;
  #externallyAuthenticated = false;
  #pinVerified = false;

  constructor(options: SsseApplicationOptions) {
    super();
    this.#generation = options.generation;
    this.#keys = options.keys;
    this.#pin = options.pin;
    this.fciWaiting = options.fciWaiting;
    this.files = [
      new RecordFile({ fid: 0xef05, sfi: 5, records: options.ef05, read: 'always', update: 'externalAuth' }),
      new RecordFile({
        fid: 0xef06,
        sfi: 6,
        records: options.ef06,
        read: options.holderDataNeedsExternalAuth ? 'externalAuth' : 'always',
        update: 'externalAuth',
      }),
    ];
    this.instructions = new Map<number, Instruction>([
      [INS.VERIFY, { cla: [CLA.ISO], handle: (c) => this.#verify(c) }],
      [INS.PIN_MANAGEMENT, { cla: [CLA.PROPRIETARY], handle: (c, ctx) => this.#pinManagement(c, ctx) }],
      [
        INS.PIN_UNBLOCK,
        { cla: [CLA.PROPRIETARY_SECURE_MESSAGING], handle: (c, ctx) => this.#unblockPin(c, ctx) },
      ],
      [INS.INTERNAL_AUTHENTICATE, { cla: [CLA.ISO], handle: (c) => this.#internalAuthenticate(c) }],
      [INS.EXTERNAL_AUTHENTICATE, { cla: [CLA.ISO], handle: (c, ctx) => this.#externalAuthenticate(c, ctx) }],
      [
        INS.UPDATE_RECORD,
        { cla: [CLA.ISO, CLA.SECURE_MESSAGING], handle: (c, ctx) => this.#updateRecord(c, ctx) },
      ],
    ]);
  }

  memory(): SsseMemory {
    const [ef05, ef06] = this.files.map((f) => f.records().map((r) => r.toString('hex').toUpperCase()));
    return { pin: this.#pin.memory(), ef05: ef05!, ef06: ef06! };
  }

  /** Loads what the card wrote before it lost power; checked whole before anything changes. */
  restoreMemory(memory: SsseMemory): void {
    const [ef05, ef06] = this.files as [RecordFile, RecordFile];
    const records = (hex: string[]) => hex.map((h) => Buffer.from(h, 'hex'));
    ef05.checkRestorable(records(memory.ef05));
    ef06.checkRestorable(records(memory.ef06));
    this.#pin.restore(memory.pin);
    ef05.restore(records(memory.ef05));
    ef06.restore(records(memory.ef06));
  }

  get algorithm(): CardAlgorithm {
    return this.#keys.algorithm;
  }

  /** 6F: the DF name (84) and a proprietary template (A5) with the card generation (9F08) and language (5F2D `zh`). */
  fci(): Buffer {
    return fciTemplate(this.aid, [
      { tag: 0x9f08, value: Buffer.from([this.#generation]) },
      { tag: 0x5f2d, value: Buffer.from('zh', 'latin1') },
    ]);
  }

  activate(): void {
    this.#externallyAuthenticated = false;
    this.#pinVerified = false;
  }

  override satisfies(condition: AccessCondition): boolean {
    if (condition === 'always') return true;
    if (condition === 'externalAuth') return this.#externallyAuthenticated;
    return false;
  }

  // ---- PIN ----------------------------------------------------------------------------------

  /** VERIFY `00 20 00 00 03 <PIN BCD>`; without data it reports the state (9000 verified, 63Cx, 6983). */
  #verify(cmd: Command): Reply {
    if (cmd.p1 !== 0x00 || cmd.p2 !== 0x00) return status(SW.INCORRECT_P1P2);
    // Without data (`00200000`, or `0020000000` as T=0 writes it) VERIFY asks for the PIN state.
    if (cmd.data.length === 0) {
      if (this.#pin.blocked) return status(SW.AUTH_METHOD_BLOCKED);
      return status(this.#pinVerified ? SW.SUCCESS : triesLeftSw(this.#pin.triesLeft));
    }
    if (cmd.data.length !== 3 || cmd.le !== undefined) return status(SW.WRONG_LENGTH);
    if (!isBcdPin(cmd.data)) return status(SW.WRONG_DATA);
    const sw = this.#pin.verify(cmd.data);
    this.#pinVerified = sw === SW.SUCCESS;
    return status(sw);
  }

  /** CHANGE PIN (`80 5E 01 00`) and RELOAD PIN (`80 5E 00 00`). */
  #pinManagement(cmd: Command, ctx: CommandContext): Reply {
    if (cmd.p2 !== 0x00) return status(SW.INCORRECT_P1P2);
    if (cmd.p1 === PIN_MANAGEMENT_OP.change) return this.#changePin(cmd);
    if (cmd.p1 === PIN_MANAGEMENT_OP.reload) return this.#reloadPin(cmd, ctx);
    return status(SW.INCORRECT_P1P2);
  }

  /** `<old PIN BCD> FF <new PIN BCD>`: a wrong old PIN counts as a failed try. */
  #changePin(cmd: Command): Reply {
    if (cmd.data.length !== 7 || cmd.le !== undefined) return status(SW.WRONG_LENGTH);
    const oldPin = cmd.data.subarray(0, 3);
    const newPin = cmd.data.subarray(4, 7);
    if (cmd.data[3] !== 0xff || !isBcdPin(oldPin) || !isBcdPin(newPin)) return status(SW.WRONG_DATA);
    const sw = this.#pin.verify(oldPin);
    if (sw !== SW.SUCCESS) {
      this.#pinVerified = false;
      return status(sw);
    }
    this.#pin.set(newPin);
    this.#pinVerified = true;
    return success();
  }

  /** `<new PIN BCD> <MAC>`, MAC under the pinReload key with the preceding challenge as IV; unblocks the PIN. */
  #reloadPin(cmd: Command, ctx: CommandContext): Reply {
    if (cmd.data.length !== 3 + MAC_LENGTH || cmd.le !== undefined) return status(SW.WRONG_LENGTH);
    const newPin = cmd.data.subarray(0, 3);
    if (!isBcdPin(newPin)) return status(SW.WRONG_DATA);
    if (ctx.challenge === undefined) return status(SW.CONDITIONS_NOT_SATISFIED);
    const iv = challengeBlock(this.#keys.algorithm, ctx.challenge);
    if (!verifyMac(this.#keys.algorithm, this.#keys.pinReload, newPin, cmd.data.subarray(3), iv)) {
      return status(SW.SM_DATA_INCORRECT);
    }
    this.#pin.set(newPin);
    this.#pinVerified = false;
    return success();
  }

  /**
   * PIN UNBLOCK `84 24 00 00 04 <MAC>`, MAC under the pinReload key with the preceding challenge
   * as IV over the header: restores the retry counter and keeps the PIN.
   */
  #unblockPin(cmd: Command, ctx: CommandContext): Reply {
    if (cmd.p1 !== 0x00 || cmd.p2 !== 0x00) return status(SW.INCORRECT_P1P2);
    if (cmd.data.length !== MAC_LENGTH || cmd.le !== undefined) return status(SW.WRONG_LENGTH);
    if (ctx.challenge === undefined) return status(SW.CONDITIONS_NOT_SATISFIED);
    const iv = challengeBlock(this.#keys.algorithm, ctx.challenge);
    if (!verifyMac(this.#keys.algorithm, this.#keys.pinReload, pinUnblockMacInput(), cmd.data, iv)) {
      return status(SW.SM_DATA_INCORRECT);
    }
    this.#pin.unblock();
    this.#pinVerified = false;
    return success();
  }

  // ---- Authentication -----------------------------------------------------------------------

  /**
   * `00 88 00 01 Lc R`: the card proves it holds its diversified internalAuth key: E(K, R).
   * `00 88 01 01 Lc R`, the payment proof: E(K, ¬R), answered only in a session where VERIFY
   * succeeded (else 6982), so a settlement's proof binds the card's presence to its PIN.
   */
  #internalAuthenticate(cmd: Command): Reply {
    if (cmd.p1 !== INTERNAL_AUTH_PURPOSE.presence && cmd.p1 !== INTERNAL_AUTH_PURPOSE.payment)
      return status(SW.INCORRECT_P1P2);
    if (cmd.p2 !== SSSE_KEY_IDS.internalAuth) return status(SW.REFERENCED_DATA_NOT_FOUND);
    if (cmd.data.length !== authBlockSize(this.#keys.algorithm)) return status(SW.WRONG_LENGTH);
    if (cmd.p1 === INTERNAL_AUTH_PURPOSE.payment && !this.#pinVerified) {
      return status(SW.SECURITY_STATUS_NOT_SATISFIED);
    }
    const block = cmd.p1 === INTERNAL_AUTH_PURPOSE.payment ? paymentProofBlock(cmd.data) : cmd.data;
    return dataReply(cmd, encrypt(this.#keys.algorithm, this.#keys.internalAuth, block, { mode: 'ecb' }));
  }

  /** `00 82 00 02 Lc C` right after GET CHALLENGE: C = E(K_externalAuth, challenge‖00…). */
  #externalAuthenticate(cmd: Command, ctx: CommandContext): Reply {
    if (cmd.p1 !== 0x00) return status(SW.INCORRECT_P1P2);
    if (cmd.p2 !== SSSE_KEY_IDS.externalAuth) return status(SW.REFERENCED_DATA_NOT_FOUND);
    const alg = this.#keys.algorithm;
    if (cmd.data.length !== authBlockSize(alg) || cmd.le !== undefined) return status(SW.WRONG_LENGTH);
    if (ctx.challenge === undefined) return status(SW.CONDITIONS_NOT_SATISFIED);
    const expected = encrypt(alg, this.#keys.externalAuth, challengeBlock(alg, ctx.challenge), {
      mode: 'ecb',
    });
    this.#externallyAuthenticated = constantTimeEqual(expected, cmd.data);
    return status(this.#externallyAuthenticated ? SW.SUCCESS : SW.VERIFICATION_FAILED);
  }

  // ---- UPDATE RECORD --------------------------------------------------------------------------

  /**
   * `04 DC P1 P2 Lc <record> <MAC>` after EXTERNAL AUTHENTICATE and a fresh GET CHALLENGE: MAC
   * under the update key, IV = the challenge, over `04 DC P1 P2 Lc ‖ record` (Lc as sent, MAC
   * included). The new record keeps its tag and fits the size it was personalised with.
   */
  #updateRecord(cmd: Command, ctx: CommandContext): Reply {
    // Plain UPDATE RECORD is never allowed: the record must come with its MAC.
    if (cmd.cla !== CLA.SECURE_MESSAGING) return status(SW.SECURITY_STATUS_NOT_SATISFIED);
    if (cmd.data.length < 2 + MAC_LENGTH || cmd.le !== undefined) return status(SW.WRONG_LENGTH);
    const target = addressRecord(cmd, this, ctx.currentFile);
    if (!target.ok) return status(target.sw);
    if (!this.satisfies(target.file.update)) return status(SW.SECURITY_STATUS_NOT_SATISFIED);
    if (target.record === undefined) return status(SW.RECORD_NOT_FOUND);
    if (ctx.challenge === undefined) return status(SW.CONDITIONS_NOT_SATISFIED);

    const record = cmd.data.subarray(0, cmd.data.length - MAC_LENGTH);
    const mac = cmd.data.subarray(cmd.data.length - MAC_LENGTH);
    const header = Buffer.from([cmd.cla, cmd.ins, cmd.p1, cmd.p2, cmd.data.length]);
    const iv = challengeBlock(this.#keys.algorithm, ctx.challenge);
    if (!verifyMac(this.#keys.algorithm, this.#keys.update, Buffer.concat([header, record]), mac, iv)) {
      return status(SW.SM_DATA_INCORRECT);
    }
    const old = target.file.record(target.record)!;
    const wellFormed = record.length >= 2 && record[1] === record.length - 2;
    if (!wellFormed || record[0] !== old[0] || record.length > target.file.capacity(target.record)) {
      return status(SW.WRONG_DATA);
    }
    target.file.replace(target.record, record);
    return success();
  }
}
