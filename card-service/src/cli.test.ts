import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { makeCitizenId } from '@sscard/card-core';
import { bypassAppendOnly } from './testing/tamper-fixture.js';
import { openStore } from './store/open-store.js';
import { systemClock } from './clock.js';
import { authenticateOperator } from './terminals/operator-tokens.js';

const CLI = fileURLToPath(new URL('./cli.js', import.meta.url));

describe('sscard-service command line', () => {
  let dir: string;
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [CLI, ...args], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', SSCARD_DATA_DIR: dir, SSCARD_LOG_LEVEL: 'silent' },
    });
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sscard-cli-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('settlement quote prints the breakdown of the files without a store, and names a bad field', async () => {
    const examples = fileURLToPath(new URL('../docs/settlement-examples/', import.meta.url));
    /** A quote of `bill` under the example policy and outpatient accumulators. */
    const quoteOf = (bill: string, ...more: string[]) =>
      run(
        'settlement',
        'quote',
        '--policy',
        join(examples, 'policy-330300-310-2026.json'),
        '--accumulators',
        join(examples, 'outpatient-accumulators.json'),
        '--bill',
        bill,
        ...more,
      );
    const quote = quoteOf(
      join(examples, 'outpatient-bill.json'),
      '--account',
      '12000',
      '--use-account',
      '--visit',
      'outpatient',
      '--level',
      '2',
      '--group',
      'in_service',
    );
    assert.equal(quote.status, 0, quote.stderr);
    const b = JSON.parse(quote.stdout);
    assert.deepEqual(
      [b.medfee_sumamt, b.hifp_pay, b.acct_pay, b.psn_cash_pay, b.balc],
      [55290, 4856, 12000, 38434, 0],
    );
    const bad = join(dir, 'bad-bill.json');
    await writeFile(
      bad,
      JSON.stringify({
        lines: [
          {
            itemCode: 'X',
            itemClass: 'A',
            preSelfPayShare: 0,
            priceCeiling: null,
            unitPrice: 1.5,
            quantity: 1,
          },
        ],
      }),
    );
    const refused = quoteOf(bad);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /lines\.0\.unitPrice/);
    assert.equal(run('settlement', 'quote', '--level', '4').status, 2);
  });

  test('settlement publish-policy publishes versions 1, 2…; catalogue import checks every row first', async () => {
    const policy = fileURLToPath(
      new URL('../docs/settlement-examples/policy-330300-310-2026.json', import.meta.url),
    );
    const first = run('settlement', 'publish-policy', policy);
    assert.equal(first.status, 0, first.stderr);
    assert.equal(JSON.parse(first.stdout).version, 1);
    assert.equal(JSON.parse(run('settlement', 'publish-policy', policy).stdout).version, 2);
    const listed = run('settlement', 'policies', '330300');
    assert.deepEqual(
      JSON.parse(listed.stdout).map((p: { version: number }) => p.version),
      [1, 2],
    );
    const badPolicy = join(dir, 'bad-policy.json');
    const draft = JSON.parse(await readFile(policy, 'utf8'));
    await writeFile(badPolicy, JSON.stringify({ ...draft, effectiveFrom: '2025-01-01' }));
    const refused = run('settlement', 'publish-policy', badPolicy);
    assert.equal(refused.status, 1);
    assert.match(refused.stdout, /^effectiveFrom: effectiveFrom lies in the policy year/m);
    draft.parameters.ratios.inpatient['3'].retired = 10001;
    await writeFile(badPolicy, JSON.stringify(draft));
    assert.match(
      run('settlement', 'publish-policy', badPolicy).stdout,
      /^parameters\.ratios\.inpatient\.3\.retired: /m,
    );

    const csv = join(dir, 'catalogue.csv');
    await writeFile(
      csv,
      'item_code,name,item_class,pre_self_pay_share,price_ceiling_yuan\nXA01,阿莫西林胶囊,A,,10.00\nFB02,"CT, plain",B,1500,\nXC04,进口耗材,C,0,\n',
    );
    const loaded = run('catalogue', 'import', '330300', csv);
    assert.equal(loaded.status, 0, loaded.stderr);
    assert.match(loaded.stderr, /loaded 3 items into the catalogue of 330300/);
    const store = await openStore({ dataDir: dir, databaseUrl: '' });
    try {
      const rows = await store.all<{
        item_code: string;
        pre_self_pay_share: number;
        price_ceiling: number | null;
      }>('SELECT item_code, pre_self_pay_share, price_ceiling FROM catalogue_items ORDER BY item_code');
      assert.deepEqual(
        rows.map((r) => [r.item_code, r.pre_self_pay_share, r.price_ceiling]),
        [
          ['FB02', 1500, null],
          ['XA01', 0, 1000],
          ['XC04', 0, null],
        ],
      );
    } finally {
      await store.close();
    }
    const bad = join(dir, 'bad-catalogue.csv');
    await writeFile(
      bad,
      'item_code,name,item_class,pre_self_pay_share,price_ceiling_yuan\nZ1,x,A,,\nZ2,y,D,,\nZ3,z,B,100,1.234\nZ1,again,A,,\nZ4,w,A,500,\n',
    );
    const badRun = run('catalogue', 'import', '330300', bad);
    assert.equal(badRun.status, 1);
    assert.match(badRun.stdout, /^line 3: itemClass/m);
    assert.match(badRun.stdout, /^line 4: price_ceiling_yuan/m);
    assert.match(badRun.stdout, /^line 5: item_code: Z1 already on line 2/m);
    assert.match(badRun.stdout, /^line 6: preSelfPayShare: only class B/m);
  });

  test('enrol-code prints a one-time code and revoke revokes the terminal', () => {
    const code = run('enrol-code', '--terminal-id', 'kiosk-9', '--type', 'kiosk', '--region', '330300');
    assert.equal(code.status, 0, code.stderr);
    assert.match(code.stdout.trim(), /^[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}$/);
    const revoke = run('revoke', 'kiosk-9');
    assert.equal(revoke.status, 0, revoke.stderr);
    assert.equal(run('revoke', 'nobody').status, 1);
    assert.equal(run('enrol-code', '--terminal-id', 'x', '--type', 'tram', '--region', '330300').status, 2);
  });

  test('token create, list, rotate and revoke manage operator tokens; a token printed works until revoked', async () => {
    const made = run(
      'token',
      'create',
      '--name',
      'nightly export',
      '--scopes',
      'audit:read,registry:read',
      '--days',
      '10',
    );
    assert.equal(made.status, 0, made.stderr);
    const token = made.stdout.trim();
    const [, tokenId] = /^sst_([0-9a-f]{16})_/.exec(token) ?? [];
    assert.ok(tokenId, made.stdout);
    const listed = JSON.parse(run('token', 'list').stdout) as Record<string, unknown>[];
    const row = listed.find((x) => x.tokenId === tokenId);
    assert.deepEqual(
      [row?.name, row?.status, row?.scopes],
      ['nightly export', 'active', ['audit:read', 'registry:read']],
    );
    assert.ok(!JSON.stringify(listed).includes(token.slice(22)), 'no secret in the list');
    const rotated = run('token', 'rotate', tokenId, '--overlap', '0');
    assert.equal(rotated.status, 0, rotated.stderr);
    const next = rotated.stdout.trim();
    assert.match(rotated.stderr, /the old secret is no longer good/);
    const store = await openStore({ dataDir: dir, databaseUrl: '' });
    try {
      assert.equal((await authenticateOperator(store, systemClock, next)).tokenId, tokenId);
      await assert.rejects(authenticateOperator(store, systemClock, token), { code: 'TOKEN_EXPIRED' });
      assert.equal(run('token', 'revoke', tokenId).status, 0);
      await assert.rejects(authenticateOperator(store, systemClock, next), { code: 'TOKEN_REVOKED' });
    } finally {
      await store.close();
    }
    // A token from before tokens expired gets its lifetime from the command line too.
    const legacy = /operator token ([0-9a-f]{16})/.exec(
      run('token', 'create', '--name', 'legacy', '--scopes', 'audit:read').stderr,
    )?.[1];
    assert.ok(legacy);
    const db = await openStore({ dataDir: dir, databaseUrl: '' });
    try {
      await db.run('UPDATE operator_tokens SET expires_at = NULL WHERE token_id = ?', [legacy]);
    } finally {
      await db.close();
    }
    const relisted = JSON.parse(run('token', 'list').stdout) as { tokenId: string; expiresAt: string }[];
    const expiry = relisted.find((x) => x.tokenId === legacy)?.expiresAt;
    assert.ok(expiry && Date.parse(expiry) > Date.now() + 89 * 86_400_000, expiry);
    assert.equal(run('token', 'create', '--name', 'x', '--scopes', 'root').status, 2);
    assert.equal(run('token', 'create', '--name', 'x', '--scopes', 'admin', '--days', '9999').status, 1);
    assert.equal(run('token', 'revoke', '0123456789abcdef').status, 1);
  });

  test('import reports bad rows with line numbers and exits 1', async () => {
    const file = join(dir, 'holders.csv');
    await writeFile(
      file,
      `id_number,name,ethnicity,region\n${makeCitizenId('330302', '19800101', 1)},李雷,01,330300\n123,韩梅梅,01,330300\n`,
    );
    const result = run('import', file);
    assert.equal(result.status, 1);
    assert.match(result.stdout, /^line 3: idNumber/m);
  });

  test('pension reconcile-withdrawals lists a bank’s day against the ledger, exits 3 on differences and 1 on bad rows', async () => {
    const file = join(dir, 'bank-day.csv');
    await writeFile(
      file,
      'terminal_id,authorisation_key,paid_out\nB-0001,B-0001:17,12000\nB-0001,B-0001:18,0\n',
    );
    const result = run(
      'pension',
      'reconcile-withdrawals',
      file,
      '--date',
      '2026-12-01',
      '--terminals',
      'B-0001',
    );
    assert.equal(result.status, 3, result.stderr);
    const report = JSON.parse(result.stdout);
    assert.deepEqual(report.bank, { count: 2, paidOut: 12_000 });
    assert.deepEqual(report.service, { count: 0, paidOut: 0 });
    assert.deepEqual(
      report.differences.map(
        (d: { authorisationKey: string; kind: string }) => `${d.authorisationKey} ${d.kind}`,
      ),
      ['B-0001:17 missing_at_service', 'B-0001:18 missing_at_service'],
    );
    const noDate = run('pension', 'reconcile-withdrawals', file);
    assert.notEqual(noDate.status, 0);
    assert.match(noDate.stderr, /date/);
    await writeFile(file, 'terminal_id,authorisation_key,paid_out\nB-0001,B-0001:17,12.00\n');
    const bad = run('pension', 'reconcile-withdrawals', file, '--date', '2026-12-01');
    assert.equal(bad.status, 1);
    assert.match(bad.stdout, /^line 2: paid_out/m);

    // A day over the maximum is refused as soon as the row after it is read; the same file
    // reconciles in parts by terminal, each part reading its own terminals' rows only.
    const busy = Array.from({ length: 100_001 }, (_, i) => `B-0002,B-0002:${i},0\n`).join('');
    await writeFile(file, `terminal_id,authorisation_key,paid_out\nB-0001,B-0001:17,12000\n${busy}`);
    const whole = run('pension', 'reconcile-withdrawals', file, '--date', '2026-12-01');
    assert.equal(whole.status, 1);
    assert.match(
      whole.stderr,
      /more than 100000 withdrawals \(line 100002\); reconcile the day in parts by terminal/,
    );
    const part = run(
      'pension',
      'reconcile-withdrawals',
      file,
      '--date',
      '2026-12-01',
      '--terminals',
      'B-0001',
    );
    assert.equal(part.status, 3, part.stderr);
    assert.deepEqual(JSON.parse(part.stdout).bank, { count: 1, paidOut: 12_000 });
  });

  test('audit verify passes on an intact chain and names the first bad seq after tampering', async () => {
    const ok = run('audit', 'verify');
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).ok, true);
    const store = await openStore({ dataDir: dir, databaseUrl: '' });
    await bypassAppendOnly(store);
    await store.run("UPDATE audit_log SET subject = 'terminal other' WHERE seq = 2");
    await store.close();
    const bad = run('audit', 'verify');
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /broken at seq 2 \(altered\)/);
  });
});
