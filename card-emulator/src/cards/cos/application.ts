import { encodeBerTlv, type TlvInput } from '@sscard/card-core';
import type { Command, Reply } from './reply.js';
import type { AccessCondition, RecordFile } from './record-file.js';

/** What the card OS hands a command handler besides the APDU. */
export interface CommandContext {
  /** The GET CHALLENGE value when the previous command was GET CHALLENGE; a challenge lives for one command. */
  challenge: Buffer | undefined;
  /** The elementary file the last SELECT or SFI reference made current in this DF. */
  currentFile: RecordFile | undefined;
}

export interface Instruction {
  /** Class bytes this instruction accepts; any other gets 6E00. */
  cla: readonly number[];
  handle(cmd: Command, ctx: CommandContext): Reply;
}

/**
 * A dedicated file with an application behind it (the social security DF, the debit ADF, the
 * PPSE directory, the PSAM application). The card OS selects it, keeps it current and passes it
 * every command the OS does not handle itself.
 */
export interface CardApplication {
  /** DF name, selected with `00 A4 04 00`. */
  readonly aid: Buffer;
  /** File identifier for selection by FID and by path; absent when the DF is selected by name only. */
  readonly fid?: number;
  /** The FCI template answered to SELECT. */
  fci(): Buffer;
  /**
   * T=0 "FCI waiting": SELECT of this application answers 61xx and the FCI comes through GET
   * RESPONSE even when Le was sent, as some card operating systems do (the `611E` of DESIGN.md §6).
   */
  readonly fciWaiting?: boolean;
  /** The application becomes current: it starts from a fresh security state. */
  activate(): void;
  /** The application stops being current (another selection, reset, power off): forget security state. */
  deactivate(): void;
  readonly files: readonly RecordFile[];
  /** Whether the current security state satisfies an access condition of one of its files. */
  satisfies(condition: AccessCondition): boolean;
  instruction(ins: number): Instruction | undefined;
}

/**
 * What the applications have in common: a table of their instructions, a security state that
 * leaving the application clears as entering it does, and files anyone may read unless the
 * application says otherwise.
 */
export abstract class TableApplication implements CardApplication {
  abstract readonly aid: Buffer;
  abstract readonly files: readonly RecordFile[];
  protected abstract readonly instructions: ReadonlyMap<number, Instruction>;

  abstract fci(): Buffer;
  abstract activate(): void;

  deactivate(): void {
    this.activate();
  }

  satisfies(condition: AccessCondition): boolean {
    return condition === 'always';
  }

  instruction(ins: number): Instruction | undefined {
    return this.instructions.get(ins);
  }
}

/** The FCI template (6F) of a DF: its name (84) and, when given, the proprietary template (A5). */
export function fciTemplate(aid: Buffer, proprietary?: readonly TlvInput[]): Buffer {
  const children: TlvInput[] = [{ tag: 0x84, value: aid }];
  if (proprietary) children.push({ tag: 0xa5, children: proprietary });
  return encodeBerTlv({ tag: 0x6f, children });
}
