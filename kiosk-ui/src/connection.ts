import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from './protocol.js';

export type AgentSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/**
 * The socket.io connection to the agent that served this page (same origin, so no token).
 *
 * WebSocket only: the agent decides at the handshake whether a client is one of its own pages,
 * from the Origin header, and only its own pages may type on the PIN keypad. A WebSocket handshake
 * always carries Origin; the long-polling handshake is a same-origin GET, which carries none.
 */
export function connectAgent(): AgentSocket {
  const socket: AgentSocket = io({
    transports: ['websocket'],
    reconnection: true,
    reconnectionDelay: 1_000,
    reconnectionDelayMax: 5_000,
    randomizationFactor: 0.3,
  });
  // socket.io stops retrying after the server refused the connection (middleware error) or
  // closed it on purpose; a kiosk must keep trying until the agent takes it back.
  let retry: ReturnType<typeof setTimeout> | undefined;
  const retryLater = (): void => {
    if (socket.active || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      if (!socket.connected) socket.connect();
    }, 5_000);
  };
  socket.on('connect_error', retryLater);
  socket.on('disconnect', retryLater);
  return socket;
}
