import { type ChildProcess, fork } from 'node:child_process';
import { benchScript } from '../lib/children.js';
import type { FromAgent, ToAgent } from './agent-process.js';
import { wallClockMs } from './contacts.js';

/** Agent clock minus the benchmark's clock, measured as for the page (see `pageClockOffset`). */
export interface AgentClock {
  offset: number;
  bound: number;
  samples: number;
}

/**
 * The kiosk agent running in its own process (`agent-process.ts`), seen from the benchmark: when
 * its reader manager reported the user card in and out (on the benchmark's clock), and, with
 * `timeline`, its registry calls and socket messages.
 */
export class AgentLink {
  /** Whether the agent sees a card in the user reader. */
  cardIn = false;
  /** When the agent last reported a user card inserted, on the benchmark's clock. */
  seenAt = Number.NaN;
  readonly marks: [at: number, what: string][] = [];
  clock: AgentClock = { offset: 0, bound: Number.POSITIVE_INFINITY, samples: 0 };
  readonly #child: ChildProcess;
  readonly #clockProbes = new Map<number, (at: number) => void>();
  #probes = 0;

  private constructor(child: ChildProcess) {
    this.#child = child;
  }

  /** Starts the agent with `config` (an agent configuration) and waits until it serves and sees both readers. */
  static async start(
    config: unknown,
    env: NodeJS.ProcessEnv,
    timeline: boolean,
  ): Promise<{ link: AgentLink; port: number }> {
    // The thread pool the `sscard` executable gives the daemon (terminal-agent/README.md): at
    // least 16, a larger value in the environment kept.
    const pool = Math.max(16, Number(process.env.UV_THREADPOOL_SIZE) || 0);
    const child = fork(benchScript('kiosk-render/agent-process.js'), [], {
      env: { ...process.env, ...env, UV_THREADPOOL_SIZE: String(pool) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const link = new AgentLink(child);
    const port = await new Promise<number>((resolve, reject) => {
      child.on('message', (message: FromAgent) => {
        if (message.type === 'ready') resolve(message.port);
        else if (message.type === 'failed') reject(new Error(`the agent did not start: ${message.error}`));
        else link.#take(message);
      });
      child.once('exit', (code) => reject(new Error(`the agent's process ended with ${code}`)));
      link.#send({ type: 'start', config, timeline });
    });
    link.clock = await link.#measureClock();
    return { link, port };
  }

  #send(message: ToAgent): void {
    this.#child.send(message);
  }

  #take(message: FromAgent): void {
    const local = (at: number) => at - this.clock.offset;
    switch (message.type) {
      case 'card':
        if (message.role !== 'user') return;
        this.cardIn = message.inserted;
        if (message.inserted && Number.isNaN(this.seenAt)) this.seenAt = local(message.at);
        this.marks.push([local(message.at), `agent: card ${message.inserted ? 'inserted' : 'removed'}`]);
        return;
      case 'mark':
        this.marks.push([local(message.at), message.what]);
        return;
      case 'clock':
        this.#clockProbes.get(message.id)?.(message.at);
        this.#clockProbes.delete(message.id);
        return;
    }
  }

  /** Its clock read between two of ours over the IPC channel, the probe with the shortest round trip kept. */
  async #measureClock(samples = 15): Promise<AgentClock> {
    let best = { offset: Number.NaN, bound: Number.POSITIVE_INFINITY };
    for (let i = 0; i < samples; i++) {
      const id = ++this.#probes;
      const before = wallClockMs();
      const inAgent = await new Promise<number>((resolve) => {
        this.#clockProbes.set(id, resolve);
        this.#send({ type: 'clock', id });
      });
      const after = wallClockMs();
      const bound = (after - before) / 2;
      if (bound < best.bound) best = { offset: inAgent - (before + after) / 2, bound };
    }
    return { ...best, samples };
  }

  /** Forgets the last insertion and the timeline, before the next insertion. */
  reset(): void {
    this.seenAt = Number.NaN;
    this.marks.length = 0;
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    this.#send({ type: 'stop' });
    const killed = setTimeout(() => this.#child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killed);
  }
}
