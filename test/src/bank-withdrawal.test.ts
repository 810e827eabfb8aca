/**
 * Pension collection at a bank counter, end to end: the agent runs the card's debit application
 * (GET PROCESSING OPTIONS, records, DDA, the first GENERATE AC for the amount), card-service's HSM
 * verifies the ARQC and answers the ARPC, the card checks it (EXTERNAL AUTHENTICATE) and gives
 * its TC in the second GENERATE AC. Real parts: card-service with its HSM process, the agent, a
 * private pcscd with vpcd and the emulated generation 3 card carrying the debit application;
 * card-service on sqlite3, then on the harness's PostgreSQL.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type CardDocument, createCard, debitPanFor, publicKeyset } from '@sscard/card-emulator/cards/index';
import { CardWithFaults } from '@sscard/card-emulator/faults';
import { type Pcscd, type Postgres, startPcscd, startPostgres, tempDir } from '@sscard/test-harness';
import { type BankCounter, fundDebitAccount, startBankCounter } from './bank-counter.js';
import { type RegistryUnderTest, citizenId, seedActiveCard, startRegistry } from './registry-fixture.js';

/** The card pulled between the issuer's answer (EXTERNAL AUTHENTICATE) and its second GENERATE AC. */
class PulledAfterIssuerAnswer extends CardWithFaults {
  armed = false;
  override async exchange(command: Buffer): Promise<Buffer | undefined> {
    const response = await super.exchange(command);
    if (this.armed && command[0] === 0x00 && command[1] === 0x82) {
      this.armed = false;
      this.fault = { kind: 'disconnect' };
    }
    return response;
  }
}

// One private pcscd for the file: the PC/SC client library takes its socket name once per process.
let pcscd: Pcscd | undefined;
after(async () => {
  await pcscd?.stop();
});

for (const engine of ['sqlite3', 'PostgreSQL'] as const) {
  describe(`cash withdrawal from the card account at a bank counter, card-service on ${engine}`, () => {
    const TERMINAL = 'B-330300-0091';
    const MONTHLY = 312_456;
    let registry: RegistryUnderTest;
    let postgres: Postgres | undefined;
    let counter: BankCounter;
    let card: PulledAfterIssuerAnswer;
    let personNo: string;

    before(async () => {
      postgres = engine === 'PostgreSQL' ? await startPostgres() : undefined;
      registry = await startRegistry({}, postgres ? { databaseUrl: postgres.url } : {});
      const dataDir = await tempDir('sscard-bank-withdrawal-');
      const seeded = await seedActiveCard(registry, {
        idNumber: citizenId('19560301', '031'),
        name: '王秀英',
        generation: 3,
      });
      personNo = seeded.personNo;
      const pan = debitPanFor('330300', 91);
      const issued = seeded.document as CardDocument;
      const doc = {
        ...issued,
        applications: { ...issued.applications, debit: { pan, psn: '01', expiryDate: '20361231' } },
      } as CardDocument;
      await fundDebitAccount(registry, seeded, pan, MONTHLY);

      if (!pcscd) {
        pcscd = await startPcscd({ readers: 1 });
        process.env.PCSCLITE_CSOCK_NAME = pcscd.env.PCSCLITE_CSOCK_NAME;
      }
      // The payment system's CA public keys, so that the counter authenticates the card offline (DDA).
      const caKeysPath = join(dataDir, 'ca-keys.json');
      await writeFile(caKeysPath, JSON.stringify(publicKeyset(registry.keyset)));
      card = new PulledAfterIssuerAnswer(createCard(doc, registry.keyset));
      counter = await startBankCounter({
        registry,
        terminalId: TERMINAL,
        dataDir,
        pcscd,
        card,
        config: { emv: { caKeysPath } },
      });
    });

    after(async () => {
      await counter?.stop();
      await registry?.close();
      await postgres?.stop();
    });

    const withdraw = (amount: number) => counter.post('/v1/card/debit/withdrawal', { amount });

    const balance = async () => {
      const row = await registry.service.store.get<{ balance: number | string }>(
        'SELECT balance FROM card_accounts WHERE person_no = ?',
        [personNo],
      );
      return Number(row?.balance ?? 0);
    };
    const withdrawal = (id: unknown) =>
      registry.service.store.get<{ status: string; outcome: string | null; reason: string | null }>(
        'SELECT status, outcome, reason FROM bank_withdrawals WHERE withdrawal_id = ?',
        [String(id)],
      );

    it('the card’s ARQC verified, its account debited, the ARPC accepted and its TC completing it', async () => {
      const done = await withdraw(100_000);
      assert.equal(done.status, 200, JSON.stringify(done.body));
      assert.equal(done.body.status, 'completed');
      assert.equal(done.body.arc, '00');
      assert.equal(done.body.balance, MONTHLY - 100_000);
      assert.equal(await balance(), MONTHLY - 100_000);
      assert.equal((await withdrawal(done.body.withdrawalId))?.status, 'completed');
      assert.equal((await withdrawal(done.body.withdrawalId))?.outcome, 'tc');
    });

    it('more than the balance: declined by the issuer, the card told so, nothing moved', async () => {
      const declined = await withdraw(MONTHLY);
      assert.equal(declined.status, 200, JSON.stringify(declined.body));
      assert.equal(declined.body.status, 'declined');
      assert.equal(declined.body.arc, '51');
      assert.equal(await balance(), MONTHLY - 100_000);
      assert.equal((await withdrawal(declined.body.withdrawalId))?.outcome, 'aac');
    });

    it('the card pulled before its second GENERATE AC: the approved debit is reversed once', async () => {
      card.armed = true;
      const pulled = await withdraw(50_000);
      assert.equal(pulled.status, 200, JSON.stringify(pulled.body));
      assert.equal(pulled.body.status, 'reversed');
      assert.equal(await balance(), MONTHLY - 100_000, 'given back');
      const row = await withdrawal(pulled.body.withdrawalId);
      assert.equal(row?.status, 'reversed');
      assert.equal(row?.outcome, 'reversal');
      const reversals = await registry.service.store.get<{ n: number | string }>(
        "SELECT COUNT(DISTINCT txn_id) AS n FROM ledger_entries WHERE kind = 'withdrawal_reversal'",
      );
      assert.equal(Number(reversals?.n), 1);
    });
  });
}
