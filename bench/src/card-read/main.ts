import { type Pcscd, startPcscd } from '@sscard/test-harness';
import { flags, positiveInt } from '../lib/args.js';
import { runNodeJson } from '../lib/children.js';
import { describeMachine } from '../lib/machine.js';
import { heading, ms, progress, say, table, verdict, x } from '../lib/report.js';
import { type Summary, ratio, summarise } from '../lib/stats.js';
import type { AgentReadsInput, AgentReadsOutput } from './agent-reads.js';
import type { BareReplayInput, BareReplayOutput, ReplayStep } from './bare-replay.js';
import { cReplay } from './c-replay.js';
import {
  type CardChoice,
  compareTapes,
  createVirtualCards,
  powerEvents,
  type TapeEntry,
  type VirtualCards,
} from './virtual-cards.js';

export const description =
  'card read + PSAM verification through terminal-agent on a real pcscd/vpcd, against a bare pcsclite replay and a C PC/SC client';

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

const agentReads = (stack: Stack, warmup: number, iterations: number) =>
  runNodeJson<AgentReadsOutput>(
    'card-read/agent-reads.js',
    {
      cardReader: stack.readers[0],
      psamReader: stack.readers[1],
      warmup,
      iterations,
    } satisfies AgentReadsInput,
    { env: stack.env },
  );

const bareReplay = async (stack: Stack, steps: ReplayStep[], warmup: number, iterations: number) =>
  (
    await runNodeJson<BareReplayOutput>(
      'card-read/bare-replay.js',
      { readers: stack.readers, steps, warmup, iterations } satisfies BareReplayInput,
      { env: stack.env },
    )
  ).samples;

/** Records what one client did at the cards, for one read. */
async function recordOne(cards: VirtualCards, work: () => Promise<unknown>): Promise<TapeEntry[]> {
  cards.tape.start();
  try {
    await work();
  } finally {
    cards.tape.stop();
  }
  return cards.tape.entries;
}

function stepsOf(tape: readonly TapeEntry[]): ReplayStep[] {
  return tape
    .filter((e) => e.kind === 'apdu')
    .map((e) => {
      if (!e.response) throw new Error('a card stayed mute during the recorded read');
      return { slot: e.slot, command: e.command!, response: e.response };
    });
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

const HEADER = ['client', 'reads', 'median', 'p90', 'min', 'ratio median', 'ratio p90'];

export async function run(argv: readonly string[]): Promise<void> {
  const f = flags(argv, {
    iterations: { default: '200' },
    warmup: { default: '10' },
    rounds: { default: '10' },
    card: { default: 'gen3' },
    'latency-iterations': { default: '20' },
    'nagle-iterations': { default: '5' },
  });
  const iterations = positiveInt('iterations', f.iterations);
  const warmup = positiveInt('warmup', f.warmup);
  const rounds = positiveInt('rounds', f.rounds);
  const latencyIterations = positiveInt('latency-iterations', f['latency-iterations']);
  const nagleIterations = positiveInt('nagle-iterations', f['nagle-iterations']);
  if (f.card !== 'gen2' && f.card !== 'gen3') throw new Error('--card: gen2 or gen3');
  const perRound = Math.ceil(iterations / rounds);

  heading('card-read');
  say(`machine: ${describeMachine()}`);
  progress('generating the issuer keyset and the virtual cards');
  const cards = createVirtualCards(f.card as CardChoice);
  let stack = await startStack(cards, true);
  try {
    // 1. What the agent sends, recorded at the cards during one read.
    progress('recording one agent read at the cards');
    let agentInfo: AgentReadsOutput | undefined;
    const agentTape = await recordOne(cards, async () => {
      agentInfo = await agentReads(stack, 0, 1);
    });
    const steps = stepsOf(agentTape);
    const cardApdus = steps.filter((s) => s.slot === 0).length;
    const psamApdus = steps.length - cardApdus;

    // 2. The baselines must put exactly the same events on the cards' contacts.
    progress('checking that both baselines replay the same events at the cards');
    const bareTape = await recordOne(cards, () => bareReplay(stack, steps, 0, 1));
    const cTape = await recordOne(cards, () => cReplay(stack.env, stack.readers, steps, 0, 1));
    const bareDiff = compareTapes(agentTape, bareTape);
    const cDiff = compareTapes(agentTape, cTape);
    if (bareDiff) throw new Error(`the pcsclite replay differs from the agent's read: ${bareDiff}`);
    if (cDiff) throw new Error(`the C replay differs from the agent's read: ${cDiff}`);

    // 3. Fast mode, interleaved rounds: background load on a shared machine hits all clients alike.
    const samples = { agent: [] as number[], bare: [] as number[], c: [] as number[] };
    const roundMedians = { agent: [] as number[], bare: [] as number[], c: [] as number[] };
    const clients = [
      ['agent', () => agentReads(stack, warmup, perRound).then((o) => o.samples)],
      ['bare', () => bareReplay(stack, steps, warmup, perRound)],
      ['c', () => cReplay(stack.env, stack.readers, steps, warmup, perRound)],
    ] as const;
    for (let r = 0; r < rounds; r++) {
      progress(
        `fast mode, round ${r + 1} of ${rounds} (${perRound} reads per client after ${warmup} warm-up)`,
      );
      for (let i = 0; i < clients.length; i++) {
        const [name, measure] = clients[(r + i) % clients.length]!;
        const measured = await measure();
        samples[name].push(...measured);
        roundMedians[name].push(summarise(measured).median);
      }
    }
    const agent = summarise(samples.agent);
    const bare = summarise(samples.bare);
    const c = summarise(samples.c);

    // 4. Realistic latency: every APDU takes what it would at 9600 baud T=0 plus card processing.
    progress(`realistic-latency mode (${latencyIterations} reads per client)`);
    cards.setFault({ kind: 'realistic-latency' });
    const slowAgent = summarise((await agentReads(stack, 2, latencyIterations)).samples);
    const slowBare = summarise(await bareReplay(stack, steps, 2, latencyIterations));
    cards.setFault({ kind: 'none' });

    // 5. For context only: the same read without the TCP_NODELAY preload in pcscd.
    progress(`without the TCP_NODELAY preload (${nagleIterations} agent reads)`);
    await stopStack(stack, cards);
    stack = await startStack(cards, false);
    const nagle = summarise((await agentReads(stack, 1, nagleIterations)).samples);

    say(`card: emulator ${cards.description}; pcscd private, vpcd slots 0 (card) and 1 (PSAM)`);
    say(
      `verification: ${agentInfo!.genuine ? 'genuine' : 'NOT genuine'} (checks run: ${agentInfo!.checksRun.join(', ') || 'none'}); holder data read: ${agentInfo!.holderDataRead ? 'yes' : 'no'}`,
    );
    say(
      `APDUs per read: ${cardApdus} to the card (agent's own count: ${agentInfo!.cardApdus}) + ${psamApdus} to the PSAM = ${steps.length}; card APDUs ${verdict(cardApdus, '<', 14, 0)}`,
    );
    say(
      `replay check: both baselines sent the agent's ${steps.length} APDUs in the agent's order and got the same answers`,
    );
    say(
      `  power events seen by the cards in that read: agent ${powerEvents(agentTape)}; pcsclite ${powerEvents(bareTape)}; C ${powerEvents(cTape)}`,
    );
    say();
    say(
      `fast mode (emulator answers at once), TCP_NODELAY preload; ${rounds} interleaved rounds, ${warmup} warm-up reads per client and round`,
    );
    say(
      table(HEADER, [
        row('agent readCard()', agent),
        row('bare pcsclite replay', bare),
        row('C pcsc-read replay', c),
        row('agent / bare pcsclite', agent, bare).map((v, i) => (i >= 1 && i <= 4 ? '' : v)),
        row('agent / C', agent, c).map((v, i) => (i >= 1 && i <= 4 ? '' : v)),
      ]),
    );
    say(
      `  agent / bare pcsclite, median: ${x(ratio(agent.median, bare.median))} — ${verdict(ratio(agent.median, bare.median), '<=', 1.1)}`,
    );
    say(`  agent / C pcsc-read, median:   ${x(ratio(agent.median, c.median))} (for information; no target)`);
    const roundRatios = roundMedians.agent.map((a, i) => ratio(a, roundMedians.bare[i]!));
    say(
      `  per round, median agent / bare: ${roundRatios.map(x).join(', ')}; median of these ${x(summarise(roundRatios).median)}`,
    );
    say(
      `  per round medians, ms: agent ${roundMedians.agent.map((v) => v.toFixed(2)).join(' / ')}; bare ${roundMedians.bare.map((v) => v.toFixed(2)).join(' / ')}; C ${roundMedians.c.map((v) => v.toFixed(2)).join(' / ')}`,
    );
    say();
    say(
      'realistic-latency mode (9600 baud T=0 transfer time + per-instruction card processing, on card and PSAM)',
    );
    say(
      table(HEADER, [
        row('agent readCard()', slowAgent),
        row('bare pcsclite replay', slowBare),
        row('agent / bare pcsclite', slowAgent, slowBare).map((v, i) => (i >= 1 && i <= 4 ? '' : v)),
      ]),
    );
    say();
    say(
      'for context: pcscd without the TCP_NODELAY preload (Nagle + delayed ACK on every vpcd message), fast mode',
    );
    say(table(HEADER, [row('agent readCard()', nagle), row('agent with preload (above)', agent)]));
  } finally {
    await stopStack(stack, cards);
  }
}
