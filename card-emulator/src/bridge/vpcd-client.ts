import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';
import { type Logger, silentLogger } from '@sscard/log';
import type { SlotCard } from '../slot-card.js';
import { Backoff } from '@sscard/card-core';

/** vpcd's one-byte control messages (vsmartcard vpcd.h). Only GET ATR expects an answer. */
export const VPCD_CONTROL = { powerOff: 0, powerOn: 1, reset: 2, getAtr: 4 } as const;

export interface VpcdSlotOptions {
  port: number;
  host?: string;
  /** For logs and the control API, e.g. `Virtual PCD 00 00`. */
  name?: string;
  logger?: Logger;
  backoff?: { initialMs?: number; maxMs?: number };
  /**
   * How long the slot stays empty after a removal or a link drop before a card connects again.
   * pcscd polls vpcd for presence every 400 ms; a gap shorter than a poll is never seen, and the
   * new card would silently inherit the old card's PC/SC state and ATR. Default 1000 ms: at least
   * two polls, and still quicker than a hand swaps a card.
   */
  minAbsenceMs?: number;
}

export interface VpcdSlotEvents {
  connected: [];
  disconnected: [];
}

/** One TCP connection to vpcd: the card's presence in the slot, as vpcd sees it. */
class Link {
  closed = false;
  /** The TCP connection was established (a refused attempt never was). */
  opened = false;
  private pending = Buffer.alloc(0);
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly socket: Socket,
    private readonly handle: (message: Buffer) => Promise<Buffer | undefined>,
  ) {
    socket.on('data', (chunk) => this.receive(chunk));
  }

  private receive(chunk: Buffer): void {
    this.pending = Buffer.concat([this.pending, chunk]);
    while (this.pending.length >= 2) {
      const length = this.pending.readUInt16BE(0);
      if (this.pending.length < 2 + length) break;
      const message = Buffer.from(this.pending.subarray(2, 2 + length));
      this.pending = this.pending.subarray(2 + length);
      // vpcd waits for each answer before the next message; the queue keeps that order even when
      // a slow card answers asynchronously.
      this.queue = this.queue.then(async () => {
        const answer = await this.handle(message);
        if (answer && !this.closed) this.send(answer);
      });
    }
  }

  send(payload: Buffer): void {
    const header = Buffer.alloc(2);
    header.writeUInt16BE(payload.length);
    // One write, so header and payload leave in one segment.
    this.socket.write(Buffer.concat([header, payload]));
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }
}

/**
 * One vpcd reader slot, from the card's side. vpcd treats the TCP connection as the card's
 * presence: it polls with GET ATR about every 400 ms and sees a closed connection as removal. So
 * inserting a card connects, removing it disconnects, and a swap is a disconnect followed by a
 * connect of the new card. While a card is inserted the slot keeps reconnecting with back-off,
 * which carries it across pcscd restarts.
 */
export class VpcdSlot extends EventEmitter<VpcdSlotEvents> {
  readonly port: number;
  readonly host: string;
  readonly name: string;
  private slotCard: SlotCard | undefined;
  private link: Link | undefined;
  private retry: NodeJS.Timeout | undefined;
  private readonly backoff: Backoff;
  private readonly logger: Logger;
  private stopped = false;
  private readonly minAbsenceMs: number;
  /** When the last link went down; a new one waits until minAbsenceMs after it. */
  private absentSince = 0;

  constructor(options: VpcdSlotOptions) {
    super();
    this.port = options.port;
    this.host = options.host ?? '127.0.0.1';
    this.name = options.name ?? `vpcd:${options.port}`;
    this.logger = options.logger ?? silentLogger;
    this.backoff = new Backoff({
      initialMs: options.backoff?.initialMs ?? 50,
      maxMs: options.backoff?.maxMs ?? 2000,
    });
    this.minAbsenceMs = options.minAbsenceMs ?? 1000;
  }

  get card(): SlotCard | undefined {
    return this.slotCard;
  }

  /** True while a TCP connection to vpcd is open (vpcd may still be polling it in). */
  get connected(): boolean {
    return this.link !== undefined && !this.link.closed;
  }

  insert(card: SlotCard): void {
    if (this.stopped) return;
    if (this.slotCard) this.dropLink();
    this.slotCard = card;
    this.backoff.reset();
    this.connectAfterAbsence(0);
  }

  remove(): SlotCard | undefined {
    const card = this.slotCard;
    this.slotCard = undefined;
    this.dropLink();
    return card;
  }

  /** Takes the card out and puts another in; any APDU in flight for the old card is dropped unanswered. */
  swap(card: SlotCard): SlotCard | undefined {
    const old = this.remove();
    this.insert(card);
    return old;
  }

  /**
   * Drops the connection without taking the card out, as a contact or cable glitch: vpcd sees the
   * card leave, and the slot reconnects after back-off.
   */
  glitch(): void {
    const link = this.link;
    if (!link) return;
    this.link = undefined;
    const wasOpen = link.opened;
    link.close();
    this.absentSince = Date.now();
    if (wasOpen) this.emit('disconnected');
    this.connectAfterAbsence(0);
  }

  close(): void {
    this.stopped = true;
    this.remove();
  }

  private dropLink(): void {
    if (this.retry) clearTimeout(this.retry);
    this.retry = undefined;
    const link = this.link;
    this.link = undefined;
    if (link && !link.closed) {
      const wasOpen = link.opened;
      link.close();
      if (wasOpen) {
        this.absentSince = Date.now();
        this.emit('disconnected');
      }
    }
  }

  /** Connects once `delayMs` has passed and the slot has been empty for minAbsenceMs. */
  private connectAfterAbsence(delayMs: number): void {
    if (this.stopped || !this.slotCard || this.retry) return;
    const wait = Math.max(delayMs, this.absentSince + this.minAbsenceMs - Date.now());
    if (wait <= 0) {
      this.connectNow();
      return;
    }
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.connectNow();
    }, wait);
  }

  private scheduleReconnect(): void {
    this.connectAfterAbsence(this.backoff.next());
  }

  private connectNow(): void {
    const card = this.slotCard;
    if (!card || this.link) return;
    const socket = connect({ port: this.port, host: this.host, noDelay: true });
    const link: Link = new Link(
      socket,
      (message): Promise<Buffer | undefined> => this.handle(card, link, message),
    );
    this.link = link;
    socket.on('connect', () => {
      link.opened = true;
      this.backoff.reset();
      this.logger.info('vpcd.connected', { slot: this.name, card: card.id });
      this.emit('connected');
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      // ECONNREFUSED while pcscd is down or restarting is expected; the close handler retries.
      if (e.code !== 'ECONNREFUSED') this.logger.warn('vpcd.error', { slot: this.name, code: e.code });
    });
    socket.on('close', () => {
      if (this.link !== link) return;
      const wasOpen = link.opened && !link.closed;
      link.closed = true;
      this.link = undefined;
      if (wasOpen) {
        this.absentSince = Date.now();
        this.emit('disconnected');
      }
      this.scheduleReconnect();
    });
  }

  private async handle(card: SlotCard, link: Link, message: Buffer): Promise<Buffer | undefined> {
    if (message.length === 1) {
      switch (message[0]) {
        case VPCD_CONTROL.powerOff:
          card.powerOff();
          return undefined;
        case VPCD_CONTROL.powerOn:
          card.powerOn();
          return undefined;
        case VPCD_CONTROL.reset:
          card.reset();
          return undefined;
        case VPCD_CONTROL.getAtr:
          return card.atr;
        default:
          this.logger.warn('vpcd.unknown-control', { slot: this.name, code: message[0] });
          return undefined;
      }
    }
    if (card.takeLinkDrop()) {
      this.logger.info('vpcd.fault-disconnect', { slot: this.name, card: card.id });
      if (this.link === link) this.glitch();
      return undefined;
    }
    return card.exchange(message);
  }
}
