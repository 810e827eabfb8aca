/**
 * Pension collection at a bank counter, end to end: the cardholder types the bank PIN on the
 * counter's PIN pad, which enciphers it; the agent runs the card's debit application (GET
 * PROCESSING OPTIONS, records, DDA, the first GENERATE AC for the amount), card-service's HSM
 * verifies the PIN block and the ARQC and answers the ARPC, the card checks it (EXTERNAL
 * AUTHENTICATE) and gives its TC in the second GENERATE AC, which the HSM verifies too. Real
 * parts: card-service with its HSM process, the agent, a private pcscd with vpcd and the emulated
 * generation 3 card carrying the debit application, the serial PIN pad on a socat pty pair;
 * card-service on sqlite3, then on the harness's PostgreSQL.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BankBalanceView } from '@sscard/agent-protocol';
import { type CardDocument, createCard, debitPanFor, publicKeyset } from '@sscard/card-emulator/cards/index';
import { CardWithFaults } from '@sscard/card-emulator/faults';
import { type Pcscd, type Postgres, startPcscd, startPostgres, tempDir } from '@sscard/test-harness';
import {
  BANK_PIN,
  type BankCounter,
  type BankPinPad,
  fundDebitAccount,
  startBankCounter,
  startBankPinPad,
} from './bank-counter.js';
import { type RegistryUnderTest, citizenId, seedActiveCard, startRegistry } from './registry-fixture.js';

const isGenerateAc = (command: Buffer) => command[0] === 0x80 && command[1] === 0xae;
/** Flips a bit of the application cryptogram (9F26) in a GENERATE AC answer (format 2). */
function tamperCryptogram(response: Buffer): Buffer {
  const out = Buffer.from(response);
  const at = out.indexOf(Buffer.from('9F2608', 'hex'));
  assert.ok(at >= 0, 'a format 2 GENERATE AC answer with 9F26');
  out[at + 3]! ^= 0x01;
  return out;
}

/**
 * The test's card: pulled between the issuer's answer (EXTERNAL AUTHENTICATE) and its second
 * GENERATE AC when `pullAfterIssuerAnswer` is armed; its first or second cryptogram altered on the
 * way to the terminal when `tamper` says which.
 */
class CounterCard extends CardWithFaults {
  pullAfterIssuerAnswer = false;
  tamper: 'first' | 'second' | undefined;
  override async exchange(command: Buffer): Promise<Buffer | undefined> {
    const response = await super.exchange(command);
    if (this.pullAfterIssuerAnswer && command[0] === 0x00 && command[1] === 0x82) {
      this.pullAfterIssuerAnswer = false;
      this.fault = { kind: 'disconnect' };
    }
    if (response && isGenerateAc(command) && this.tamper) {
      const which = command[2] === 0x80 ? 'first' : 'second';
      if (which === this.tamper) {
        this.tamper = undefined;
        return tamperCryptogram(response);
      }
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
    let pinPad: BankPinPad;
    let card: CounterCard;
    let ssseCard: ReturnType<typeof createCard>;
    let doc: CardDocument;
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
      doc = {
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
      ssseCard = createCard(doc, registry.keyset);
      card = new CounterCard(ssseCard);
      pinPad = await startBankPinPad(registry, TERMINAL);
      counter = await startBankCounter({
        registry,
        terminalId: TERMINAL,
        dataDir,
        pcscd,
        card,
        config: { emv: { caKeysPath }, ...pinPad.config },
      });
    });

    after(async () => {
      await counter?.stop();
      await pinPad?.close();
      await registry?.close();
      await postgres?.stop();
    });

    /** The cardholder types `pin` on the pad, and the counter asks for `amount`. */
    const withdraw = (amount: number, pin = BANK_PIN) => {
      pinPad.pad.enterPin(pin);
      return counter.post('/v1/card/debit/withdrawal', { amount });
    };

    const balance = async () => {
      const row = await registry.service.store.get<{ balance: number | string }>(
        'SELECT balance FROM card_accounts WHERE person_no = ?',
        [personNo],
      );
      return Number(row?.balance ?? 0);
    };
    const lastAtc = async () =>
      Number(
        (
          await registry.service.store.get<{ last_atc: number | string }>(
            'SELECT last_atc FROM debit_accounts WHERE pan = ?',
            [doc.applications.debit!.pan],
          )
        )?.last_atc,
      );
    const withdrawal = (id: unknown) =>
      registry.service.store.get<{ status: string; outcome: string | null; reason: string | null }>(
        'SELECT status, outcome, reason FROM bank_withdrawals WHERE withdrawal_id = ?',
        [String(id)],
      );

    it('the card’s ARQC verified, its account debited, the ARPC accepted and its TC completing it', async () => {
      const counterBefore = ssseCard.memory().debit!.atc;
      const done = await withdraw(100_000);
      assert.equal(done.status, 200, JSON.stringify(done.body));
      assert.equal(done.body.status, 'completed');
      assert.equal(done.body.arc, '00');
      assert.equal(done.body.balance, MONTHLY - 100_000);
      assert.equal(await balance(), MONTHLY - 100_000);
      assert.equal((await withdrawal(done.body.withdrawalId))?.status, 'completed');
      assert.equal((await withdrawal(done.body.withdrawalId))?.outcome, 'tc');
      // One EMV transaction: one GET PROCESSING OPTIONS, so one counter, the one the service took.
      assert.equal(ssseCard.memory().debit!.atc, counterBefore + 1, 'one application transaction counter');
      assert.equal(await lastAtc(), counterBefore + 1);
    });

    it('more than the balance: declined by the issuer, the card told so, nothing moved', async () => {
      const declined = await withdraw(MONTHLY);
      assert.equal(declined.status, 200, JSON.stringify(declined.body));
      assert.equal(declined.body.status, 'declined');
      assert.equal(declined.body.arc, '51');
      assert.equal(await balance(), MONTHLY - 100_000);
      assert.equal((await withdrawal(declined.body.withdrawalId))?.outcome, 'aac');
    });

    it('a wrong bank PIN is declined by the issuer (55) and counted; the right one clears it', async () => {
      const wrong = await withdraw(10_000, '111111');
      assert.equal(wrong.status, 200, JSON.stringify(wrong.body));
      assert.equal(wrong.body.status, 'declined');
      assert.equal(wrong.body.arc, '55');
      assert.equal(wrong.body.pinTriesLeft, 2);
      assert.equal((await withdrawal(wrong.body.withdrawalId))?.outcome, 'aac');
      const right = await withdraw(10_000);
      assert.equal(right.body.status, 'completed', JSON.stringify(right.body));
      assert.equal(right.body.pinTriesLeft, 3);
      assert.equal(await balance(), MONTHLY - 110_000);
    });

    it('a balance enquiry on the bank PIN: one counter spent, the statement; a wrong PIN declined and counted', async () => {
      const enquire = (pin: string) => {
        pinPad.pad.enterPin(pin);
        return counter.post('/v1/card/debit/balance', {});
      };
      const wrong = await enquire('111111');
      assert.equal(wrong.status, 200, JSON.stringify(wrong.body));
      assert.deepEqual(
        [wrong.body.status, wrong.body.arc, wrong.body.pinTriesLeft, wrong.body.statement],
        ['declined', '55', 2, null],
      );
      const counterBefore = ssseCard.memory().debit!.atc;
      const shown = await enquire(BANK_PIN);
      assert.equal(shown.status, 200, JSON.stringify(shown.body));
      assert.deepEqual([shown.body.status, shown.body.arc, shown.body.pinTriesLeft], ['shown', '00', 3]);
      const view = shown.body as unknown as BankBalanceView;
      assert.equal(view.statement?.cardAccountBalance, await balance());
      assert.equal(view.statement?.pension?.monthlyAmount, MONTHLY);
      assert.match(view.pan, /^\*+\d{4}$/);
      assert.equal(ssseCard.memory().debit!.atc, counterBefore + 1, 'one application transaction counter');
      assert.equal(await lastAtc(), counterBefore + 1);
    });

    it('a card whose ARQC is altered on the way is refused by the HSM: nothing moved, the counter not spent', async () => {
      const atcBefore = await lastAtc();
      card.tamper = 'first';
      const refused = await withdraw(20_000);
      assert.equal(refused.status, 403, JSON.stringify(refused.body));
      assert.equal(refused.body.code, 'ARQC_INVALID');
      assert.equal(await balance(), MONTHLY - 110_000);
      assert.equal(await lastAtc(), atcBefore, 'the refused counter was not recorded');
      const after = await withdraw(20_000);
      assert.equal(after.body.status, 'completed', JSON.stringify(after.body));
      assert.equal(await balance(), MONTHLY - 130_000);
    });

    it('a card that gives a counter it used before (its ATC rolled back) is refused as a replay', async () => {
      const memory = ssseCard.memory();
      const debit = memory.debit!;
      const used = await lastAtc();
      // The card's counters put back so that its withdrawal's GET PROCESSING OPTIONS gives the
      // last ATC accepted again, and the card makes a genuine ARQC with it.
      ssseCard.restoreMemory({
        ...memory,
        debit: { atc: used - 1, lastOnlineAtc: Math.min(debit.lastOnlineAtc, used - 1) },
      });
      const replayed = await withdraw(20_000);
      assert.equal(replayed.status, 409, JSON.stringify(replayed.body));
      assert.equal(replayed.body.code, 'ATC_REPLAYED');
      assert.equal(await balance(), MONTHLY - 130_000, 'nothing moved');
      ssseCard.restoreMemory(memory);
    });

    it('a TC altered on the way is not verified by the HSM: the counter reverses the approved debit', async () => {
      card.tamper = 'second';
      const reversed = await withdraw(30_000);
      assert.equal(reversed.status, 200, JSON.stringify(reversed.body));
      assert.equal(reversed.body.status, 'reversed');
      assert.equal(await balance(), MONTHLY - 130_000, 'given back');
      const row = await withdrawal(reversed.body.withdrawalId);
      assert.equal(row?.status, 'reversed');
      assert.equal(row?.reason, 'terminal_error');
    });

    it('the card pulled before its second GENERATE AC: the approved debit is reversed once', async () => {
      card.pullAfterIssuerAnswer = true;
      const pulled = await withdraw(50_000);
      assert.equal(pulled.status, 200, JSON.stringify(pulled.body));
      assert.equal(pulled.body.status, 'reversed');
      assert.equal(await balance(), MONTHLY - 130_000, 'given back');
      const row = await withdrawal(pulled.body.withdrawalId);
      assert.equal(row?.status, 'reversed');
      assert.equal(row?.outcome, 'reversal');
      const reversals = await registry.service.store.get<{ n: number | string }>(
        "SELECT COUNT(DISTINCT txn_id) AS n FROM ledger_entries WHERE kind = 'withdrawal_reversal'",
      );
      assert.equal(Number(reversals?.n), 2, 'this one and the altered TC’s');
    });
  });
}
