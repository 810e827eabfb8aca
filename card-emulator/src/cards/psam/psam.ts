import {
  CLA,
  type CardAlgorithm,
  INS,
  PSAM_AID,
  PSAM_ALGORITHM_IDS,
  PSAM_KEY_IDS,
  type PsamKeyUsage,
  SW,
  authBlockSize,
  encrypt,
  isValidCardIdCode,
  ssseCardKey,
  wipe,
} from '@sscard/card-core';
import { defaultProfiles, type ProfileSet, type PsamCardOsProfile } from '@sscard/firmware-profiles';
import { type Instruction, TableApplication, fciTemplate } from '../cos/application.js';
import { CardOs } from '../cos/card-os.js';
import { cardOsBehaviour, requireDeclaredAtr } from '../cos/os-profile.js';
import type { RecordFile } from '../cos/record-file.js';
import { type Command, type Reply, dataReply, status, success } from '../cos/reply.js';
import type { IssuerKeyset } from '../keyset.js';

/** What P1 and P2 of PREPARE KEY name, looked up the other way round. */
const usageOfKeyId = (id: number): PsamKeyUsage | undefined =>
  (Object.keys(PSAM_KEY_IDS) as PsamKeyUsage[]).find((usage) => PSAM_KEY_IDS[usage] === id);
const algorithmOfId = (id: number): CardAlgorithm | undefined =>
  (Object.keys(PSAM_ALGORITHM_IDS) as CardAlgorithm[]).find((alg) => PSAM_ALGORITHM_IDS[alg] === id);

export interface PsamOptions {
  /** 4 bytes as 8 hex digits: the last bytes of the ATR. */
  serial?: string;
  id?: string;
  /** Algorithms the PSAM supports; its profile's by default. A PSAM without SM4 answers 6A81 for generation 3 cards. */
  algorithms?: readonly CardAlgorithm[];
  /** Master keys it holds; all three by default. One without externalAuth (RKSSSE) answers 6A88. */
  keys?: readonly PsamKeyUsage[];
  /** Card OS profiles the PSAM is built from (`psamOs()`); the shipped ones by default. */
  profiles?: ProfileSet;
}

/**
 * The PSAM application: holds the issuer's master keys for card and terminal authentication,
 * diversifies them for a card (`801A`) and encrypts one block under the result (`80FA`). The
 * diversified key lives until the next `801A`, re-selection or reset.
 */
class PsamApplication extends TableApplication {
  readonly aid = Buffer.from(PSAM_AID);
  readonly files: readonly RecordFile[] = [];
  readonly fciWaiting: boolean;
  readonly #masters: Readonly<Record<CardAlgorithm, Partial<Record<PsamKeyUsage, Buffer>>>>;
  protected readonly instructions: ReadonlyMap<number, Instruction>;
  #prepared: { algorithm: CardAlgorithm; key: Buffer } | undefined;

  constructor(
    keyset: IssuerKeyset,
    algorithms: readonly CardAlgorithm[],
    usages: readonly PsamKeyUsage[],
    fciWaiting: boolean,
  ) {
    super();
    this.fciWaiting = fciWaiting;
    const masters: Record<CardAlgorithm, Partial<Record<PsamKeyUsage, Buffer>>> = { '3des': {}, sm4: {} };
    for (const alg of algorithms) {
      for (const usage of usages) masters[alg][usage] = Buffer.from(keyset.ssse[alg][usage], 'hex');
    }
    this.#masters = masters;
    this.instructions = new Map<number, Instruction>([
      [INS.PSAM_PREPARE_KEY, { cla: [CLA.PROPRIETARY], handle: (c) => this.#prepareKey(c) }],
      [INS.PSAM_ENCRYPT, { cla: [CLA.PROPRIETARY], handle: (c) => this.#encryptBlock(c) }],
    ]);
  }

  fci(): Buffer {
    return fciTemplate(this.aid);
  }

  activate(): void {
    wipe(this.#prepared?.key);
    this.#prepared = undefined;
  }

  /** `80 1A <key id> <algorithm> 10 <card identification code>`. */
  #prepareKey(cmd: Command): Reply {
    if (cmd.data.length !== 16 || cmd.le !== undefined) return status(SW.WRONG_LENGTH);
    const algorithm = algorithmOfId(cmd.p2);
    const usage = usageOfKeyId(cmd.p1);
    if (algorithm === undefined || Object.keys(this.#masters[algorithm]).length === 0) {
      return status(SW.FUNCTION_NOT_SUPPORTED);
    }
    const master = usage === undefined ? undefined : this.#masters[algorithm][usage];
    if (master === undefined) return status(SW.REFERENCED_DATA_NOT_FOUND);
    if (!isValidCardIdCode(cmd.data)) return status(SW.WRONG_DATA);
    this.activate();
    this.#prepared = { algorithm, key: ssseCardKey(algorithm, master, cmd.data) };
    return success();
  }

  /** `80 FA 00 00 Lc <block> 00`: one ECB block under the prepared key. */
  #encryptBlock(cmd: Command): Reply {
    if (cmd.p1 !== 0 || cmd.p2 !== 0) return status(SW.INCORRECT_P1P2);
    if (this.#prepared === undefined) return status(SW.CONDITIONS_NOT_SATISFIED);
    const { algorithm, key } = this.#prepared;
    if (cmd.data.length !== authBlockSize(algorithm)) return status(SW.WRONG_LENGTH);
    return dataReply(cmd, encrypt(algorithm, key, cmd.data, { mode: 'ecb' }));
  }
}

/**
 * A PSAM card: the card OS with the PSAM application. Its ATR is its card OS profile's
 * `atrPrefix` (`3B 68 00 00 'PSAM'`) + serial, and its SELECT behaviour and algorithms are the
 * profile's, so the terminal recognises it by the same profile.
 */
export class Psam extends CardOs {
  readonly serial: string;
  /** The card OS profile this PSAM was built from. */
  readonly profile: PsamCardOsProfile;

  constructor(keyset: IssuerKeyset, options: PsamOptions = {}) {
    const serial = (options.serial ?? '00000001').toUpperCase();
    if (!/^[0-9A-F]{8}$/.test(serial)) throw new RangeError('a PSAM serial is 4 bytes as 8 hex digits');
    const os = (options.profiles ?? defaultProfiles()).psamOs();
    const atr = Buffer.concat([Buffer.from(os.atrPrefix, 'hex'), Buffer.from(serial, 'hex')]);
    requireDeclaredAtr(os, atr);
    const behaviour = cardOsBehaviour(os);
    super({
      id: options.id ?? `psam-${serial}`,
      atr,
      applications: [
        new PsamApplication(
          keyset,
          options.algorithms ?? os.algorithms,
          options.keys ?? ['internalAuth', 'externalAuth', 'pinReload'],
          behaviour.fciWaiting,
        ),
      ],
      requiresMfSelectFirst: behaviour.requiresMfSelectFirst,
    });
    this.serial = serial;
    this.profile = os;
  }
}

export function createPsam(keyset: IssuerKeyset, options: PsamOptions = {}): Psam {
  return new Psam(keyset, options);
}
