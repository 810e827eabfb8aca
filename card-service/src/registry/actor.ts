import type { AuditInput } from '../audit/audit-log.js';
import type { TerminalType } from '@sscard/registry-protocol';

/** Who is acting: an operator (by token id), a terminal (by id and type), or the service itself. */
export type Actor =
  | { kind: 'operator'; id: string }
  | { kind: 'terminal'; id: string; type: TerminalType; region: string }
  | { kind: 'system'; id: string };

/** Who may ask for a card's transition: operators at the bureau, a terminal of a given type, or the system itself. */
export type ActorKind = 'operator' | TerminalType | 'system';

export const SYSTEM: Actor = { kind: 'system', id: 'sscard-service' };

export const actorKind = (a: Actor): ActorKind => (a.kind === 'terminal' ? a.type : a.kind);

export const actorLabel = (a: Actor): string => `${a.kind === 'terminal' ? a.type : a.kind}:${a.id}`;

export const auditActor = (a: Actor): Pick<AuditInput, 'terminalId' | 'operatorId'> =>
  a.kind === 'terminal'
    ? { terminalId: a.id, operatorId: null }
    : { terminalId: null, operatorId: a.kind === 'operator' ? a.id : a.id };
