import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import type { PcscCardReader, PcscContextFactory } from '@sscard/terminal-agent/readers/pcsclite-binding';
import { childMain } from '../lib/children.js';
import { waitUntil } from './wait.js';

export interface ReplayStep {
  /** 0 = card reader, 1 = PSAM reader. */
  slot: number;
  command: string;
  /** The answer the agent got, which the replay must get too. */
  response: string;
}

export interface BareReplayInput {
  readers: [string, string];
  steps: ReplayStep[];
  warmup: number;
  iterations: number;
}

export interface BareReplayOutput {
  samples: number[];
}

/** The same buffer size the agent gives the binding, so both ask pcscd for the same thing. */
const MAX_RESPONSE = 65_538;
const SCARD_STATE_PRESENT = 0x20;

/**
 * The baseline: a bare script on the `pcsclite` binding that sends the APDU sequence recorded
 * from the agent, in the agent's order — connect the card reader, connect the PSAM reader
 * (exclusive, T=0 or T=1), every APDU, disconnect the PSAM, disconnect the card (power off, as
 * the agent does) — with nothing else in between. Every answer is compared with the recorded one.
 */
childMain<BareReplayInput, BareReplayOutput>(async (input) => {
  const factory = createRequire(import.meta.url)('pcsclite') as PcscContextFactory;
  const pcsc = factory();
  const found = new Map<string, PcscCardReader>();
  const present = new Set<string>();
  pcsc.on('error', (e) => {
    throw e;
  });
  pcsc.on('reader', (reader) => {
    found.set(reader.name, reader);
    reader.on('error', () => undefined);
    reader.on('status', (s) => {
      if (s.state & SCARD_STATE_PRESENT) present.add(reader.name);
      else present.delete(reader.name);
    });
  });
  await waitUntil('both readers with their cards', () => input.readers.every((n) => present.has(n)));
  const readers = input.readers.map((n) => found.get(n)!);
  const commands = input.steps.map((s) => Buffer.from(s.command, 'hex'));

  const connect = (r: PcscCardReader) =>
    new Promise<number>((resolve, reject) =>
      r.connect(
        { share_mode: r.SCARD_SHARE_EXCLUSIVE, protocol: r.SCARD_PROTOCOL_T0 | r.SCARD_PROTOCOL_T1 },
        (e, p) => (e ? reject(e) : resolve(p ?? r.SCARD_PROTOCOL_T1)),
      ),
    );
  const transmit = (r: PcscCardReader, command: Buffer, protocol: number) =>
    new Promise<Buffer>((resolve, reject) =>
      r.transmit(command, MAX_RESPONSE, protocol, (e, data) => (e ? reject(e) : resolve(data!))),
    );
  const disconnect = (r: PcscCardReader) =>
    new Promise<void>((resolve, reject) =>
      r.disconnect(r.SCARD_UNPOWER_CARD, (e) => (e ? reject(e) : resolve())),
    );

  const once = async (): Promise<Buffer[]> => {
    const protocols = [await connect(readers[0]!), await connect(readers[1]!)];
    const answers: Buffer[] = [];
    for (let i = 0; i < commands.length; i++) {
      const slot = input.steps[i]!.slot;
      answers.push(await transmit(readers[slot]!, commands[i]!, protocols[slot]!));
    }
    await disconnect(readers[1]!);
    await disconnect(readers[0]!);
    return answers;
  };
  const check = (answers: Buffer[], read: number) => {
    answers.forEach((a, i) => {
      if (a.toString('hex').toUpperCase() !== input.steps[i]!.response) {
        throw new Error(
          `replay ${read}: APDU ${i + 1} answered ${a.toString('hex')}, the agent got ${input.steps[i]!.response}`,
        );
      }
    });
  };

  for (let i = 0; i < input.warmup; i++) check(await once(), -i);
  const samples: number[] = [];
  for (let i = 0; i < input.iterations; i++) {
    const started = performance.now();
    const answers = await once();
    samples.push(performance.now() - started);
    check(answers, i + 1);
  }
  for (const r of readers) r.close();
  pcsc.close();
  return { samples };
});
