import type { Server as HttpServer } from 'node:http';
import { deskSettleRequest } from '@sscard/agent-protocol/settlement';
import { Server, type Socket } from 'socket.io';
import type { Logger } from '@sscard/log';
import { redact } from '@sscard/log';
import { isKeypadKey } from '@sscard/agent-protocol';
import { AGENT_REQUEST_BODIES as BODIES } from '@sscard/agent-protocol/schemas';
import type { AccessPolicy } from './access-policy.js';
import type { AgentActions, ReaderSource } from './agent-actions.js';
import type { CardReadView } from './card-view.js';
import type { DeskActions } from './desk-actions.js';
import type { AgentMetrics } from './metrics.js';
import type { PinFlow } from './pin-flow.js';
import { ApiProblem, toProblem } from './problem.js';
import { parseBody } from './request-body.js';
import { OPEN_ACCESS, WEBSOCKET_ENDPOINTS } from './route-table.js';
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

type AgentSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/** The sockets of the terminal's own UI (the kiosk pages the agent serves). */
const OWN_UI_ROOM = 'own-ui';

export interface SocketServerOptions {
  policy: AccessPolicy;
  readers: ReaderSource;
  actions: AgentActions;
  /** The desk's settlement steps go to the terminal's own UI (the desk screen). */
  desk?: DeskActions | undefined;
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
      const decision = policy.check(
        { headers: req.headers, remoteAddress: req.socket.remoteAddress },
        OPEN_ACCESS,
      );
      if (decision.allowed) return callback(null, true);
      metrics.accessDenied.inc({ transport: 'socket.io', reason: decision.code });
      log.warn('socket.io request refused', { reason: decision.code, origin: req.headers.origin });
      callback(decision.message, false);
    },
  });

  io.use((socket, next) => {
    const decision = policy.check(
      { headers: socket.handshake.headers, remoteAddress: socket.request.socket.remoteAddress },
      WEBSOCKET_ENDPOINTS.socketIo,
      handshakeToken(socket.handshake.auth),
    );
    if (!decision.allowed || (decision.client !== 'browser' && decision.client !== 'token')) {
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
  // A card's data go to the terminal's own UI and to the client that asked for them, never to
  // every page that happens to be connected (a cross-origin HIS page sees only its own reads).
  const ownUi = io.to(OWN_UI_ROOM);
  actions.on('card-read', (result) => {
    ownUi.emit('card-read', result);
    if (result.verification) ownUi.emit('verification', result.verification);
  });
  actions.on('pin-result', (result) => ownUi.emit('pin-result', result));
  actions.on('lost-card-report', (result) => ownUi.emit('lost-card-report', result));
  options.desk?.on('settlement-step', (event) => ownUi.emit('settlement-step', event));
  // Prompts go to the own UI (it shows the keypad or "use the PIN pad") and to the entry's owner.
  const toOwnUiAndOwner = () => {
    const owner = pin.owner;
    return owner === undefined ? ownUi : io.to(OWN_UI_ROOM).to(owner);
  };
  pin.on('pin-required', (prompt) => toOwnUiAndOwner().emit('pin-required', prompt));
  pin.on('pin-progress', (progress) => toOwnUiAndOwner().emit('pin-progress', progress));

  /** The asking client's own copy of an announcement, unless it already got it as the own UI. */
  function toAsker<E extends 'card-read' | 'verification' | 'pin-result' | 'lost-card-report'>(
    socket: AgentSocket,
    event: E,
    ...args: Parameters<ServerToClientEvents[E]>
  ): void {
    if (!socket.data.ownOrigin) socket.emit(event, ...args);
  }

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
    if (socket.data.ownOrigin) void socket.join(OWN_UI_ROOM);
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
    // Only the client that started an entry may cancel it; the citizen can always cancel on the
    // PIN pad or the keypad itself.
    socket.on('pin-cancel', () => {
      if (!pin.cancelFor(socket.id)) log.info('pin-cancel ignored: not the entry of this client');
    });
    // The same schemas as the REST bodies: a request they refuse is answered with their problem.
    socket.on('read-card', (request, ack) => {
      reply<CardReadView>(ack, async () => {
        const { reader } = parseBody(BODIES.readCard, request);
        const result = await actions.readCard({ reader });
        toAsker(socket, 'card-read', result);
        if (result.verification) toAsker(socket, 'verification', result.verification);
        return result;
      });
    });
    socket.on('verify-pin', (ack) =>
      reply(ack, async () => {
        const result = await actions.verifyPin({ owner: socket.id });
        toAsker(socket, 'pin-result', result);
        return result;
      }),
    );
    socket.on('change-pin', (ack) =>
      reply(ack, async () => {
        const result = await actions.changePin({ owner: socket.id });
        toAsker(socket, 'pin-result', result);
        return result;
      }),
    );
    socket.on('settle', (request, ack) =>
      reply(ack, async () => {
        const desk = options.desk;
        if (!desk) throw new ApiProblem(404, 'NOT_FOUND', 'this agent has no card-service configured');
        desk.guard();
        return desk.settle(parseBody(deskSettleRequest, request), socket.id);
      }),
    );
    // The citizen's services: the client that asks owns the PIN entry and may cancel it.
    socket.on('citizen-summary', (request, ack) =>
      reply(ack, async () => {
        const { reader } = parseBody(BODIES.citizenSummary, request ?? {});
        const result = await actions.citizenSummary({ reader, owner: socket.id });
        toAsker(socket, 'pin-result', result.pin);
        return result;
      }),
    );
    socket.on('certify-pension', (request, ack) =>
      reply(ack, async () => {
        const { reader } = parseBody(BODIES.pensionCertification, request ?? {});
        const result = await actions.certifyPension({ reader, owner: socket.id });
        toAsker(socket, 'pin-result', result.pin);
        return result;
      }),
    );
    socket.on('report-lost', (request, ack) => {
      reply(ack, async () => {
        const { reader } = parseBody(BODIES.reportLost, request);
        const result = await actions.reportLost({ reader });
        toAsker(socket, 'lost-card-report', result);
        return result;
      });
    });
  });

  return io;
}
