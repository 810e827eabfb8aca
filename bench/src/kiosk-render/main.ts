import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import type { CardDocument } from '@sscard/card-emulator/cards/index';
import { Emulator } from '@sscard/card-emulator/control/emulator';
import { createControlServer } from '@sscard/card-emulator/control/server';
import { realisticLatencyMs } from '@sscard/card-emulator/faults';
import { launchChromium, repoRoot, startPcscd, tempDir, waitFor } from '@sscard/test-harness';
import { flags, positiveInt } from '../lib/args.js';
import { describeMachine } from '../lib/machine.js';
import { heading, ms, progress, say, table, verdict } from '../lib/report.js';
import { type Summary, summarise } from '../lib/stats.js';
import { AgentLink } from './agent-link.js';
import { type ContactApdu, RecordedVpcdSlot, wallClockMs } from './contacts.js';
import { citizenId, startRegistry } from './registry.js';
import {
  armNameProbe,
  installRenderProbe,
  type PageClock,
  pageClockOffset,
  waitNameShown,
} from './page-probe.js';

export const description =
  'card inserted through the emulator control API → holder name on the kiosk page in Chromium (realistic latency), split into reader wait, card I/O and agent + page';

const UI_DIR = join(repoRoot, 'kiosk-ui', 'dist', 'www');
const TERMINAL = 'K-330300-0451';
const TARGET_ADDED_MS = 50;

const HOLDERS = {
  gen2: { generation: 2, name: '赵桂兰', id: citizenId('19520611', '027') },
  gen3: { generation: 3, name: '孙德明', id: citizenId('19490817', '035') },
} as const;
type Generation = keyof typeof HOLDERS;

/** One insertion, in milliseconds from the control API call. */
interface Insertion {
  total: number;
  /** Until the agent's reader manager reported the card (pcscd saw it present). */
  readerWait: number;
  /** The card's own transfer and processing time over the APDUs it answered for this read. */
  cardIo: number;
  /**
   * The emulated card's answers coming later than `cardIo` says, summed: its timers firing late
   * and its own computing, in the benchmark's process. Neither the agent's nor a real card's.
   */
  emulatorLate: number;
  apdus: number;
  /** GET CHALLENGE answered → EXTERNAL AUTHENTICATE at the card (card-service computes it); NaN if none. */
  externalAuthGap: number;
  /** agent + page, in three parts that add up to it: the reader's report → the first APDU at the card, */
  toFirstApdu: number;
  /** the card idle between its APDUs: an answer left → the next command arrived (the agent, vpcd's messages, card-service's calls), */
  betweenApdus: number;
  /** the card's last answer → the name in the DOM (the rest of the read, the socket, the render). */
  afterLastApdu: number;
  screen: string;
  /** DOM change → the next animation frame. */
  toFrame: number;
}

const agentPlusPage = (i: Insertion) => i.total - i.readerWait - i.cardIo - i.emulatorLate;
/** As the benchmark counted before it noted when each command reached the card: the emulator's lateness included. */
const withEmulatorLate = (i: Insertion) => i.total - i.readerWait - i.cardIo;

/** The card's APDUs of one read: its own time, the emulator's lateness, its idle time, the wait for the registry's cryptogram. */
function cardWork(apdus: readonly ContactApdu[]): {
  ms: number;
  late: number;
  idle: number;
  gap: number;
  firstAt: number;
  lastAt: number;
} {
  let total = 0;
  let late = 0;
  let idle = 0;
  // NaN when the read has no external authentication (generation 2 reads EF06 without one).
  let gap = Number.NaN;
  for (const [i, apdu] of apdus.entries()) {
    const busy = realisticLatencyMs(apdu.command, apdu.response);
    total += busy;
    late += apdu.at - apdu.sentAt - busy;
    const before = apdus[i - 1];
    if (!before) continue;
    idle += apdu.sentAt - before.at;
    // INS 82 after INS 84: the card sat idle from the challenge's answer until the command arrived.
    if (before.command[1] === 0x84 && apdu.command[1] === 0x82)
      gap = (Number.isNaN(gap) ? 0 : gap) + apdu.sentAt - before.at;
  }
  return {
    ms: total,
    late,
    idle,
    gap,
    firstAt: apdus[0]?.sentAt ?? Number.NaN,
    lastAt: apdus.at(-1)?.at ?? Number.NaN,
  };
}

export async function run(argv: readonly string[]): Promise<void> {
  const f = flags(argv, {
    iterations: { default: '20' },
    warmup: { default: '1' },
    cards: { default: 'gen2,gen3' },
    'out-ms': { default: '1500' },
    timeline: { default: 'no' },
  });
  if (f.timeline !== 'yes' && f.timeline !== 'no')
    throw new Error(`--timeline: yes or no expected, got "${f.timeline}"`);
  const timeline = f.timeline === 'yes';
  const outMs = positiveInt('out-ms', f['out-ms']);
  const iterations = positiveInt('iterations', f.iterations);
  const warmup = Number(f.warmup);
  if (!Number.isInteger(warmup) || warmup < 0)
    throw new Error(`--warmup: a whole number expected, got "${f.warmup}"`);
  const generations = f.cards.split(',').map((c) => {
    if (!(c in HOLDERS)) throw new Error(`--cards: gen2 and/or gen3, got "${c}"`);
    return c as Generation;
  });

  heading('kiosk-render');
  say(describeMachine());
  say(
    `settings: emulator realistic-latency mode (9600 baud T=0 + per-instruction processing) on every card; ${iterations} measured insertions per card after ${warmup} unmeasured, each inserted ${outMs} ms after the last was seen out; the agent in a process of its own (UV_THREADPOOL_SIZE 16, as the sscard executable), card-service and the emulator in the benchmark's; Chromium headless 1080×1920, zh-CN`,
  );
  say(
    `load average at start: ${loadavg()
      .map((v) => v.toFixed(2))
      .join(' ')}`,
  );

  progress('starting card-service, pcscd+vpcd, the agent, the emulator and Chromium');
  const stopping: (() => Promise<void> | void)[] = [];
  try {
    const registry = await startRegistry();
    stopping.push(() => registry.close());
    const docs: Record<Generation, CardDocument> = {} as never;
    for (const g of generations) {
      const h = HOLDERS[g];
      docs[g] = await registry.issueCard(h.name, h.id, h.generation);
    }
    const pcscd = await startPcscd({ readers: 1 });
    stopping.push(() => pcscd.stop());
    process.env.PCSCLITE_CSOCK_NAME = pcscd.env.PCSCLITE_CSOCK_NAME;
    const dataDir = await tempDir('sscard-bench-kiosk-');
    const emulator = new Emulator(
      registry.keyset,
      generations.map((g) => docs[g]),
    );
    stopping.push(() => emulator.close());
    const slot = new RecordedVpcdSlot('card', pcscd.vpcdPorts[0]!);
    emulator.addSlot(slot);
    const control = createControlServer(emulator);
    await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
    stopping.push(() => {
      control.close();
    });
    const controlUrl = `http://127.0.0.1:${(control.address() as AddressInfo).port}`;
    const { link: agent, port: agentPort } = await AgentLink.start(
      {
        terminal: { id: TERMINAL, type: 'kiosk', region: '330300' },
        api: { port: 0, uiDir: UI_DIR, tokenFile: join(dataDir, 'api-token') },
        pin: { entry: 'keypad' },
        cardService: await registry.agentCardService(TERMINAL),
        dataDir,
      },
      pcscd.env,
      timeline,
    );
    stopping.push(() => agent.stop());
    say(
      `agent clock − bench clock (over the IPC channel): ${agent.clock.offset.toFixed(3)} ms, ±${agent.clock.bound.toFixed(3)} ms (half the round trip of the best of ${agent.clock.samples} probes)`,
    );
    const browser = await launchChromium();
    stopping.push(() => browser.close());

    const cardIn = () => agent.cardIn;
    const controlCall = async (path: string, body: unknown = {}) => {
      const res = await fetch(`${controlUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    };
    const { cards } = (await (await fetch(`${controlUrl}/cards`)).json()) as {
      cards: { id: string; holder?: string }[];
    };
    const cardIdOf = (g: Generation) => {
      const card = cards.find((c) => c.holder === HOLDERS[g].name);
      if (!card) throw new Error(`the emulator has no card of ${HOLDERS[g].name}`);
      return card.id;
    };
    // The fault belongs to the card object and stays with it through removals.
    for (const g of generations) {
      await controlCall('/slots/card/insert', { card: cardIdOf(g) });
      await controlCall('/slots/card/fault', { kind: 'realistic-latency' });
      await controlCall('/slots/card/remove');
      await waitFor('the card out', () => !cardIn());
    }
    await new Promise((resolve) => setTimeout(resolve, outMs));

    const context = await browser.newContext({ viewport: { width: 1080, height: 1920 }, locale: 'zh-CN' });
    const page = await context.newPage();
    await installRenderProbe(page);
    await page.goto(`http://127.0.0.1:${agentPort}/`);
    await page.locator('[data-screen="idle"]').waitFor();
    const clock: PageClock = await pageClockOffset(page);
    say(
      `page clock − bench clock (performance.timeOrigin + now() on both sides): ${clock.offset.toFixed(3)} ms, ±${clock.bound.toFixed(3)} ms (half the round trip of the best of ${clock.samples} probes)`,
    );

    const results = new Map<Generation, Insertion[]>();
    const timelines = new Map<Generation, { insertion: Insertion; marks: [number, string][] }[]>();
    const loads = new Map<Generation, string>();
    for (const g of generations) {
      const masked = `${HOLDERS[g].name[0]}*`;
      const measured: Insertion[] = [];
      progress(`generation ${HOLDERS[g].generation}: ${warmup} + ${iterations} insertions`);
      for (let i = 0; i < warmup + iterations; i++) {
        await page.locator('[data-screen="idle"]').waitFor();
        slot.apdus.length = 0;
        agent.reset();
        const cardMarks: [number, string][] = [];
        slot.mark = timeline ? (what, at) => cardMarks.push([at, what]) : undefined;
        await armNameProbe(page, masked);
        const insertedAt = wallClockMs();
        await controlCall('/slots/card/insert', { card: cardIdOf(g) });
        const name = await waitNameShown(page);
        const at = name.domAt - clock.offset;
        const read = slot.apdus.filter((a) => a.sentAt >= insertedAt && a.at <= at);
        const work = cardWork(read);
        const seenAt = agent.seenAt;
        const insertion: Insertion = {
          total: at - insertedAt,
          readerWait: seenAt - insertedAt,
          cardIo: work.ms,
          emulatorLate: work.late,
          apdus: read.length,
          externalAuthGap: work.gap,
          toFirstApdu: work.firstAt - seenAt,
          betweenApdus: work.idle,
          afterLastApdu: at - work.lastAt,
          screen: name.screen,
          toFrame: name.frameAt - name.domAt,
        };
        if (i >= warmup) {
          measured.push(insertion);
          if (timeline) {
            const marks: [number, string][] = [
              [insertedAt, 'bench → emulator: insert the card'],
              ...cardMarks,
              ...agent.marks,
              [at, `page: the name in the DOM (screen "${name.screen}")`],
            ];
            const list = timelines.get(g) ?? [];
            list.push({ insertion, marks: marks.map(([t, what]) => [t - insertedAt, what]) });
            timelines.set(g, list);
          }
        }
        await controlCall('/slots/card/remove');
        await waitFor('the card out', () => !cardIn());
        // The emulator's vpcd slot keeps a removed card out for a second at least (so that pcscd
        // sees every removal) and would hold a quicker insertion back for the rest of it: the
        // citizen's card stays out longer than that, and so does this one.
        await new Promise((resolve) => setTimeout(resolve, outMs));
      }
      loads.set(
        g,
        loadavg()
          .map((v) => v.toFixed(2))
          .join(' '),
      );
      results.set(g, measured);
    }
    await context.close();
    report(results, loads);
    for (const [g, list] of timelines) printTimeline(HOLDERS[g].generation, list);
  } finally {
    for (const stop of stopping.reverse()) await stop();
  }
}

function report(results: Map<Generation, Insertion[]>, loads: Map<Generation, string>): void {
  say();
  say("Time from the control API call to the holder's (masked) name in the page's DOM, per insertion:");
  const rows: string[][] = [];
  const verdicts: string[] = [];
  for (const [g, list] of results) {
    const total = summarise(list.map((i) => i.total));
    const wait = summarise(list.map((i) => i.readerWait));
    const io = summarise(list.map((i) => i.cardIo));
    const gaps = list.map((i) => i.externalAuthGap).filter((v) => !Number.isNaN(v));
    const gap = summarise(gaps);
    const added = summarise(list.map(agentPlusPage));
    const late = summarise(list.map((i) => i.emulatorLate));
    const before = summarise(list.map(withEmulatorLate));
    const frame = summarise(list.map((i) => i.toFrame));
    const screens = [...new Set(list.map((i) => i.screen))].join(', ');
    const apdus = [...new Set(list.map((i) => i.apdus))].join('/');
    const share = (s: Summary) => `${((100 * s.median) / total.median).toFixed(0)} %`;
    const gen = HOLDERS[g].generation;
    rows.push([
      `generation ${gen}`,
      String(list.length),
      ms(total.median, 1),
      ms(total.p90, 1),
      `${ms(wait.median, 1)} (${share(wait)})`,
      `${ms(io.median, 1)} (${share(io)}), ${apdus} APDUs`,
      `${ms(late.median, 1)} (${share(late)})`,
      `${ms(added.median, 1)} (${share(added)})`,
      ms(added.p90, 1),
    ]);
    say(
      `  generation ${gen}: name first shown on screen "${screens}"; DOM → next frame median ${ms(frame.median, 1)}; GET CHALLENGE answered → EXTERNAL AUTHENTICATE at the card (card-service's cryptogram, inside agent + page) ${gaps.length ? `median ${ms(gap.median, 1)}` : 'none in this read'}; load average after: ${loads.get(g)}`,
    );
    verdicts.push(
      `generation ${gen}: agent + page add ${ms(added.median, 1)} (median; p90 ${ms(added.p90, 1)}) to the reader's wait and the card's I/O  (${verdict(added.median, '<', TARGET_ADDED_MS, 0).replace(/(\d+)\b/, '$1 ms')}); with the emulator's lateness counted in, as before: ${ms(before.median, 1)} (p90 ${ms(before.p90, 1)})`,
    );
  }
  say(
    table(
      [
        'card',
        'n',
        'median',
        'p90',
        "reader's wait (share)",
        'card I/O (share)',
        'emulator late (share)',
        'agent + page (share)',
        'agent + page p90',
      ],
      rows,
    ),
  );
  say('Shares are of the median total; each part is its own median, so they need not add up to 100 %.');
  say(
    "emulator late: the emulated card's answers left later than its realistic latency says (its timers and its own computing, in the benchmark's process), summed over the read; counted neither as card I/O nor as agent + page.",
  );
  say();
  say(
    'Where agent + page goes (medians; the three add up to agent + page per insertion; the card idle is from an answer leaving the card to the next command reaching it):',
  );
  say(
    table(
      ['card', "reader's report → first APDU", 'card idle between its APDUs', 'last answer → name in DOM'],
      [...results].map(([g, list]) => [
        `generation ${HOLDERS[g].generation}`,
        ms(summarise(list.map((i) => i.toFirstApdu)).median, 1),
        ms(summarise(list.map((i) => i.betweenApdus)).median, 1),
        ms(summarise(list.map((i) => i.afterLastApdu)).median, 1),
      ]),
    ),
  );
  for (const v of verdicts) say(v);
}

/** The insertion whose agent + page is the median one, event by event, in ms from the control API call. */
function printTimeline(
  generation: number,
  list: { insertion: Insertion; marks: [number, string][] }[],
): void {
  const sorted = [...list].sort((a, b) => agentPlusPage(a.insertion) - agentPlusPage(b.insertion));
  const median = sorted[Math.floor((sorted.length - 1) / 2)];
  if (!median) return;
  say();
  say(
    `Timeline of the generation ${generation} insertion with the median agent + page (${ms(agentPlusPage(median.insertion), 1)}), ms from the control API call:`,
  );
  let previous = 0;
  for (const [at, what] of [...median.marks].sort((a, b) => a[0] - b[0])) {
    say(`  ${at.toFixed(1).padStart(7)}  (+${(at - previous).toFixed(1).padStart(5)})  ${what}`);
    previous = at;
  }
}
