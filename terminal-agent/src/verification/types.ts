import type { VerificationView } from '@sscard/agent-protocol';
import type { CardGeneration, SsseBasicInfo, SsseFieldName } from '@sscard/card-core';

/**
 * What the terminal read from a card, as the checks see it. The holder's fields are empty strings
 * when the card did not release them (a generation 3 card read without a PSAM).
 */
export interface CardSubject {
  atr: Buffer;
  info: SsseBasicInfo;
  generation: CardGeneration;
  /** Whether EF06 (the holder's data) was read. */
  holderDataRead: boolean;
  /**
   * The fields read when the terminal read only some (the `iReadCardBas` read); absent when every
   * field the card released was read. A check never judges a field that was not read.
   */
  fieldsRead?: ReadonlySet<SsseFieldName>;
}

/** Whether `field` was read from the card (holder fields only when the card released EF06). */
export function wasRead(subject: CardSubject, field: SsseFieldName): boolean {
  if (subject.fieldsRead) return subject.fieldsRead.has(field);
  return subject.holderDataRead || !HOLDER_FIELD_NAMES.has(field);
}

const HOLDER_FIELD_NAMES: ReadonlySet<SsseFieldName> = new Set([
  'ssn',
  'name',
  'nameExt',
  'gender',
  'ethnicity',
  'birthplace',
  'birthDate',
]);

// A report is what the agent's clients see of the checks (agent-protocol's `VerificationView`).
export type { CheckResult, CheckStatus } from '@sscard/agent-protocol';

/**
 * A check's finding: it held, or it did not and why, or it found out only while running that it
 * does not apply (the card turned out to have no debit application).
 */
export type Verdict = { ok: true } | { ok: false; reason: string } | { ok: 'skipped'; reason: string };

export const PASS: Verdict = { ok: true };
export function fail(reason: string): Verdict {
  return { ok: false, reason };
}
export function notApplicable(reason: string): Verdict {
  return { ok: 'skipped', reason };
}

/**
 * One named rule about a card. `skipReason` says when the rule cannot run on this card or terminal
 * (no debit application, no PSAM and no remote verifier); `run` decides. A rule that needs the
 * card talks to it through the context; a rule never changes the card's state.
 */
export interface CardCheck<Context extends CheckContext = CheckContext> {
  readonly name: string;
  readonly description: string;
  /**
   * The check sends commands to the card. Such checks do not run once an earlier check failed:
   * a card found not genuine gets no further commands.
   */
  readonly usesCard?: boolean;
  /**
   * The fields of `subject.info` the check reads, when it reads nothing else of the card's data
   * but the ATR and what the read's shape says (generation, whether EF06 was read, which fields
   * were). A check that says so and does not use the card may run while the card still answers
   * for fields it does not read (`CheckRegistry.runAhead`); without it, it runs once all is read.
   */
  readonly judges?: readonly SsseFieldName[];
  skipReason(context: Context): string | undefined;
  run(context: Context): Promise<Verdict>;
}

export interface CheckContext {
  subject: CardSubject;
  /** The instant the checks judge dates against. */
  now: Date;
}

export type VerificationReport = VerificationView;
