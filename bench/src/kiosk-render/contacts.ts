import { VpcdSlot } from '@sscard/card-emulator/bridge/vpcd-client';
import type { Slot } from '@sscard/card-emulator/control/emulator';
import { ObservedSlotCard, type SlotCard } from '@sscard/card-emulator/slot-card';

/** One APDU at the card's contacts, stamped when the card's answer left (after its latency). */
export interface ContactApdu {
  /** Wall-clock milliseconds, `performance.timeOrigin + performance.now()`. */
  at: number;
  command: Buffer;
  response: Buffer;
}

export const wallClockMs = (): number => performance.timeOrigin + performance.now();

/**
 * A vpcd slot for the emulator's control API whose card answers through a recorder: every APDU
 * the card answers is noted with its time. `card` is the emulator's own card object, so that the
 * control API sees the card it inserted (and can set its fault), while vpcd talks to the wrapper.
 */
export class RecordedVpcdSlot implements Slot {
  readonly kind = 'pcsc' as const;
  readonly apdus: ContactApdu[] = [];
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
    this.#vpcd.insert(
      new ObservedSlotCard(card, {
        answer: (command, response) => {
          if (response === undefined) return;
          this.apdus.push({
            at: wallClockMs(),
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
