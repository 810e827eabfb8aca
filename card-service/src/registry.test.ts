import assert from 'node:assert/strict';
import { test } from 'node:test';
import { verifyAuditChain } from './audit/audit-log.js';
import { DAY_MS, manualClock } from './clock.js';
import { DomainError } from './errors.js';
import { isValidCardNumber } from '@sscard/card-core';
import { CARD_EVENTS, type CardEvent, TRANSITIONS } from './lifecycle/transitions.js';
import { MIGRATIONS } from './store/migrations.js';
import { forEachEngine } from './testing/engines-fixture.js';
import type { Store } from './store/store.js';
import type { CardStatus } from './registry/model.js';
import type { Registry } from './registry.js';
import { BANK, HOSPITAL, KIOSK, OPERATOR, holderInput, testRegistry } from './testing/registry-fixture.js';

const isDomain = (code: string) => (e: unknown) => e instanceof DomainError && e.code === code;

/** Events that bring a freshly issued card into each state. */
const PATHS: Record<CardStatus, CardEvent[]> = {
  issued: [],
  active: ['activateSocialSecurity'],
  temporarily_lost: ['activateSocialSecurity', 'reportTemporaryLoss'],
  lost: ['activateSocialSecurity', 'reportFormalLoss'],
  replaced: ['activateSocialSecurity', 'replace'],
  cancelled: ['cancel'],
};

async function cardIn(registry: Registry, state: CardStatus): Promise<string> {
  const holder = await registry.createHolder(holderInput(), [], OPERATOR);
  const { card } = await registry.issueCard(holder.personNo, { generation: 3 }, OPERATOR);
  for (const e of PATHS[state]) await registry.applyCardEvent(card.cardNumber, e, OPERATOR);
  return card.cardNumber;
}

forEachEngine('registry', ({ open }) => {
  let store: Store;
  test('opens a migrated store', async () => {
    store = await open();
    const rows = await store.all<{ version: number }>(
      'SELECT version FROM schema_migrations ORDER BY version',
    );
    assert.deepEqual(
      rows.map((r) => Number(r.version)),
      MIGRATIONS.map((m) => m.version).sort((a, b) => a - b),
    );
  });

  test('rolls a transaction back when it throws', async () => {
    const registry = testRegistry(store);
    const input = holderInput();
    await assert.rejects(
      store.transaction(async (tx) => {
        await tx.run(
          "INSERT INTO holders VALUES ('PX', ?, 'x', '1', '01', '1980-05-17', '330302', '330300', 'a', 'a')",
          [input.idNumber],
        );
        throw new Error('boom');
      }),
    );
    assert.equal(await store.get('SELECT person_no FROM holders WHERE person_no = ?', ['PX']), undefined);
    await registry.createHolder(input, [], OPERATOR);
  });

  test('registers a holder with relations and refuses the same ID number twice', async () => {
    const registry = testRegistry(store);
    const input = holderInput();
    const holder = await registry.createHolder(
      input,
      [
        { schemeCode: '310', insuredRegion: '330300', startDate: '2010-01-01' },
        {
          schemeCode: '110',
          insuredRegion: '330300',
          startDate: '2010-01-01',
          status: 'paused',
          pauseDate: '2020-06-30',
        },
      ],
      OPERATOR,
    );
    assert.equal(holder.birthDate, '1980-05-17');
    assert.equal(holder.birthplace, '330302');
    const record = await registry.holderRecord(holder.personNo);
    assert.deepEqual(
      record.relations.map((r) => [r.schemeCode, r.status, r.pauseDate]),
      [
        ['110', 'paused', '2020-06-30'],
        ['310', 'active', null],
      ],
    );
    await assert.rejects(registry.createHolder(input, [], OPERATOR), isDomain('HOLDER_EXISTS'));
  });

  test('refuses a holder whose ID number has a bad check character, naming the field', async () => {
    const registry = testRegistry(store);
    const input = holderInput();
    const bad = input.idNumber.slice(0, 17) + (input.idNumber[17] === '0' ? '1' : '0');
    await assert.rejects(
      registry.createHolder({ ...input, idNumber: bad }, [], OPERATOR),
      (e: unknown) =>
        e instanceof DomainError && e.code === 'VALIDATION_FAILED' && e.details?.field === 'idNumber',
    );
  });

  test('keeps the history of every holder change', async () => {
    const registry = testRegistry(store);
    const holder = await registry.createHolder(holderInput(), [], OPERATOR);
    await registry.updateHolder(holder.personNo, { region: '330400' }, OPERATOR);
    const history = await registry.history('holder', holder.personNo);
    assert.deepEqual(
      history.map((h) => h.action),
      ['create', 'update'],
    );
    assert.deepEqual(history[1]!.changes, { region: ['330300', '330400'] });
    assert.equal(history[1]!.actor, 'operator:op-test');
  });

  test('issues a card with a valid number, identification code and dates', async () => {
    const registry = testRegistry(store);
    const holder = await registry.createHolder(holderInput(), [], OPERATOR);
    const { card, document } = await registry.issueCard(holder.personNo, { generation: 2 }, OPERATOR);
    assert.ok(isValidCardNumber(card.cardNumber));
    assert.match(card.cardIdCode, /^330300D156000005[0-9A-F]{16}$/);
    assert.equal(card.algorithm, '3des');
    assert.equal(card.issueDate, '2025-03-01');
    assert.equal(card.expiryDate, '2035-03-01');
    assert.equal(card.status, 'issued');
    assert.equal(document.card.issueDate, '20250301');
    assert.match(document.pin.value, /^[0-9]{6}$/);
    await assert.rejects(
      registry.issueCard(holder.personNo, { generation: 2 }, OPERATOR),
      isDomain('CARD_EXISTS'),
    );
  });

  for (const state of Object.keys(PATHS) as CardStatus[]) {
    test(`every operator event from ${state} is applied or refused as the table says`, async () => {
      const registry = testRegistry(store);
      for (const event of CARD_EVENTS.filter((e) => TRANSITIONS[e].actors.includes('operator'))) {
        const cardNumber = await cardIn(registry, state);
        const t = TRANSITIONS[event];
        if (t.from.includes(state)) {
          const { card } = await registry.applyCardEvent(cardNumber, event, OPERATOR);
          assert.equal(card.status, t.to ?? state, event);
          assert.equal((await registry.card(cardNumber)).status, t.to ?? state, `${event} stored`);
        } else {
          await assert.rejects(
            registry.applyCardEvent(cardNumber, event, OPERATOR),
            isDomain('ILLEGAL_TRANSITION'),
          );
          assert.equal((await registry.card(cardNumber)).status, state, `${event} left the state`);
        }
      }
    });
  }

  test('a kiosk places a temporary loss but cannot unblock or cancel', async () => {
    const registry = testRegistry(store);
    const cardNumber = await cardIn(registry, 'active');
    await assert.rejects(registry.applyCardEvent(cardNumber, 'cancel', KIOSK), isDomain('EVENT_NOT_ALLOWED'));
    const { card } = await registry.applyCardEvent(cardNumber, 'reportTemporaryLoss', KIOSK);
    assert.equal(card.status, 'temporarily_lost');
    await assert.rejects(
      registry.applyCardEvent(cardNumber, 'unblock', KIOSK),
      isDomain('EVENT_NOT_ALLOWED'),
    );
    await assert.rejects(
      registry.applyCardEvent(cardNumber, 'reportTemporaryLoss', HOSPITAL),
      isDomain('EVENT_NOT_ALLOWED'),
    );
    assert.equal((await registry.applyCardEvent(cardNumber, 'unblock', BANK)).card.status, 'active');
  });

  test('a temporary loss lifts itself after the configured period, on read and before the next event', async () => {
    const clock = manualClock('2025-03-01T02:00:00Z');
    const registry = testRegistry(store, clock);
    const cardNumber = await cardIn(registry, 'active');
    await registry.applyCardEvent(cardNumber, 'reportTemporaryLoss', KIOSK);
    clock.advance(7 * DAY_MS - 1);
    assert.equal((await registry.card(cardNumber)).status, 'temporarily_lost');
    clock.advance(1);
    assert.equal((await registry.card(cardNumber)).status, 'active');
    await registry.applyCardEvent(cardNumber, 'reportFormalLoss', OPERATOR);
    const history = await registry.history('card', cardNumber);
    assert.deepEqual(
      history.map((h) => [h.action, h.actor.split(':')[0]]),
      [
        ['issue', 'operator'],
        ['activateSocialSecurity', 'operator'],
        ['reportTemporaryLoss', 'kiosk'],
        ['liftTemporaryLoss', 'system'],
        ['reportFormalLoss', 'operator'],
      ],
    );
  });

  test('replacing a lost card issues a new card that takes over the relations', async () => {
    const registry = testRegistry(store);
    const holder = await registry.createHolder(
      holderInput(),
      [{ schemeCode: '390', insuredRegion: '330300', startDate: '2015-01-01' }],
      OPERATOR,
    );
    const { card } = await registry.issueCard(holder.personNo, { generation: 3 }, OPERATOR);
    assert.equal((await registry.holderRecord(holder.personNo)).relations[0]!.cardNumber, card.cardNumber);
    await registry.applyCardEvent(card.cardNumber, 'activateSocialSecurity', OPERATOR);
    await registry.applyCardEvent(card.cardNumber, 'reportFormalLoss', OPERATOR);
    const result = await registry.applyCardEvent(card.cardNumber, 'replace', OPERATOR);
    const fresh = result.replacement!.card;
    assert.equal(result.card.status, 'replaced');
    assert.equal(result.card.replacedBy, fresh.cardNumber);
    assert.equal(fresh.replaces, card.cardNumber);
    assert.equal(fresh.status, 'issued');
    assert.equal(fresh.personNo, holder.personNo);
    assert.equal((await registry.holderRecord(holder.personNo)).relations[0]!.cardNumber, fresh.cardNumber);
  });

  test('a temporary card has its own short validity and leaves the relations where they are', async () => {
    const registry = testRegistry(store);
    const holder = await registry.createHolder(
      holderInput(),
      [{ schemeCode: '310', insuredRegion: '330300', startDate: '2015-01-01' }],
      OPERATOR,
    );
    const main = await registry.issueCard(holder.personNo, { generation: 3 }, OPERATOR);
    const temp = await registry.issueCard(holder.personNo, { generation: 3, temporary: true }, OPERATOR);
    assert.equal(temp.card.temporary, true);
    assert.equal(temp.card.expiryDate, '2025-05-30');
    assert.equal(
      (await registry.holderRecord(holder.personNo)).relations[0]!.cardNumber,
      main.card.cardNumber,
    );
  });

  test('records every change and every refusal in an intact audit chain', async () => {
    const registry = testRegistry(store);
    const cardNumber = await cardIn(registry, 'active');
    const before = await store.get<{ seq: number }>('SELECT seq FROM audit_head');
    await assert.rejects(registry.applyCardEvent(cardNumber, 'unblock', OPERATOR));
    const last = await store.get<{ action: string; result: string; seq: number }>(
      'SELECT action, result, seq FROM audit_log ORDER BY seq DESC LIMIT 1',
    );
    assert.equal(Number(last!.seq), Number(before!.seq) + 1);
    assert.deepEqual([last!.action, last!.result], ['card.unblock', 'ILLEGAL_TRANSITION']);
    const verdict = await verifyAuditChain(store);
    assert.equal(verdict.ok, true);
  });
});
