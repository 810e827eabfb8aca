/**
 * The socket.io protocol between the agent and its UIs is agent-protocol's; what stays here is
 * the server's own side of it.
 */
export type { Ack, ClientToServerEvents, ServerToClientEvents } from '@sscard/agent-protocol';

/** The agent runs one process per terminal: no events between servers. */
export type InterServerEvents = Record<string, never>;

export interface SocketData {
  client: 'browser' | 'token';
  /** Only the agent's own pages (the kiosk UI) may type on the on-screen keypad. */
  ownOrigin: boolean;
}
