import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  bankPinKeys,
  cardCryptogram as cryptogramOf,
  padPinBlock,
} from '@sscard/card-service/testing/withdrawal-fixture';
import { type Postgres, startPostgres, tempDir } from '@sscard/test-harness';
import { WITHDRAWAL_OPERATIONS, authorisationOutcome } from '@sscard/terminal-agent/registry/bank-withdrawal';
import { isRegistryError, loadOrEnrol, openTerminalRegistry } from '@sscard/terminal-agent/registry/index';
import { BANK_PIN, fundDebitAccount } from './bank-counter.js';
import { startCrashingService } from './crashing-service.js';
import { type RegistryUnderTest, citizenId, seedActiveCard, startRegistry } from './registry-fixture.js';

/**
 * card-service killed (SIGKILL) after it committed a withdrawal's debit and before it answered:
 * the bank counter's journal holds the authorisation unanswered, and once the service is back the
 * counter reverses it with its key — the money is given back exactly once, nothing stays pending.
 * A second service process on the same store: PostgreSQL serves two at once, and so does one
 * sqlite3 file in WAL mode (each process waits its turn for the write lock).
 */

const MONTHLY = 312_456;

for (const engine of ['sqlite3', 'PostgreSQL'] as const)
  describe(`card-service killed mid-withdrawal, on ${engine}`, () => {
    let postgres: Postgres | undefined;
    let registry: RegistryUnderTest;
    let personNo: string;
    const pan = '6231330300009100007';

    before(async () => {
      postgres = engine === 'PostgreSQL' ? await startPostgres() : undefined;
      registry = await startRegistry({}, postgres ? { databaseUrl: postgres.url } : {});
      const seeded = await seedActiveCard(registry, {
        idNumber: citizenId('19550601', '047'),
        name: '李桂兰',
        generation: 3,
      });
      personNo = seeded.personNo;
      await fundDebitAccount(registry, seeded, pan, MONTHLY);
    });
    after(async () => {
      await registry?.close();
      await postgres?.stop();
    });

    /**
     * What the counter sends for the amount: the card's first GENERATE AC (its AC key from the
     * issuer keyset) and the bank PIN as the pad of `terminalId` enciphers it.
     */
    const withdrawalBody = async (terminalId: string, atc: number, amount: number) => ({
      ...cryptogramOf(Buffer.from(registry.keyset.emv.acMasterKeys['3des'], 'hex'), '3des', pan, atc, amount)
        .body,
      ...padPinBlock(await bankPinKeys(registry.hsm), terminalId, BANK_PIN, pan),
    });

    const balance = async () =>
      Number(
        (
          await registry.service.store.get<{ balance: number | string }>(
            'SELECT balance FROM card_accounts WHERE person_no = ?',
            [personNo],
          )
        )?.balance ?? 0,
      );

    it('the debit committed without an answer is reversed by the counter’s journal once the service is back', async () => {
      const terminalId = `B-CRASH-${engine === 'sqlite3' ? 'S' : 'P'}1`;
      const dataDir = await tempDir('sscard-bank-crash-');
      await loadOrEnrol({
        serviceUrl: registry.service.url,
        dataDir,
        caCertPath: registry.caCertPath,
        enrolmentCode: await registry.enrolmentCode(terminalId, 'bank'),
      });
      const openCounter = (serviceUrl: string) =>
        openTerminalRegistry({
          serviceUrl,
          dataDir,
          journalPath: join(dataDir, 'journal.sqlite3'),
          resendIntervalMs: 0,
          renewalCheckMs: 0,
        });

      // Dies (SIGKILL) when about to answer its first withdrawal authorisation.
      const { service, url, output, ended } = await startCrashingService(
        'withdrawal-crash-child',
        registry,
        registry.databaseUrl,
      );

      let counter = await openCounter(url);
      let key: string | undefined;
      try {
        await assert.rejects(
          counter.withdrawals.authorise(await withdrawalBody(terminalId, 3, 120_000)),
          (e: unknown) => {
            assert.ok(isRegistryError(e, 'REGISTRY_UNREACHABLE'), String(e));
            key = e.details?.idempotencyKey as string;
            return true;
          },
        );
      } finally {
        await counter.close();
      }
      await ended;
      assert.equal(service.signalCode, 'SIGKILL', output());
      assert.ok(key);
      assert.equal(await balance(), MONTHLY - 120_000, 'the service committed the debit before it died');

      counter = await openCounter(registry.service.url);
      try {
        const resolved = counter.recovered.answered.find((e) => e.idempotencyKey === key);
        assert.ok(resolved, 'the authorisation was resolved at restart');
        assert.equal(resolved.operation, WITHDRAWAL_OPERATIONS.authorise);
        const outcome = authorisationOutcome(resolved);
        assert.equal(outcome.kind, 'reversed', JSON.stringify(outcome));
        assert.equal(outcome.kind === 'reversed' && outcome.completion.status, 'reversed');
        assert.equal(await balance(), MONTHLY, 'given back');
        assert.deepEqual(await counter.outbox.journal.pending(), []);
        const reversals = await registry.service.store.get<{ n: number | string }>(
          "SELECT COUNT(*) AS n FROM ledger_entries WHERE kind = 'withdrawal_reversal'",
        );
        assert.equal(Number(reversals?.n), 2, 'one reversing transaction of two entries');
      } finally {
        await counter.close();
      }
    });
  });
