import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { freePort, repoRoot, tempDir, waitFor } from '@sscard/test-harness';

const run = promisify(execFile);

/** A JSON answer of an HTTP(S) call: status and body. */
interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** This day in China Standard Time, where business days are counted. */
const chinaDate = () => new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);

// The whole service hall as `npm start` brings it up (registry, private pcscd, emulator, the kiosk,
// hospital desk, bank counter and bureau counter agents), driven the way an operator, a HIS, a
// bank's teller software and a bureau clerk would: the printed ready banner, the `sscard` CLI, the counters' local APIs, the keys
// typed on the emulated PIN pads, and the registry's own ledger and reconciliation.
describe('npm start', () => {
  let child: ChildProcess;
  let output = '';
  const env: Record<string, string> = {};

  before(async () => {
    env.SSCARD_DATA_DIR = await tempDir('sscard-start-');
    env.SSCARD_SERVICE_PORT = String(await freePort());
    env.SSCARD_API_PORT = String(await freePort());
    env.SSCARD_EMULATOR_PORT = String(await freePort());
    env.SSCARD_DESK_PORT = String(await freePort());
    env.SSCARD_BANK_PORT = String(await freePort());
    env.SSCARD_BUREAU_PORT = String(await freePort());
    child = spawn(process.execPath, [join(repoRoot, 'scripts', 'start.mjs')], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    await waitFor('the ready banner', () => output.includes('Ctrl-C stops everything'), 180_000, 100);
  });

  after(async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });

  const sscard = (...args: string[]) =>
    run(process.execPath, [join(repoRoot, 'terminal-agent', 'dist', 'sscard.cjs'), ...args], {
      env: { ...process.env, ...env },
    });

  test('the agent shows the virtual readers and the demo card in its log', () => {
    // One log record per line, its fields in whatever order the logger writes them.
    const logged = (msg: string, reader: string) =>
      output.split('\n').some((line) => line.includes(msg) && line.includes(reader));
    assert.ok(logged('reader added', 'Virtual PCD 00 00'), output);
    assert.ok(logged('card inserted', 'Virtual PCD 00 00'), output);
    // The serial reader with a PIN keypad (sscard-stx-bcc-keypad) on its pseudo-terminal.
    assert.ok(logged('reader added', 'sscard serial reader'), output);
    // Not the desk's or the bank counter's readers, which the same pcscd offers.
    const kioskLines = output.split('\n').filter((line) => line.startsWith('[terminal-agent]'));
    assert.ok(kioskLines.length > 0);
    assert.ok(!kioskLines.some((line) => line.includes('Virtual PCD #')), output);
  });

  test('sscard read prints the verified card with its registry check', async () => {
    const result = await waitFor(
      'the agent to be enrolled and read the card',
      async () => {
        const { stdout } = await sscard('read', '--json');
        const parsed = JSON.parse(stdout) as {
          verification: { genuine: boolean };
          registry?: { status: string };
          info: { cardNumber: string };
        };
        return parsed.registry?.status === 'valid' ? parsed : undefined;
      },
      30_000,
      500,
    );
    assert.equal(result.verification.genuine, true);
    assert.match(result.info.cardNumber, /^[0-9A-Z*]{9}$/);
  });

  test('sscard read --bas prints the ministry string for the same card', async () => {
    const { stdout } = await sscard('read', '--bas');
    const fields = stdout.trim().split('|');
    assert.equal(fields.length, 12);
    assert.equal(fields[11], '');
    assert.match(fields[3]!, /^[0-9A-F]{32}$/);
  });

  /** The banner's line that names `what`, its `pattern`'s first group. */
  const fromBanner = (pattern: RegExp) => {
    const found = pattern.exec(output)?.[1];
    assert.ok(found, `${pattern} in the banner:\n${output}`);
    return found;
  };

  /** A counter's local API as its host software calls it, with the counter's API token. */
  const counter =
    (
      name: 'desk' | 'bank' | 'bureau',
      portVariable: 'SSCARD_DESK_PORT' | 'SSCARD_BANK_PORT' | 'SSCARD_BUREAU_PORT',
    ) =>
    async (method: string, path: string, body?: unknown): Promise<Answer> => {
      const token = (await readFile(join(env.SSCARD_DATA_DIR!, name, 'api-token'), 'utf8')).trim();
      const res = await fetch(`http://127.0.0.1:${env[portVariable]}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
  const desk = counter('desk', 'SSCARD_DESK_PORT');
  const bank = counter('bank', 'SSCARD_BANK_PORT');
  const bureau = counter('bureau', 'SSCARD_BUREAU_PORT');

  /** The cardholder types `keys` on a PIN pad of the emulator (its control API). */
  async function typeOnPad(pad: 'desk' | 'bank', keys: string): Promise<void> {
    const res = await fetch(`http://127.0.0.1:${env.SSCARD_EMULATOR_PORT}/pinpads/${pad}/keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ keys }),
    });
    assert.equal(res.status, 200, await res.text());
  }

  /** card-service's operator API with the admin token, over the registry's CA. */
  async function operator(method: string, path: string, body?: unknown): Promise<Answer> {
    const service = join(env.SSCARD_DATA_DIR!, 'service');
    const ca = await readFile(join(service, 'ca', 'ca-cert.pem'));
    const token = (await readFile(join(service, 'admin-token'), 'utf8')).trim();
    return new Promise((resolve, reject) => {
      const req = request(
        `https://127.0.0.1:${env.SSCARD_SERVICE_PORT}${path}`,
        { method, ca, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
            }),
          );
        },
      );
      req.on('error', reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  }

  test('each counter serves its own screens and sees only its own reader, with a demo card in it', async () => {
    for (const [port, mode, reader] of [
      [env.SSCARD_DESK_PORT, 'desk', 'Virtual PCD #3 00 00'],
      [env.SSCARD_BANK_PORT, 'bank', 'Virtual PCD #4 00 00'],
    ] as const) {
      const page = await fetch(`http://127.0.0.1:${port}/`);
      assert.equal(page.status, 200);
      const call = mode === 'desk' ? desk : bank;
      const readers = await waitFor(
        `the ${mode} agent to see its card`,
        async () => {
          const { body } = await call('GET', '/v1/readers');
          const list = body.readers as { name: string; card?: unknown }[];
          return list.length === 1 && list[0]!.card ? list : undefined;
        },
        30_000,
        250,
      );
      assert.deepEqual(
        readers.map((r) => r.name),
        [reader],
      );
    }
    assert.match(output, /hospital desk: +http:\/\/127\.0\.0\.1:\d+\//);
    assert.match(output, /bank counter: +http:\/\/127\.0\.0\.1:\d+\//);
  });

  test('a pension withdrawal at the bank counter, the bank PIN typed on its pad, paid and reconciled', async () => {
    const bankPin = fromBanner(/press bank (\d{6})E/);
    const terminal = await bank('GET', '/v1/terminal');
    assert.equal(terminal.body.type, 'bank', JSON.stringify(terminal.body));
    const before = await operator('GET', `/v1/holders?q=${fromBanner(/(A\d{7}\w)[^\n]*pensioner/)}`);
    const personNo = (before.body.holders as { personNo: string }[])[0]!.personNo;
    const payments = await operator('GET', `/v1/pensions/entitlements/${personNo}/payments`);
    assert.equal(payments.status, 200, JSON.stringify(payments.body));
    assert.ok((payments.body.payments as unknown[]).length >= 1, 'this month’s pension paid by the run');

    await typeOnPad('bank', `${bankPin}E`);
    const done = await bank('POST', '/v1/card/debit/withdrawal', { amount: 100_000 });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal(done.body.status, 'completed', JSON.stringify(done.body));
    assert.equal(done.body.arc, '00');

    const day = await operator('POST', '/v1/pensions/withdrawals/reconciliation', {
      date: chinaDate(),
      terminalIds: [terminal.body.terminalId],
      withdrawals: [
        {
          terminalId: terminal.body.terminalId,
          authorisationKey: done.body.authorisationKey,
          paidOut: 100_000,
        },
      ],
    });
    assert.equal(day.status, 200, JSON.stringify(day.body));
    assert.equal(day.body.matched, 1, JSON.stringify(day.body));
    assert.deepEqual(day.body.differences, []);
    assert.deepEqual(day.body.service, { count: 1, paidOut: 100_000 });
  });

  test('a settlement at the hospital desk through its local API, the card PIN typed on its pad, reconciled', async () => {
    const pin = fromBanner(/press desk (\d{6})E/);
    const visit = await desk('POST', '/v1/settlement/visits', {
      scheme: '310',
      visitType: 'outpatient',
      hisVisitNo: 'MZ-START-1',
    });
    assert.equal(visit.status, 200, JSON.stringify(visit.body));
    const lines = [
      { lineNo: 1, itemCode: 'XA01', unitPrice: 1250, quantity: 4 },
      { lineNo: 2, itemCode: 'FB02', unitPrice: 33333, quantity: 1 },
    ];
    const billed = await desk('POST', `/v1/settlement/visits/${visit.body.visitId}/lines`, { lines });
    assert.equal(billed.status, 200, JSON.stringify(billed.body));
    assert.equal(billed.body.medfee_sumamt, 38_333);
    const quote = await desk('POST', `/v1/settlement/visits/${visit.body.visitId}/pre-settle`, {
      useAccount: true,
    });
    assert.equal(quote.status, 200, JSON.stringify(quote.body));

    await typeOnPad('desk', `${pin}E`);
    const settled = await desk('POST', '/v1/settlement/settle', { quoteId: quote.body.quoteId });
    assert.equal(settled.status, 200, JSON.stringify(settled.body));
    const settlement = settled.body.settlement as { status: string; breakdown: { medfee_sumamt: number } };
    assert.equal(settlement.status, 'settled');
    assert.equal(settlement.breakdown.medfee_sumamt, 38_333);

    // The desk's day against the service's (3201), and the service's own check of its ledger.
    const day = await desk('GET', '/v1/settlement/reconciliation');
    assert.equal(day.status, 200, JSON.stringify(day.body));
    assert.equal(day.body.balanced, true, JSON.stringify(day.body));
    const service = day.body.service as { settled: { count: number; medfee_sumamt: number } };
    assert.deepEqual([service.settled.count, service.settled.medfee_sumamt], [1, 38_333]);
    const ledger = await operator('GET', '/v1/settlement/ledger/verify');
    assert.equal(ledger.status, 200, JSON.stringify(ledger.body));
    assert.equal(ledger.body.ok, true, JSON.stringify(ledger.body));
  });

  test('a forgotten PIN reset at the bureau counter, on the demo clerk’s authorisation', async () => {
    const terminal = await bureau('GET', '/v1/terminal');
    assert.equal(terminal.body.mode, 'bureau', JSON.stringify(terminal.body));
    const clerkToken = (await readFile(fromBanner(/operator token in (\S+);/), 'utf8')).trim();
    const clerk = await bureau('POST', '/v1/bureau/clerk', { clerkToken });
    assert.equal(clerk.status, 200, JSON.stringify(clerk.body));
    // The citizen brings the kiosk's card to the counter.
    const cardNumber = fromBanner(/insert bureau (\S+)/);
    const moved = await fetch(`http://127.0.0.1:${env.SSCARD_EMULATOR_PORT}/slots/bureau/insert`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ card: cardNumber }),
    });
    assert.equal(moved.status, 200, await moved.text());
    const read = await waitFor(
      'the bureau agent to read the card',
      async () => {
        const answer = await bureau('POST', '/v1/card/read', {});
        return answer.status === 200 ? answer : undefined;
      },
      30_000,
      250,
    );
    const info = read.body.info as { ssn: string; cardNumber: string };
    assert.equal(info.cardNumber, cardNumber);
    const authorised = await bureau('POST', '/v1/bureau/pin-authorisation', {
      operation: 'reload',
      clerkToken,
      holderIdNumber: info.ssn,
    });
    assert.equal(authorised.status, 200, JSON.stringify(authorised.body));
    const done = await bureau('POST', '/v1/bureau/pin-management', { operation: 'reload' });
    assert.deepEqual(done.body, { operation: 'reload', ok: true, code: 0 });
    const audit = await operator('GET', '/v1/audit?limit=1000');
    const entries = audit.body.entries as { action: string; result: string; operatorId: string | null }[];
    assert.ok(
      entries.some(
        (e) =>
          e.action === 'card.hsmPinReload' && e.result === 'ok' && e.operatorId === clerk.body.operatorId,
      ),
    );
  });

  test('Ctrl-C stops every component', async () => {
    child.kill('SIGINT');
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 0);
  });
});
