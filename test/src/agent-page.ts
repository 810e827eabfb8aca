import type { ClientToServerEvents, ServerToClientEvents } from '@sscard/agent-protocol';
import { io, type Socket } from 'socket.io-client';

export type AgentSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/**
 * The agent's own page (the kiosk page, the desk screen) as a browser opens it over long polling:
 * a same-origin GET handshake with no Origin header and no token, which must still count as the
 * agent's own page. Resolves once connected.
 */
export async function openAgentPage(base: string): Promise<AgentSocket> {
  const socket: AgentSocket = io(base, {
    transports: ['polling'],
    extraHeaders: { 'sec-fetch-site': 'same-origin' },
    reconnection: false,
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  return socket;
}
