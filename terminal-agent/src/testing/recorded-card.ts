import { EventEmitter } from 'node:events';
import type { TerminalView } from '@sscard/agent-protocol';
import type { ReaderSource } from '../api/agent-actions.js';
import type { MinistryBackend } from '../api/ministry.js';
import type { ReaderManagerEvents, ReaderState } from '../readers/reader-manager.js';
import { ministryBackend } from './ministry-backend.js';

/** The iReadCardBas example of DESIGN.md §6, as the API tests' card answers it. */
export const RECORDED_BAS =
  '639900|111111198101011110|X00000019|639900D15600000500BF7C7A48FB4966|张三|00814E43238697159900BF7C7A|1.00|20101001|20201001|410100813475|DEV0001|';

/** One user reader with a card in it, for API tests whose card side is recorded. */
export class RecordedReaders extends EventEmitter<ReaderManagerEvents> implements ReaderSource {
  list(): ReaderState[] {
    return [{ name: 'Virtual PCD 00 00', kind: 'pcsc', role: 'user', card: { atr: '3B6D0000' } }];
  }
}

/** The recorded card's ministry functions: its basic data, its number and type; the PIN refused (-51). */
export function recordedMinistry(): MinistryBackend {
  return ministryBackend({
    iReadCardBas: async () => ({ code: 0, output: RECORDED_BAS }),
    iVerifyPIN: async () => ({ code: -51, output: '' }),
    iChangePIN: async () => ({ code: -51, output: '' }),
    iReadCardNo: async () => ({ code: 0, output: 'X00000019|' }),
    iGetCardType: async () => ({ code: 0, output: '3|3.00|' }),
  });
}

/** The terminal of the API tests: a kiosk not enrolled with any card-service. */
export async function recordedTerminal(): Promise<TerminalView> {
  return {
    terminalId: 'T-639900-0001',
    type: 'kiosk',
    enrolled: false,
    region: '639900',
    mode: 'kiosk',
    institution: null,
  };
}
