import assert from 'node:assert/strict';
import { once } from 'node:events';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Postgres, captureOutput, spawnTracked, startPostgres, tempDir } from '@sscard/test-harness';
import { paymentProof } from '@sscard/terminal-agent/apps/internal-authenticate';
import {
  compareWithService,
  daySettlements,
  pendingItems,
} from '@sscard/terminal-agent/registry/desk-journal';
import { SETTLEMENT_OPERATION_NAMES, settleOutcome } from '@sscard/terminal-agent/registry/desk-settlement';
import type { Quote } from '@sscard/registry-protocol/settlement';
import { isRegistryError, loadOrEnrol, openTerminalRegistry } from '@sscard/terminal-agent/registry/index';
import { startCrashingService } from './crashing-service.js';
import { assignDesk, deskBill, insuredCard, ledgerBalances, setUpDeskWorld } from './desk-fixture.js';
import {
  type RegistryUnderTest,
  type SeededCard,
  selectSsse,
  startRegistry,
  virtualCardChannel,
} from './registry-fixture.js';

/**
 * The desk's settlement journal under SIGKILL, on sqlite3 and on PostgreSQL: a desk process dies
 * with a settle journalled and not sent, or sent and committed by the service but not recorded;
 * the desk started again on the same journal resolves it by the service's attempt status —
 * exactly one settlement, or none and the attempt voided for good — and the ledger balances.
 */

const CHILD = fileURLToPath(new URL('./desk-crash-child.js', import.meta.url));

type Terminal = Awaited<ReturnType<typeof openTerminalRegistry>>;

for (const engine of ['sqlite3', 'PostgreSQL'] as const) {
  describe(`a desk killed during a settle, card-service on ${engine}`, () => {
    let postgres: Postgres | undefined;
    let registry: RegistryUnderTest;
    let patient: SeededCard;
    let deskSeq = 0;

    before(async () => {
      postgres = engine === 'PostgreSQL' ? await startPostgres() : undefined;
      registry = await startRegistry({}, postgres ? { databaseUrl: postgres.url } : {});
      await setUpDeskWorld(registry);
      patient = await insuredCard(registry, 500000);
    });
    after(async () => {
      await registry?.close();
      await postgres?.stop();
    });

    async function enrolledDesk() {
      const terminalId = `H-CRASH-${engine === 'sqlite3' ? 'S' : 'P'}${++deskSeq}`;
      const dataDir = await tempDir('sscard-desk-crash-');
      await loadOrEnrol({
        serviceUrl: registry.service.url,
        dataDir,
        caCertPath: registry.caCertPath,
        enrolmentCode: await registry.enrolmentCode(terminalId, 'hospital'),
      });
      await assignDesk(registry, terminalId);
      return { terminalId, dataDir, journalPath: join(dataDir, 'journal.sqlite3') };
    }
    type Desk = Awaited<ReturnType<typeof enrolledDesk>>;

    /** The desk's side on its journal; opened again, it is the desk after a restart. */
    const openDesk = (desk: Desk, serviceUrl = registry.service.url) =>
      openTerminalRegistry({
        serviceUrl,
        dataDir: desk.dataDir,
        journalPath: desk.journalPath,
        resendIntervalMs: 0,
        renewalCheckMs: 0,
      });

    async function quote(terminal: Terminal, hisVisitNo: string) {
      const visit = await terminal.settlement.register({
        cardNumber: patient.cardNumber,
        scheme: '310',
        visitType: 'outpatient',
        hisVisitNo,
      });
      await terminal.settlement.addBillLines(visit.visitId, deskBill('outpatient-bill.json'));
      return terminal.settlement.preSettle(visit.visitId, true);
    }

    /**
     * The virtual card's payment proof over the challenge that came with the quote: VERIFY, then
     * INTERNAL AUTHENTICATE P1 01 in the same session.
     */
    async function cardProof(q: Quote) {
      const issued = q.challenge;
      const card = virtualCardChannel(patient.document, registry.keyset);
      await selectSsse(card);
      const pin = Buffer.from((patient.document as { pin: { value: string } }).pin.value, 'hex');
      const verified = await card.transmit({ cla: 0x00, ins: 0x20, p1: 0x00, p2: 0x00, data: pin });
      assert.equal(verified.sw, 0x9000);
      const cryptogram = await paymentProof(card, Buffer.from(issued.challenge, 'hex'));
      return { challengeId: issued.challengeId, cryptogram: cryptogram.toString('hex').toUpperCase() };
    }

    async function crashAt(
      desk: Desk,
      quoteId: string,
      proof: { challengeId: string; cryptogram: string },
      point: string,
    ) {
      const child = spawnTracked(process.execPath, [
        CHILD,
        desk.dataDir,
        desk.journalPath,
        registry.service.url,
        quoteId,
        proof.challengeId,
        proof.cryptogram,
        point,
      ]);
      const output = captureOutput(child);
      await once(child, 'exit');
      assert.equal(child.signalCode, 'SIGKILL', output());
      return output().trim().split('\n');
    }

    /** The service's settlements of the visit (3202), whatever became of them. */
    async function settlementsOf(terminal: Terminal, visitId: string, date: string) {
      const detail = await terminal.settlement.reconciliationDetail(date);
      return detail.settlements.filter((s) => s.visitId === visitId);
    }

    /** The desk's journal of the day against the service's 3202: no disagreement, nothing pending. */
    async function reconciles(terminal: Terminal, date: string) {
      const journal = terminal.outbox.journal;
      const entries = await journal.entriesOf(SETTLEMENT_OPERATION_NAMES);
      const detail = await terminal.settlement.reconciliationDetail(date);
      const mine = detail.settlements.filter((s) => s.terminalId === terminal.identity.terminalId);
      assert.deepEqual(compareWithService(daySettlements(entries, date), mine), []);
      assert.deepEqual(pendingItems(await journal.pending(), await journal.parked()), []);
    }

    it('a settle the service committed before the desk died is found by its attempt status at restart, once', async () => {
      const desk = await enrolledDesk();
      let terminal = await openDesk(desk);
      const q = await quote(terminal, 'MZ-CRASH-1');
      const proof = await cardProof(q);
      await terminal.close();

      const [key, answered] = await crashAt(desk, q.quoteId, proof, 'after-send');
      assert.equal(answered, 'answered 200');

      terminal = await openDesk(desk);
      try {
        const resolved = terminal.recovered.answered.find((e) => e.idempotencyKey === key);
        assert.ok(resolved, 'the settle was settled at restart');
        const outcome = settleOutcome(resolved);
        assert.equal(outcome.kind, 'settlement');
        assert.ok(outcome.kind === 'settlement');
        assert.equal(outcome.settlement.status, 'settled');
        assert.equal(outcome.settlement.attemptKey, key);
        assert.deepEqual(outcome.settlement.breakdown, q.breakdown);
        const date = outcome.settlement.businessDate;
        assert.equal((await settlementsOf(terminal, q.visitId, date)).length, 1);
        await reconciles(terminal, date);
        assert.ok(await ledgerBalances(registry));
        // Another pass finds nothing to do: the journal holds the outcome.
        const again = await terminal.outbox.resendPending();
        assert.deepEqual([again.answered.length, again.stillPending.length], [0, 0]);
        assert.equal((await settlementsOf(terminal, q.visitId, date)).length, 1);
      } finally {
        await terminal.close();
      }
    });

    it('a settle journalled but never sent is voided at restart, refused should it arrive, and settles once when made again', async () => {
      const desk = await enrolledDesk();
      let terminal = await openDesk(desk);
      const q = await quote(terminal, 'MZ-CRASH-2');
      const proof = await cardProof(q);
      await terminal.close();

      const [key] = await crashAt(desk, q.quoteId, proof, 'before-send');

      terminal = await openDesk(desk);
      try {
        const resolved = terminal.recovered.answered.find((e) => e.idempotencyKey === key);
        assert.ok(resolved);
        assert.deepEqual(settleOutcome(resolved), { attemptKey: key, kind: 'voided' });
        const status = await terminal.client.settlementAttempt(key!);
        assert.equal(status.outcome, 'voided');
        // The request the desk wrote, arriving now, is refused: a voided attempt never pays.
        const late = await terminal.client.deliver(resolved);
        assert.equal(late.status, 409, JSON.stringify(late.body));
        assert.equal((late.body as { code: string }).code, 'ATTEMPT_REVERSED');

        const settled = await terminal.settlement.settle(q.quoteId, await cardProof(q));
        assert.equal(settled.kind, 'settlement');
        assert.ok(settled.kind === 'settlement');
        const date = settled.settlement.businessDate;
        const standing = await settlementsOf(terminal, q.visitId, date);
        assert.deepEqual(
          standing.map((s) => [s.attemptKey, s.status]),
          [[settled.attemptKey, 'settled']],
        );
        await reconciles(terminal, date);
        assert.ok(await ledgerBalances(registry));
      } finally {
        await terminal.close();
      }
    });

    it('a settle that gets no answer stays pending while the service cannot be asked, and is resolved once it can', async () => {
      const desk = await enrolledDesk();
      let terminal = await openDesk(desk);
      const q = await quote(terminal, 'MZ-CRASH-3');
      const proof = await cardProof(q);
      await terminal.close();

      // Nothing listens here: neither the settle nor the status query gets through.
      terminal = await openDesk(desk, 'https://127.0.0.1:9');
      let key: string | undefined;
      try {
        await assert.rejects(terminal.settlement.settle(q.quoteId, proof), (e: unknown) => {
          assert.ok(isRegistryError(e, 'REGISTRY_UNREACHABLE'));
          key = e.details?.idempotencyKey as string;
          return true;
        });
        const pending = pendingItems(await terminal.outbox.journal.pending(), []);
        assert.deepEqual(
          pending.map((p) => [p.idempotencyKey, p.operation, p.state]),
          [[key, 'settle', 'unanswered']],
        );
      } finally {
        await terminal.close();
      }

      terminal = await openDesk(desk);
      try {
        const resolved = terminal.recovered.answered.find((e) => e.idempotencyKey === key);
        assert.ok(resolved);
        assert.equal(settleOutcome(resolved).kind, 'voided');
        const detail = await terminal.settlement.reconciliationDetail(
          new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10),
        );
        assert.equal(detail.settlements.filter((s) => s.visitId === q.visitId).length, 0);
        assert.ok(await ledgerBalances(registry));
      } finally {
        await terminal.close();
      }
    });

    // A second service process on the same store: PostgreSQL serves two at once.
    if (engine === 'PostgreSQL') {
      for (const point of ['before-commit', 'after-commit'] as const) {
        it(`card-service killed ${point} while the desk waits: no answer, then resolved once it is back — ${point === 'after-commit' ? 'one settlement' : 'voided'}`, async () => {
          const desk = await enrolledDesk();
          let terminal = await openDesk(desk);
          const q = await quote(terminal, `MZ-SVC-${point}`);
          const proof = await cardProof(q);
          await terminal.close();

          // Dies (SIGKILL) in its first settle, before or after the commit.
          const { service, url, output, ended } = await startCrashingService(
            'settle-crash-child',
            registry,
            postgres!.url,
            point,
          );

          terminal = await openDesk(desk, url);
          let key: string | undefined;
          try {
            await assert.rejects(terminal.settlement.settle(q.quoteId, proof), (e: unknown) => {
              assert.ok(isRegistryError(e, 'REGISTRY_UNREACHABLE'), String(e));
              key = e.details?.idempotencyKey as string;
              return true;
            });
          } finally {
            await terminal.close();
          }
          await ended;
          assert.equal(service.signalCode, 'SIGKILL', output());

          terminal = await openDesk(desk);
          try {
            const resolved = terminal.recovered.answered.find((e) => e.idempotencyKey === key);
            assert.ok(resolved, 'the settle was resolved at restart');
            const outcome = settleOutcome(resolved);
            const date = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
            if (point === 'after-commit') {
              assert.ok(outcome.kind === 'settlement', JSON.stringify(outcome));
              assert.equal(outcome.settlement.status, 'settled');
              assert.deepEqual(outcome.settlement.breakdown, q.breakdown);
              assert.equal(
                (await settlementsOf(terminal, q.visitId, outcome.settlement.businessDate)).length,
                1,
              );
              await reconciles(terminal, outcome.settlement.businessDate);
            } else {
              assert.deepEqual(outcome, { attemptKey: key, kind: 'voided' });
              assert.equal((await settlementsOf(terminal, q.visitId, date)).length, 0);
              await reconciles(terminal, date);
            }
            assert.ok(await ledgerBalances(registry));
          } finally {
            await terminal.close();
          }
        });
      }
    }
  });
}
