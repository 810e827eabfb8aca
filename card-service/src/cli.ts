#!/usr/bin/env node
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { verifyAuditChain } from './audit/audit-log.js';
import { importHolders } from './bulk-import/holder-import.js';
import { addDays, chinaDate, systemClock } from './clock.js';
import { isCalendarDate } from './registry/validation.js';
import { RiskChecks } from './risk/risk-checks.js';
import { type ServiceConfig, hsmDir, loadConfig } from './config.js';
import { HsmClient } from './hsm/hsm-client.js';
import { hsmPaths, masterKeyPath } from './hsm/hsm-paths.js';
import { createMasterKeyFile, readMasterKey } from './hsm/key-file.js';
import { makeServiceKeyFile } from './hsm/make-keys.js';
import { DomainError } from './errors.js';
import type { CardDocument } from './issuance/card-document.js';
import { seedDemoHolders, seedFromCardDocuments } from './seed.js';
import { TERMINAL_TYPES, type TerminalType } from './lifecycle/transitions.js';
import { Registry } from './registry.js';
import { pension } from '@sscard/registry-protocol';
import { policyDraftSchema } from '@sscard/registry-protocol/settlement';
import type { z } from 'zod';
import { ProgressMeter } from './bulk-import/progress.js';
import {
  createEntitlement,
  entitlementRecord,
  listPayments,
  setEntitlementStatus,
} from './pension/entitlements.js';
import { importLifeEventFeed } from './pension/life-event-feed.js';
import { listRuns, runPensionMonth } from './pension/monthly-run.js';
import { readBankDay, reconcileWithdrawals } from './pension/withdrawal-reconciliation.js';
import { importCatalogue } from './settlement/catalogue.js';
import { listPolicies, publishPolicy } from './settlement/policies.js';
import { quoteFromFiles } from './settlement/quote-files.js';
import { startService } from './service.js';
import { openStore } from './store/open-store.js';
import type { Store } from './store/store.js';
import { createEnrolmentCode, revokeTerminal } from './terminals/terminals.js';
import {
  SCOPES,
  type Scope,
  assignMissingExpiries,
  createOperatorToken,
  listOperatorTokens,
  revokeOperatorToken,
  rotateOperatorToken,
} from './terminals/operator-tokens.js';

const USAGE = `usage: sscard-service [command] [options]

  serve                         run the service (default); the first start writes an admin
                                token to <dataDir>/admin-token (mode 0600) and prints only its path
  seed --demo [--count N] [--cards FILE]
                                demo holders with active cards; FILE: a JSON array of card documents
  import FILE.csv [--batch N]   bulk import of holders (all rows checked first; resumable;
                                N rows per transaction, default 20000)
  audit verify                  check the audit hash chain and its checkpoints; names the first bad seq
  keys --issuer FILE [--new-master-key]
                                the HSM's sealed key file (in SSCARD_HSM_DIR) from an issuer keyset:
                                only the keys the service needs; --new-master-key creates the
                                master key file (SSCARD_HSM_MASTER_KEY_FILE) when it does not exist
  enrol-code --terminal-id T --type kiosk|hospital|pharmacy|bank|bureau --region RRRRRR [--ttl SECONDS]
                                a one-time enrolment code for a terminal
  revoke TERMINAL_ID            revoke a terminal and its certificates
  token create --name NAME --scopes S[,S…] [--days N]
                                an operator token (printed once, on stdout) that expires after N
                                days (operatorTokens.lifetimeDays, 90 by default); scopes:
                                ${SCOPES.join(', ')}
  token list                    operator tokens with scopes, expiry and status, as JSON (no secrets)
  token rotate TOKEN_ID [--days N] [--overlap SECONDS]
                                a new secret (printed once) and expiry for the token; the old
                                secret stays good for SECONDS (operatorTokens.rotationOverlapSeconds)
  token revoke TOKEN_ID         revoke an operator token at once, its every secret
  settlement publish-policy P.json
                                publish the policy file as the next version of its region,
                                scheme and year
  settlement policies REGION    the published versions of a region, as JSON
  catalogue import REGION FILE.csv
                                load catalogue items (item_code,name,item_class,
                                pre_self_pay_share,price_ceiling_yuan); all rows checked first
  pension grant PERSON_NO --amount FEN --first-month YYYY-MM --region RRRRRR
                                a monthly pension for a holder
  pension status PERSON_NO active|suspended|stopped --reason TEXT [--last-month YYYY-MM]
                                resume, suspend or stop it (stopped: paid through --last-month)
  pension show PERSON_NO        the entitlement, its history and payments, as JSON
  pension life-events FILE.csv  a death and imprisonment feed (id_number,kind,date,reference);
                                all rows checked first, then registered in one transaction
  pension reconcile-withdrawals FILE.csv --date YYYY-MM-DD [--terminals T1,T2]
                                a bank's day of withdrawals (terminal_id,authorisation_key,paid_out)
                                against the ledger: totals and differences as JSON; exit 3 on differences.
                                Up to 100000 rows; with --terminals, only those terminals' rows
                                are read, so that a larger day is reconciled in parts
  risk daily [--date YYYY-MM-DD]
                                the daily job: every risk rule over one China calendar day
                                (yesterday by default); findings raised once as alerts
  pension run YYYY-MM [--region RRRRRR] [--batch N]
                                the month's payments to card accounts, each paying region in turn
                                or one; started again after an interruption it pays what is left
  settlement quote --policy P.json --accumulators A.json --bill B.json [--account FEN]
                   [--use-account] [--visit outpatient|inpatient] [--level 1|2|3]
                   [--group in_service|retired]
                                the settlement breakdown as JSON; touches no store

Configuration: SSCARD_SERVICE_CONFIG (JSON file), DATABASE_URL, SSCARD_DATA_DIR, SSCARD_SERVICE_HOST,
SSCARD_SERVICE_PORT, SSCARD_HSM_DIR, SSCARD_HSM_MASTER_KEY_FILE (keys only), SSCARD_LOG_LEVEL.`;

const CLI_OPERATOR = { kind: 'operator' as const, id: `cli:${process.env.USER ?? 'unknown'}` };

async function withStore<T>(config: ServiceConfig, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(config);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      demo: { type: 'boolean' },
      count: { type: 'string' },
      cards: { type: 'string' },
      batch: { type: 'string' },
      'terminal-id': { type: 'string' },
      type: { type: 'string' },
      region: { type: 'string' },
      ttl: { type: 'string' },
      policy: { type: 'string' },
      accumulators: { type: 'string' },
      bill: { type: 'string' },
      account: { type: 'string' },
      'use-account': { type: 'boolean' },
      visit: { type: 'string' },
      level: { type: 'string' },
      group: { type: 'string' },
      issuer: { type: 'string' },
      'new-master-key': { type: 'boolean' },
      name: { type: 'string' },
      scopes: { type: 'string' },
      days: { type: 'string' },
      overlap: { type: 'string' },
      amount: { type: 'string' },
      'first-month': { type: 'string' },
      'last-month': { type: 'string' },
      reason: { type: 'string' },
      date: { type: 'string' },
      terminals: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const [command = 'serve', ...rest] = positionals;
  if (command === 'settlement' && rest[0] === 'quote') return settlementQuote(values);
  const config = loadConfig();
  switch (command) {
    case 'serve': {
      const service = await startService(config);
      process.stderr.write(`sscard-service listening on ${service.url}\n`);
      // The token itself stays in its file (0600): this output ends in a journal others can read.
      process.stderr.write(
        `${service.adminToken ? 'bootstrap admin token written to' : 'admin token file'}: ${service.adminTokenPath}\n`,
      );
      const stop = () => {
        service.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      return -1;
    }
    case 'seed': {
      if (!values.demo && !values.cards)
        throw new DomainError('USAGE', 'seed needs --demo or --cards FILE', 2);
      return withStore(config, async (store) => {
        const registry = new Registry(store, systemClock, config.lifecycle);
        if (values.cards) {
          const docs = JSON.parse(await readFile(values.cards, 'utf8')) as CardDocument[];
          const r = await seedFromCardDocuments(registry, Array.isArray(docs) ? docs : [docs]);
          process.stderr.write(
            `card documents: ${r.cards} cards, ${r.holders} holders registered, ${r.skipped} known\n`,
          );
        }
        if (values.demo) {
          const count = Number(values.count ?? 300);
          const r = await seedDemoHolders(registry, count);
          process.stderr.write(`demo: ${r.holders} holders with cards, ${r.skipped} known\n`);
        }
        return 0;
      });
    }
    case 'import': {
      const file = rest[0];
      if (!file) throw new DomainError('USAGE', 'import needs a CSV file', 2);
      return withStore(config, async (store) => {
        // On a terminal the progress line redraws itself; in a log it is a line a second.
        const tty = process.stderr.isTTY;
        let redrawn = false;
        const report = await importHolders(store, systemClock, file, {
          ...(values.batch ? { batchSize: Number(values.batch) } : {}),
          progress: (m) => {
            const bar = m.includes('[');
            process.stderr.write(
              tty ? `${redrawn && !bar ? '\n' : '\r'}${m}\x1b[K${bar ? '' : '\n'}` : `${m}\n`,
            );
            redrawn = tty && bar;
          },
        });
        for (const e of report.errors) process.stdout.write(`line ${e.line}: ${e.reason}\n`);
        if (report.errorsTruncated) process.stdout.write('more bad rows were not listed\n');
        if (report.errors.length > 0) {
          process.stderr.write(`${file}: bad rows found; nothing imported\n`);
          return 1;
        }
        process.stderr.write(
          `${file}: ${report.imported} rows imported${report.resumedFrom ? ` (resumed after ${report.resumedFrom})` : ''}\n`,
        );
        return 0;
      });
    }
    case 'audit': {
      if (rest[0] !== 'verify') throw new DomainError('USAGE', 'audit verify', 2);
      const hsm = new HsmClient({
        socketPath: hsmPaths(hsmDir(config)).socket,
        timeoutMs: config.hsm.timeoutMs,
      });
      return withStore(config, async (store) => {
        const verdict = await verifyAuditChain(store, undefined, {
          hsm,
          checkpointLogPath: hsmPaths(hsmDir(config)).checkpointLog,
        }).finally(() => hsm.close());
        process.stdout.write(`${JSON.stringify(verdict)}\n`);
        if (!verdict.ok) {
          process.stderr.write(`audit chain broken at seq ${verdict.firstBadSeq} (${verdict.reason})\n`);
          return 1;
        }
        process.stderr.write(
          `audit chain intact: ${verdict.entries} entries, head ${verdict.headHash}; ${verdict.checkpoints} HSM checkpoints, ` +
            `certified to seq ${verdict.certifiedSeq}, ${verdict.uncertifiedEntries} entries after it\n`,
        );
        return 0;
      });
    }
    case 'keys': {
      if (!values.issuer) throw new DomainError('USAGE', 'keys --issuer FILE', 2);
      const masterPath = masterKeyPath(process.env);
      if (!masterPath) throw new DomainError('USAGE', 'keys needs SSCARD_HSM_MASTER_KEY_FILE', 2);
      if (values['new-master-key']) await createMasterKeyFile(masterPath);
      const made = await makeServiceKeyFile({
        issuerKeysetPath: values.issuer,
        hsmDir: hsmDir(config),
        masterKey: await readMasterKey(masterPath),
      });
      process.stderr.write(
        `HSM key file ${made.keyFile} made from the issuer keyset of ${made.keyset.issuerKeysetCreatedAt}\n`,
      );
      return 0;
    }
    case 'enrol-code': {
      const type = values.type as TerminalType;
      if (!values['terminal-id'] || !TERMINAL_TYPES.includes(type) || !values.region) {
        throw new DomainError(
          'USAGE',
          `enrol-code --terminal-id T --type ${TERMINAL_TYPES.join('|')} --region RRRRRR`,
          2,
        );
      }
      return withStore(config, async (store) => {
        const code = await createEnrolmentCode(
          store,
          systemClock,
          {
            terminalId: values['terminal-id']!,
            type,
            region: values.region!,
            ttlSeconds: Number(values.ttl ?? config.enrolmentCodeTtlSeconds),
          },
          CLI_OPERATOR,
        );
        process.stdout.write(`${code.code}\n`);
        process.stderr.write(
          `for ${code.terminalId} (${code.type}, ${code.region}), valid until ${code.expiresAt}\n`,
        );
        return 0;
      });
    }
    case 'revoke': {
      const id = rest[0];
      if (!id) throw new DomainError('USAGE', 'revoke TERMINAL_ID', 2);
      return withStore(config, async (store) => {
        const t = await revokeTerminal(store, systemClock, id, CLI_OPERATOR);
        process.stderr.write(`revoked ${t.terminalId} at ${t.revokedAt}\n`);
        return 0;
      });
    }
    case 'token':
      return operatorTokenCommand(config, rest, values);
    case 'settlement': {
      const [sub, arg] = rest;
      if (sub === 'publish-policy' && arg) {
        const parsed = policyDraftSchema.safeParse(JSON.parse(await readFile(arg, 'utf8')));
        if (!parsed.success) {
          for (const i of parsed.error.issues)
            process.stdout.write(`${i.path.join('.') || '(top)'}: ${i.message}\n`);
          throw new DomainError('SETTLEMENT_INPUT_INVALID', `${arg} is not a valid policy`);
        }
        return withStore(config, async (store) => {
          const published = await publishPolicy(store, systemClock, parsed.data, CLI_OPERATOR);
          process.stdout.write(`${JSON.stringify(published, null, 2)}\n`);
          process.stderr.write(
            `published ${published.region}/${published.scheme}/${published.year} version ${published.version}, effective ${published.effectiveFrom}\n`,
          );
          return 0;
        });
      }
      if (sub === 'policies' && arg) {
        return withStore(config, async (store) => {
          process.stdout.write(`${JSON.stringify(await listPolicies(store, arg), null, 2)}\n`);
          return 0;
        });
      }
      throw new DomainError('USAGE', 'settlement publish-policy P.json | policies REGION | quote …', 2);
    }
    case 'catalogue': {
      const [sub, region, file] = rest;
      if (sub !== 'import' || !region || !file)
        throw new DomainError('USAGE', 'catalogue import REGION FILE.csv', 2);
      return withStore(config, async (store) => {
        const report = await importCatalogue(store, systemClock, region, file, CLI_OPERATOR, (m) =>
          process.stderr.write(`${m}\n`),
        );
        for (const e of report.errors) process.stdout.write(`line ${e.line}: ${e.reason}\n`);
        if (report.errors.length > 0) {
          process.stderr.write(`${file}: bad rows found; nothing imported\n`);
          return 1;
        }
        return 0;
      });
    }
    case 'risk': {
      if (rest[0] !== 'daily') throw new DomainError('USAGE', 'risk daily [--date YYYY-MM-DD]', 2);
      const date = values.date ?? addDays(chinaDate(new Date()), -1);
      if (typeof date !== 'string' || !isCalendarDate(date))
        throw new DomainError('USAGE', 'risk daily: --date takes a calendar date YYYY-MM-DD', 2);
      return withStore(config, async (store) => {
        const counts = await new RiskChecks(systemClock, config.risk).daily(store, date);
        process.stdout.write(`${JSON.stringify({ date, rules: counts }, null, 2)}\n`);
        const raised = counts.reduce((s, c) => s + c.raised, 0);
        process.stderr.write(`risk ${date}: ${raised} alerts raised\n`);
        return 0;
      });
    }
    case 'pension':
      return withStore(config, (store) => pensionCommand(store, config, rest, values));
    default:
      throw new DomainError('USAGE', `unknown command ${command}`, 2);
  }
}

/** A whole number from the command line, or a usage error naming the option. */
function wholeNumber(option: string, value: string | boolean | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^[0-9]+$/.test(value)) {
    throw new DomainError('USAGE', `--${option} takes a whole number`, 2);
  }
  return Number(value);
}

async function operatorTokenCommand(
  config: ServiceConfig,
  [sub, id]: string[],
  v: Record<string, string | boolean | undefined>,
): Promise<number> {
  const policy = config.operatorTokens;
  const lifetimeDays = wholeNumber('days', v.days);
  // The command line may be the first to open a store migrated from before tokens expired: it
  // gives such tokens their lifetime as a service start would, so that what it lists is so.
  const withTokens = <T>(fn: (store: Store) => Promise<T>): Promise<T> =>
    withStore(config, async (store) => {
      await assignMissingExpiries(store, systemClock, policy);
      return fn(store);
    });
  switch (sub) {
    case 'create': {
      const scopes = typeof v.scopes === 'string' ? v.scopes.split(',').map((x) => x.trim()) : [];
      if (typeof v.name !== 'string' || scopes.length === 0) {
        throw new DomainError('USAGE', 'token create --name NAME --scopes S[,S…] [--days N]', 2);
      }
      const unknown = scopes.filter((x) => !(SCOPES as readonly string[]).includes(x));
      if (unknown.length > 0) {
        throw new DomainError(
          'USAGE',
          `unknown scopes ${unknown.join(', ')}; known: ${SCOPES.join(', ')}`,
          2,
        );
      }
      return withTokens(async (store) => {
        const made = await createOperatorToken(
          store,
          systemClock,
          policy,
          { name: v.name as string, scopes: scopes as Scope[], lifetimeDays },
          CLI_OPERATOR,
        );
        process.stdout.write(`${made.token}\n`);
        process.stderr.write(
          `operator token ${made.operator.tokenId} (${made.operator.scopes.join(' ')}), expires ${made.operator.expiresAt}\n`,
        );
        return 0;
      });
    }
    case 'list':
      return withTokens(async (store) => {
        process.stdout.write(`${JSON.stringify(await listOperatorTokens(store, systemClock), null, 2)}\n`);
        return 0;
      });
    case 'rotate': {
      if (!id) throw new DomainError('USAGE', 'token rotate TOKEN_ID [--days N] [--overlap SECONDS]', 2);
      const overlapSeconds = wholeNumber('overlap', v.overlap);
      return withTokens(async (store) => {
        const rotated = await rotateOperatorToken(
          store,
          systemClock,
          policy,
          id,
          { lifetimeDays, overlapSeconds },
          CLI_OPERATOR,
        );
        process.stdout.write(`${rotated.token}\n`);
        const until = rotated.operator.previousSecretValidUntil;
        process.stderr.write(
          `operator token ${id} rotated, expires ${rotated.operator.expiresAt}; the old secret ${until ? `is good until ${until}` : 'is no longer good'}\n`,
        );
        return 0;
      });
    }
    case 'revoke': {
      if (!id) throw new DomainError('USAGE', 'token revoke TOKEN_ID', 2);
      return withTokens(async (store) => {
        const revoked = await revokeOperatorToken(store, systemClock, id, CLI_OPERATOR);
        process.stderr.write(`operator token ${id} revoked at ${revoked.revokedAt}\n`);
        return 0;
      });
    }
    default:
      throw new DomainError('USAGE', 'token create | list | rotate TOKEN_ID | revoke TOKEN_ID', 2);
  }
}

/** Fails with the schema's first complaint, naming the field. */
function parsed<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const i = r.error.issues[0]!;
  throw new DomainError('USAGE', `${what}: ${i.path.join('.') || 'value'}: ${i.message}`, 2);
}

async function pensionCommand(
  store: Store,
  config: ServiceConfig,
  [sub, arg, arg2]: string[],
  v: Record<string, string | boolean | undefined>,
): Promise<number> {
  const show = async (personNo: string) => ({
    ...(await entitlementRecord(store, personNo)),
    payments: await listPayments(store, personNo),
  });
  if (sub === 'grant' && arg) {
    const body = parsed(
      pension.entitlementBody,
      {
        personNo: arg,
        monthlyAmount: Number(v.amount),
        firstMonth: v['first-month'],
        payingRegion: v.region,
      },
      'pension grant',
    );
    await createEntitlement(store, systemClock, body, CLI_OPERATOR);
    process.stdout.write(`${JSON.stringify(await show(arg), null, 2)}\n`);
    return 0;
  }
  if (sub === 'status' && arg && arg2) {
    const body = parsed(
      pension.entitlementStatusBody,
      { status: arg2, reason: v.reason, ...(v['last-month'] ? { lastMonth: v['last-month'] } : {}) },
      'pension status',
    );
    await setEntitlementStatus(store, systemClock, arg, body, CLI_OPERATOR);
    process.stdout.write(`${JSON.stringify(await show(arg), null, 2)}\n`);
    return 0;
  }
  if (sub === 'life-events' && arg) {
    const report = await importLifeEventFeed(store, systemClock, arg, CLI_OPERATOR);
    for (const e of report.errors) process.stdout.write(`line ${e.line}: ${e.reason}\n`);
    if (report.errors.length > 0) {
      process.stderr.write(`${arg}: bad rows found; nothing registered\n`);
      return 1;
    }
    process.stderr.write(
      `${arg}: ${report.registered} registered, ${report.known} known; ${report.alerts} payments to recover, ${report.amountToRecover} fen\n`,
    );
    return 0;
  }
  if (sub === 'show' && arg) {
    process.stdout.write(`${JSON.stringify(await show(arg), null, 2)}\n`);
    return 0;
  }
  if (sub === 'reconcile-withdrawals' && arg) {
    const terminals = typeof v.terminals === 'string' ? v.terminals.split(',') : undefined;
    const day = await readBankDay(arg, terminals);
    for (const e of day.errors) process.stdout.write(`line ${e.line}: ${e.reason}\n`);
    if (day.errors.length > 0) {
      process.stderr.write(`${arg}: bad rows found; nothing reconciled\n`);
      return 1;
    }
    const body = parsed(
      pension.withdrawalReconciliationBody,
      {
        date: v.date,
        withdrawals: day.records,
        ...(terminals ? { terminalIds: terminals } : {}),
      },
      'pension reconcile-withdrawals',
    );
    const report = await reconcileWithdrawals(store, body);
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    process.stderr.write(
      `${body.date}: bank ${report.bank.count} withdrawals, ${report.bank.paidOut} fen paid out; service ${report.service.count}, ${report.service.paidOut} fen; ${report.matched} matched, ${report.differences.length} differences\n`,
    );
    return report.differences.length === 0 ? 0 : 3;
  }
  if (sub === 'run' && arg) {
    const month = parsed(pension.month, arg, 'pension run');
    const batch = v.batch === undefined ? undefined : Number(v.batch);
    if (batch !== undefined && !(Number.isInteger(batch) && batch > 0))
      throw new DomainError('USAGE', 'pension run: --batch takes a positive whole number', 2);
    const region =
      v.region === undefined
        ? undefined
        : parsed(pension.entitlementBody.shape.payingRegion, v.region, 'pension run --region');
    // On a terminal the bar redraws itself; in a log it is a line a second.
    const tty = process.stderr.isTTY;
    const meters = new Map<string, ProgressMeter>();
    const reports = await runPensionMonth(store, systemClock, {
      month,
      region,
      ...(batch ? { batchSize: batch } : {}),
      actor: CLI_OPERATOR,
      silentCertification: {
        windowMonths: config.pension.silentWindowMonths,
        events: config.pension.silentEvents,
      },
      progress: ({ region: r, done, total }) => {
        let meter = meters.get(r);
        if (!meter) {
          meter = new ProgressMeter(
            r,
            (m) => process.stderr.write(tty ? `\r${m}\x1b[K` : `${m}\n`),
            total,
            1000,
            'holders',
          );
          meters.set(r, meter);
        }
        meter.update(done, undefined, done === 0 || done === total);
      },
    });
    for (const r of reports) {
      const meter = meters.get(r.region);
      if (tty) process.stderr.write('\n');
      meter?.done(`${month} ${r.region}: ${r.holders} holders, ${r.payments} payments, ${r.amount} fen`);
      if (tty) process.stderr.write('\n');
    }
    process.stdout.write(`${JSON.stringify(await listRuns(store, month), null, 2)}\n`);
    return 0;
  }
  throw new DomainError(
    'USAGE',
    'pension grant PERSON_NO … | status PERSON_NO STATUS --reason TEXT | show PERSON_NO | run YYYY-MM [--region R] | reconcile-withdrawals FILE.csv --date D',
    2,
  );
}

async function settlementQuote(v: Record<string, string | boolean | undefined>) {
  if (typeof v.policy !== 'string' || typeof v.accumulators !== 'string' || typeof v.bill !== 'string') {
    throw new DomainError('USAGE', 'settlement quote --policy P.json --accumulators A.json --bill B.json', 2);
  }
  const breakdown = await quoteFromFiles({
    policy: v.policy,
    accumulators: v.accumulators,
    bill: v.bill,
    account: v.account as string | undefined,
    useAccount: v['use-account'] === true,
    visit: v.visit as string | undefined,
    level: v.level as string | undefined,
    group: v.group as string | undefined,
  });
  process.stdout.write(`${JSON.stringify(breakdown, null, 2)}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof DomainError) {
      process.stderr.write(`sscard-service: ${e.message}\n`);
      if (e.code === 'USAGE') process.stderr.write(`${USAGE}\n`);
      process.exitCode = e.code === 'USAGE' ? 2 : 1;
    } else {
      process.stderr.write(`sscard-service: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    }
  },
);
