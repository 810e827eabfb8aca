#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { describeReadCardBasCode, isSscardError } from '@sscard/card-core';
import { defaultProfiles } from '@sscard/firmware-profiles';
import { CardActions } from './api/card-actions.js';
import { type CardReadView, maskInfo, type RegistryView } from './api/card-view.js';
import { PinFlow } from './api/pin-flow.js';
import { readApiToken } from './api/token.js';
import { ConfigError, ConfigFileError } from './config/errors.js';
import { loadAgentConfig, loadClientConfig } from './config/load.js';
import type { AgentConfig, ClientConfig } from './config/schema.js';
import { createCardOperations, createReaderManager, runDaemon } from './daemon.js';
import { createLogger, maskIdNumbersIn, silentLogger } from './log.js';
import type { ReaderManager, ReaderState } from './readers/reader-manager.js';
import { type RegistryHealth, RegistryLink } from './registry-link.js';
import { inspectCredentials, loadCredentials } from './registry/index.js';

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
  read               read and verify the card, with the registry's check; a summary by default
  enrol --code CODE  enrol this terminal with card-service now (replaces its certificate)
  status             agent health, enrolment and whether card-service answers
  agent              run the terminal agent (local API, readers, PIN pad)

options:
  --config FILE      agent configuration (default: $SSCARD_CONFIG)
  --reader NAME      read the card in this reader (default: the only card present)
  --json             print JSON
  --bas              print the iReadCardBas string (read only)
  --reveal           show the ID number and name unmasked in the summary
  --code CODE        the one-time enrolment code from a registry operator (enrol)
  -h, --help

With an agent running, readers, read, enrol and status go through its local API (token from
api.tokenFile); otherwise they open the readers and card-service directly.`;

class CliError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}

interface AgentClient {
  base: string;
  get(path: string): Promise<unknown>;
  post(path: string, body: unknown): Promise<unknown>;
}

function agentBase(config: ClientConfig): string {
  const host = config.api.host === '0.0.0.0' || config.api.host === '::' ? '127.0.0.1' : config.api.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.api.port}`;
}

/** A client of the running agent, or undefined when none answers on the configured port. */
async function agentClient(config: ClientConfig): Promise<AgentClient | undefined> {
  const base = agentBase(config);
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
  return { base, get: (path) => call('GET', path), post: (path, body) => call('POST', path, body) };
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

/** The registry's answer in one line, then the coverage; the holder as the service masked it. */
function registryRows(registry: RegistryView): [string, string][] {
  const rows: [string, string][] = [];
  const reason = registry.reason ? ` (${registry.reason})` : '';
  const verdict =
    registry.status === 'valid'
      ? 'valid'
      : registry.status === 'invalid'
        ? `INVALID${reason}`
        : `${registry.status}${reason}`;
  rows.push(['registry', `${verdict}: ${registry.message}`]);
  if (registry.card) rows.push(['card status', registry.card.status]);
  if (registry.holder) rows.push(['reg. holder', `${registry.holder.name}  ${registry.holder.idNumber}`]);
  for (const c of registry.coverage ?? []) {
    const paused = c.pauseDate ? `, paused ${c.pauseDate}` : '';
    rows.push([
      'coverage',
      `${c.schemeCode} ${c.schemeName ?? ''} (${c.insuredRegion}, ${c.status}${paused})`,
    ]);
  }
  return rows;
}

function printSummary(result: CardReadView, reveal: boolean): void {
  const info = reveal || result.masked ? result.info : maskInfo(result.info);
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
  rows.push(...registryRows(result.registry));
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
  const result = agent
    ? ((await agent.post('/v1/card/read', options.reader ? { reader: options.reader } : {})) as CardReadView)
    : await withLocalReaders(config, (readers) =>
        withLocalRegistry(config, async (registry) => {
          const actions = new CardActions({
            card: createCardOperations(config, readers, defaultProfiles(), registry),
            readers,
            pin: new PinFlow({ pad: undefined, minLength: 6, maxLength: 6, timeoutMs: 30_000 }),
            log: silentLogger,
            // The summary masks unless --reveal; --json is the operator's own full read.
            revealPersonalData: true,
            preferredReader: config.readers.card,
            registry,
            terminalType: config.terminal?.type,
          });
          return actions.readCard({ reader: options.reader });
        }),
      );
  if (options.json) console.log(JSON.stringify(result, null, 2));
  else printSummary(result, options.reveal);
  return result.verification && !result.verification.genuine ? EXIT.CARD : EXIT.OK;
}

/**
 * card-service for one command without a running agent: the stored credentials, no resends and
 * no enrolment. Without a terminal identity or a service URL the link is simply disabled.
 */
async function withLocalRegistry<T>(
  config: ClientConfig,
  work: (link: RegistryLink) => Promise<T>,
): Promise<T> {
  const link = new RegistryLink({
    config: {
      cardService: config.terminal ? config.cardService : { ...config.cardService, url: undefined },
      dataDir: config.dataDir,
      journal: config.journal,
      terminal: { id: config.terminal?.id ?? '' },
    },
    log: silentLogger,
    oneShot: true,
  });
  link.start();
  try {
    await link.ready();
    return await work(link);
  } finally {
    await link.close();
  }
}

interface EnrolAnswer {
  terminalId: string;
  type: string;
  region: string;
  certificateNotAfter: string;
  caFingerprint: string;
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
  const client = loadClientConfig({ file });
  const agent = await agentClient(client);
  let answer: EnrolAnswer;
  if (agent) {
    answer = (await agent.post('/v1/registry/enrol', { code })) as EnrolAnswer;
  } else {
    const config: AgentConfig = loadAgentConfig({ file });
    if (!config.cardService.url) {
      console.error('config key "cardService.url": required to enrol with card-service');
      return EXIT.CONFIG;
    }
    const link = new RegistryLink({ config, log: silentLogger, oneShot: true });
    try {
      const identity = await link.enrolNow(code);
      answer = {
        terminalId: identity.terminalId,
        type: identity.type,
        region: identity.region,
        certificateNotAfter: identity.notAfter.toISOString(),
        caFingerprint: identity.caFingerprint,
      };
    } finally {
      await link.close();
    }
  }
  if (json) {
    console.log(JSON.stringify(answer, null, 2));
  } else {
    console.log(`enrolled as terminal ${answer.terminalId} (${answer.type}, region ${answer.region})`);
    console.log(`certificate valid until ${answer.certificateNotAfter}`);
    console.log(`card-service CA fingerprint (SHA-256) ${answer.caFingerprint}`);
  }
  return EXIT.OK;
}

function printRegistryHealth(registry: RegistryHealth): void {
  const rows: [string, string | undefined][] = [
    ['card-service', registry.state],
    [
      'terminal',
      registry.terminalId && `${registry.terminalId} (${registry.terminalType}, region ${registry.region})`,
    ],
    ['certificate', registry.certificateNotAfter && `valid until ${registry.certificateNotAfter}`],
    ['pending', registry.pendingRequests === undefined ? undefined : String(registry.pendingRequests)],
    ['problem', registry.code && `${registry.code}: ${registry.message ?? ''}`],
  ];
  for (const [k, value] of rows) if (value) console.log(`${k.padEnd(13)} ${value}`);
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
    else {
      console.log(`${'agent'.padEnd(13)} ${health.status} at ${base}`);
      console.log(`${'readers'.padEnd(13)} ${String(health.readers ?? 0)}`);
      console.log(`${'PIN entry'.padEnd(13)} ${String(health.pinEntry ?? 'none')}`);
      if (health.registry) printRegistryHealth(health.registry);
    }
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
