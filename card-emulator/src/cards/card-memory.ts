import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { SW, ValidationError, encodeResponse } from '@sscard/card-core';
import { z } from 'zod';
import { PassThroughCard, type VirtualCard } from '../virtual-card.js';
import type { SsseCard, SsseCardMemory } from './ssse/ssse-card.js';

const FORMAT = 'sscard-card-memory/1';
const hex = z.string().regex(/^(?:[0-9A-F]{2})+$/, 'upper-case hex bytes');
const counter = z.number().int().min(0).max(0xffff);

const memoryFileSchema = z.object({
  format: z.literal(FORMAT),
  card: z.string(),
  memory: z.object({
    cardIdCode: z.string().regex(/^[0-9A-F]{32}$/),
    ssse: z.object({
      pin: z.object({ bcd: z.string().regex(/^[0-9]{6}$/), triesLeft: z.number().int().min(0).max(3) }),
      ef05: z.array(hex),
      ef06: z.array(hex),
    }),
    debit: z.object({ atc: counter, lastOnlineAtc: counter }).optional(),
  }),
});

/** A memory file that cannot be read, parsed or loaded into its card. */
export class CardMemoryError extends ValidationError {}

/** Card ids name files: card numbers are 8 digits/capitals and a check character. */
const SAFE_ID = /^[0-9A-Za-z][0-9A-Za-z_-]{0,63}$/;

/**
 * Where virtual cards keep their memory between emulator runs: one JSON file per card in a
 * directory, `<card id>.json`, mode 0600 (it holds the PIN, as the chip does). Each write is
 * crash-safe: a temporary file is written and fsynced, renamed over the old one, and the
 * directory fsynced, so after a crash the file is the old memory or the new, never a mix.
 */
export class CardMemoryStore {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  pathOf(cardId: string): string {
    if (!SAFE_ID.test(cardId))
      throw new CardMemoryError('CARD_MEMORY_ID', `card id ${cardId} cannot name a file`);
    return join(this.dir, `${cardId}.json`);
  }

  /** The memory the card wrote last, or undefined for a card that never wrote any. */
  read(cardId: string): SsseCardMemory | undefined {
    const path = this.pathOf(cardId);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new CardMemoryError('CARD_MEMORY_UNREADABLE', `${path}: ${(e as Error).message}`, { path });
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      throw new CardMemoryError('CARD_MEMORY_INVALID', `${path}: not JSON`, { path });
    }
    const parsed = memoryFileSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new CardMemoryError('CARD_MEMORY_INVALID', `${path}: ${issue.path.join('.')}: ${issue.message}`, {
        path,
      });
    }
    if (parsed.data.card !== cardId) {
      throw new CardMemoryError(
        'CARD_MEMORY_INVALID',
        `${path} holds the memory of card ${parsed.data.card}`,
        {
          path,
        },
      );
    }
    const { debit, ...rest } = parsed.data.memory;
    return debit ? { ...rest, debit } : rest;
  }

  write(cardId: string, memory: SsseCardMemory): void {
    const path = this.pathOf(cardId);
    const text = `${JSON.stringify({ format: FORMAT, card: cardId, memory }, null, 2)}\n`;
    writeFileAtomically(path, text);
  }
}

function writeFileAtomically(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  // The rename is durable only once the directory entry is.
  const dirFd = openSync(dirname(path), 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

/**
 * A social security card whose memory lives in a `CardMemoryStore`, as a chip's EEPROM outlives
 * its power: what the card last wrote is loaded when the card is made, and a command that changes
 * the memory (a PIN try, a PIN change, a record update, a transaction counter) is answered only
 * after the new memory is on disk. When the write fails the card's memory goes back to what is on
 * disk and the command is answered `6581` (memory failure), as a chip whose EEPROM write failed:
 * a terminal never sees success for a change that would not survive.
 */
export class MemoryBackedCard extends PassThroughCard<SsseCard> implements VirtualCard {
  #stored: string;

  constructor(
    inner: SsseCard,
    private readonly store: CardMemoryStore,
  ) {
    super(inner);
    const saved = store.read(inner.id);
    if (saved) {
      try {
        inner.restoreMemory(saved);
      } catch (e) {
        throw new CardMemoryError(
          'CARD_MEMORY_MISMATCH',
          `${store.pathOf(inner.id)}: ${(e as Error).message}`,
        );
      }
    }
    this.#stored = JSON.stringify(inner.memory());
  }

  transmit(command: Buffer): Buffer {
    const response = this.inner.transmit(command);
    const memory = this.inner.memory();
    const now = JSON.stringify(memory);
    if (now === this.#stored) return response;
    try {
      this.store.write(this.inner.id, memory);
    } catch {
      this.inner.restoreMemory(JSON.parse(this.#stored) as SsseCardMemory);
      return encodeResponse(Buffer.alloc(0), SW.MEMORY_FAILURE);
    }
    this.#stored = now;
    return response;
  }
}
