import type { AuditInput } from '../audit/audit-log.js';
import type { ActorKind, TerminalType } from '../lifecycle/transitions.js';

/** Who is acting: an operator (by token id), a terminal (by id and type), or the service itself. */
export type Actor =
  | { kind: 'operator'; id: string }
  | { kind: 'terminal'; id: string; type: TerminalType; region: string }
  | { kind: 'system'; id: string };

export const SYSTEM: Actor = { kind: 'system', id: 'sscard-service' };

export const actorKind = (a: Actor): ActorKind => (a.kind === 'terminal' ? a.type : a.kind);

export const actorLabel = (a: Actor): string => `${a.kind === 'terminal' ? a.type : a.kind}:${a.id}`;

export const auditActor = (a: Actor): Pick<AuditInput, 'terminalId' | 'operatorId'> =>
  a.kind === 'terminal'
    ? { terminalId: a.id, operatorId: null }
    : { terminalId: null, operatorId: a.kind === 'operator' ? a.id : a.id };
