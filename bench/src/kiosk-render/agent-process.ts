import { subscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import { createLogger } from '@sscard/log';
import { waitFor } from '@sscard/test-harness';
import { AgentConfigSchema } from '@sscard/terminal-agent/config/schema';
import { type RunningAgent, startAgent } from '@sscard/terminal-agent/daemon';
import { wallClockMs } from './contacts.js';

/**
 * The kiosk agent in a process of its own, as a kiosk runs it: the benchmark's process holds the
 * emulator and card-service, whose work would otherwise share the agent's event loop and count as
 * the agent's. It reports over the IPC channel when its reader manager saw a card come and go,
 * answers clock probes, and, asked to, notes its registry calls and socket messages.
 */

/** What the benchmark sends. */
export type ToAgent =
  | { type: 'start'; config: unknown; timeline: boolean }
  | { type: 'clock'; id: number }
  | { type: 'stop' };

/** What the agent's process sends; times are `wallClockMs()` on its own clock. */
export type FromAgent =
  | { type: 'ready'; port: number }
  | { type: 'card'; inserted: boolean; role: string; at: number }
  | { type: 'clock'; id: number; at: number }
  | { type: 'mark'; at: number; what: string }
  | { type: 'failed'; error: string };

const send = (message: FromAgent): void => {
  process.send?.(message);
};

/** Registry calls (the agent's HTTPS requests to card-service) and socket.io messages, for `--timeline`. */
function noteTimeline(agent: RunningAgent): void {
  const mark = (what: string) => send({ type: 'mark', at: wallClockMs(), what });
  const path = (message: unknown) => (message as { request: ClientRequest }).request.path;
  subscribe('http.client.request.start', (m) => mark(`agent → card-service ${path(m)}`));
  subscribe('http.client.response.finish', (m) => mark(`agent ← card-service ${path(m)}`));
  agent.api.socketServer.on('connection', (socket) => {
    socket.onAny((event: string) => mark(`agent ← page: ${event}`));
    socket.onAnyOutgoing((event: string) => mark(`agent → page: ${event}`));
  });
}

let agent: RunningAgent | undefined;

process.on('message', (message: ToAgent) => {
  switch (message.type) {
    case 'clock':
      send({ type: 'clock', id: message.id, at: wallClockMs() });
      return;
    case 'stop':
      void (agent?.stop() ?? Promise.resolve()).finally(() => process.exit(0));
      return;
    case 'start':
      start(message).catch((e: unknown) => {
        send({ type: 'failed', error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
        process.exit(1);
      });
  }
});

async function start(message: Extract<ToAgent, { type: 'start' }>): Promise<void> {
  agent = await startAgent(
    AgentConfigSchema.parse(message.config),
    createLogger({ level: 'error', write: () => {} }),
  );
  const running = agent;
  // Ahead of the agent's own listeners: the moment of the report, not after the agent's socket
  // server has broadcast it (that is the agent's work, counted in agent + page).
  running.readers.prependListener('card-inserted', (e) =>
    send({ type: 'card', inserted: true, role: e.role, at: wallClockMs() }),
  );
  running.readers.prependListener('card-removed', (e) =>
    send({ type: 'card', inserted: false, role: e.role, at: wallClockMs() }),
  );
  if (message.timeline) noteTimeline(running);
  await running.registry.ready();
  await waitFor('the vpcd readers', () => running.readers.list().length === 2);
  send({ type: 'ready', port: running.address.port });
}
