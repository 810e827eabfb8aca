import { randomBytes } from 'node:crypto';
import {
  CLA,
  INS,
  ProtocolError,
  SELECT_BY,
  SELECT_NO_FCI,
  SW,
  correctLeSw,
  encodeResponse,
  parseCommand,
} from '@sscard/card-core';
import type { VirtualCard } from '../../virtual-card.js';
import type { CardApplication, CommandContext } from './application.js';
import { addressRecord } from './records.js';
import type { RecordFile } from './record-file.js';
import { type Command, type Reply, dataReply, isPending, moreData, status, success } from './reply.js';

export interface CardOsOptions {
  id: string;
  atr: Buffer;
  applications: readonly CardApplication[];
  /** Refuse SELECT by name with 6A82 until the MF `3F00` has been selected since the last reset. */
  requiresMfSelectFirst?: boolean;
  /** Source of GET CHALLENGE values; the system random generator unless a test fixes it. */
  random?: (length: number) => Buffer;
}

const MF_FID = 0x3f00;
/**
 * Class bytes the card knows at all: ISO (00), ISO with secure messaging (04), proprietary (80),
 * proprietary with a MAC (84).
 */
const KNOWN_CLA = new Set<number>([
  CLA.ISO,
  CLA.SECURE_MESSAGING,
  CLA.PROPRIETARY,
  CLA.PROPRIETARY_SECURE_MESSAGING,
]);

/**
 * The card operating system every virtual card shares: power and reset, APDU parsing, the file
 * tree (MF, one DF per application, record EFs), SELECT, READ RECORD, GET CHALLENGE and GET
 * RESPONSE. Everything else goes to the current application. The card answers every command with
 * a status word and never throws for anything the reader sends.
 */
export class CardOs implements VirtualCard {
  readonly id: string;
  readonly #atr: Buffer;
  readonly #applications: readonly CardApplication[];
  readonly #requiresMfSelectFirst: boolean;
  readonly #random: (length: number) => Buffer;
  #powered = false;
  #mfSelected = false;
  #current: CardApplication | undefined;
  #currentFile: RecordFile | undefined;
  #challenge: Buffer | undefined;
  #pending: Buffer | undefined;

  constructor(options: CardOsOptions) {
    this.id = options.id;
    this.#atr = Buffer.from(options.atr);
    this.#applications = options.applications;
    this.#requiresMfSelectFirst = options.requiresMfSelectFirst ?? false;
    this.#random = options.random ?? randomBytes;
  }

  get atr(): Buffer {
    return Buffer.from(this.#atr);
  }

  get powered(): boolean {
    return this.#powered;
  }

  powerOn(): Buffer {
    this.#clearVolatileState();
    this.#powered = true;
    return this.atr;
  }

  reset(): Buffer {
    return this.powerOn();
  }

  powerOff(): void {
    this.#clearVolatileState();
    this.#powered = false;
  }

  transmit(command: Buffer): Buffer {
    const reply = this.process(command);
    return encodeResponse(reply.data, reply.sw);
  }

  /** One command in, the reply out; `transmit` is this with the status word appended. */
  process(bytes: Uint8Array): Reply {
    // An unpowered chip cannot answer; a reader sending to it anyway gets "no precise diagnosis".
    if (!this.#powered) return status(SW.NO_PRECISE_DIAGNOSIS);
    const challenge = this.#challenge;
    const pending = this.#pending;
    this.#challenge = undefined;
    this.#pending = undefined;

    let cmd: Command;
    try {
      cmd = parseCommand(bytes);
    } catch (e) {
      if (e instanceof ProtocolError) return status(SW.WRONG_LENGTH);
      throw e;
    }
    // Short APDUs only, as on the real cards' T=0 interface.
    if (cmd.extended) return status(SW.WRONG_LENGTH);
    if (!KNOWN_CLA.has(cmd.cla)) return status(SW.CLA_NOT_SUPPORTED);

    const reply = this.#dispatch(cmd, { challenge, currentFile: this.#currentFile }, pending);
    if (isPending(reply)) this.#pending = reply.pending;
    return reply;
  }

  #dispatch(cmd: Command, ctx: CommandContext, pending: Buffer | undefined): Reply {
    switch (cmd.ins) {
      case INS.SELECT:
        return cmd.cla === CLA.ISO ? this.#select(cmd) : status(SW.CLA_NOT_SUPPORTED);
      case INS.GET_RESPONSE:
        return cmd.cla === CLA.ISO ? this.#getResponse(cmd, pending) : status(SW.CLA_NOT_SUPPORTED);
      case INS.GET_CHALLENGE:
        return cmd.cla === CLA.ISO ? this.#getChallenge(cmd) : status(SW.CLA_NOT_SUPPORTED);
      case INS.READ_RECORD:
        return cmd.cla === CLA.ISO ? this.#readRecord(cmd) : status(SW.CLA_NOT_SUPPORTED);
    }
    const instruction = this.#current?.instruction(cmd.ins);
    if (instruction === undefined) return status(SW.INS_NOT_SUPPORTED);
    if (!instruction.cla.includes(cmd.cla)) return status(SW.CLA_NOT_SUPPORTED);
    return instruction.handle(cmd, ctx);
  }

  #clearVolatileState(): void {
    this.#current?.deactivate();
    this.#current = undefined;
    this.#currentFile = undefined;
    this.#challenge = undefined;
    this.#pending = undefined;
    this.#mfSelected = false;
  }

  #enter(app: CardApplication | undefined): void {
    // Selecting an application again also starts it afresh: security states do not survive re-selection.
    this.#current?.deactivate();
    this.#current = app;
    this.#currentFile = undefined;
    app?.activate();
  }

  // ---- SELECT -------------------------------------------------------------------------------

  #select(cmd: Command): Reply {
    if (cmd.p2 !== 0x00 && cmd.p2 !== SELECT_NO_FCI) return status(SW.INCORRECT_P1P2);
    switch (cmd.p1) {
      case SELECT_BY.name:
        return this.#selectByName(cmd);
      case SELECT_BY.fileId:
      case SELECT_BY.childDf:
      case SELECT_BY.childEf:
        return this.#selectByFid(cmd);
      case SELECT_BY.path:
        return this.#selectByPath(cmd);
      default:
        return status(SW.INCORRECT_P1P2);
    }
  }

  #selectByName(cmd: Command): Reply {
    const name = cmd.data;
    if (name.length < 1 || name.length > 16) return status(SW.WRONG_LENGTH);
    if (this.#requiresMfSelectFirst && !this.#mfSelected) return status(SW.FILE_NOT_FOUND);
    // An exact DF name first; otherwise the first whose name starts with the given bytes (EMV partial selection).
    const app =
      this.#applications.find((a) => a.aid.equals(name)) ??
      this.#applications.find((a) => a.aid.subarray(0, name.length).equals(name));
    if (app === undefined) return status(SW.FILE_NOT_FOUND);
    this.#enter(app);
    return this.#selectAppReply(cmd, app);
  }

  #selectByFid(cmd: Command): Reply {
    if (cmd.data.length !== 2) return status(SW.WRONG_LENGTH);
    const fid = cmd.data.readUInt16BE(0);
    if (cmd.p1 === SELECT_BY.fileId && fid === MF_FID) {
      this.#enter(undefined);
      this.#mfSelected = true;
      return this.#selectReply(cmd, mfFcp());
    }
    if (cmd.p1 !== SELECT_BY.childDf) {
      const file = this.#current?.files.find((f) => f.fid === fid);
      if (file !== undefined) {
        this.#currentFile = file;
        return this.#selectReply(cmd, efFcp(file));
      }
    }
    if (cmd.p1 !== SELECT_BY.childEf && this.#current === undefined) {
      const app = this.#applications.find((a) => a.fid === fid);
      if (app !== undefined) {
        this.#enter(app);
        return this.#selectAppReply(cmd, app);
      }
    }
    return status(SW.FILE_NOT_FOUND);
  }

  /** Path from the MF (without 3F00): DF FID, then optionally an EF FID in that DF. */
  #selectByPath(cmd: Command): Reply {
    const path = cmd.data;
    if (path.length === 0 || path.length % 2 !== 0) return status(SW.WRONG_LENGTH);
    const fids = Array.from({ length: path.length / 2 }, (_, i) => path.readUInt16BE(i * 2));
    if (fids.length > 2) return status(SW.FILE_NOT_FOUND);
    const app = this.#applications.find((a) => a.fid !== undefined && a.fid === fids[0]);
    if (app === undefined) return status(SW.FILE_NOT_FOUND);
    const file = fids.length === 2 ? app.files.find((f) => f.fid === fids[1]) : undefined;
    if (fids.length === 2 && file === undefined) return status(SW.FILE_NOT_FOUND);
    this.#enter(app);
    if (file === undefined) return this.#selectAppReply(cmd, app);
    this.#currentFile = file;
    return this.#selectReply(cmd, efFcp(file));
  }

  /**
   * SELECT answers its FCI when Le asks for it; sent without Le (case 3, the way DESIGN.md §6
   * shows it) it answers 9000 alone.
   */
  #selectReply(cmd: Command, fci: Buffer): Reply {
    if (cmd.p2 === SELECT_NO_FCI) return success();
    if (cmd.le === undefined) return success();
    return dataReply(cmd, fci);
  }

  /** An application with FCI waiting answers 61xx and hands its FCI out through GET RESPONSE, even when Le was sent. */
  #selectAppReply(cmd: Command, app: CardApplication): Reply {
    if (cmd.p2 !== SELECT_NO_FCI && app.fciWaiting) return moreData(app.fci());
    return this.#selectReply(cmd, app.fci());
  }

  // ---- GET RESPONSE, GET CHALLENGE, READ RECORD -----------------------------------------------

  #getResponse(cmd: Command, pending: Buffer | undefined): Reply {
    if (cmd.p1 !== 0 || cmd.p2 !== 0) return status(SW.INCORRECT_P1P2);
    if (cmd.data.length > 0) return status(SW.WRONG_LENGTH);
    if (pending === undefined) return status(SW.CONDITIONS_NOT_SATISFIED);
    const le = cmd.le ?? 256;
    if (le === 256 || le === pending.length) return success(pending);
    if (le > pending.length) {
      this.#pending = pending;
      return status(correctLeSw(pending.length));
    }
    // A shorter Le takes the first part; the rest stays for the next GET RESPONSE.
    const rest = pending.subarray(le);
    return { ...moreData(rest), data: pending.subarray(0, le) };
  }

  #getChallenge(cmd: Command): Reply {
    if (cmd.p1 !== 0 || cmd.p2 !== 0) return status(SW.INCORRECT_P1P2);
    if (cmd.data.length > 0 || (cmd.le !== 4 && cmd.le !== 8)) return status(SW.WRONG_LENGTH);
    const challenge = this.#random(cmd.le);
    this.#challenge = Buffer.from(challenge);
    return success(challenge);
  }

  #readRecord(cmd: Command): Reply {
    if (cmd.data.length > 0) return status(SW.WRONG_LENGTH);
    const target = addressRecord(cmd, this.#current, this.#currentFile);
    if (!target.ok) return status(target.sw);
    this.#currentFile = target.file;
    if (!this.#current?.satisfies(target.file.read)) return status(SW.SECURITY_STATUS_NOT_SATISFIED);
    if (target.record === undefined) return status(SW.RECORD_NOT_FOUND);
    return dataReply(cmd, target.file.record(target.record)!);
  }
}

function mfFcp(): Buffer {
  // 62: FCP template; 82 38: a DF; 83: its FID.
  return Buffer.from('6207820138' + '83023F00', 'hex');
}

function efFcp(file: RecordFile): Buffer {
  // 82 05: linear variable-size records holding TLV; 88: the SFI in bits 8–4.
  const fid = file.fid ?? 0;
  return Buffer.from([
    0x62,
    0x0a,
    0x82,
    0x01,
    0x05,
    0x83,
    0x02,
    fid >> 8,
    fid & 0xff,
    0x88,
    0x01,
    file.sfi << 3,
  ]);
}
