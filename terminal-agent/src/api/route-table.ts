/**
 * Who may call each route of the local API: the one place that says so. Every HTTP route and
 * every WebSocket endpoint the agent serves is a line here, and the server mounts exactly these
 * routes with the access they name, matched case-sensitively. A path that is not in the table is
 * not an API route: it can only be a file of the kiosk UI or a 404. There is no path-prefix rule
 * to get around, by letter case, `%2F` or a trailing slash.
 *
 * Adding a route is one line here (method, path, access) and its handler in `http-app.ts`; the
 * handler table is typed by this one, so a route without a handler, or a handler without a route,
 * does not compile.
 *
 * Access levels:
 * - `open`: any client that passes the Host and Origin checks (health, for monitoring).
 * - `client`: a page of an allowed origin, the agent's own pages, or a client with the bearer
 *   token. A peer on another machine needs the token whatever its headers say.
 * - `token`: the bearer token only (the operator's tools); a browser page gets 403.
 *
 * `legacyHis` marks the ministry interface: with `api.legacyHisClients` on, a program on this
 * machine that sends no Origin (HIS desktop software that cannot carry a token) may call it.
 */

import { AGENT_API_PATHS, MINISTRY_HSM_PATH, MINISTRY_WS_PATH } from '@sscard/agent-protocol';
import { DESK_API_PATHS } from '@sscard/agent-protocol/settlement';

export type RouteAccess = 'open' | 'client' | 'token';

export type HttpMethod = 'GET' | 'POST';

/** What the access policy needs to know of a route. */
export interface AccessRule {
  access: RouteAccess;
  legacyHis?: boolean;
}

export interface HttpRouteRule extends AccessRule {
  /** The methods served; another method on the path is answered 405. */
  methods: readonly HttpMethod[];
  /** An Express path, matched case-sensitively. */
  path: string;
}

export interface WebSocketRule extends AccessRule {
  /** The upgrade's path, compared exactly (socket.io: as the prefix of its own transport paths). */
  path: string;
}

export const HTTP_ROUTES = {
  health: { methods: ['GET'], path: '/healthz', access: 'open' },
  metrics: { methods: ['GET'], path: '/metrics', access: 'client' },
  // The page's mode (kiosk, desk, bank) and the desk's institution for its slips.
  terminal: { methods: ['GET'], path: AGENT_API_PATHS.terminal, access: 'client' },
  readers: { methods: ['GET'], path: AGENT_API_PATHS.readers, access: 'client' },
  cardRead: { methods: ['POST'], path: AGENT_API_PATHS.readCard, access: 'client' },
  pinVerify: { methods: ['POST'], path: AGENT_API_PATHS.verifyPin, access: 'client' },
  pinChange: { methods: ['POST'], path: AGENT_API_PATHS.changePin, access: 'client' },
  reportLost: { methods: ['POST'], path: AGENT_API_PATHS.reportLost, access: 'client' },
  bankPinBlock: { methods: ['POST'], path: AGENT_API_PATHS.bankPinBlock, access: 'client' },
  bankWithdrawal: { methods: ['POST'], path: AGENT_API_PATHS.bankWithdrawal, access: 'client' },
  bankBalance: { methods: ['POST'], path: AGENT_API_PATHS.bankBalance, access: 'client' },
  // The citizen's services on the card in the reader, PIN first: the handlers decide the terminal
  // types (summary: kiosk; certification: kiosk and bank), whoever calls.
  citizenSummary: { methods: ['POST'], path: AGENT_API_PATHS.citizenSummary, access: 'client' },
  pensionCertification: { methods: ['POST'], path: AGENT_API_PATHS.pensionCertification, access: 'client' },
  // A bureau counter's PIN reload and unblock on a clerk's authorisation: bureau terminals only,
  // which the handlers decide from the terminal's mode, whoever calls.
  bureauClerk: { methods: ['POST'], path: AGENT_API_PATHS.bureauClerk, access: 'client' },
  pinAuthorisation: { methods: ['POST'], path: AGENT_API_PATHS.pinAuthorisation, access: 'client' },
  pinManagement: { methods: ['POST'], path: AGENT_API_PATHS.pinManagement, access: 'client' },
  enrol: { methods: ['POST'], path: AGENT_API_PATHS.enrol, access: 'token' },
  outbox: { methods: ['GET'], path: AGENT_API_PATHS.outbox, access: 'token' },
  outboxUnpark: { methods: ['POST'], path: AGENT_API_PATHS.outboxUnpark, access: 'token' },
  ministry: { methods: ['GET', 'POST'], path: '/ministry/:fn', access: 'client', legacyHis: true },
  ministryHsmStep: { methods: ['POST'], path: MINISTRY_HSM_PATH, access: 'client', legacyHis: true },
  // The desk's medical settlement: for the HIS and the desk screen. Hospital and pharmacy
  // terminals only, which the handlers decide from the terminal's certificate, whoever calls
  // (`terminal-mode.ts`); the bank routes above likewise for bank terminals.
  settlementVisits: { methods: ['POST'], path: DESK_API_PATHS.visits, access: 'client' },
  settlementBillLines: { methods: ['POST'], path: DESK_API_PATHS.billLines, access: 'client' },
  settlementPreSettle: { methods: ['POST'], path: DESK_API_PATHS.preSettle, access: 'client' },
  settlementSettle: { methods: ['POST'], path: DESK_API_PATHS.settle, access: 'client' },
  settlementCancel: { methods: ['POST'], path: DESK_API_PATHS.cancel, access: 'client' },
  settlementReversals: { methods: ['POST'], path: DESK_API_PATHS.reversals, access: 'client' },
  settlementDay: { methods: ['GET'], path: DESK_API_PATHS.day, access: 'client' },
  settlementPending: { methods: ['GET'], path: DESK_API_PATHS.pending, access: 'client' },
  settlementReconciliation: { methods: ['GET'], path: DESK_API_PATHS.reconciliation, access: 'client' },
} as const satisfies Record<string, HttpRouteRule>;

export type HttpRouteName = keyof typeof HTTP_ROUTES;

export const WEBSOCKET_ENDPOINTS = {
  ministry: { path: MINISTRY_WS_PATH, access: 'client', legacyHis: true },
  /** socket.io checks the client in its connection middleware, where `auth.token` is visible. */
  socketIo: { path: '/socket.io/', access: 'client' },
} as const satisfies Record<string, WebSocketRule>;

/** Static files of the kiosk UI and CORS preflight requests: the Host and Origin checks alone. */
export const OPEN_ACCESS: AccessRule = { access: 'open' };
