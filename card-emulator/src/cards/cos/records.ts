import { SW } from '@sscard/card-core';
import type { CardApplication } from './application.js';
import type { Command } from './reply.js';
import type { RecordFile } from './record-file.js';

/**
 * Where READ RECORD and UPDATE RECORD point (ISO/IEC 7816-4 §7.3.3, DESIGN.md §6): P2 bits 8–4
 * are the SFI (0 = the current EF), bits 3–1 say how P1 is read: `100` record number, `000`
 * record identifier (the record's first byte, its tag: the `00B2080014` style). The other P1
 * modes (next, previous, all from P1) are not offered by the card.
 */
export type RecordAddress =
  | { ok: true; file: RecordFile; record: number | undefined }
  | { ok: false; sw: number; file?: undefined };

export function addressRecord(
  cmd: Command,
  app: CardApplication | undefined,
  currentFile: RecordFile | undefined,
): RecordAddress {
  const sfi = cmd.p2 >> 3;
  const mode = cmd.p2 & 0x07;
  if (mode !== 0x04 && mode !== 0x00) return { ok: false, sw: SW.INCORRECT_P1P2 };
  if (sfi === 31) return { ok: false, sw: SW.INCORRECT_P1P2 };
  let file: RecordFile | undefined;
  if (sfi === 0) {
    if (currentFile === undefined) return { ok: false, sw: SW.COMMAND_NOT_ALLOWED };
    file = currentFile;
  } else {
    file = app?.files.find((f) => f.sfi === sfi);
    if (file === undefined) return { ok: false, sw: SW.FILE_NOT_FOUND };
  }
  // P1 = 00 would name the current record; the card keeps no record pointer, so none is found.
  const record = mode === 0x04 ? (cmd.p1 === 0 ? undefined : cmd.p1) : file.recordNumberByTag(cmd.p1);
  return { ok: true, file, record: record !== undefined && file.record(record) ? record : undefined };
}
