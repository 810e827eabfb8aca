import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type {
  ClientToServerEvents,
  DeskDayView,
  DeskPendingView,
  DeskReconciliationView,
  DeskSettlementView,
  DeskStepEvent,
  TerminalView,
} from '@sscard/agent-protocol';
import { VpcdSlot } from '@sscard/card-emulator/bridge/vpcd-client';
import { createCard, parseCardDocument } from '@sscard/card-emulator/cards/index';
import { CardWithFaults } from '@sscard/card-emulator/faults';
import type { Quote } from '@sscard/agent-protocol/settlement';
import type { Settlement, Visit } from '@sscard/registry-protocol/settlement';
import {
  type Pcscd,
  type Postgres,
  repoRoot,
  startPcscd,
  startPostgres,
  tempDir,
  waitFor,
} from '@sscard/test-harness';
import { AgentConfigSchema } from '@sscard/terminal-agent/config/schema';
import { type RunningAgent, startAgent } from '@sscard/terminal-agent/daemon';
import { createLogger } from '@sscard/log';
import { type AgentSocket, openAgentPage } from './agent-page.js';
import {
  INSTITUTION,
  assignDesk,
  deskBill,
  insuredCard,
  ledgerBalances,
  setUpDeskWorld,
} from './desk-fixture.js';
import { type RegistryUnderTest, type SeededCard, startRegistry } from './registry-fixture.js';

/**
 * The hospital desk's settlement through the agent's local API, end to end: a hospital agent
 * enrolled with a real card-service (on sqlite3, then on the harness's PostgreSQL), a private
 * pcscd with vpcd, a virtual card personalised by the service, the PIN typed on the desk screen's
 * keypad. The HIS side is plain REST with the agent's token; the desk screen is a socket.io
 * client of the agent's own origin.
 */
// One private pcscd for the file: the PC/SC client library takes its socket name once per process.
let pcscd: Pcscd | undefined;
after(async () => {
  await pcscd?.stop();
});

for (const engine of ['sqlite3', 'PostgreSQL'] as const) {
  describe(`hospital desk settlement through the agent, card-service on ${engine}`, () => {
    const DESK = 'H-330300-0201';
    const quiet = createLogger({ level: 'error', write: () => {} });
    let registry: RegistryUnderTest;
    let agent: RunningAgent;
    let slot: VpcdSlot;
    let dataDir: string;
    let token: string;
    let base: string;
    let screen: AgentSocket;
    const steps: DeskStepEvent[] = [];
    let patient: SeededCard;
    let postgres: Postgres | undefined;

    function deskConfig(
      dir: string,
      terminalId: string,
      enrolmentCode: string,
      type: 'hospital' | 'bank' = 'hospital',
    ) {
      return AgentConfigSchema.parse({
        terminal: { id: terminalId, type, region: '330300' },
        api: { port: 0, tokenFile: join(dir, 'api-token') },
        // A bank counter takes PINs on a PIN pad only; this one never gets as far as a PIN.
        pin: { entry: type === 'bank' ? 'none' : 'keypad' },
        cardService: { url: registry.service.url, caCertPath: registry.caCertPath, enrolmentCode },
        dataDir: dir,
      });
    }

    before(async () => {
      postgres = engine === 'PostgreSQL' ? await startPostgres() : undefined;
      registry = await startRegistry({}, postgres ? { databaseUrl: postgres.url } : {});
      await setUpDeskWorld(registry);
      patient = await insuredCard(registry, 12000);
      pcscd ??= await startPcscd({ readers: 1 });
      process.env.PCSCLITE_CSOCK_NAME = pcscd.env.PCSCLITE_CSOCK_NAME;
      dataDir = await tempDir('sscard-desk-');
      agent = await startAgent(
        deskConfig(dataDir, DESK, await registry.enrolmentCode(DESK, 'hospital')),
        quiet,
      );
      await agent.registry.ready();
      await assignDesk(registry, DESK);
      token = (await readFile(join(dataDir, 'api-token'), 'utf8')).trim();
      base = `http://127.0.0.1:${agent.address.port}`;
      slot = new VpcdSlot({ port: pcscd.vpcdPorts[0]!, backoff: { initialMs: 50, maxMs: 300 } });
      await waitFor('the vpcd readers', () => agent.readers.list().length === 2);
      // The desk screen: the agent's own page, which shows the keypad and the flow's steps.
      screen = await openAgentPage(base);
      screen.on('settlement-step', (event) => steps.push(event));
    });

    after(async () => {
      screen?.close();
      slot?.close();
      await agent?.stop();
      await registry?.close();
      await postgres?.stop();
    });

    const userReader = () => agent.readers.list().find((r) => r.role === 'user');

    async function insert(card: SeededCard): Promise<void> {
      slot.insert(new CardWithFaults(createCard(parseCardDocument(card.document), registry.keyset)));
      await waitFor('the card', () => userReader()?.card);
    }

    async function remove(): Promise<void> {
      slot.remove();
      await waitFor('the card to be out', () => !userReader()?.card);
    }

    async function api<T>(method: string, path: string, body?: unknown, at = base, bearer = token) {
      const res = await fetch(`${at}${path}`, {
        method,
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, body: (await res.json()) as T };
    }

    const pinRequired = () => new Promise<void>((resolve) => screen.once('pin-required', () => resolve()));

    /** Starts the settle and types `pin` on the keypad once the agent asks for it. */
    async function settleWithPin(quoteId: string, pin: string) {
      const asked = pinRequired();
      const answer = api<DeskSettlementView & { code?: string; details?: Record<string, unknown> }>(
        'POST',
        '/v1/settlement/settle',
        { quoteId },
      );
      // An answer before the prompt is a refusal that needed no PIN: it is returned as it is.
      const early = await Promise.race([asked.then(() => undefined), answer]);
      if (early) return early;
      for (const d of pin) screen.emit('pin-key', d as Parameters<ClientToServerEvents['pin-key']>[0]);
      screen.emit('pin-key', 'enter');
      return answer;
    }

    async function quoteFor(hisVisitNo: string, useAccount = true): Promise<{ visit: Visit; quote: Quote }> {
      const visit = await api<Visit>('POST', '/v1/settlement/visits', {
        scheme: '310',
        visitType: 'outpatient',
        hisVisitNo,
      });
      assert.equal(visit.status, 200, JSON.stringify(visit.body));
      const bill = await api<{ lineCount: number; medfee_sumamt: number }>(
        'POST',
        `/v1/settlement/visits/${visit.body.visitId}/lines`,
        { lines: deskBill('outpatient-bill.json') },
      );
      assert.equal(bill.status, 200, JSON.stringify(bill.body));
      assert.deepEqual(bill.body, { visitId: visit.body.visitId, lineCount: 4, medfee_sumamt: 55290 });
      const quote = await api<Quote>('POST', `/v1/settlement/visits/${visit.body.visitId}/pre-settle`, {
        useAccount,
      });
      assert.equal(quote.status, 200, JSON.stringify(quote.body));
      assert.equal('challenge' in quote.body, false, "the quote's challenge stays in the agent");
      return { visit: visit.body, quote: quote.body };
    }

    /** The business day of the first settlement: the day's list and reconciliation are asked for it. */
    const day = () => settled.settlement.businessDate;

    async function reconciliation(): Promise<DeskReconciliationView> {
      const answer = await api<DeskReconciliationView>('GET', `/v1/settlement/reconciliation?date=${day()}`);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return answer.body;
    }

    let settled: DeskSettlementView;

    it('registers the visit of the card in the reader, takes the bill and answers the breakdown for the slip', async () => {
      await insert(patient);
      const { visit, quote } = await quoteFor('MZ-0001');
      // The card number came from the card, not from the caller.
      assert.equal(visit.cardNumber, patient.cardNumber);
      assert.equal(visit.hospitalLevel, 2);
      assert.equal(visit.crossRegion, false);
      // Fresh accumulators: the level's 80000 deductible takes all 38093 eligible, the account 12000.
      const b = quote.breakdown;
      assert.deepEqual(
        [b.medfee_sumamt, b.fulamt_ownpay_amt, b.overlmt_selfpay, b.preselfpay_amt, b.inscp_scp_amt],
        [55290, 9160, 1597, 6440, 38093],
      );
      assert.deepEqual(
        [b.act_pay_dedc, b.hifp_pay, b.hifmi_pay, b.psn_part_amt, b.acct_pay, b.psn_cash_pay, b.balc],
        [38093, 0, 0, 55290, 12000, 43290, 0],
      );
      // The desk screen hears of each step (over long polling: it may come after the answer).
      await waitFor('the quoted step', () => steps.length >= 3);
      assert.deepEqual(
        steps.map((s) => s.step),
        ['visit-registered', 'bill-uploaded', 'quoted'],
      );
      const quoted = steps[2]!;
      assert.ok(quoted.step === 'quoted' && !('challenge' in quoted.quote), 'nor is it announced');
    });

    it('tells its own page the terminal: a hospital desk, and the institution card-service has it settle for', async () => {
      // As the desk screen asks: a same-origin request of the agent's own page, no token.
      const res = await fetch(`${base}/v1/terminal`, { headers: { 'sec-fetch-site': 'same-origin' } });
      assert.equal(res.status, 200);
      const view = (await res.json()) as TerminalView;
      assert.deepEqual(view, {
        terminalId: DESK,
        type: 'hospital',
        enrolled: true,
        region: '330300',
        mode: 'desk',
        institution: { institutionId: INSTITUTION, name: 'City Hospital', region: '330300', level: 2 },
      });
    });

    it('refuses a wrong PIN before anything is sent, then settles with the right one, exactly once', async () => {
      const { quote } = await quoteFor('MZ-0002');
      const wrong = await settleWithPin(quote.quoteId, '000000');
      assert.equal(wrong.status, 403, JSON.stringify(wrong.body));
      assert.equal(wrong.body.code, 'PIN_WRONG');
      assert.equal(wrong.body.details?.triesLeft, 2);
      const journal = await api<DeskPendingView>('GET', '/v1/settlement/pending');
      assert.deepEqual(journal.body.items, []);

      const right = await settleWithPin(
        quote.quoteId,
        (patient.document as { pin: { value: string } }).pin.value,
      );
      assert.equal(right.status, 200, JSON.stringify(right.body));
      settled = right.body;
      const s: Settlement = settled.settlement;
      assert.equal(s.status, 'settled');
      assert.equal(s.terminalId, DESK);
      assert.equal(s.attemptKey, settled.attemptKey);
      assert.match(settled.attemptKey, new RegExp(`^${DESK}:\\d{10}$`));
      assert.deepEqual(s.breakdown, quote.breakdown);
      await waitFor('the settled step', () =>
        steps.some((e) => e.step === 'settled' && e.result.settlement.settlementId === s.settlementId),
      );
      assert.ok(await ledgerBalances(registry));

      // The same quote cannot be paid again.
      const again = await settleWithPin(
        quote.quoteId,
        (patient.document as { pin: { value: string } }).pin.value,
      );
      assert.equal(again.status, 404, JSON.stringify(again.body));
      assert.equal(again.body.code, 'QUOTE_NOT_AT_THIS_DESK');
    });

    it("lists the day's settlements and reconciles the journal with the service's 3201/3202", async () => {
      const list = await api<DeskDayView>('GET', `/v1/settlement/day?date=${day()}`);
      assert.equal(list.status, 200);
      assert.deepEqual(
        list.body.settlements.map((v) => [v.attemptKey, v.settlement.status]),
        [[settled.attemptKey, 'settled']],
      );
      const r = await reconciliation();
      assert.equal(r.balanced, true, JSON.stringify(r.mismatches));
      assert.equal(r.terminalId, DESK);
      assert.equal(r.service.standing.count, 1);
      assert.equal(r.service.standing.medfee_sumamt, 55290);
      assert.equal(r.service.standing.acct_pay, 12000);
      assert.deepEqual(r.journal, { count: 1, standing: 1, medfee_sumamt: 55290 });
    });

    it('cancels the settlement the same day; the journal, the service and the ledger agree', async () => {
      const cancelled = await api<DeskSettlementView>('POST', '/v1/settlement/cancel', {
        settlementId: settled.settlement.settlementId,
      });
      assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
      assert.equal(cancelled.body.settlement.status, 'cancelled');
      assert.equal(cancelled.body.attemptKey, settled.attemptKey);
      const r = await reconciliation();
      assert.equal(r.balanced, true, JSON.stringify(r.mismatches));
      assert.equal(r.service.standing.count, 0);
      assert.equal(r.service.ended.count, 1);
      assert.deepEqual(r.journal, { count: 1, standing: 0, medfee_sumamt: 0 });
      assert.ok(await ledgerBalances(registry));
      // A second cancellation is the service's refusal, passed on with its code.
      const twice = await api<{ code: string }>('POST', '/v1/settlement/cancel', {
        settlementId: settled.settlement.settlementId,
      });
      assert.equal(twice.body.code, 'SETTLEMENT_NOT_CANCELLABLE');
    });

    it('gives the desk operator the day, the pending items and the reconciliation with sscard settle', async () => {
      const configFile = join(dataDir, 'cli-config.json');
      await writeFile(
        configFile,
        JSON.stringify({
          terminal: { id: DESK, type: 'hospital', region: '330300' },
          api: { port: agent.address.port, tokenFile: join(dataDir, 'api-token') },
          dataDir,
        }),
      );
      const sscard = async (...args: string[]) => {
        try {
          const { stdout } = await promisify(execFile)(
            process.execPath,
            [join(repoRoot, 'terminal-agent', 'dist', 'cli.js'), ...args, '--config', configFile],
            { encoding: 'utf8' },
          );
          return { code: 0, stdout };
        } catch (e) {
          const failed = e as { code: number; stdout: string; stderr: string };
          return { code: failed.code, stdout: `${failed.stdout}${failed.stderr}` };
        }
      };
      const listed = await sscard('settle', 'day', '--date', day(), '--json');
      assert.equal(listed.code, 0, listed.stdout);
      assert.deepEqual(
        (JSON.parse(listed.stdout) as DeskDayView).settlements.map((s) => s.settlement.status),
        ['cancelled'],
      );
      const pending = await sscard('settle', 'pending');
      assert.deepEqual([pending.code, pending.stdout.trim()], [0, 'nothing pending']);
      const reconciled = await sscard('settle', 'reconcile', '--date', day());
      assert.equal(reconciled.code, 0, reconciled.stdout);
      assert.match(reconciled.stdout, /standing 0 \(0\.00\)/);
      assert.match(reconciled.stdout, /^balanced$/m);
      const usage = await sscard('settle', 'cancel');
      assert.equal(usage.code, 2, usage.stdout);
    });

    it('reverses an attempt the desk never learned the outcome of, and the service voids it', async () => {
      const reversed = await api<{ outcome: string; settlement: null }>('POST', '/v1/settlement/reversals', {
        attemptKey: `${DESK}:9999999999`,
      });
      assert.equal(reversed.status, 200, JSON.stringify(reversed.body));
      assert.equal(reversed.body.outcome, 'voided');
      assert.ok(await ledgerBalances(registry));
    });

    it('ends the PIN entry and sends nothing when the card is pulled before the PIN', async () => {
      const { quote } = await quoteFor('MZ-0003');
      const asked = pinRequired();
      const answer = api<{ code: string }>('POST', '/v1/settlement/settle', { quoteId: quote.quoteId });
      await asked;
      await remove();
      const refused = await answer;
      assert.equal(refused.status, 422, JSON.stringify(refused.body));
      assert.equal(refused.body.code, 'PIN_CANCELLED');
      const list = await api<DeskDayView>('GET', `/v1/settlement/day?date=${day()}`);
      assert.equal(list.body.settlements.length, 1, 'no settlement beyond the cancelled one');
      const r = await reconciliation();
      assert.equal(r.balanced, true);
      assert.equal(r.service.settled.count, 1);
    });

    it("refuses to settle another card than the visit's", async () => {
      const other = await insuredCard(registry, 0);
      await insert(patient);
      const { quote } = await quoteFor('MZ-0004');
      await remove();
      await insert(other);
      const refused = await settleWithPin(
        quote.quoteId,
        (other.document as { pin: { value: string } }).pin.value,
      );
      assert.equal(refused.status, 409, JSON.stringify(refused.body));
      assert.equal(refused.body.code, 'CARD_NOT_OF_VISIT');
      await remove();
    });

    it('refuses a card reported lost, with the service’s reason', async () => {
      const lost = await insuredCard(registry, 0);
      const reported = await registry.operator('POST', `/v1/cards/${lost.cardNumber}/events`, {
        event: 'reportTemporaryLoss',
      });
      assert.equal(reported.status, 200, JSON.stringify(reported.body));
      await insert(lost);
      const visit = await api<{ code: string }>('POST', '/v1/settlement/visits', {
        scheme: '310',
        visitType: 'outpatient',
        hisVisitNo: 'MZ-0005',
      });
      assert.equal(visit.status, 409, JSON.stringify(visit.body));
      assert.equal(visit.body.code, 'CARD_NOT_ACTIVE');
      await remove();
    });

    it('settles an inpatient admission: both identities to the fen, and the ledger balances', async () => {
      const inpatient = await insuredCard(registry, 1500000);
      await insert(inpatient);
      const visit = await api<Visit>('POST', '/v1/settlement/visits', {
        scheme: '310',
        visitType: 'inpatient',
        hisVisitNo: 'ZY-0001',
      });
      assert.equal(visit.status, 200, JSON.stringify(visit.body));
      assert.equal(visit.body.visitType, 'inpatient');
      const bill = await api<{ medfee_sumamt: number }>(
        'POST',
        `/v1/settlement/visits/${visit.body.visitId}/lines`,
        {
          lines: deskBill('inpatient-bill.json'),
        },
      );
      assert.equal(bill.body.medfee_sumamt, 2455000);
      const quote = await api<Quote>('POST', `/v1/settlement/visits/${visit.body.visitId}/pre-settle`, {
        useAccount: true,
      });
      assert.equal(quote.status, 200, JSON.stringify(quote.body));
      const b = quote.body.breakdown;
      assert.deepEqual(
        [b.medfee_sumamt, b.fulamt_ownpay_amt, b.overlmt_selfpay, b.preselfpay_amt, b.inscp_scp_amt],
        [2455000, 35000, 220000, 180000, 2020000],
      );
      assert.equal(b.medfee_sumamt, b.hifp_pay + b.hifmi_pay + b.acct_pay + b.psn_cash_pay);
      assert.ok(b.hifp_pay > 0);
      const settledIn = await settleWithPin(
        quote.body.quoteId,
        (inpatient.document as { pin: { value: string } }).pin.value,
      );
      assert.equal(settledIn.status, 200, JSON.stringify(settledIn.body));
      assert.equal(settledIn.body.settlement.status, 'settled');
      assert.deepEqual(settledIn.body.settlement.breakdown, b);
      assert.ok(await ledgerBalances(registry));
      const r = await api<DeskReconciliationView>(
        'GET',
        `/v1/settlement/reconciliation?date=${settledIn.body.settlement.businessDate}`,
      );
      assert.equal(r.body.balanced, true, JSON.stringify(r.body.mismatches));
      await remove();
    });

    it("a settle refused after the card's proof spent the quote's challenge: the desk is told to pre-settle again", async () => {
      const holder = await insuredCard(registry, 5000);
      const pin = (holder.document as { pin: { value: string } }).pin.value;
      await insert(holder);
      const { visit, quote } = await quoteFor('MZ-0006');
      // The account moves between the quote and the settle: the service refuses once the proof is checked.
      const credited = await registry.operator('POST', `/v1/holders/${holder.personNo}/account-credits`, {
        amount: 100,
        reference: 'desk-balance-moved',
      });
      assert.equal(credited.status, 200, JSON.stringify(credited.body));
      const moved = await settleWithPin(quote.quoteId, pin);
      assert.equal(moved.status, 409, JSON.stringify(moved.body));
      assert.equal(moved.body.code, 'ACCOUNT_BALANCE_CHANGED');
      const again = await settleWithPin(quote.quoteId, pin);
      assert.equal(again.status, 404, JSON.stringify(again.body));
      assert.equal(again.body.code, 'QUOTE_NOT_AT_THIS_DESK');
      // A new quote comes with a new challenge, and settles.
      const requote = await api<Quote>('POST', `/v1/settlement/visits/${visit.visitId}/pre-settle`, {
        useAccount: true,
      });
      assert.equal(requote.status, 200, JSON.stringify(requote.body));
      const settledNow = await settleWithPin(requote.body.quoteId, pin);
      assert.equal(settledNow.status, 200, JSON.stringify(settledNow.body));
      assert.equal(settledNow.body.settlement.breakdown.acct_pay, 5100);
      assert.ok(await ledgerBalances(registry));
      await remove();
    });

    it('settles from the desk screen over socket.io, whose client owns the PIN entry and may cancel it', async () => {
      await insert(patient);
      const { quote } = await quoteFor('MZ-0006');
      let asked = pinRequired();
      const cancelled = screen.timeout(60_000).emitWithAck('settle', { quoteId: quote.quoteId });
      await asked;
      screen.emit('pin-cancel');
      const refused = await cancelled;
      assert.ok(!refused.ok && refused.problem.code === 'PIN_CANCELLED', JSON.stringify(refused));

      asked = pinRequired();
      const settling = screen.timeout(60_000).emitWithAck('settle', { quoteId: quote.quoteId });
      await asked;
      for (const d of (patient.document as { pin: { value: string } }).pin.value)
        screen.emit('pin-key', d as Parameters<ClientToServerEvents['pin-key']>[0]);
      screen.emit('pin-key', 'enter');
      const reply = await settling;
      assert.ok(reply.ok, JSON.stringify(reply));
      assert.equal(reply.result.settlement.status, 'settled');
      assert.deepEqual(reply.result.settlement.breakdown, quote.breakdown);
      assert.ok(await ledgerBalances(registry));
      await remove();
    });

    /** Every desk and bank call of the local API, each of which a kiosk must refuse. */
    const counterCalls = (): [string, string, unknown][] => [
      ['POST', '/v1/settlement/visits', { scheme: '310', visitType: 'outpatient', hisVisitNo: 'K1' }],
      ['POST', '/v1/settlement/visits/V1/lines', { lines: deskBill('outpatient-bill.json') }],
      ['POST', '/v1/settlement/visits/V1/pre-settle', { useAccount: true }],
      ['POST', '/v1/settlement/settle', { quoteId: 'Q1' }],
      ['POST', '/v1/settlement/cancel', { settlementId: settled.settlement.settlementId }],
      ['POST', '/v1/settlement/reversals', { attemptKey: settled.attemptKey }],
      ['POST', '/v1/settlement/settle', 'not even a body'],
      ['GET', '/v1/settlement/day', undefined],
      ['GET', '/v1/settlement/pending', undefined],
      ['GET', '/v1/settlement/reconciliation', undefined],
      ['POST', '/v1/card/debit/withdrawal', { amount: 10_000 }],
      ['POST', '/v1/card/pin/bank-block', {}],
      ['POST', '/v1/card/debit/balance', {}],
    ];

    /** Starts an agent of `type` enrolled as a kiosk, and runs `work` against it. */
    async function withKioskEnrolled(
      terminalId: string,
      type: 'hospital' | 'bank',
      work: (at: string, token: string) => Promise<void>,
    ): Promise<void> {
      const kioskDir = await tempDir('sscard-desk-kiosk-');
      const kiosk = await startAgent(
        deskConfig(kioskDir, terminalId, await registry.enrolmentCode(terminalId, 'kiosk'), type),
        quiet,
      );
      try {
        await kiosk.registry.ready();
        const kioskToken = (await readFile(join(kioskDir, 'api-token'), 'utf8')).trim();
        await work(`http://127.0.0.1:${kiosk.address.port}`, kioskToken);
      } finally {
        await kiosk.stop();
      }
    }

    async function assertRefusesCounterCalls(at: string, bearer: string): Promise<void> {
      for (const [method, path, body] of counterCalls()) {
        const answer = await api<{ code: string }>(method, path, body, at, bearer);
        assert.equal(answer.status, 403, `${method} ${path}: ${JSON.stringify(answer.body)}`);
        assert.equal(answer.body.code, 'TERMINAL_TYPE_FORBIDDEN');
      }
    }

    it('refuses every desk and bank call at a terminal enrolled as a kiosk, whatever its configuration or its page asks', async () => {
      await withKioskEnrolled('K-330300-0202', 'hospital', async (at, kioskToken) => {
        await assertRefusesCounterCalls(at, kioskToken);
        // Its own page is told it is a kiosk, with no institution…
        const page = await openAgentPage(at);
        try {
          const res = await fetch(`${at}/v1/terminal`, { headers: { 'sec-fetch-site': 'same-origin' } });
          const view = (await res.json()) as TerminalView;
          assert.deepEqual(
            [view.mode, view.type, view.enrolled, view.institution],
            ['kiosk', 'kiosk', true, null],
          );
          // …and a page that asks for a settle all the same is refused.
          const reply = await page.timeout(30_000).emitWithAck('settle', { quoteId: 'Q1' });
          assert.ok(!reply.ok && reply.problem.code === 'TERMINAL_TYPE_FORBIDDEN', JSON.stringify(reply));
        } finally {
          page.close();
        }
      });
      // Configured as a bank counter, enrolled as a kiosk: no money moves, by the certificate.
      await withKioskEnrolled('K-330300-0203', 'bank', async (at, kioskToken) => {
        await assertRefusesCounterCalls(at, kioskToken);
        const view = await api<TerminalView>('GET', '/v1/terminal', undefined, at, kioskToken);
        assert.equal(view.body.mode, 'kiosk');
      });
    });
  });
}
