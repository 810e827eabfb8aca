export { type AccessDecision, AccessPolicy, bearerToken, type ClientKind } from './access-policy.js';
export type { AgentActionEvents, AgentActions, ReaderSource } from './agent-actions.js';
export {
  type CardReadView,
  type LostCardReportView,
  maskInfo,
  maskReadCardBas,
  type PinResultView,
  pinResultView,
  type RegistryView,
  registryView,
  type VerificationView,
} from './card-view.js';
export { AgentMetrics } from './metrics.js';
export {
  type CardInterfaceType,
  callMinistry,
  MINISTRY_FUNCTIONS,
  type MinistryBackend,
  type MinistryFunction,
  type MinistryResponse,
  type MinistryResult,
  parseIType,
  parseMinistryMessage,
  parseMinistryRequest,
} from './ministry.js';
export { MINISTRY_WS_PATH } from '@sscard/agent-protocol';
export { INITIAL_PIN } from '../apps/pin.js';
export { type PinOperation, PinFlow, type PinPrompt, type PinStep } from './pin-flow.js';
export { ApiProblem, type Problem, toProblem } from './problem.js';
export { ApiServer, type ApiServerOptions } from './server.js';
export type { Ack, ClientToServerEvents, ServerToClientEvents, SocketData } from './socket-events.js';
export { ensureApiToken, readApiToken, TokenFileError, tokenMatches } from './token.js';
