import type { CardWithFaults } from '@sscard/card-emulator/faults';
import { ObservedSlotCard } from '@sscard/card-emulator/slot-card';

/**
 * One event at a card's contacts: a command arriving, or the card's answer leaving. Cards and
 * agent share the test's event loop, so the log's order is the order things happened in.
 */
export interface ApduEvent {
  card: string;
  kind: 'received' | 'answered' | 'note';
  /** Upper-case hex; for a note, what the test marked. */
  command: string;
  response?: string;
}

/** Every APDU event of the cards logged through it, in order, shared by several slots. */
export class ApduLog {
  readonly events: ApduEvent[] = [];

  /** Marks a moment the test observed (a call settling), to order card events against it. */
  note(what: string): void {
    this.events.push({ card: '', kind: 'note', command: what });
  }

  clear(): void {
    this.events.length = 0;
  }

  /** Position of the first event matching, or -1. */
  indexOf(match: (e: ApduEvent) => boolean, from = 0): number {
    for (let i = from; i < this.events.length; i++) if (match(this.events[i]!)) return i;
    return -1;
  }

  /** The commands a card received, in order. */
  commands(card: string): string[] {
    return this.events.filter((e) => e.card === card && e.kind === 'received').map((e) => e.command);
  }
}

/**
 * A slot card that notes each command when it arrives and each answer when it leaves, and may
 * act on a command before the card sees it (`onCommand`: pull the card, for instance; answering
 * undefined leaves the command unanswered, as a card pulled mid-command does).
 */
export class LoggedCard extends ObservedSlotCard<CardWithFaults> {
  onCommand: ((command: string) => 'unanswered' | undefined) | undefined;

  constructor(
    inner: CardWithFaults,
    readonly name: string,
    log: ApduLog,
  ) {
    const events = log.events;
    // The observer is built before `this` exists; it reaches `onCommand` through this box.
    const self: { card?: LoggedCard } = {};
    super(inner, {
      command: (command) => {
        events.push({ card: name, kind: 'received', command });
        return self.card?.onCommand?.(command);
      },
      answer: (command, response) =>
        events.push({ card: name, kind: 'answered', command, ...(response ? { response } : {}) }),
    });
    self.card = this;
  }
}
