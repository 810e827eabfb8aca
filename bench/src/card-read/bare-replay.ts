import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import type { PcscCardReader, PcscContextFactory } from '@sscard/terminal-agent/readers/pcsclite-binding';
import { childMain } from '../lib/children.js';
import { PcscTracer, type TracedCall } from './pcsc-trace.js';
import { waitUntil } from './wait.js';

export type Disposition = 'leave' | 'reset' | 'unpower';

/** One PC/SC call of the agent's read; slot 0 is the card reader, 1 the PSAM reader. */
export type ReplayCall =
  | { op: 'connect'; slot: number }
  | { op: 'transmit'; slot: number; command: string; response: string }
  | { op: 'disconnect'; slot: number; disposition: Disposition };

/**
 * The agent's PC/SC calls, as traced: `first` is its first read in a fresh process (what it sets
 * up once, e.g. a PSAM it keeps connected and selected), `steady` every read after that.
 */
export interface ReplayPlan {
  first: ReplayCall[];
  steady: ReplayCall[];
}

export interface BareReplayInput {
  readers: [string, string];
  plan: ReplayPlan;
  warmup: number;
  iterations: number;
  trace?: number;
}

export interface BareReplayOutput {
  samples: number[];
  traces: { total: number; calls: TracedCall[] }[];
}

/** The same buffer size the agent gives the binding, so both ask pcscd for the same thing. */
const MAX_RESPONSE = 65_538;
const SCARD_STATE_PRESENT = 0x20;

/**
 * The baseline: a bare script on the `pcsclite` binding that makes the PC/SC calls traced from the
 * agent, in the agent's order — the same connects (exclusive, T=0 or T=1), every APDU to its
 * reader, the same disconnects with the same dispositions, and a reader the agent keeps connected
 * between reads kept connected here too — with nothing else in between. Its first read replays
 * the agent's first read and is not timed, as the agent's is not. Every answer is compared with
 * the recorded one.
 */
childMain<BareReplayInput, BareReplayOutput>(async (input) => {
  const tracer = input.trace ? new PcscTracer() : undefined;
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
  const protocols: number[] = [];

  const compile = (calls: readonly ReplayCall[]) =>
    calls.map((c) => (c.op === 'transmit' ? { ...c, bytes: Buffer.from(c.command, 'hex') } : c));
  const first = compile(input.plan.first);
  const steady = compile(input.plan.steady);

  const connect = (slot: number) => {
    const r = readers[slot]!;
    return new Promise<void>((resolve, reject) =>
      r.connect(
        { share_mode: r.SCARD_SHARE_EXCLUSIVE, protocol: r.SCARD_PROTOCOL_T0 | r.SCARD_PROTOCOL_T1 },
        (e, p) => {
          if (e) return reject(e);
          protocols[slot] = p ?? r.SCARD_PROTOCOL_T1;
          resolve();
        },
      ),
    );
  };
  const transmit = (slot: number, command: Buffer) =>
    new Promise<Buffer>((resolve, reject) =>
      readers[slot]!.transmit(command, MAX_RESPONSE, protocols[slot]!, (e, data) =>
        e ? reject(e) : resolve(data!),
      ),
    );
  const disconnect = (slot: number, disposition: Disposition) => {
    const r = readers[slot]!;
    const d =
      disposition === 'leave'
        ? r.SCARD_LEAVE_CARD
        : disposition === 'reset'
          ? r.SCARD_RESET_CARD
          : r.SCARD_UNPOWER_CARD;
    return new Promise<void>((resolve, reject) => r.disconnect(d, (e) => (e ? reject(e) : resolve())));
  };

  const once = async (calls: ReturnType<typeof compile>): Promise<Buffer[]> => {
    const answers: Buffer[] = [];
    for (const c of calls) {
      if (c.op === 'connect') await connect(c.slot);
      else if (c.op === 'disconnect') await disconnect(c.slot, c.disposition);
      else answers.push(await transmit(c.slot, (c as { bytes: Buffer }).bytes));
    }
    return answers;
  };
  const check = (calls: readonly ReplayCall[], answers: Buffer[], read: string) => {
    const expected = calls.flatMap((c) => (c.op === 'transmit' ? [c.response] : []));
    answers.forEach((a, i) => {
      if (a.toString('hex').toUpperCase() !== expected[i]) {
        throw new Error(
          `replay ${read}: APDU ${i + 1} answered ${a.toString('hex')}, the agent got ${expected[i]}`,
        );
      }
    });
  };

  check(input.plan.first, await once(first), 'first');
  for (let i = 0; i < input.warmup; i++) check(input.plan.steady, await once(steady), `warm-up ${i + 1}`);
  const samples: number[] = [];
  for (let i = 0; i < input.iterations; i++) {
    const started = performance.now();
    const answers = await once(steady);
    samples.push(performance.now() - started);
    check(input.plan.steady, answers, String(i + 1));
  }
  const traces: BareReplayOutput['traces'] = [];
  for (let i = 0; tracer && i < (input.trace ?? 0); i++) {
    const { total, calls, result } = await tracer.trace(() => once(steady));
    check(input.plan.steady, result, `traced ${i + 1}`);
    traces.push({ total, calls });
  }
  for (let slot = 0; slot < readers.length; slot++) {
    if (readers[slot]!.connected) await disconnect(slot, 'unpower');
    readers[slot]!.close();
  }
  pcsc.close();
  return { samples, traces };
});
