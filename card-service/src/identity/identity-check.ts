import { createHash } from 'node:crypto';
import type { IdentityCheckRequest, IdentityCheckResult } from '@sscard/registry-protocol';
import { maskCardNumber, maskIdNumber, maskName } from '@sscard/card-core';
import type { AuditWriter } from '../audit/audit-writer.js';
import { type Clock, chinaDate } from '../clock.js';
import { RiskChecks } from '../risk/risk-checks.js';
import type { CardPresence } from '../card-auth/card-presence.js';
import type { TerminalType } from '../lifecycle/transitions.js';
import { effectiveCard } from '../registry/card-status.js';
import { SCHEME_NAMES } from '../registry/model.js';
import { cardSubject } from '../registry/subjects.js';
import * as q from '../registry/queries.js';
import { RequestReads } from '../terminals/request-reads.js';
import type { IdentityRecord } from '../registry/queries.js';
import type { Store } from '../store/store.js';
import { recordReadMismatch } from './read-mismatches.js';
import { type IdentityFacts, RECORD_RULES, STANDING_RULES, firstRefusal } from './rules/index.js';

/** The calling terminal, as its certificate names it. */
export interface IdentityTerminal {
  id: string;
  type: TerminalType;
  region: string;
}

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
    /** The risk rules a check with the card present goes through. */
    private readonly risk: RiskChecks = new RiskChecks(clock),
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

  /**
   * The store's record of the card, from the visit cache when it holds the holder and relations
   * of this very request. The card row is read every time, so a loss reported through another
   * service process is seen at once; only the holder and the relations, which change rarely,
   * come from the cache.
   */
  private async lookup(
    req: IdentityCheckRequest,
    prepared: PreparedIdentity | undefined,
    key: string | undefined,
  ): Promise<IdentityRecord | undefined> {
    const hit = key === undefined ? undefined : this.cache.get(key);
    if (hit && hit.expires > Date.now()) {
      const card = await q.getCardByIdCode(this.store, req.cardIdCode);
      if (!card) return undefined;
      if (hit.card.personNo === card.personNo) return { card, holder: hit.holder, relations: hit.relations };
    }
    return prepared ?? this.reads.identityRecord(req.cardIdCode);
  }

  /** Remembers a record whose card and holder matched the request, for the rest of the visit. */
  private remember(key: string, found: IdentityRecord): void {
    if ((this.cache.get(key)?.expires ?? 0) > Date.now()) return;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(key, {
      expires: Date.now() + this.cacheSeconds * 1000,
      cardNumber: found.card.cardNumber,
      card: found.card,
      holder: found.holder!,
      relations: found.relations,
    });
  }

  /**
   * The verdict, answered only once its audit entry has committed: concurrent checks share one
   * audit transaction (group commit), and a check whose entry could not be written fails.
   */
  async check(
    terminal: IdentityTerminal,
    req: IdentityCheckRequest,
    prepared?: PreparedIdentity,
  ): Promise<IdentityCheckResult> {
    const result = await this.evaluate(terminal, req, prepared);
    await this.audit.append({
      terminalId: terminal.id,
      action: 'identity.check',
      subject: result.card ? cardSubject(result.card.cardNumber) : `card ${maskCardNumber(req.cardNumber)}`,
      result: result.valid ? 'ok' : (result.reason ?? 'refused'),
      details: {
        ssn: maskIdNumber(req.ssn),
        proofCarried: req.proof !== undefined,
        cardPresent: result.cardPresent,
        ...(req.forScheme ? { forScheme: req.forScheme.scheme } : {}),
      },
    });
    return result;
  }

  private async evaluate(
    terminal: IdentityTerminal,
    req: IdentityCheckRequest,
    prepared: PreparedIdentity | undefined,
  ): Promise<IdentityCheckResult> {
    const now = this.clock();
    const checkedAt = now.toISOString();
    let cardPresent = false;
    const key = this.cacheSeconds > 0 ? this.cacheKey(req) : undefined;
    const found = await this.lookup(req, prepared, key);
    if (!found) return { valid: false, reason: 'CARD_UNKNOWN', checkedAt, cardPresent };
    const facts: IdentityFacts = {
      request: req,
      card: effectiveCard(found.card, now),
      holder: found.holder,
      relations: found.relations,
      today: chinaDate(now),
      terminal,
    };
    const mismatch = firstRefusal(RECORD_RULES, facts);
    if (mismatch) {
      if (mismatch === 'CARD_DATA_MISMATCH' || mismatch === 'HOLDER_MISMATCH') {
        await recordReadMismatch(this.store, {
          cardNumber: found.card.cardNumber,
          personNo: found.card.personNo,
          reason: mismatch,
          terminalId: terminal.id,
          request: req,
          at: checkedAt,
        });
      }
      return { valid: false, reason: mismatch, checkedAt, cardPresent };
    }
    if (key !== undefined) this.remember(key, found);
    if (req.proof) {
      const proof = await this.presence.verify(terminal.id, {
        challengeId: req.proof.challengeId,
        cardIdCode: req.cardIdCode,
        cryptogram: req.proof.cryptogram,
      });
      if (!proof.verified) return { valid: false, reason: `PROOF_${proof.reason}`, checkedAt, cardPresent };
      cardPresent = true;
      await this.store.transaction((tx) =>
        this.risk.onCardPresent(tx, {
          personNo: found.card.personNo,
          cardNumber: found.card.cardNumber,
          cardStatus: found.card.status,
          kind: 'identity_check',
          terminalId: terminal.id,
          region: terminal.region,
          at: checkedAt,
        }),
      );
    }
    const card = facts.card;
    const cardView = {
      cardNumber: card.cardNumber,
      status: card.status,
      specVersion: card.specVersion,
      issuingRegion: card.issuingRegion,
      expiryDate: card.expiryDate,
      temporary: card.temporary,
    };
    const refusal = firstRefusal(STANDING_RULES, facts);
    if (refusal) return { valid: false, reason: refusal, checkedAt, cardPresent, card: cardView };
    const holder = found.holder!;
    const full = terminal.type !== 'kiosk';
    return {
      valid: true,
      checkedAt,
      cardPresent,
      card: cardView,
      holder: {
        name: full ? holder.name : maskName(holder.name),
        idNumber: maskIdNumber(holder.idNumber),
        gender: holder.gender,
        region: holder.region,
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
