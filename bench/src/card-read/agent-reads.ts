import { performance } from 'node:perf_hooks';
import { defaultProfiles } from '@sscard/firmware-profiles';
import { ClientConfigSchema, createCardOperations, createReaderManager } from '@sscard/terminal-agent';
import { childMain } from '../lib/children.js';
import { waitUntil } from './wait.js';

export interface AgentReadsInput {
  cardReader: string;
  psamReader: string;
  warmup: number;
  iterations: number;
}

export interface AgentReadsOutput {
  /** Milliseconds per read, measured reads only. */
  samples: number[];
  /** APDUs the agent counted on the citizen's card in the last read. */
  cardApdus: number;
  genuine: boolean;
  checksRun: string[];
  holderDataRead: boolean;
}

/**
 * The agent's own card read, as its local API runs it: the reader manager and card operations the
 * daemon builds from a configuration (card reader and PSAM reader named), `readCard()` with
 * verification, in a process of its own. Time runs from the call to the returned result.
 */
childMain<AgentReadsInput, AgentReadsOutput>(async (input) => {
  const profiles = defaultProfiles();
  const config = ClientConfigSchema.parse({ readers: { card: input.cardReader, psam: input.psamReader } });
  const readers = createReaderManager(config, profiles);
  const operations = createCardOperations(config, readers, profiles);
  readers.start();
  await waitUntil('the card and the PSAM seen by the agent', () => {
    const list = readers.list();
    return [input.cardReader, input.psamReader].every((name) => list.find((r) => r.name === name)?.card);
  });
  let last: Awaited<ReturnType<typeof operations.readCard>> | undefined;
  for (let i = 0; i < input.warmup; i++) last = await operations.readCard();
  const samples: number[] = [];
  for (let i = 0; i < input.iterations; i++) {
    const started = performance.now();
    last = await operations.readCard();
    samples.push(performance.now() - started);
    if (!last.verification?.genuine) throw new Error(`read ${i + 1}: the card failed verification`);
  }
  await readers.stop();
  if (!last) throw new Error('no read was asked for');
  return {
    samples,
    cardApdus: last.apduCount,
    genuine: last.verification?.genuine ?? false,
    checksRun: last.verification?.ran ?? [],
    holderDataRead: last.info.ssn !== '',
  };
});
