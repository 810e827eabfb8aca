#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { describeReadCardBasCode, isSscardError } from '@sscard/card-core';
import { defaultProfiles } from '@sscard/firmware-profiles';
import { maskInfo } from './api/card-view.js';
import { readApiToken } from './api/token.js';
import type { ReadCardResult } from './card-service.js';
import { ConfigError, ConfigFileError } from './config/errors.js';
import { loadAgentConfig, loadClientConfig } from './config/load.js';
import type { ClientConfig } from './config/schema.js';
import { createCardOperations, createReaderManager, runDaemon } from './daemon.js';
import { createLogger, maskIdNumbersIn } from './log.js';
import type { ReaderManager, ReaderState } from './readers/reader-manager.js';

/** Exit codes, stable for scripts. */
export const EXIT = {
  OK: 0,
  /** The card or reader said no: no card, not genuine, a negative iReadCardBas code. */
  CARD: 1,
  USAGE: 2,
  CONFIG: 3,
  /** A running agent refused or failed the request. */
  AGENT: 4,
  /** An unexpected failure (a bug). */
  SOFTWARE: 70,
} as const;

const USAGE = `usage: sscard <command> [options]

commands:
  readers            list readers, slots, cards (ATR) and the profile each matched
  read               read and verify the card; a summary by default
  agent              run the terminal agent (local API, readers, PIN pad)

options:
  --config FILE      agent configuration (default: $SSCARD_CONFIG)
  --reader NAME      read the card in this reader (default: the only card present)
  --json             print JSON
  --bas              print the iReadCardBas string (read only)
  --reveal           show the ID number and name unmasked in the summary
  -h, --help

With an agent running, readers and read go through its local API (token from api.tokenFile);
otherwise they open the readers directly.`;

class CliError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}

interface AgentClient {
  get(path: string): Promise<unknown>;
  post(path: string, body: unknown): Promise<unknown>;
}

/** A client of the running agent, or undefined when none answers on the configured port. */
async function agentClient(config: ClientConfig): Promise<AgentClient | undefined> {
  const host = config.api.host === '0.0.0.0' || config.api.host === '::' ? '127.0.0.1' : config.api.host;
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${config.api.port}`;
  try {
    await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(1500) });
  } catch {
    return undefined;
  }
  const token = await readApiToken(config.api.tokenFile!);
  if (!token)
    throw new CliError(
      EXIT.AGENT,
      `an agent answers at ${base} but there is no token in ${config.api.tokenFile}`,
    );
  const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await res.json()) as Record<string, unknown>;
    if (!res.ok) {
      const exit = res.status === 401 || res.status === 403 || res.status >= 500 ? EXIT.AGENT : EXIT.CARD;
      throw new CliError(exit, `${String(json.code)}: ${String(json.message)}`);
    }
    return json;
  };
  return { get: (path) => call('GET', path), post: (path, body) => call('POST', path, body) };
}

/**
 * pcsclite announces readers and cards shortly after the context is established; wait until the
 * events stop (or a ceiling passes) so a one-shot command sees the readers that are there.
 */
async function settled(readers: ReaderManager): Promise<void> {
  const quietMs = 300;
  const ceilingMs = 3000;
  const started = Date.now();
  let last = Date.now();
  const touch = (): void => {
    last = Date.now();
  };
  for (const event of ['reader-added', 'card-inserted', 'card-removed', 'reader-removed'] as const)
    readers.on(event, touch);
  while (Date.now() - last < quietMs && Date.now() - started < ceilingMs) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  for (const event of ['reader-added', 'card-inserted', 'card-removed', 'reader-removed'] as const)
    readers.off(event, touch);
}

async function withLocalReaders<T>(
  config: ClientConfig,
  work: (readers: ReaderManager) => Promise<T>,
): Promise<T> {
  const profiles = defaultProfiles();
  const readers = createReaderManager(config, profiles);
  readers.on('error', () => {});
  readers.start();
  try {
    await settled(readers);
    return await work(readers);
  } finally {
    await readers.stop();
  }
}

function printReaders(readers: ReaderState[]): void {
  if (readers.length === 0) {
    console.log('no readers');
    return;
  }
  for (const r of readers) {
    const profile = r.profile ? `  profile ${r.profile}` : '';
    console.log(`${r.name}  [${r.kind}, ${r.role}]${profile}`);
    console.log(
      r.card ? `  card  ATR ${r.card.atr}${r.card.cardOs ? `  (${r.card.cardOs})` : ''}` : '  no card',
    );
  }
}

function printSummary(
  result: Pick<ReadCardResult, 'reader' | 'atr' | 'info' | 'verification'>,
  reveal: boolean,
): void {
  const info = reveal ? result.info : maskInfo(result.info);
  const rows: [string, string][] = [
    ['reader', result.reader],
    ['ATR', result.atr],
    ['card number', info.cardNumber],
    ['card id code', info.cardIdCode],
    ['version', `${info.specVersion} (generation ${result.info.generation})`],
    ['valid', `${info.issueDate} – ${info.expiryDate}`],
    ['holder', info.name ? `${info.name}  ${info.ssn}` : '(not released by the card)'],
  ];
  const v = result.verification;
  if (v) {
    rows.push(['genuine', v.genuine ? 'yes' : 'NO']);
    if (v.passed.length) rows.push(['passed', v.passed.join(', ')]);
    for (const f of v.failed) rows.push(['failed', `${f.check}: ${f.reason}`]);
    for (const s of v.skipped) rows.push(['skipped', `${s.check}: ${s.reason}`]);
  }
  for (const [k, value] of rows) console.log(`${k.padEnd(13)} ${value}`);
}

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
      : await withLocalReaders(config, (readers) =>
          createCardOperations(config, readers, defaultProfiles()).readCardBas(3),
        );
    if (code !== 0) {
      console.error(`iReadCardBas ${code}: ${describeReadCardBasCode(code).en}`);
      return EXIT.CARD;
    }
    console.log(output);
    return EXIT.OK;
  }
  const result = (
    agent
      ? await agent.post('/v1/card/read', options.reader ? { reader: options.reader } : {})
      : await withLocalReaders(config, (readers) =>
          createCardOperations(config, readers, defaultProfiles()).readCard(
            options.reader ? { reader: options.reader, verify: true } : { verify: true },
          ),
        )
  ) as ReadCardResult;
  if (options.json) console.log(JSON.stringify(result, null, 2));
  else printSummary(result, options.reveal);
  return result.verification && !result.verification.genuine ? EXIT.CARD : EXIT.OK;
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
    // The `sscard` bin is a symlink to this file.
    return realpathSync(script) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (invokedAsScript()) {
  main(process.argv.slice(2)).then(
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
