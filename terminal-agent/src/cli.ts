#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { AGENT_API_PATHS, describeReturnCode, type OutboxAnswer } from '@sscard/agent-protocol';
import { isSscardError } from '@sscard/card-core';
import type { CardReadView } from './api/card-view.js';
import { agentBase, agentClient } from './cli/agent-client.js';
import { CliError, EXIT } from './cli/exit-codes.js';
import { SETTLE_USAGE, settleCommand } from './cli/settle-command.js';
import {
  enrolLocally,
  readCardBasLocally,
  readCardLocally,
  withLocalReaders,
  withLocalRegistry,
} from './cli/local-fallback.js';
import {
  type EnrolAnswer,
  printAgentHealth,
  printEnrolment,
  printOutbox,
  printReaders,
  printRegistryHealth,
  printSummary,
} from './cli/print.js';
import { ConfigError, ConfigFileError } from './config/errors.js';
import { loadAgentConfig, loadClientConfig } from './config/load.js';
import type { ClientConfig } from './config/schema.js';
import { runDaemon } from './daemon.js';
import { createLogger, maskIdNumbersIn } from '@sscard/log';
import type { ReaderState } from './readers/reader-manager.js';
import type { RegistryHealth } from './registry/registry-link.js';
import { inspectCredentials, loadCredentials } from './registry/index.js';
import { OutboxJournal } from './registry/journal.js';
import { outboxView } from './registry/outbox-view.js';

const USAGE = `usage: sscard <command> [options]

commands:
  readers            list readers, slots, cards (ATR) and the profile each matched
  read               read and verify the card, with the registry's check; a summary by default
  enrol --code CODE  enrol this terminal with card-service now (replaces its certificate)
  status             agent health, enrolment and whether card-service answers
  outbox             journalled requests to card-service without an answer, parked ones first
  outbox --unpark KEY  send a parked request again (after its cause is fixed)
  agent              run the terminal agent (local API, readers, PIN pad)
${SETTLE_USAGE}

options:
  --config FILE      agent configuration (default: $SSCARD_CONFIG)
  --reader NAME      read the card in this reader (default: the only card present)
  --json             print JSON
  --bas              print the iReadCardBas string (read only)
  --reveal           show the ID number and name unmasked in the summary
  --code CODE        the one-time enrolment code from a registry operator (enrol)
  --date YYYY-MM-DD  the business day (settle day, settle reconcile)
  --settlement ID    the settlement to cancel (settle cancel)
  --attempt KEY      the settle attempt to reverse (settle reverse)
  -h, --help

With an agent running, readers, read, enrol, status and outbox go through its local API (token from
api.tokenFile); otherwise they open the readers and card-service directly.`;

async function readersCommand(config: ClientConfig, json: boolean): Promise<number> {
  const agent = await agentClient(config);
  const list = agent
    ? ((await agent.get('/v1/readers')) as { readers: ReaderState[] }).readers
    : await withLocalReaders(config, async (readers) => readers.list());
  if (json) console.log(JSON.stringify({ readers: list }, null, 2));
  else printReaders(list);
  return EXIT.OK;
}

async function readCommand(
  config: ClientConfig,
  options: { json: boolean; bas: boolean; reveal: boolean; reader: string | undefined },
): Promise<number> {
  const agent = await agentClient(config);
  if (options.bas) {
    const { code, output } = agent
      ? await agent.get('/ministry/iReadCardBas?iType=3').then((r) => {
          const m = r as { success: number; pOutInfo: string };
          return { code: m.success, output: m.pOutInfo };
        })
      : await readCardBasLocally(config);
    if (code !== 0) {
      console.error(`iReadCardBas ${code}: ${describeReturnCode(code).en}`);
      return EXIT.CARD;
    }
    console.log(output);
    return EXIT.OK;
  }
  const result = agent
    ? ((await agent.post('/v1/card/read', options.reader ? { reader: options.reader } : {})) as CardReadView)
    : await readCardLocally(config, options.reader);
  if (options.json) console.log(JSON.stringify(result, null, 2));
  else printSummary(result, options.reveal);
  return result.verification && !result.verification.genuine ? EXIT.CARD : EXIT.OK;
}

async function enrolCommand(
  file: string | undefined,
  code: string | undefined,
  json: boolean,
): Promise<number> {
  if (!code) {
    console.error(`enrol needs --code CODE (from a registry operator)\n\n${USAGE}`);
    return EXIT.USAGE;
  }
  const agent = await agentClient(loadClientConfig({ file }));
  let answer: EnrolAnswer;
  if (agent) {
    answer = (await agent.post('/v1/registry/enrol', { code })) as EnrolAnswer;
  } else {
    const config = loadAgentConfig({ file });
    if (!config.cardService.url) {
      console.error('config key "cardService.url": required to enrol with card-service');
      return EXIT.CONFIG;
    }
    answer = await enrolLocally(config, code);
  }
  if (json) console.log(JSON.stringify(answer, null, 2));
  else printEnrolment(answer);
  return EXIT.OK;
}

async function statusCommand(config: ClientConfig, json: boolean): Promise<number> {
  const base = agentBase(config);
  let health: { status: string; registry?: RegistryHealth; [key: string]: unknown } | undefined;
  try {
    const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(3000) });
    health = (await res.json()) as typeof health;
  } catch {
    health = undefined;
  }
  if (health) {
    if (json) console.log(JSON.stringify({ agent: base, ...health }, null, 2));
    else printAgentHealth(base, health);
    return health.status === 'ok' ? EXIT.OK : EXIT.AGENT;
  }
  // No agent: what is on disk, and whether the service answers this terminal now.
  const stored = await loadCredentials(config.dataDir);
  const registry = await withLocalRegistry(config, (link) => link.health());
  if (json) {
    const enrolment = stored
      ? (({ terminalId, type, region, notAfter }) => ({ terminalId, type, region, notAfter }))(
          inspectCredentials(stored.credentials),
        )
      : null;
    console.log(JSON.stringify({ agent: null, enrolment, registry }, null, 2));
  } else {
    console.log(`${'agent'.padEnd(13)} not running (nothing answers at ${base})`);
    if (!stored && registry.state !== 'disabled') console.log(`${'enrolment'.padEnd(13)} not enrolled`);
    printRegistryHealth(registry);
  }
  return EXIT.AGENT;
}

/** The running agent's outbox, or the journal file itself when no agent runs. */
async function outboxCommand(
  config: ClientConfig,
  json: boolean,
  unpark: string | undefined,
): Promise<number> {
  const agent = await agentClient(config);
  let outbox: OutboxAnswer;
  if (agent) {
    outbox = (
      unpark === undefined
        ? await agent.get(AGENT_API_PATHS.outbox)
        : await agent.post(AGENT_API_PATHS.outboxUnpark, { idempotencyKey: unpark })
    ) as OutboxAnswer;
  } else {
    if (!config.terminal) throw new CliError(EXIT.USAGE, 'the configuration names no terminal (terminal.id)');
    const journal = await OutboxJournal.open(config.journal.path ?? join(config.dataDir, 'journal.sqlite3'), {
      terminalId: config.terminal.id,
    });
    try {
      if (unpark !== undefined) {
        const seq = journal.seqOfKey(unpark);
        if (seq === undefined || !(await journal.unpark(seq))) {
          throw new CliError(EXIT.USAGE, `no parked request ${unpark} in the outbox`);
        }
      }
      outbox = await outboxView(journal);
    } finally {
      await journal.close();
    }
  }
  if (json) console.log(JSON.stringify(outbox, null, 2));
  else printOutbox(outbox);
  return outbox.parked.length > 0 ? EXIT.AGENT : EXIT.OK;
}

export async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  function parse() {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string' },
        reader: { type: 'string' },
        json: { type: 'boolean', default: false },
        bas: { type: 'boolean', default: false },
        reveal: { type: 'boolean', default: false },
        code: { type: 'string' },
        unpark: { type: 'string' },
        date: { type: 'string' },
        settlement: { type: 'string' },
        attempt: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  }
  try {
    parsed = parse();
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${USAGE}`);
    return EXIT.USAGE;
  }
  const { values, positionals } = parsed;
  const command = positionals[0];
  if (values.help || !command) {
    console.log(USAGE);
    return values.help ? EXIT.OK : EXIT.USAGE;
  }
  try {
    switch (command) {
      case 'agent': {
        const config = loadAgentConfig({ file: values.config });
        await runDaemon(config, createLogger({ level: config.log.level }));
        return EXIT.OK;
      }
      case 'readers':
        return await readersCommand(loadClientConfig({ file: values.config }), values.json);
      case 'read':
        return await readCommand(loadClientConfig({ file: values.config }), {
          json: values.json,
          bas: values.bas,
          reveal: values.reveal,
          reader: values.reader,
        });
      case 'enrol':
        return await enrolCommand(values.config, values.code, values.json);
      case 'status':
        return await statusCommand(loadClientConfig({ file: values.config }), values.json);
      case 'outbox':
        return await outboxCommand(loadClientConfig({ file: values.config }), values.json, values.unpark);
      case 'settle':
        return await settleCommand(loadClientConfig({ file: values.config }), positionals[1], {
          json: values.json,
          date: values.date,
          settlement: values.settlement,
          attempt: values.attempt,
        });
      default:
        console.error(`unknown command "${command}"\n\n${USAGE}`);
        return EXIT.USAGE;
    }
  } catch (e) {
    if (e instanceof ConfigError || e instanceof ConfigFileError) {
      console.error(e.message);
      return EXIT.CONFIG;
    }
    if (e instanceof CliError) {
      console.error(e.message);
      return e.exitCode;
    }
    if (isSscardError(e)) {
      // A reader or card outcome: say it in the operator's terms, never with personal data.
      console.error(`${e.code}: ${maskIdNumbersIn(e.message)}`);
      return EXIT.CARD;
    }
    console.error(`unexpected failure: ${(e as Error).stack ?? String(e)}`);
    return EXIT.SOFTWARE;
  }
}

function invokedAsScript(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    // Run as `node dist/cli.js` (the `sscard` executable is sscard.cjs, which calls runAsCommand).
    return realpathSync(script) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

/** Runs one command as the process's purpose and exits with its code (the `sscard` executable). */
export function runAsCommand(argv: string[]): void {
  main(argv).then(
    (code) => {
      process.exitCode = code;
      // A native reader binding may keep a handle open after its last use; do not hang on it.
      setTimeout(() => process.exit(code), 1000).unref();
    },
    (e: unknown) => {
      console.error(e);
      process.exitCode = EXIT.SOFTWARE;
    },
  );
}

// `node dist/cli.js` still works, with Node's default thread pool: the `sscard` executable
// (sscard.cjs) is the one that sizes it before loading this module.
if (invokedAsScript()) runAsCommand(process.argv.slice(2));
