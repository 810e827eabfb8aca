import { createHash } from 'node:crypto';
import type { IdentityCheckRequest, IdentityCheckResult, IdentityRefusal } from '@sscard/registry-protocol';
import { maskCardNumber, maskIdNumber, maskName } from '@sscard/card-core';
import type { AuditWriter } from '../audit/audit-writer.js';
import { type Clock, chinaDate } from '../clock.js';
import type { CardPresence } from '../hsm/card-presence.js';
import { effectiveCard, type TerminalType } from '../lifecycle/transitions.js';
import { type CardStatus, SCHEME_NAMES } from '../registry/model.js';
import { cardSubject } from '../registry/subjects.js';
import * as q from '../registry/queries.js';
import { RequestReads } from '../registry/request-reads.js';
import type { IdentityRecord } from '../registry/queries.js';
import type { Store } from '../store/store.js';

const STATUS_REFUSALS: Partial<Record<CardStatus, IdentityRefusal>> = {
  issued: 'CARD_NOT_ACTIVATED',
  temporarily_lost: 'CARD_TEMPORARILY_LOST',
  lost: 'CARD_LOST',
  replaced: 'CARD_REPLACED',
  cancelled: 'CARD_CANCELLED',
};

/** The store's record of the card a check asked for, read ahead by `IdentityChecks.prepare`. */
export type PreparedIdentity = Promise<IdentityRecord | undefined>;

interface CacheEntry {
  expires: number;
  cardNumber: string;
  card: IdentityRecord['card'];
  holder: NonNullable<IdentityRecord['holder']>;
  relations: IdentityRecord['relations'];
}

/**
 * Identity checks: is the card a terminal has just read genuine and valid now, whose is it, and
 * what is the holder insured for. Refusals carry one reason code the terminal shows; the holder's
 * data is shown as the terminal type needs it (a kiosk screen in a public hall sees it masked).
 */
export class IdentityChecks {
  /** Per-visit cache: a terminal asks several times while one citizen stands at it. */
  private readonly cache = new Map<string, CacheEntry>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly presence: CardPresence,
    private readonly cacheSeconds: number,
    private readonly audit: AuditWriter,
    /** Batched reads of the card records (shared with the requests' certificate reads). */
    private readonly reads: RequestReads = new RequestReads(store),
  ) {}

  /**
   * Starts reading the record a check of `req` will need (the route's `prepare`, beside the
   * caller's identification). Nothing while the visit cache is on: the cache decides what to read.
   */
  prepare(req: Pick<IdentityCheckRequest, 'cardIdCode'>): PreparedIdentity | undefined {
    return this.cacheSeconds > 0 ? undefined : this.reads.identityRecord(req.cardIdCode);
  }

  /** Drops what the cache holds for a card: called on every lifecycle change. */
  invalidate(cardNumber: string): void {
    for (const [key, entry] of this.cache) if (entry.cardNumber === cardNumber) this.cache.delete(key);
  }

  private cacheKey(req: IdentityCheckRequest): string {
    return createHash('sha256')
      .update(`${req.cardIdCode.toUpperCase()}|${req.cardNumber}|${req.ssn}|${req.name}`)
      .digest('hex');
  }

  private async lookup(
    req: IdentityCheckRequest,
    prepared: PreparedIdentity | undefined,
  ): Promise<Omit<CacheEntry, 'expires' | 'cardNumber'> | IdentityRefusal> {
    const key = this.cacheSeconds > 0 ? this.cacheKey(req) : undefined;
    const now = Date.now();
    const hit = key === undefined ? undefined : this.cache.get(key);
    if (hit && hit.expires > now) {
      // The card row is read every time, so a loss reported through another service process is
      // seen at once; only the holder and the relations, which change rarely, come from the cache.
      const card = await q.getCardByIdCode(this.store, req.cardIdCode);
      if (!card) return 'CARD_UNKNOWN';
      if (card.cardNumber !== req.cardNumber) return 'CARD_DATA_MISMATCH';
      if (hit.card.personNo === card.personNo) return { ...hit, card };
    }
    const found = await (prepared ?? this.reads.identityRecord(req.cardIdCode));
    if (!found) return 'CARD_UNKNOWN';
    const { card, holder, relations } = found;
    if (card.cardNumber !== req.cardNumber) return 'CARD_DATA_MISMATCH';
    if (!holder || holder.idNumber !== req.ssn.toUpperCase() || holder.name !== req.name.trim()) {
      return 'HOLDER_MISMATCH';
    }
    if (key !== undefined) {
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(key, {
        expires: now + this.cacheSeconds * 1000,
        cardNumber: card.cardNumber,
        card,
        holder,
        relations,
      });
    }
    return { card, holder, relations };
  }

  /**
   * The verdict, answered only once its audit entry has committed: concurrent checks share one
   * audit transaction (group commit), and a check whose entry could not be written fails.
   */
  async check(
    terminal: { id: string; type: TerminalType },
    req: IdentityCheckRequest,
    prepared?: PreparedIdentity,
  ): Promise<IdentityCheckResult> {
    const result = await this.evaluate(terminal, req, prepared);
    await this.audit.append({
      terminalId: terminal.id,
      action: 'identity.check',
      subject: result.card ? cardSubject(result.card.cardNumber) : `card ${maskCardNumber(req.cardNumber)}`,
      result: result.valid ? 'ok' : (result.reason ?? 'refused'),
      details: { ssn: maskIdNumber(req.ssn), cardPresent: result.cardPresent },
    });
    return result;
  }

  private async evaluate(
    terminal: { id: string; type: TerminalType },
    req: IdentityCheckRequest,
    prepared: PreparedIdentity | undefined,
  ): Promise<IdentityCheckResult> {
    const now = this.clock();
    const checkedAt = now.toISOString();
    let cardPresent = false;
    const found = await this.lookup(req, prepared);
    if (typeof found === 'string') return { valid: false, reason: found, checkedAt, cardPresent };
    if (req.proof) {
      const proof = await this.presence.verify(terminal.id, {
        challengeId: req.proof.challengeId,
        cardIdCode: req.cardIdCode,
        cryptogram: req.proof.cryptogram,
      });
      if (!proof.verified) return { valid: false, reason: `PROOF_${proof.reason}`, checkedAt, cardPresent };
      cardPresent = true;
    }
    const card = effectiveCard(found.card, now);
    const cardView = {
      cardNumber: card.cardNumber,
      status: card.status,
      specVersion: card.specVersion,
      issuingRegion: card.issuingRegion,
      expiryDate: card.expiryDate,
      temporary: card.temporary,
    };
    const refusal =
      STATUS_REFUSALS[card.status] ?? (card.expiryDate < chinaDate(now) ? 'CARD_EXPIRED' : undefined);
    if (refusal) return { valid: false, reason: refusal, checkedAt, cardPresent, card: cardView };
    const full = terminal.type !== 'kiosk';
    return {
      valid: true,
      checkedAt,
      cardPresent,
      card: cardView,
      holder: {
        name: full ? found.holder.name : maskName(found.holder.name),
        idNumber: maskIdNumber(found.holder.idNumber),
        gender: found.holder.gender,
        region: found.holder.region,
      },
      coverage: found.relations.map((r) => ({
        schemeCode: r.schemeCode,
        schemeName: SCHEME_NAMES[r.schemeCode] ?? null,
        insuredRegion: r.insuredRegion,
        status: r.status,
        startDate: r.startDate,
        pauseDate: r.pauseDate,
      })),
    };
  }
}
