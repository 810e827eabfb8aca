import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { WebSocketServer } from 'ws';
import type { Logger } from '@sscard/log';
import { AccessPolicy } from './access-policy.js';
import type { AgentActions, ReaderSource } from './agent-actions.js';
import { createHttpApp, type HttpAppOptions } from './http-app.js';
import { AgentMetrics } from './metrics.js';
import { isLoopbackAddress } from './access-policy.js';
import { createMinistrySocketServer } from './ministry-socket.js';
import type { PinFlow } from './pin-flow.js';
import { OPEN_ACCESS, WEBSOCKET_ENDPOINTS } from './route-table.js';
import { type AgentSocketServer, createSocketServer } from './socket-server.js';

export interface ApiServerOptions {
  host: string;
  port: number;
  allowedOrigins: readonly string[];
  allowedHosts: readonly string[];
  token: string;
  /** `api.legacyHisClients`: programs on this machine without an Origin may use the ministry interface. */
  legacyHisClients?: boolean;
  uiDir?: string | undefined;
  readers: ReaderSource;
  actions: AgentActions;
  pin: PinFlow;
  log: Logger;
  metrics?: AgentMetrics;
  health?: HttpAppOptions['health'];
  terminal: HttpAppOptions['terminal'];
  enrol?: HttpAppOptions['enrol'];
  outbox?: HttpAppOptions['outbox'];
  desk?: HttpAppOptions['desk'];
}

function refuseUpgrade(socket: Duplex, status: 401 | 403 | 404, code: string, message: string): void {
  const body = JSON.stringify({ code, message, details: {} });
  const reason = status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : 'Not Found';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/**
 * The local API: one HTTP server carrying REST, socket.io and the ministry WebSocket. Every
 * WebSocket upgrade goes through one dispatcher that applies the access policy first, so a
 * refused origin gets a 403 on either WebSocket endpoint instead of reaching a library's handler.
 */
export class ApiServer {
  readonly metrics: AgentMetrics;
  readonly policy: AccessPolicy;
  readonly #options: ApiServerOptions;
  readonly #http: HttpServer;
  readonly #io: AgentSocketServer;
  readonly #ministry: WebSocketServer;
  readonly #log: Logger;
  #socketIoUpgrade: ((req: IncomingMessage, socket: Duplex, head: Buffer) => void) | undefined;

  constructor(options: ApiServerOptions) {
    this.#options = options;
    this.metrics = options.metrics ?? new AgentMetrics();
    this.policy = new AccessPolicy({
      address: () => this.address(),
      allowedOrigins: options.allowedOrigins,
      allowedHosts: options.allowedHosts,
      token: options.token,
      legacyHisClients: options.legacyHisClients === true,
    });
    const log = options.log.child({ component: 'api' });
    this.#log = log;
    const app = createHttpApp({
      policy: this.policy,
      readers: options.readers,
      actions: options.actions,
      metrics: this.metrics,
      log,
      uiDir: options.uiDir,
      health: options.health ?? (() => ({ status: 'ok' })),
      terminal: options.terminal,
      enrol: options.enrol,
      outbox: options.outbox,
      desk: options.desk,
    });
    this.#http = createServer(app);
    this.#io = createSocketServer(this.#http, {
      policy: this.policy,
      readers: options.readers,
      actions: options.actions,
      pin: options.pin,
      desk: options.desk,
      metrics: this.metrics,
      log,
    });
    // socket.io installed its own upgrade listener; take it over so the policy runs first.
    const installed = this.#http.listeners('upgrade') as ((
      req: IncomingMessage,
      socket: Duplex,
      head: Buffer,
    ) => void)[];
    this.#socketIoUpgrade = installed[0];
    this.#http.removeAllListeners('upgrade');
    this.#ministry = createMinistrySocketServer({ actions: options.actions, metrics: this.metrics, log });
    this.#http.on('upgrade', (req, socket, head) => this.#upgrade(req, socket, head, log));
  }

  /** The address actually bound (the configured port may be 0). */
  address(): { host: string; port: number } {
    const address = this.#http.address() as AddressInfo | null;
    return { host: this.#options.host, port: address?.port ?? this.#options.port };
  }

  get socketServer(): AgentSocketServer {
    return this.#io;
  }

  listen(): Promise<{ host: string; port: number }> {
    this.#warnAboutExposure();
    return new Promise((resolve, reject) => {
      this.#http.once('error', reject);
      this.#http.listen(this.#options.port, this.#options.host, () => {
        this.#http.off('error', reject);
        resolve(this.address());
      });
    });
  }

  async close(): Promise<void> {
    for (const client of this.#ministry.clients) client.terminate();
    this.#ministry.close();
    // Closes socket.io's clients and the HTTP server. The server's close waits for every
    // connection to end, so requests still in flight (a read waiting on a slow card) are cut at
    // once rather than holding a shutdown up.
    const closed = new Promise<void>((resolve) => this.#io.close(() => resolve()));
    this.#http.closeAllConnections();
    await closed;
  }

  /** Settings that widen who may reach the card are said out loud at every start. */
  #warnAboutExposure(): void {
    const { host, legacyHisClients } = this.#options;
    if (!isLoopbackAddress(host) && host !== 'localhost') {
      this.#log.warn('the API listens beyond this machine: clients on the network need the bearer token', {
        host,
      });
    }
    if (legacyHisClients) {
      this.#log.warn(
        'api.legacyHisClients is on: any program on this machine may read cards through the ministry interface without a token',
      );
    }
  }

  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, log: Logger): void {
    socket.on('error', () => socket.destroy());
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const transport =
      path === WEBSOCKET_ENDPOINTS.ministry.path
        ? 'ministry-ws'
        : path.startsWith(WEBSOCKET_ENDPOINTS.socketIo.path)
          ? 'socket.io'
          : undefined;
    if (!transport) {
      refuseUpgrade(socket, 404, 'NOT_FOUND', `no WebSocket endpoint at ${path}`);
      return;
    }
    // socket.io checks the client (token in the handshake) in its middleware; the ministry
    // WebSocket has no handshake of its own, so its rule is applied here.
    const request = { headers: req.headers, remoteAddress: req.socket.remoteAddress };
    const decision =
      transport === 'ministry-ws'
        ? this.policy.check(request, WEBSOCKET_ENDPOINTS.ministry)
        : this.policy.check(request, OPEN_ACCESS);
    if (!decision.allowed) {
      this.metrics.accessDenied.inc({ transport, reason: decision.code });
      log.warn('WebSocket upgrade refused', { transport, reason: decision.code, origin: req.headers.origin });
      refuseUpgrade(socket, decision.status, decision.code, decision.message);
      return;
    }
    if (transport === 'ministry-ws') {
      this.#ministry.handleUpgrade(req, socket, head, (ws) => this.#ministry.emit('connection', ws, req));
    } else {
      this.#socketIoUpgrade?.(req, socket, head);
    }
  }
}
