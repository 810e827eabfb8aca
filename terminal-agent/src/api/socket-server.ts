import type { Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import type { Logger } from '../log.js';
import { redact } from '../log.js';
import { isKeypadKey } from '../pinpad/keypad.js';
import type { AccessPolicy } from './access-policy.js';
import type { AgentActions, ReaderSource } from './agent-actions.js';
import type { CardReadView } from './card-view.js';
import type { AgentMetrics } from './metrics.js';
import type { PinFlow } from './pin-flow.js';
import { toProblem } from './problem.js';
import type {
  Ack,
  ClientToServerEvents,
  InterServerEvents,
  ServerToClientEvents,
  SocketData,
} from './socket-events.js';

export type AgentSocketServer = Server<
  ClientToServerEvents,
  ServerToClientEvents,
  InterServerEvents,
  SocketData
>;

export interface SocketServerOptions {
  policy: AccessPolicy;
  readers: ReaderSource;
  actions: AgentActions;
  pin: PinFlow;
  metrics: AgentMetrics;
  log: Logger;
}

function handshakeToken(auth: unknown): string | undefined {
  const token = (auth as { token?: unknown } | undefined)?.token;
  return typeof token === 'string' ? token : undefined;
}

/**
 * socket.io on the agent's HTTP server. The Host and Origin checks run in `allowRequest` (before
 * the handshake, for the polling transport; WebSocket upgrades are checked before they reach
 * socket.io, see server.ts) and the client check in the connection middleware, where the
 * handshake's `auth.token` is visible.
 */
export function createSocketServer(httpServer: HttpServer, options: SocketServerOptions): AgentSocketServer {
  const { policy, readers, actions, pin, metrics, log } = options;
  const io: AgentSocketServer = new Server(httpServer, {
    serveClient: false,
    maxHttpBufferSize: 16 * 1024,
    cors: {
      origin: (origin, callback) =>
        callback(null, origin !== undefined && policy.isAllowedCrossOrigin(origin)),
      methods: ['GET', 'POST'],
    },
    allowRequest: (req, callback) => {
      const decision = policy.check(req.headers, { requireClient: false });
      if (decision.allowed) return callback(null, true);
      metrics.accessDenied.inc({ transport: 'socket.io', reason: decision.code });
      log.warn('socket.io request refused', { reason: decision.code, origin: req.headers.origin });
      callback(decision.message, false);
    },
  });

  io.use((socket, next) => {
    const decision = policy.check(socket.handshake.headers, {
      requireClient: true,
      handshakeToken: handshakeToken(socket.handshake.auth),
    });
    if (!decision.allowed || decision.client === 'anonymous') {
      const code = decision.allowed ? 'TOKEN_REQUIRED' : decision.code;
      metrics.accessDenied.inc({ transport: 'socket.io', reason: code });
      next(Object.assign(new Error(code), { data: { code } }));
      return;
    }
    socket.data.client = decision.client;
    // A browser client without an Origin passed the policy on `Sec-Fetch-Site: same-origin`: the
    // long-polling handshake of the agent's own page, a same-origin GET that carries no Origin.
    socket.data.ownOrigin =
      decision.origin !== undefined ? policy.isOwnOrigin(decision.origin) : decision.client === 'browser';
    next();
  });

  const broadcastReaders = (): void => {
    io.emit('readers', readers.list());
  };
  readers.on('reader-added', (reader) => {
    io.emit('reader-added', reader);
    broadcastReaders();
  });
  readers.on('reader-removed', (reader) => {
    io.emit('reader-removed', reader);
    broadcastReaders();
  });
  readers.on('card-inserted', (event) => {
    io.emit('card-inserted', event);
    broadcastReaders();
  });
  readers.on('card-removed', (event) => {
    io.emit('card-removed', event);
    broadcastReaders();
  });
  actions.on('card-read', (result) => {
    io.emit('card-read', result);
    if (result.verification) io.emit('verification', result.verification);
  });
  actions.on('pin-result', (result) => io.emit('pin-result', result));
  actions.on('lost-card-report', (result) => io.emit('lost-card-report', result));
  pin.on('pin-required', (prompt) => io.emit('pin-required', prompt));
  pin.on('pin-progress', (progress) => io.emit('pin-progress', progress));

  function reply<T>(ack: unknown, work: () => Promise<T>): void {
    const respond = typeof ack === 'function' ? (ack as Ack<T>) : undefined;
    work().then(
      (result) => respond?.({ ok: true, result }),
      (error: unknown) => {
        const mapped = toProblem(error);
        if (mapped.unexpected) log.error('socket.io request failed', { error });
        respond?.({ ok: false, problem: redact(mapped.problem) as typeof mapped.problem });
      },
    );
  }

  io.on('connection', (socket) => {
    metrics.clients.inc({ transport: 'socket.io' });
    log.info('UI connected', { client: socket.data.client, origin: socket.handshake.headers.origin });
    socket.emit('readers', readers.list());
    socket.on('disconnect', () => {
      metrics.clients.dec({ transport: 'socket.io' });
      // The keypad is on the kiosk's page: with none left, no one can finish the entry.
      const keypadShown = [...io.sockets.sockets.values()].some(
        (s) => s.id !== socket.id && s.data.ownOrigin,
      );
      if (socket.data.ownOrigin && !keypadShown && pin.device === 'keypad') pin.cancel();
    });

    socket.on('pin-key', (key) => {
      // Keys only from the agent's own pages: a page of another origin must never type a PIN.
      if (!socket.data.ownOrigin || !isKeypadKey(key)) return;
      pin.pressKey(key);
    });
    socket.on('pin-cancel', () => pin.cancel());
    socket.on('read-card', (request, ack) => {
      const reader =
        typeof request?.reader === 'string' && request.reader.length > 0 ? request.reader : undefined;
      reply<CardReadView>(ack, () => actions.readCard({ reader }));
    });
    socket.on('verify-pin', (ack) => reply(ack, () => actions.verifyPin()));
    socket.on('change-pin', (ack) => reply(ack, () => actions.changePin()));
    socket.on('report-lost', (request, ack) => {
      const reader =
        typeof request?.reader === 'string' && request.reader.length > 0 ? request.reader : undefined;
      reply(ack, () => actions.reportLost({ reader }));
    });
  });

  return io;
}
