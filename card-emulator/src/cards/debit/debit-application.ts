import { randomBytes } from 'node:crypto';
import {
  CLA,
  type EmvAlgorithm,
  INS,
  SW,
  arqcInputData,
  computeArqc,
  deriveSessionKey,
  deriveUdk,
  dolDataLength,
  encodeBerTlv,
  encodeDol,
  verifyArpc,
  wipe,
} from '@sscard/card-core';
import { signDynamicData } from '@sscard/card-core/emv-issuing';
import type { CardDocument } from '../card-document.js';
import { type CardApplication, type Instruction, TableApplication, fciTemplate } from '../cos/application.js';
import { RecordFile } from '../cos/record-file.js';
import { type Command, type Reply, dataReply, status } from '../cos/reply.js';
import type { IssuerKeyset } from '../keyset.js';
import {
  AFL,
  AIP,
  APPLICATION_LABEL,
  CDOL1,
  CDOL2,
  DDOL,
  DEBIT_AID,
  type DebitData,
  PDOL,
  PPSE_NAME,
  buildDebitData,
} from './debit-data.js';

const CID_AAC = 0x00;
const CID_TC = 0x40;
const CID_ARQC = 0x80;
/** Authorisation response code "00", approved. */
const ARC_APPROVED = Buffer.from('3030', 'hex');

/** Byte 8 of the issuer application data (DESIGN.md §6). */
const IAD_ALGORITHM: Readonly<Record<EmvAlgorithm, number>> = { '3des': 0x01, sm4: 0x04 };
const DERIVATION_KEY_INDEX = 0x01;
const CVN_PBOC = 0x01;

type Phase = 'idle' | 'initiated' | 'online' | 'completed';

export interface DebitApplicationOptions {
  algorithm: EmvAlgorithm;
  random?: (length: number) => Buffer;
}

export interface DebitMemory {
  atc: number;
  lastOnlineAtc: number;
}

/**
 * The PBOC debit application (A000000333010101) of a financial social security card: GET
 * PROCESSING OPTIONS, the AFL records with SDA/DDA data, INTERNAL AUTHENTICATE for DDA, the two
 * GENERATE ACs with PBOC cryptograms (CVN 01) and issuer authentication.
 *
 * Card risk management is that of a card that always goes online: a TC asked for in the first
 * GENERATE AC is answered with an ARQC, an AAC request with an AAC. The ATC counts GET
 * PROCESSING OPTIONS, as on EMV cards, and is kept in the card's memory (see card-memory.ts).
 */
export class DebitApplication extends TableApplication {
  readonly aid = Buffer.from(DEBIT_AID);
  readonly files: readonly RecordFile[];
  readonly #data: DebitData;
  readonly #algorithm: EmvAlgorithm;
  readonly #udk: Buffer;
  readonly #random: (length: number) => Buffer;
  protected readonly instructions: ReadonlyMap<number, Instruction>;
  #atc: number;
  #lastOnlineAtc = 0;
  #phase: Phase = 'idle';
  #arqc: Buffer | undefined;
  #issuerAuthentication: 'none' | 'passed' | 'failed' = 'none';

  constructor(data: DebitData, udk: Buffer, atc: number, options: DebitApplicationOptions) {
    super();
    this.#data = data;
    this.#udk = udk;
    this.#atc = atc;
    this.#algorithm = options.algorithm;
    this.#random = options.random ?? randomBytes;
    this.files = [...data.records].map(([sfi, records]) => new RecordFile({ sfi, records, read: 'always' }));
    this.instructions = new Map<number, Instruction>([
      [INS.GET_PROCESSING_OPTIONS, { cla: [CLA.PROPRIETARY], handle: (c) => this.#getProcessingOptions(c) }],
      [INS.GENERATE_AC, { cla: [CLA.PROPRIETARY], handle: (c) => this.#generateAc(c) }],
      [INS.EXTERNAL_AUTHENTICATE, { cla: [CLA.ISO], handle: (c) => this.#issuerAuthenticate(c) }],
      [INS.INTERNAL_AUTHENTICATE, { cla: [CLA.ISO], handle: (c) => this.#internalAuthenticate(c) }],
      [INS.GET_DATA, { cla: [CLA.PROPRIETARY], handle: (c) => this.#getData(c) }],
    ]);
  }

  /** What the application keeps across power loss: its transaction counters. */
  memory(): DebitMemory {
    return { atc: this.#atc, lastOnlineAtc: this.#lastOnlineAtc };
  }

  restoreMemory(memory: DebitMemory): void {
    const counter = (n: number) => Number.isInteger(n) && n >= 0 && n <= 0xffff;
    if (!counter(memory.atc) || !counter(memory.lastOnlineAtc) || memory.lastOnlineAtc > memory.atc) {
      throw new RangeError('debit counters are 0 to 65535 and the last online ATC is not ahead of the ATC');
    }
    this.#atc = memory.atc;
    this.#lastOnlineAtc = memory.lastOnlineAtc;
  }

  /** The application transaction counter the next GET PROCESSING OPTIONS increments. */
  get atc(): number {
    return this.#atc;
  }

  fci(): Buffer {
    return fciTemplate(this.aid, [
      { tag: 0x50, value: Buffer.from(APPLICATION_LABEL, 'latin1') },
      { tag: 0x87, value: Buffer.from([0x01]) },
      { tag: 0x9f38, value: encodeDol(PDOL) },
      { tag: 0x5f2d, value: Buffer.from('zh', 'latin1') },
    ]);
  }

  activate(): void {
    this.#phase = 'idle';
    this.#arqc = undefined;
    this.#issuerAuthentication = 'none';
  }

  /** `80 A8 00 00 Lc 83 L <PDOL data>`: starts a transaction, answers AIP and AFL (format 2). */
  #getProcessingOptions(cmd: Command): Reply {
    if (cmd.p1 !== 0 || cmd.p2 !== 0) return status(SW.INCORRECT_P1P2);
    if (this.#phase !== 'idle') return status(SW.CONDITIONS_NOT_SATISFIED);
    const pdolLength = dolDataLength(PDOL);
    if (cmd.data.length < 2 || cmd.data[0] !== 0x83) return status(SW.WRONG_DATA);
    if (cmd.data[1] !== pdolLength || cmd.data.length !== 2 + pdolLength) return status(SW.WRONG_LENGTH);
    if (this.#atc >= 0xffff) return status(SW.CONDITIONS_NOT_SATISFIED);
    this.#atc++;
    this.#phase = 'initiated';
    return dataReply(
      cmd,
      encodeBerTlv({
        tag: 0x77,
        children: [
          { tag: 0x82, value: AIP },
          { tag: 0x94, value: AFL },
        ],
      }),
    );
  }

  /**
   * `80 AE P1 00 Lc <CDOL data>`. P1 bits 8–7 ask for AAC (00), TC (40) or ARQC (80); bit 5 (CDA)
   * is refused as the AIP offers no CDA.
   */
  #generateAc(cmd: Command): Reply {
    if (cmd.p2 !== 0 || (cmd.p1 & 0x3f) !== 0 || (cmd.p1 & 0xc0) === 0xc0) return status(SW.INCORRECT_P1P2);
    const requested = cmd.p1 & 0xc0;
    if (this.#phase === 'initiated') return this.#firstAc(cmd, requested);
    if (this.#phase === 'online') return this.#secondAc(cmd, requested);
    return status(SW.CONDITIONS_NOT_SATISFIED);
  }

  #firstAc(cmd: Command, requested: number): Reply {
    if (cmd.data.length !== dolDataLength(CDOL1)) return status(SW.WRONG_LENGTH);
    const cid = requested === CID_AAC ? CID_AAC : CID_ARQC;
    const reply = this.#cryptogram(cmd, cmd.data, cid, cvrFirst(cid));
    if (cid === CID_ARQC) {
      this.#phase = 'online';
      this.#lastOnlineAtc = this.#atc;
    } else {
      this.#phase = 'completed';
    }
    return reply;
  }

  #secondAc(cmd: Command, requested: number): Reply {
    if (requested === CID_ARQC) return status(SW.INCORRECT_P1P2);
    if (cmd.data.length !== dolDataLength(CDOL2)) return status(SW.WRONG_LENGTH);
    const arc = cmd.data.subarray(0, 2);
    const approve =
      requested === CID_TC && arc.equals(ARC_APPROVED) && this.#issuerAuthentication !== 'failed';
    const cid = approve ? CID_TC : CID_AAC;
    const reply = this.#cryptogram(
      cmd,
      cmd.data.subarray(2),
      cid,
      cvrSecond(cid, this.#issuerAuthentication === 'failed'),
    );
    this.#phase = 'completed';
    return reply;
  }

  /** The cryptogram over the terminal data (CDOL1 order), AIP, ATC and CVR; response format 2. */
  #cryptogram(cmd: Command, terminalData: Buffer, cid: number, cvr: Buffer): Reply {
    const atc = Buffer.alloc(2);
    atc.writeUInt16BE(this.#atc);
    const iad = Buffer.concat([
      Buffer.from([0x07, DERIVATION_KEY_INDEX, CVN_PBOC]),
      cvr,
      Buffer.from([IAD_ALGORITHM[this.#algorithm]]),
      // Issuer discretionary data: length 0A, format 01, no further content.
      Buffer.from([0x0a, 0x01]),
      Buffer.alloc(9),
    ]);
    const at = (offset: number, length: number) => terminalData.subarray(offset, offset + length);
    const input = arqcInputData({
      amountAuthorised: at(0, 6),
      amountOther: at(6, 6),
      terminalCountryCode: at(12, 2),
      tvr: at(14, 5),
      transactionCurrencyCode: at(19, 2),
      transactionDate: at(21, 3),
      transactionType: at(24, 1),
      unpredictableNumber: at(25, 4),
      aip: AIP,
      atc,
      iad,
    });
    const sessionKey = deriveSessionKey(this.#algorithm, this.#udk, atc);
    const ac = computeArqc(this.#algorithm, sessionKey, input);
    wipe(sessionKey);
    if (cid === CID_ARQC) this.#arqc = ac;
    return dataReply(
      cmd,
      encodeBerTlv({
        tag: 0x77,
        children: [
          { tag: 0x9f27, value: Buffer.from([cid]) },
          { tag: 0x9f36, value: atc },
          { tag: 0x9f26, value: ac },
          { tag: 0x9f10, value: iad },
        ],
      }),
    );
  }

  /** `00 82 00 00 0A <ARPC ‖ ARC>` between the two GENERATE ACs, once. */
  #issuerAuthenticate(cmd: Command): Reply {
    if (cmd.p1 !== 0 || cmd.p2 !== 0) return status(SW.INCORRECT_P1P2);
    if (cmd.data.length !== 10 || cmd.le !== undefined) return status(SW.WRONG_LENGTH);
    if (this.#phase !== 'online' || this.#arqc === undefined || this.#issuerAuthentication !== 'none') {
      return status(SW.CONDITIONS_NOT_SATISFIED);
    }
    const sessionKey = deriveSessionKey(this.#algorithm, this.#udk, this.#atc);
    const ok = verifyArpc(
      this.#algorithm,
      sessionKey,
      this.#arqc,
      cmd.data.subarray(8, 10),
      cmd.data.subarray(0, 8),
    );
    wipe(sessionKey);
    this.#issuerAuthentication = ok ? 'passed' : 'failed';
    return status(ok ? SW.SUCCESS : SW.VERIFICATION_FAILED);
  }

  /** `00 88 00 00 04 <unpredictable number>` (DDOL 9F37): signed dynamic application data, format 1 (80). */
  #internalAuthenticate(cmd: Command): Reply {
    if (cmd.p1 !== 0 || cmd.p2 !== 0) return status(SW.INCORRECT_P1P2);
    if (cmd.data.length !== dolDataLength(DDOL)) return status(SW.WRONG_LENGTH);
    const signature = signDynamicData(this.#data.iccKey, cmd.data, this.#random(8));
    return dataReply(cmd, encodeBerTlv({ tag: 0x80, value: signature }));
  }

  /** `80 CA 9F 36` ATC, `80 CA 9F 13` last online ATC. */
  #getData(cmd: Command): Reply {
    const tag = (cmd.p1 << 8) | cmd.p2;
    const value = Buffer.alloc(2);
    if (tag === 0x9f36) value.writeUInt16BE(this.#atc);
    else if (tag === 0x9f13) value.writeUInt16BE(this.#lastOnlineAtc);
    else return status(SW.REFERENCED_DATA_NOT_FOUND);
    return dataReply(cmd, encodeBerTlv({ tag, value }));
  }
}

/**
 * Card verification results (PBOC): length 03, then byte 1 with the type of the second (bits
 * 8–7) and first (bits 6–5) GENERATE AC, 00 AAC / 01 TC / 10 ARQC, and bit 4 "issuer
 * authentication failed"; bytes 2–3 carry no offline PIN or risk counters on this card.
 */
function cvrFirst(cid: number): Buffer {
  return Buffer.from([0x03, cidBits(cid) << 4, 0x00, 0x00]);
}

function cvrSecond(cid: number, issuerAuthFailed: boolean): Buffer {
  return Buffer.from([
    0x03,
    (cidBits(cid) << 6) | (cidBits(CID_ARQC) << 4) | (issuerAuthFailed ? 0x08 : 0),
    0x00,
    0x00,
  ]);
}

function cidBits(cid: number): number {
  return cid >> 6;
}

/** The payment system environment: one directory entry for the debit application. */
export class PpseDirectory extends TableApplication {
  readonly aid = Buffer.from(PPSE_NAME);
  readonly files: readonly RecordFile[] = [];
  protected readonly instructions: ReadonlyMap<number, Instruction> = new Map();

  fci(): Buffer {
    return fciTemplate(this.aid, [
      {
        tag: 0xbf0c,
        children: [
          {
            tag: 0x61,
            children: [
              { tag: 0x4f, value: DEBIT_AID },
              { tag: 0x50, value: Buffer.from(APPLICATION_LABEL, 'latin1') },
              { tag: 0x87, value: Buffer.from([0x01]) },
            ],
          },
        ],
      },
    ]);
  }

  /** A directory has no security state. */
  activate(): void {}
}

export interface CreateDebitOptions {
  algorithm: EmvAlgorithm;
  random?: (length: number) => Buffer;
}

/** The PPSE and the debit ADF of a card document that carries the debit application. */
export function createDebitApplications(
  doc: CardDocument,
  keyset: IssuerKeyset,
  options: CreateDebitOptions,
): CardApplication[] {
  const debit = doc.applications.debit;
  if (!debit) return [];
  const data = buildDebitData(doc, keyset);
  const master = Buffer.from(doc.keyOverride?.ac ?? keyset.emv.acMasterKeys[options.algorithm], 'hex');
  const udk = deriveUdk(options.algorithm, master, debit.pan, debit.psn);
  wipe(master);
  return [
    new PpseDirectory(),
    new DebitApplication(data, udk, debit.atc, {
      algorithm: options.algorithm,
      ...(options.random ? { random: options.random } : {}),
    }),
  ];
}

export function isDebitApplication(app: CardApplication): app is DebitApplication {
  return app instanceof DebitApplication;
}
