import { loadavg } from 'node:os';
import { realisticLatencyMs } from '@sscard/card-emulator/faults';
import { type Pcscd, startPcscd } from '@sscard/test-harness';
import { flags, positiveInt } from '../lib/args.js';
import { runNodeJson } from '../lib/children.js';
import { describeMachine } from '../lib/machine.js';
import { heading, ms, progress, say, table, verdict, x } from '../lib/report.js';
import { ratio, type Summary, summarise } from '../lib/stats.js';
import type { AgentReadsInput, AgentReadsOutput, ReadKind } from './agent-reads.js';
import type { BareReplayInput, BareReplayOutput, ReplayCall, ReplayPlan } from './bare-replay.js';
import { cReplay } from './c-replay.js';
import type { TracedCall } from './pcsc-trace.js';
import {
  type CardChoice,
  compareTapes,
  compareTapesPerCard,
  createVirtualCards,
  powerEvents,
  type TapeEntry,
  type VirtualCards,
} from './virtual-cards.js';

export const description =
  'iReadCardBas and full card reads + PSAM verification through terminal-agent on a real pcscd/vpcd, against a bare pcsclite replay and a C PC/SC client';

interface Stack {
  pcscd: Pcscd;
  env: NodeJS.ProcessEnv;
  readers: [string, string];
}

async function startStack(cards: VirtualCards, nodelay: boolean): Promise<Stack> {
  const pcscd = await startPcscd({ readers: 1, nodelay });
  cards.insert([pcscd.vpcdPorts[0]!, pcscd.vpcdPorts[1]!]);
  return {
    pcscd,
    env: { PCSCLITE_CSOCK_NAME: pcscd.env.PCSCLITE_CSOCK_NAME },
    readers: [pcscd.readerNames[0]!, pcscd.readerNames[1]!],
  };
}

async function stopStack(stack: Stack, cards: VirtualCards): Promise<void> {
  cards.remove();
  await stack.pcscd.stop();
}

const agentReads = (stack: Stack, read: ReadKind, warmup: number, iterations: number, trace = 0) =>
  runNodeJson<AgentReadsOutput>(
    'card-read/agent-reads.js',
    {
      cardReader: stack.readers[0],
      psamReader: stack.readers[1],
      read,
      warmup,
      iterations,
      trace,
    } satisfies AgentReadsInput,
    { env: stack.env },
  );

const bareReplay = (stack: Stack, plan: ReplayPlan, warmup: number, iterations: number, trace = 0) =>
  runNodeJson<BareReplayOutput>(
    'card-read/bare-replay.js',
    { readers: stack.readers, plan, warmup, iterations, trace } satisfies BareReplayInput,
    { env: stack.env },
  );

/** Records what one client did at the cards. */
async function recordOne(cards: VirtualCards, work: () => Promise<unknown>): Promise<TapeEntry[]> {
  cards.tape.start();
  try {
    await work();
  } finally {
    cards.tape.stop();
  }
  return cards.tape.entries;
}

/** The agent's traced PC/SC calls as a replay plan (reader names become slots 0 and 1). */
function callsOf(traced: readonly TracedCall[], readers: readonly [string, string]): ReplayCall[] {
  return traced
    .filter((c) => c.op !== 'status-event')
    .map((c): ReplayCall => {
      const slot = readers.indexOf(c.reader);
      if (slot < 0) throw new Error(`the agent used a reader the benchmark did not set up: ${c.reader}`);
      if (c.op === 'connect') return { op: 'connect', slot };
      if (c.op === 'disconnect') {
        return { op: 'disconnect', slot, disposition: c.detail as 'leave' | 'reset' | 'unpower' };
      }
      if (!c.response) throw new Error(`a transmit to ${c.reader} got no answer in the traced read`);
      return { op: 'transmit', slot, command: c.command!, response: c.response };
    });
}

/** The plan's transmits as the cards would see them made one after another, in the plan's order. */
function tapeOfPlan(plan: ReplayPlan): TapeEntry[] {
  return [...plan.first, ...plan.steady].flatMap((c): TapeEntry[] =>
    c.op === 'transmit' ? [{ slot: c.slot, kind: 'apdu', command: c.command, response: c.response }] : [],
  );
}

/**
 * The traced transmits must be exactly what the cards saw: the trace is checked, not trusted. The
 * agent keeps the card and the PSAM busy at once, so each card's sequence is compared; the trace's
 * order across the two is the order the agent issued its calls in, which the replays follow.
 */
function checkPlanAgainstTape(plan: ReplayPlan, tape: readonly TapeEntry[]): void {
  const diff = compareTapesPerCard(tapeOfPlan(plan), tape);
  if (diff)
    throw new Error(`the agent's traced PC/SC transmits differ from the APDUs the cards saw: ${diff}`);
}

function describeCalls(calls: readonly ReplayCall[]): string {
  const per = (slot: number) => {
    const of = calls.filter((c) => c.slot === slot);
    const n = (op: ReplayCall['op']) => of.filter((c) => c.op === op).length;
    const dispositions = of.flatMap((c) => (c.op === 'disconnect' ? [c.disposition] : []));
    return `${slot === 0 ? 'card' : 'PSAM'} ${n('connect')} connect, ${n('transmit')} transmit, ${n('disconnect')} disconnect${dispositions.length ? ` (${dispositions.join(', ')})` : ''}`;
  };
  return `${per(0)}; ${per(1)}`;
}

function row(name: string, s: Summary, base?: Summary): string[] {
  return [
    name,
    String(s.count),
    ms(s.median, 3),
    ms(s.p90, 3),
    ms(s.min, 3),
    base ? x(ratio(s.median, base.median)) : '',
    base ? x(ratio(s.p90, base.p90)) : '',
  ];
}
const ratioRow = (name: string, a: Summary, b: Summary) =>
  row(name, a, b).map((v, i) => (i >= 1 && i <= 4 ? '' : v));

const HEADER = ['client', 'reads', 'median', 'p90', 'min', 'ratio median', 'ratio p90'];

interface TraceSummary {
  total: number;
  /** The spans of all PC/SC calls added up; more than `busy` when calls overlapped. */
  inCalls: number;
  /** Time with at least one PC/SC call in flight. */
  busy: number;
  /** Time with no PC/SC call in flight: the client's own time on the way to the result. */
  idle: number;
  statusEvents: number;
}

interface CallTiming {
  /** Median span of the call. */
  span: number;
  /** Median time from the last call that had come back (or the start) to this call's issue. */
  before: number;
  /** In how many of the traced reads the call was issued while another one was in flight. */
  concurrent: number;
}

const ins = (c: ReplayCall): string =>
  c.op === 'transmit'
    ? `${c.command.slice(0, 4)}${c.command.slice(2, 4) === 'B2' ? ` ${c.command.slice(4, 8)}` : ''}`
    : c.op === 'disconnect'
      ? c.disposition
      : '';

/**
 * Which call of a read this is, the same in every traced read: operation, reader, instruction and
 * how many such calls came before it. A challenge differs from read to read, and calls on the two
 * readers may be issued in either order when they overlap, so neither the bytes nor the position
 * would do.
 */
function callKeys(calls: readonly ReplayCall[]): string[] {
  const seen = new Map<string, number>();
  return calls.map((c) => {
    const base = `${c.op}:${c.slot}:${ins(c)}`;
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    return `${base}#${n}`;
  });
}

/**
 * Per traced read: wall time, the time with a PC/SC call in flight and without one; per call of
 * the plan: its span, the client's time before it, and whether it overlapped another call.
 */
function traceSummary(
  traces: AgentReadsOutput['traces'],
  plan: readonly ReplayCall[],
  readers: readonly [string, string],
): { median: TraceSummary; perCall: CallTiming[]; afterLast: number } {
  const planKeys = callKeys(plan);
  const timings = new Map<string, { spans: number[]; before: number[]; concurrent: number }>();
  const rows: TraceSummary[] = [];
  const afterLast: number[] = [];
  for (const t of traces) {
    const traced = t.calls.filter((c) => c.op !== 'status-event');
    const keys = callKeys(callsOf(traced, readers));
    let busy = 0;
    let reach = 0;
    for (const c of [...traced].sort((a, b) => a.start - b.start)) {
      busy += Math.max(0, c.end - Math.max(c.start, reach));
      reach = Math.max(reach, c.end);
    }
    rows.push({
      total: t.total,
      inCalls: traced.reduce((sum, c) => sum + (c.end - c.start), 0),
      busy,
      idle: t.total - busy,
      statusEvents: t.calls.length - traced.length,
    });
    afterLast.push(t.total - reach);
    traced.forEach((c, i) => {
      const lastBack = Math.max(0, ...traced.filter((o) => o.end <= c.start).map((o) => o.end));
      const during = traced.some((o) => o !== c && o.start < c.start && o.end > c.start);
      const key = keys[i]!;
      const timing = timings.get(key) ?? { spans: [], before: [], concurrent: 0 };
      timing.spans.push(c.end - c.start);
      timing.before.push(c.start - lastBack);
      if (during) timing.concurrent++;
      timings.set(key, timing);
    });
  }
  const med = (f: (r: TraceSummary) => number) => summarise(rows.map(f)).median;
  return {
    median: {
      total: med((r) => r.total),
      inCalls: med((r) => r.inCalls),
      busy: med((r) => r.busy),
      idle: med((r) => r.idle),
      statusEvents: med((r) => r.statusEvents),
    },
    perCall: planKeys.map((key) => {
      const timing = timings.get(key);
      return timing
        ? {
            span: summarise(timing.spans).median,
            before: summarise(timing.before).median,
            concurrent: timing.concurrent,
          }
        : { span: Number.NaN, before: Number.NaN, concurrent: 0 };
    }),
    afterLast: summarise(afterLast).median,
  };
}

const READS: Record<ReadKind, { title: string; call: string }> = {
  bas: { title: 'iReadCardBas read (the fields vendor reader code reads)', call: 'agent readCardBas(3)' },
  full: { title: 'full basic-information read', call: 'agent readCard()' },
};

interface Measured {
  kind: ReadKind;
  plan: ReplayPlan;
  info: AgentReadsOutput;
  tapes: { agent: TapeEntry[]; bare: TapeEntry[]; c: TapeEntry[] };
  samples: { agent: number[]; bare: number[]; c: number[] };
  roundMedians: { agent: number[]; bare: number[]; c: number[] };
  trace?: { agent: ReturnType<typeof traceSummary>; bare: ReturnType<typeof traceSummary>; reads: number };
  slow?: { agent: Summary; bare: Summary };
  nagle?: Summary;
}

export async function run(argv: readonly string[]): Promise<void> {
  const f = flags(argv, {
    iterations: { default: '200' },
    warmup: { default: '10' },
    rounds: { default: '10' },
    card: { default: 'gen3' },
    read: { default: 'both' },
    trace: { default: '30' },
    'latency-iterations': { default: '20' },
    'nagle-iterations': { default: '5' },
  });
  const iterations = positiveInt('iterations', f.iterations);
  const warmup = positiveInt('warmup', f.warmup);
  const rounds = positiveInt('rounds', f.rounds);
  const traceReads = positiveInt('trace', f.trace);
  const latencyIterations = positiveInt('latency-iterations', f['latency-iterations']);
  const nagleIterations = positiveInt('nagle-iterations', f['nagle-iterations']);
  if (f.card !== 'gen2' && f.card !== 'gen3') throw new Error('--card: gen2 or gen3');
  if (f.read !== 'both' && f.read !== 'bas' && f.read !== 'full')
    throw new Error('--read: both, bas or full');
  const kinds: ReadKind[] = f.read === 'both' ? ['bas', 'full'] : [f.read];
  const perRound = Math.ceil(iterations / rounds);

  heading('card-read');
  say(`machine: ${describeMachine()}`);
  say(
    `load average at start (1/5/15 min): ${loadavg()
      .map((v) => v.toFixed(2))
      .join(' / ')}`,
  );
  progress('generating the issuer keyset and the virtual cards');
  const cards = createVirtualCards(f.card as CardChoice);
  let stack = await startStack(cards, true);
  const measured: Measured[] = [];
  const roundLoad: number[] = [];
  try {
    // 1. What the agent does, traced at the PC/SC calls and recorded at the cards: its first read
    //    in a fresh process and one steady read after it. The baselines replay exactly that.
    for (const kind of kinds) {
      progress(`${kind}: tracing the agent's first and second read, recording them at the cards`);
      let info: AgentReadsOutput | undefined;
      const agentTape = await recordOne(cards, async () => {
        info = await agentReads(stack, kind, 0, 0, 2);
      });
      const plan: ReplayPlan = {
        first: callsOf(info!.traces[0]!.calls, stack.readers),
        steady: callsOf(info!.traces[1]!.calls, stack.readers),
      };
      checkPlanAgainstTape(plan, agentTape);
      progress(
        `${kind}: checking that both baselines make the same calls and put the same APDUs on the cards`,
      );
      const bareTape = await recordOne(cards, () => bareReplay(stack, plan, 0, 1));
      const cTape = await recordOne(cards, () => cReplay(stack.env, stack.readers, plan, 0, 1));
      // A replay makes the calls one after another: its cards see the plan's transmits in the
      // plan's order exactly, and so, card by card, what the agent's cards saw.
      const bareDiff = compareTapes(tapeOfPlan(plan), bareTape);
      const cDiff = compareTapes(tapeOfPlan(plan), cTape);
      if (bareDiff)
        throw new Error(
          `${kind}: the pcsclite replay did not put the traced APDUs on the cards: ${bareDiff}`,
        );
      if (cDiff) throw new Error(`${kind}: the C replay did not put the traced APDUs on the cards: ${cDiff}`);
      measured.push({
        kind,
        plan,
        info: info!,
        tapes: { agent: agentTape, bare: bareTape, c: cTape },
        samples: { agent: [], bare: [], c: [] },
        roundMedians: { agent: [], bare: [], c: [] },
      });
    }

    // 2. Fast mode, interleaved rounds: background load on a shared machine hits all clients alike.
    for (let r = 0; r < rounds; r++) {
      progress(
        `fast mode, round ${r + 1} of ${rounds} (${perRound} reads per client and read after ${warmup} warm-up)`,
      );
      roundLoad.push(loadavg()[0]!);
      for (const m of measured) {
        const clients = [
          ['agent', async () => (await agentReads(stack, m.kind, warmup, perRound)).samples],
          ['bare', async () => (await bareReplay(stack, m.plan, warmup, perRound)).samples],
          ['c', () => cReplay(stack.env, stack.readers, m.plan, warmup, perRound)],
        ] as const;
        for (let i = 0; i < clients.length; i++) {
          const [name, measure] = clients[(r + i) % clients.length]!;
          const samples = await measure();
          m.samples[name].push(...samples);
          m.roundMedians[name].push(summarise(samples).median);
        }
      }
    }

    // 3. Where the time goes: steady reads traced call by call, the agent's and the replay's.
    for (const m of measured) {
      progress(`${m.kind}: tracing ${traceReads} steady reads of the agent and of the pcsclite replay`);
      const agent = await agentReads(stack, m.kind, warmup, 0, traceReads);
      const bare = await bareReplay(stack, m.plan, warmup, 0, traceReads);
      m.trace = {
        agent: traceSummary(agent.traces, m.plan.steady, stack.readers),
        bare: traceSummary(bare.traces, m.plan.steady, stack.readers),
        reads: traceReads,
      };
    }

    // 4. Realistic latency: every APDU takes what it would at 9600 baud T=0 plus card processing.
    cards.setFault({ kind: 'realistic-latency' });
    for (const m of measured) {
      progress(`${m.kind}: realistic-latency mode (${latencyIterations} reads per client)`);
      m.slow = {
        agent: summarise((await agentReads(stack, m.kind, 2, latencyIterations)).samples),
        bare: summarise((await bareReplay(stack, m.plan, 2, latencyIterations)).samples),
      };
    }
    cards.setFault({ kind: 'none' });

    // 5. For context only: the same reads without the TCP_NODELAY preload in pcscd.
    await stopStack(stack, cards);
    stack = await startStack(cards, false);
    for (const m of measured) {
      progress(`${m.kind}: without the TCP_NODELAY preload (${nagleIterations} agent reads)`);
      m.nagle = summarise((await agentReads(stack, m.kind, 1, nagleIterations)).samples);
    }
  } finally {
    await stopStack(stack, cards);
  }

  say(`card: emulator ${cards.description}; pcscd private, vpcd slots 0 (card) and 1 (PSAM)`);
  say(
    `fast mode (emulator answers at once), TCP_NODELAY preload; ${rounds} interleaved rounds of ${perRound} reads per client and read, ${warmup} warm-up reads each`,
  );
  say(`load average (1 min) at the start of each round: ${roundLoad.map((v) => v.toFixed(2)).join(', ')}`);
  for (const m of measured) report(m, rounds);
}

/** The emulator's realistic-latency time of one traced APDU. */
function apduMs(call: ReplayCall & { op: 'transmit' }): number {
  return realisticLatencyMs(Buffer.from(call.command, 'hex'), Buffer.from(call.response, 'hex'));
}

/** The emulator's realistic-latency time of the card's APDUs in a read (slot 0), summed. */
function cardBusyMs(calls: readonly ReplayCall[]): number {
  let total = 0;
  for (const call of calls) if (call.op === 'transmit' && call.slot === 0) total += apduMs(call);
  return total;
}

/**
 * The PSAM's APDUs that no client can take off the card's path: those whose command carries the
 * card's GET CHALLENGE answer. The challenge is valid for the card's next command only
 * (docs/card-conventions.md), and that command (EXTERNAL AUTHENTICATE) carries what the PSAM
 * computes from it, so the card waits for them whatever the client overlaps.
 */
function forcedPsamMs(calls: readonly ReplayCall[]): { ms: number; apdus: number } {
  let challenge: string | undefined;
  let ms = 0;
  let apdus = 0;
  for (const call of calls) {
    if (call.op !== 'transmit') continue;
    if (call.slot === 0) {
      // INS 84: GET CHALLENGE; its answer's data, without the status word.
      challenge =
        call.command.slice(2, 4).toLowerCase() === '84'
          ? call.response.slice(0, -4).toLowerCase()
          : undefined;
    } else if (challenge && challenge.length > 0 && call.command.toLowerCase().includes(challenge)) {
      ms += apduMs(call);
      apdus++;
    }
  }
  return { ms, apdus };
}

function report(m: Measured, rounds: number): void {
  const { title, call } = READS[m.kind];
  const transmits = (calls: readonly ReplayCall[], slot: number) =>
    calls.filter((c) => c.op === 'transmit' && c.slot === slot).length;
  const cardApdus = transmits(m.plan.steady, 0);
  const psamApdus = transmits(m.plan.steady, 1);
  const agent = summarise(m.samples.agent);
  const bare = summarise(m.samples.bare);
  const c = summarise(m.samples.c);
  say();
  say(`-- ${title}: ${call} --`);
  say(
    `verification: ${m.info.genuine ? 'genuine' : 'NOT genuine'}${m.info.checksRun.length ? ` (checks run: ${m.info.checksRun.join(', ')})` : ''}; holder data read: ${m.info.holderDataRead ? 'yes' : 'no'}`,
  );
  say(
    `APDUs per read: ${cardApdus} to the card (agent's own count: ${m.info.cardApdus}; ${verdict(cardApdus, '<', 14, 0)}) + ${psamApdus} to the PSAM`,
  );
  say(
    `  card APDUs: ${m.plan.steady
      .filter((c) => c.op === 'transmit' && c.slot === 0)
      .map(ins)
      .join(' ')}`,
  );
  say(
    `  PSAM APDUs: ${
      m.plan.steady
        .filter((c) => c.op === 'transmit' && c.slot === 1)
        .map(ins)
        .join(' ') || 'none'
    }`,
  );
  say(`PC/SC calls per read: ${describeCalls(m.plan.steady)}`);
  say(`  first read of a process: ${describeCalls(m.plan.first)} (set up once, untimed in every client)`);
  say(
    `replay check: each card saw the same APDUs in the same order with the same answers from the agent and from both baselines; the baselines made the agent's calls one after another, in the order the agent issued them (the agent overlaps card and PSAM calls); power events at the cards over the first two reads: agent ${powerEvents(m.tapes.agent)}; pcsclite ${powerEvents(m.tapes.bare)}; C ${powerEvents(m.tapes.c)}`,
  );
  say(
    table(HEADER, [
      row(call, agent),
      row('bare pcsclite replay', bare),
      row('C pcsc-read replay', c),
      ratioRow('agent / bare pcsclite', agent, bare),
      ratioRow('agent / C', agent, c),
    ]),
  );
  say(
    `  agent / bare pcsclite, median: ${x(ratio(agent.median, bare.median))} — ${verdict(ratio(agent.median, bare.median), '<=', 1.1)}`,
  );
  const roundRatios = m.roundMedians.agent.map((a, i) => ratio(a, m.roundMedians.bare[i]!));
  say(
    `  per round (${rounds}), median agent / bare: ${roundRatios.map(x).join(', ')}; median of these ${x(summarise(roundRatios).median)}`,
  );
  say(
    `  per round medians, ms: agent ${m.roundMedians.agent.map((v) => v.toFixed(2)).join(' / ')}; bare ${m.roundMedians.bare.map((v) => v.toFixed(2)).join(' / ')}; C ${m.roundMedians.c.map((v) => v.toFixed(2)).join(' / ')}`,
  );
  if (m.trace) {
    const a = m.trace.agent;
    const b = m.trace.bare;
    say(
      `where the time goes (median of traced steady reads): agent ${ms(a.median.total, 3)} = ${ms(a.median.busy, 3)} with a PC/SC call in flight (its calls add up to ${ms(a.median.inCalls, 3)}: ${ms(a.median.inCalls - a.median.busy, 3)} overlapped) + ${ms(a.median.idle, 3)} with none (${a.median.statusEvents} status events); replay ${ms(b.median.total, 3)} = ${ms(b.median.busy, 3)} + ${ms(b.median.idle, 3)} (${b.median.statusEvents} status events)`,
    );
    say(
      `  per call: "before" is the time from the last call that had come back to this call's issue; "overlap" counts the traced reads (of ${m.trace.reads}) in which the call was issued while another was in flight`,
    );
    const rows = m.plan.steady.map((call, i) => [
      `${i + 1} ${call.op} ${call.slot === 0 ? 'card' : 'PSAM'} ${ins(call)}`.trimEnd(),
      ms(a.perCall[i]?.before ?? Number.NaN, 3),
      ms(a.perCall[i]?.span ?? Number.NaN, 3),
      String(a.perCall[i]?.concurrent ?? 0),
      ms(b.perCall[i]?.before ?? Number.NaN, 3),
      ms(b.perCall[i]?.span ?? Number.NaN, 3),
    ]);
    rows.push(['(after the last call)', ms(a.afterLast, 3), '', '', ms(b.afterLast, 3), '']);
    say(table(['call', 'agent before', 'agent in call', 'overlap', 'replay before', 'replay in call'], rows));
  }
  if (m.slow) {
    say(
      "realistic-latency mode (9600 baud T=0 transfer + per-instruction card processing, card and PSAM; the replay makes the agent's calls one after another, the agent keeps the PSAM busy while the card works):",
    );
    say(
      table(HEADER, [
        row(call, m.slow.agent),
        row('bare pcsclite replay', m.slow.bare),
        ratioRow('agent / bare pcsclite', m.slow.agent, m.slow.bare),
      ]),
    );
    // What the card itself takes: each of its APDUs, one after another on the one card, costs the
    // emulator's 9600 baud transfer and processing time; no read can be faster than their sum.
    const busy = cardBusyMs(m.plan.steady);
    const forced = forcedPsamMs(m.plan.steady);
    const path = busy + forced.ms;
    say(
      `the card's own busy time per read: ${ms(busy, 1)} (${cardApdus} APDUs, transfer and processing); agent median / card busy = ${(m.slow.agent.median / busy).toFixed(3)}, bare pcsclite median / card busy = ${(m.slow.bare.median / busy).toFixed(3)}`,
    );
    say(
      `the read's critical path: the card's busy time + ${ms(forced.ms, 1)} of ${forced.apdus} PSAM APDU(s) that carry the card's challenge (valid for its next command only) = ${ms(path, 1)}; agent median / critical path = ${(m.slow.agent.median / path).toFixed(3)} (${verdict(m.slow.agent.median / path, '<=', 1.05)}), bare pcsclite median / critical path = ${(m.slow.bare.median / path).toFixed(3)}`,
    );
  }
  if (m.nagle) {
    say(
      `for context, pcscd without the TCP_NODELAY preload (Nagle + delayed ACK on every vpcd message): agent median ${ms(m.nagle.median, 1)} over ${m.nagle.count} reads, against ${ms(agent.median, 3)} with it`,
    );
  }
}
