import { randomBytes } from 'node:crypto';
import { VpcdSlot } from '@sscard/card-emulator/bridge/vpcd-client';
import { createCard, createPsam, demoCardDocuments, generateKeyset } from '@sscard/card-emulator/cards/index';
import { CardWithFaults, type Fault } from '@sscard/card-emulator/faults';
import { ObservedSlotCard, type SlotCard } from '@sscard/card-emulator/slot-card';

/** One event at a card's contacts, as the card saw it. */
export interface TapeEntry {
  /** 0 = the citizen's card (vpcd slot 0), 1 = the PSAM (slot 1). */
  slot: number;
  kind: 'apdu' | 'power-on' | 'power-off' | 'reset';
  command?: string;
  response?: string;
}

/** What reached the cards while recording is on: the ground truth of "the same APDU sequence". */
export class Tape {
  recording = false;
  entries: TapeEntry[] = [];

  start(): void {
    this.entries = [];
    this.recording = true;
  }

  stop(): TapeEntry[] {
    this.recording = false;
    return this.entries;
  }

  add(entry: TapeEntry): void {
    if (this.recording) this.entries.push(entry);
  }
}

/** A slot card that notes every power event and exchange on the tape, then answers as the card does. */
function recordingSlotCard(inner: CardWithFaults, slot: number, tape: Tape): SlotCard {
  return new ObservedSlotCard(inner, {
    power: (kind) => tape.add({ slot, kind }),
    answer: (command, response) =>
      tape.add({ slot, kind: 'apdu', command, ...(response ? { response } : {}) }),
  });
}

export type CardChoice = 'gen2' | 'gen3';

export interface VirtualCards {
  readonly tape: Tape;
  readonly description: string;
  /** Puts the card in vpcd slot `ports[0]` and the PSAM in `ports[1]`. */
  insert(ports: readonly [number, number]): void;
  setFault(fault: Fault): void;
  remove(): void;
}

/**
 * The emulator's demo card of the chosen generation and a PSAM from the same issuer keyset. The
 * card's GET CHALLENGE is fixed for the whole run, so that the EXTERNAL AUTHENTICATE cryptogram
 * recorded from the agent is still valid when the baselines replay it and every replayed APDU
 * gets the answer the agent got (checked, not assumed: see `compareTapes`).
 */
export function createVirtualCards(choice: CardChoice): VirtualCards {
  const keyset = generateKeyset();
  const spec = choice === 'gen3' ? '3.00' : '2.00';
  const doc = demoCardDocuments().find((d) => d.card.specVersion === spec);
  if (!doc) throw new Error(`the emulator has no demo card with specification ${spec}`);
  const challenge = randomBytes(16);
  const fixedRandom = (length: number) => Buffer.from(challenge.subarray(0, length));
  const tape = new Tape();
  const card = new CardWithFaults(createCard(doc, keyset, { random: fixedRandom }));
  const psam = new CardWithFaults(createPsam(keyset));
  const recorded = [recordingSlotCard(card, 0, tape), recordingSlotCard(psam, 1, tape)];
  let slots: VpcdSlot[] = [];
  return {
    tape,
    description: `demo card generation ${choice === 'gen3' ? 3 : 2} (${doc.card.cardNumber}) + PSAM`,
    insert(ports) {
      slots = ports.map((port) => new VpcdSlot({ port, backoff: { initialMs: 50, maxMs: 500 } }));
      slots.forEach((slot, i) => {
        slot.insert(recorded[i]!);
      });
    },
    setFault(fault) {
      card.fault = fault;
      psam.fault = fault;
    },
    remove() {
      for (const slot of slots) slot.close();
      slots = [];
    },
  };
}

/**
 * The first difference between the APDU exchanges of two tapes (order, slot, command and answer),
 * or undefined when they are identical. Power events are left out: pcscd powers cards up and down
 * on its own schedule too (at insertion, after idle time), so their interleaving is not the client's.
 */
export function compareTapes(
  expectedTape: readonly TapeEntry[],
  actualTape: readonly TapeEntry[],
): string | undefined {
  const expected = expectedTape.filter((e) => e.kind === 'apdu');
  const actual = actualTape.filter((e) => e.kind === 'apdu');
  const n = Math.max(expected.length, actual.length);
  for (let i = 0; i < n; i++) {
    const a = expected[i];
    const b = actual[i];
    if (JSON.stringify(a) !== JSON.stringify(b)) {
      return `APDU ${i + 1}: expected ${JSON.stringify(a) ?? 'nothing'}, got ${JSON.stringify(b) ?? 'nothing'}`;
    }
  }
  return undefined;
}

/**
 * The same comparison card by card: each card must see the same APDUs in the same order with the
 * same answers, but how the two cards' exchanges interleave is left open. A client that keeps the
 * card and the PSAM busy at once (the agent) puts the same sequence on each card as a client that
 * makes the same calls one after another, in a different interleaving.
 */
export function compareTapesPerCard(
  expectedTape: readonly TapeEntry[],
  actualTape: readonly TapeEntry[],
): string | undefined {
  for (const slot of [0, 1]) {
    const diff = compareTapes(
      expectedTape.filter((e) => e.slot === slot),
      actualTape.filter((e) => e.slot === slot),
    );
    if (diff) return `${slot === 0 ? 'card' : 'PSAM'}: ${diff}`;
  }
  return undefined;
}

/** Power events per slot, e.g. `card on 1 off 1, PSAM on 1 off 1`. */
export function powerEvents(tape: readonly TapeEntry[]): string {
  const count = (slot: number, kind: TapeEntry['kind']) =>
    tape.filter((e) => e.slot === slot && e.kind === kind).length;
  return [0, 1]
    .map(
      (slot) =>
        `${slot === 0 ? 'card' : 'PSAM'} on ${count(slot, 'power-on')} off ${count(slot, 'power-off')}`,
    )
    .join(', ');
}
