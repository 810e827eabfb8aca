import { VpcdSlot } from '@sscard/card-emulator/bridge/vpcd-client';
import type { Slot } from '@sscard/card-emulator/control/emulator';
import { ObservedSlotCard, type SlotCard } from '@sscard/card-emulator/slot-card';

/** One APDU at the card's contacts: when the command reached the card and when its answer left. */
export interface ContactApdu {
  /** Wall-clock milliseconds, `performance.timeOrigin + performance.now()`: the command arrived. */
  sentAt: number;
  /** The card's answer left (after its latency). */
  at: number;
  command: Buffer;
  response: Buffer;
}

export const wallClockMs = (): number => performance.timeOrigin + performance.now();

/**
 * A vpcd slot for the emulator's control API whose card answers through a recorder: every APDU
 * the card answers is noted with when its command arrived and when its answer left. `card` is the emulator's own card object, so that the
 * control API sees the card it inserted (and can set its fault), while vpcd talks to the wrapper.
 */
export class RecordedVpcdSlot implements Slot {
  readonly kind = 'pcsc' as const;
  readonly apdus: ContactApdu[] = [];
  /** Set while a card is asked for timeline marks (`--timeline`). */
  mark: ((what: string, at: number) => void) | undefined;
  #card: SlotCard | undefined;
  readonly #vpcd: VpcdSlot;

  constructor(
    readonly name: string,
    port: number,
  ) {
    this.#vpcd = new VpcdSlot({ port, name, backoff: { initialMs: 50, maxMs: 300 } });
  }

  get card(): SlotCard | undefined {
    return this.#card;
  }

  insert(card: SlotCard): void {
    this.#card = card;
    // Commands reach the card one at a time: the one answered next is the one that came last.
    let sentAt = Number.NaN;
    this.#vpcd.insert(
      new ObservedSlotCard(card, {
        power: (event) => this.mark?.(`card ${event}`, wallClockMs()),
        command: (hex) => {
          sentAt = wallClockMs();
          this.mark?.(`card ← ${hex.slice(0, 8)}`, sentAt);
          return undefined;
        },
        answer: (command, response) => {
          const at = wallClockMs();
          this.mark?.(`card → ${command.slice(0, 8)}: ${response?.slice(-4) ?? 'mute'}`, at);
          if (response === undefined) return;
          this.apdus.push({
            sentAt,
            at,
            command: Buffer.from(command, 'hex'),
            response: Buffer.from(response, 'hex'),
          });
        },
      }),
    );
  }

  remove(): SlotCard | undefined {
    this.#vpcd.remove();
    const card = this.#card;
    this.#card = undefined;
    return card;
  }

  close(): void {
    this.#vpcd.close();
  }
}
