import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chinaDate } from '../clock.js';
import { type Answer, type CallOptions, type TestService, startTestService } from '../testing/api-fixture.js';
import { silentLogger } from '@sscard/log';
import { startService } from '../service.js';
import { crashTestConfig } from '../testing/crash-child-service.js';
import { forEachEngine } from '../testing/engines-fixture.js';
import { readAccumulators } from './accumulators.js';
import { account, balanceOf, verifyLedger } from './ledger.js';
import {
  currentPolicyYears,
  deskClient,
  exampleLines,
  insuredCard,
  setUpSettlementWorld,
} from '../testing/settlement-fixture.js';

const CHILD = fileURLToPath(new URL('../testing/settle-crash-child.js', import.meta.url));

/** Starts the crashing service; resolves with its URL and a promise of how it ended. */
async function startCrashingService(databaseUrl: string, dataDir: string, hsmDir: string, point: string) {
  const child = spawn(process.execPath, [CHILD, databaseUrl, dataDir, hsmDir, point], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => {
    err += d;
  });
  const ended = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('exit', (_code, signal) => resolve(signal)),
  );
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on('exit', () => reject(new Error(`the service did not start: ${err}`)));
  });
  return { url, ended, stderr: () => err };
}

/** Requests straight to a service at `url`; a connection that fails answers status 0 with its error code. */
function callAt(url: string, caPem: string): TestService['call'] {
  return (method, path, options: CallOptions = {}) =>
    new Promise<Answer>((resolve) => {
      const text = options.body === undefined ? undefined : JSON.stringify(options.body);
      const req = request(
        `${url}${path}`,
        {
          method,
          ca: caPem,
          agent: false,
          ...(options.identity ? { key: options.identity.key, cert: options.identity.cert } : {}),
          headers: {
            ...(text !== undefined ? { 'content-type': 'application/json' } : {}),
            ...options.headers,
          },
        },
        (res) => {
          let data = '';
          res.setEncoding('utf8');
          res.on('data', (chunk) => {
            data += chunk;
          });
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(data), headers: res.headers }),
          );
        },
      );
      req.on('error', (e) =>
        resolve({ status: 0, body: { error: (e as NodeJS.ErrnoException).code ?? e.message }, headers: {} }),
      );
      req.end(text);
    });
}

forEachEngine(
  'settlement when the service is killed between receiving a settle and answering',
  ({ freshUrl, dataDir }) => {
    for (const point of ['before-commit', 'after-commit'] as const) {
      test(`killed ${point}: the desk's retry with the same key settles exactly once`, async () => {
        const url = await freshUrl();
        const dir = join(dataDir(), `crash-${point}`);
        let t: TestService = await startTestService(url, dir);
        // The service runs on the system clock here: the world has the policy of this year.
        const desks = await setUpSettlementWorld(t, { policyYears: currentPolicyYears() });
        const year = Number(chinaDate(new Date()).slice(0, 4));
        const c = await insuredCard(t);
        const credited = await t.call('POST', `/v1/holders/${c.personNo}/account-credits`, {
          token: t.adminToken,
          body: { amount: 100000, reference: 'crash' },
        });
        assert.equal(credited.status, 200, JSON.stringify(credited.body));
        const desk = deskClient(t, desks.h2a, 'desk-2a');
        const { visit, quote } = await desk.quote(c, exampleLines('outpatient-bill.json'));
        const proof = desk.quoteProof(c, quote);
        await t.service.close();
        // The HSM serves the crashing service too, then goes with it.
        await t.hsm.start();
        const crashing = await startCrashingService(url, dir, t.hsm.dir, point).catch(async (e) => {
          await t.hsm.stop();
          throw e;
        });
        const caPem = readFileSync(join(dir, 'ca', 'ca-cert.pem'), 'utf8');
        const key = 'desk-2a:journal-41';
        const lost = await callAt(crashing.url, caPem)('POST', '/v1/settlement/settle', {
          identity: desks.h2a,
          headers: { 'idempotency-key': key },
          body: { quoteId: quote.quoteId, proof },
        });
        assert.equal(lost.status, 0, `the desk got no answer: ${JSON.stringify(lost.body)}`);
        assert.equal(await crashing.ended, 'SIGKILL', crashing.stderr());

        // The service comes back on the same store and HSM.
        const running = await startService(crashTestConfig(url, dir, t.hsm.dir), { log: silentLogger });
        t = { ...t, service: running, call: callAt(running.url, caPem) };
        try {
          const retry = deskClient(t, desks.h2a, 'desk-2a');
          // The desk retries with the same key and, having had no answer, the card's proof over the
          // quote's challenge again: the lost attempt either committed (the retry is replayed
          // before the proof is looked at) or spent nothing.
          const again = await retry.post(
            '/v1/settlement/settle',
            { quoteId: quote.quoteId, proof: retry.quoteProof(c, quote) },
            key,
          );
          assert.equal(again.status, 200, JSON.stringify(again.body));
          assert.equal(
            again.body.replayed === true,
            point === 'after-commit',
            'replayed exactly when it had committed',
          );
          const store = t.service.store;
          const rows = await store.all<{ settlement_id: string }>(
            'SELECT settlement_id FROM settlements WHERE visit_id = ?',
            [visit.visitId],
          );
          assert.deepEqual(
            rows.map((r) => r.settlement_id),
            [again.body.settlementId],
          );
          const b = again.body.breakdown;
          assert.equal(await balanceOf(store, account.personal(c.personNo)), 100000 - b.acct_pay);
          assert.deepEqual(
            await readAccumulators(store, {
              personNo: c.personNo,
              scheme: '310',
              insuredRegion: '330300',
              year,
            }),
            b.accumulators,
          );
          const ledger = await verifyLedger(store);
          assert.ok(ledger.ok, JSON.stringify(ledger));
          const entries = await store.all('SELECT 1 AS x FROM ledger_entries WHERE txn_id = ?', [
            again.body.settlementId,
          ]);
          const paying = [b.hifp_pay, b.hifmi_pay, b.acct_pay].filter((amount: number) => amount > 0).length;
          assert.ok(paying > 0);
          assert.equal(entries.length, paying + 1, 'each paying account and the receivable: posted once');
          const status = await retry.get(`/v1/settlement/attempts/${encodeURIComponent(key)}`);
          assert.equal(status.body.outcome, 'settled');
        } finally {
          await running.close();
          await t.hsm.stop();
        }
      });
    }
  },
);
