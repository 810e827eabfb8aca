import { performance } from 'node:perf_hooks';
import { defaultProfiles } from '@sscard/firmware-profiles';
import { ClientConfigSchema, createCardOperations, createReaderManager } from '@sscard/terminal-agent';
import { childMain } from '../lib/children.js';
import { PcscTracer, type TracedCall } from './pcsc-trace.js';
import { waitUntil } from './wait.js';

/** `full`: `readCard()`, every basic-information field; `bas`: `readCardBas()`, the iReadCardBas fields. */
export type ReadKind = 'full' | 'bas';

export interface AgentReadsInput {
  cardReader: string;
  psamReader: string;
  read: ReadKind;
  warmup: number;
  iterations: number;
  /** Reads traced call by call after the measured ones (not part of `samples`). */
  trace?: number;
}

export interface AgentReadsOutput {
  /** Milliseconds per read, measured reads only. */
  samples: number[];
  /** APDUs the agent counted on the citizen's card in the last read. */
  cardApdus: number;
  genuine: boolean;
  checksRun: string[];
  holderDataRead: boolean;
  traces: { total: number; calls: TracedCall[] }[];
}

interface OneRead {
  cardApdus: number;
  genuine: boolean;
  checksRun: string[];
  holderDataRead: boolean;
}

/**
 * The agent's own card read, as its local API runs it: the reader manager and card operations the
 * daemon builds from a configuration (card reader and PSAM reader named), in a process of its own.
 * `full` is `readCard()` with verification (REST `/v1/card/read`, `sscard read`); `bas` is
 * `readCardBas(3)`, the ministry call, which verifies too. Time runs from the call to the result.
 */
childMain<AgentReadsInput, AgentReadsOutput>(async (input) => {
  const tracer = input.trace ? new PcscTracer() : undefined;
  const profiles = defaultProfiles();
  const config = ClientConfigSchema.parse({ readers: { card: input.cardReader, psam: input.psamReader } });
  const readers = createReaderManager(config, profiles);
  const operations = createCardOperations(config, readers, profiles);
  readers.start();
  await waitUntil('the card and the PSAM seen by the agent', () => {
    const list = readers.list();
    return [input.cardReader, input.psamReader].every((name) => list.find((r) => r.name === name)?.card);
  });
  const once = async (): Promise<OneRead> => {
    if (input.read === 'bas') {
      const r = await operations.readCardBas(3);
      if (r.code !== 0) throw new Error(`iReadCardBas answered ${r.code}`);
      return {
        cardApdus: r.apduCount ?? 0,
        genuine: true,
        checksRun: [],
        holderDataRead: r.output.split('|')[1] !== '',
      };
    }
    const r = await operations.readCard();
    if (!r.verification?.genuine) throw new Error('the card failed verification');
    return {
      cardApdus: r.apduCount,
      genuine: r.verification.genuine,
      checksRun: r.verification.ran,
      holderDataRead: r.info.ssn !== '',
    };
  };
  let last: OneRead | undefined;
  for (let i = 0; i < input.warmup; i++) last = await once();
  const samples: number[] = [];
  for (let i = 0; i < input.iterations; i++) {
    const started = performance.now();
    last = await once();
    samples.push(performance.now() - started);
  }
  const traces: AgentReadsOutput['traces'] = [];
  for (let i = 0; tracer && i < (input.trace ?? 0); i++) {
    const { total, calls, result } = await tracer.trace(once);
    traces.push({ total, calls });
    last = result;
  }
  await readers.stop();
  if (!last) throw new Error('no read was asked for');
  return { samples, ...last, traces };
});
