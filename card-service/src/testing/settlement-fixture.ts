import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  internalAuthCryptogram,
  makeCitizenId,
  parseCardIdCode,
  paymentProofBlock,
  ssseCardKey,
} from '@sscard/card-core';
import type { PricedLine } from '@sscard/registry-protocol/settlement';
import { chinaDate } from '../clock.js';
import {
  type IssuedCardData,
  type TestKeys,
  type TestService,
  type TlsIdentity,
  issueActiveCard,
} from './api-fixture.js';

/**
 * The settlement tests' world: the example policy of docs/settlement.md published for 330300,
 * the example bills' items in the catalogues of 330300 and 330100, institutions of level 2 and 3
 * in 330300 and one in 330100, and desks assigned to them.
 */
const examples = new URL('../../docs/settlement-examples/', import.meta.url);
export const exampleJson = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(name, examples), 'utf8'));
/** The example policy's document (for 2026) as the policy of `year`, in force from its first day. */
export const examplePolicyFor = (year: number): object => ({
  ...(exampleJson('policy-330300-310-2026.json') as object),
  year,
  effectiveFrom: `${year}-01-01`,
});
/**
 * The years a service on the system clock settles in during a test: this year in China, and the
 * next for a run that crosses New Year's midnight. A settlement needs a policy of its own year.
 */
export const currentPolicyYears = (now = new Date()): number[] => {
  const year = Number(chinaDate(now).slice(0, 4));
  return [year, year + 1];
};
export const exampleLines = (name: string): PricedLine[] =>
  (exampleJson(name) as { lines: PricedLine[] }).lines;
/** The example bills' items as a catalogue lists them (the bills' lines stay within its ceilings). */
export const exampleCatalogueItems = () =>
  [...exampleLines('outpatient-bill.json'), ...exampleLines('inpatient-bill.json')].map((l) => ({
    itemCode: l.itemCode,
    name: `item ${l.itemCode}`,
    itemClass: l.itemClass,
    preSelfPayShare: l.preSelfPayShare,
    priceCeiling: l.priceCeiling,
  }));

export interface Desks {
  /** Level 2 hospital in 330300, two desks. */
  h2a: TlsIdentity;
  h2b: TlsIdentity;
  /** Level 3 hospital in 330300. */
  h3: TlsIdentity;
  /** Level 1 hospital in 330100 (cross-region for 330300 cards). */
  other: TlsIdentity;
  kiosk: TlsIdentity;
  unassigned: TlsIdentity;
}

let personSeq = 500;

/**
 * `policyYears`: the years the example policy is published for; by default the document's own
 * 2026, the year of the tests on a manual clock. Tests on the system clock name `currentPolicyYears()`.
 */
export async function setUpSettlementWorld(
  t: TestService,
  options: { policyYears?: readonly number[] } = {},
): Promise<Desks> {
  const admin = { token: t.adminToken };
  const ok = (a: { status: number; body: unknown }, status = 200) =>
    assert.equal(a.status, status, JSON.stringify(a.body));
  for (const year of new Set(options.policyYears ?? [2026])) {
    ok(await t.call('POST', '/v1/settlement/policies', { ...admin, body: examplePolicyFor(year) }), 201);
  }
  const items = exampleCatalogueItems();
  for (const region of ['330300', '330100']) {
    ok(await t.call('POST', '/v1/settlement/catalogue', { ...admin, body: { region, items } }));
  }
  const institutions = [
    { institutionId: 'H330300-2', name: 'City Hospital', region: '330300', level: 2 },
    { institutionId: 'H330300-3', name: 'Central Hospital', region: '330300', level: 3 },
    { institutionId: 'H330100-1', name: 'Township Clinic', region: '330100', level: 1 },
  ];
  for (const body of institutions)
    ok(await t.call('POST', '/v1/settlement/institutions', { ...admin, body }), 201);
  const desk = async (id: string, institutionId: string, region: string, type = 'hospital') => {
    const identity = await t.enrolTerminal(id, type, region);
    ok(
      await t.call('POST', `/v1/settlement/institutions/${institutionId}/terminals`, {
        ...admin,
        body: { terminalId: id },
      }),
    );
    return identity;
  };
  return {
    h2a: await desk('desk-2a', 'H330300-2', '330300'),
    h2b: await desk('desk-2b', 'H330300-2', '330300', 'pharmacy'),
    h3: await desk('desk-3', 'H330300-3', '330300'),
    other: await desk('desk-x', 'H330100-1', '330100'),
    kiosk: await t.enrolTerminal('kiosk-s', 'kiosk'),
    unassigned: await t.enrolTerminal('desk-u', 'hospital'),
  };
}

export async function insuredCard(t: TestService): Promise<IssuedCardData> {
  return issueActiveCard(t, {
    ssn: makeCitizenId('330302', '19640812', personSeq++),
    name: '陈建国',
    schemeCode: '310',
    startDate: '2010-01-01',
  });
}

/** What the card answers to a payment proof (after VERIFY), or to a presence proof. */
export function cardProof(
  t: TestService,
  c: IssuedCardData,
  challengeHex: string,
  mode: 'payment' | 'presence',
) {
  return proofWithKey(c.algorithm, cardAuthKey(t.keys, c), challengeHex, mode);
}

/** The card's internal authentication key, derived from the issuer's for its card ID code. */
export function cardAuthKey(
  keys: Pick<TestKeys, 'internalAuth'>,
  c: Pick<IssuedCardData, 'algorithm' | 'cardIdCode'>,
) {
  return ssseCardKey(c.algorithm, keys.internalAuth[c.algorithm], parseCardIdCode(c.cardIdCode).bytes);
}

/**
 * `cardProof` with the card's key at hand (`cardAuthKey`), for a caller that answers many
 * challenges with one card.
 */
export function proofWithKey(
  algorithm: IssuedCardData['algorithm'],
  key: Buffer,
  challengeHex: string,
  mode: 'payment' | 'presence',
) {
  const challenge = Buffer.from(challengeHex, 'hex');
  return internalAuthCryptogram(algorithm, key, mode === 'payment' ? paymentProofBlock(challenge) : challenge)
    .toString('hex')
    .toUpperCase();
}

/** The request a desk makes for each step, with its own journal sequence as the key. */
export function deskClient(t: TestService, identity: TlsIdentity, terminalId: string) {
  let seq = 0;
  const nextKey = () => `${terminalId}:${Date.now()}:${++seq}`;
  const post = (path: string, body: unknown, key = nextKey()) =>
    t.call('POST', path, { identity, body, headers: { 'idempotency-key': key } });
  return {
    nextKey,
    post,
    get: (path: string) => t.call('GET', path, { identity }),
    async challenge(c: IssuedCardData) {
      const a = await t.call('POST', '/v1/challenges', { identity, body: { cardIdCode: c.cardIdCode } });
      assert.equal(a.status, 201, JSON.stringify(a.body));
      return a.body as { challengeId: string; challenge: string };
    },
    /** A proof over a challenge asked for on its own (`POST /v1/challenges`): not for a settle. */
    async proof(c: IssuedCardData, mode: 'payment' | 'presence' = 'payment') {
      const ch = await this.challenge(c);
      return { challengeId: ch.challengeId, cryptogram: cardProof(t, c, ch.challenge, mode) };
    },
    /** The card's answer to the challenge that came with `quote`, for its settle. */
    quoteProof(
      c: IssuedCardData,
      quote: { challenge: { challengeId: string; challenge: string } },
      mode: 'payment' | 'presence' = 'payment',
    ) {
      const ch = quote.challenge;
      return { challengeId: ch.challengeId, cryptogram: cardProof(t, c, ch.challenge, mode) };
    },
    /** 2201 + 2204 + 2206: a quote for `lines` (example lines: item, price, quantity). */
    async quote(
      c: IssuedCardData,
      lines: readonly PricedLine[],
      opts: { visitType?: 'outpatient' | 'inpatient'; useAccount?: boolean } = {},
    ) {
      const visit = await post('/v1/settlement/visits', {
        cardNumber: c.cardNumber,
        scheme: '310',
        visitType: opts.visitType ?? 'outpatient',
        hisVisitNo: `V${seq}`,
      });
      assert.equal(visit.status, 200, JSON.stringify(visit.body));
      const billed = await post(`/v1/settlement/visits/${visit.body.visitId}/lines`, {
        lines: lines.map((l, i) => ({
          lineNo: i + 1,
          itemCode: l.itemCode,
          unitPrice: l.unitPrice,
          quantity: l.quantity,
        })),
      });
      assert.equal(billed.status, 200, JSON.stringify(billed.body));
      const quote = await post(`/v1/settlement/visits/${visit.body.visitId}/pre-settle`, {
        useAccount: opts.useAccount ?? true,
      });
      assert.equal(quote.status, 200, JSON.stringify(quote.body));
      return { visit: visit.body, quote: quote.body };
    },
  };
}
