import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from './protocol.js';

export type AgentSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/**
 * The socket.io connection to the agent that served this page (same origin, so no token).
 *
 * WebSocket first, long polling where a WebSocket cannot be opened (a proxy or a locked-down
 * browser in front of the kiosk). The agent recognises its own page either way: a WebSocket
 * handshake carries Origin, the polling handshake is a same-origin GET with `Sec-Fetch-Site`.
 */
export function connectAgent(): AgentSocket {
  const socket: AgentSocket = io({
    transports: ['websocket', 'polling'],
    tryAllTransports: true,
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
