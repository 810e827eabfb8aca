import { defaultProfiles, type ProfileSet } from '@sscard/firmware-profiles';
import { CardActions } from './api/card-actions.js';
import { DeskActions } from './api/desk-actions.js';
import { PinFlow } from './api/pin-flow.js';
import { ApiServer } from './api/server.js';
import { ensureApiToken } from './api/token.js';
import { terminalView } from './api/terminal-view.js';
import { CardOperations, type CardOperationsOptions } from './card-operations.js';
import { loadCaKeys } from './config/ca-keys.js';
import type { AgentConfig, ClientConfig } from './config/schema.js';
import type { Logger } from '@sscard/log';
import { openPinPad } from './pinpad/open-pin-pad.js';
import { HsmSteps } from './ministry/hsm-steps.js';
import type { PinPad } from './pinpad/pin-pad.js';
import { PcscBackend } from './readers/pcsc-backend.js';
import type { ReaderBackend } from './readers/reader-backend.js';
import { ReaderManager } from './readers/reader-manager.js';
import { readerRoleResolver } from './readers/reader-roles.js';
import { SerialBackend } from './readers/serial-backend.js';
import { enrolAnswer } from './registry/credentials.js';
import { RegistryLink } from './registry/registry-link.js';

/** The terminal's readers as the configuration and the profiles describe them (not started). */
export function createReaderManager(config: ClientConfig, profiles: ProfileSet, log?: Logger): ReaderManager {
  const backends: ReaderBackend[] = [new PcscBackend({ deadlineMs: config.readers.cardDeadlineMs })];
  if (config.readers.serial.length > 0) {
    backends.push(
      new SerialBackend({
        readers: config.readers.serial.map((r) => ({
          name: r.name,
          path: r.path,
          profile: profiles.serialReader(r.profile),
        })),
      }),
    );
  }
  return new ReaderManager({
    backends,
    roles: readerRoleResolver(config.readers, profiles),
    cardOs: (atr) => profiles.matchCardOs(atr)?.id,
    // One place decides how commands fit a reader (card-core's planCommand); the profile says what the reader carries.
    readerLink: (name, kind) => (kind === 'pcsc' ? profiles.matchReader(name)?.profile.quirks : undefined),
    ...(config.log.apduTrace && log ? { apduTrace: log.child({ component: 'apdu' }) } : {}),
  });
}

export function createCardOperations(
  config: ClientConfig,
  readers: ReaderManager,
  profiles: ProfileSet,
  registry?: RegistryLink,
): CardOperations {
  const caKeys = config.emv.caKeysPath ? loadCaKeys(config.emv.caKeysPath) : undefined;
  const options: CardOperationsOptions = {
    readers,
    profiles,
    terminal: {
      terminalNumber: config.terminal?.number ?? '',
      deviceNumber: config.terminal?.deviceNumber ?? '',
    },
    ...(caKeys ? { caKeys } : {}),
    // Asked at each card: a revoked or not yet enrolled terminal skips the remote check.
    ...(registry
      ? {
          remoteCardAuth: () => registry.cardAuthVerifier(),
          remoteExternalAuth: () => registry.externalAuthenticator(),
          cardPresence: () => registry.presenceChallenger(),
        }
      : {}),
  };
  return new CardOperations(options);
}

/** The ministry interface's two-step calls through the bureau's HSM, on these readers. */
export function createHsmSteps(readers: ReaderManager, card: CardOperations, log: Logger): HsmSteps {
  return new HsmSteps({ readers, cardOsOf: (atr) => card.cardOsOf(atr), terminal: card.terminal, log });
}

export interface RunningAgent {
  readonly api: ApiServer;
  readonly readers: ReaderManager;
  /** The link to card-service (state `disabled` without `cardService.url`). */
  readonly registry: RegistryLink;
  readonly address: { host: string; port: number };
  stop(): Promise<void>;
}

function followReaders(readers: ReaderManager, log: Logger): void {
  readers.on('reader-added', (r) =>
    log.info('reader added', { reader: r.name, kind: r.kind, role: r.role, profile: r.profile }),
  );
  readers.on('reader-removed', (r) => log.info('reader removed', { reader: r.name, role: r.role }));
  // The ATR carries the card's region and part of its id code, not the holder's ID number.
  readers.on('card-inserted', (e) =>
    log.info('card inserted', { reader: e.reader, role: e.role, atr: e.atr, cardOs: e.cardOs }),
  );
  readers.on('card-removed', (e) => log.info('card removed', { reader: e.reader, role: e.role }));
  readers.on('error', (error) => log.warn('reader problem', { error }));
}

/**
 * Starts the agent: readers, card operations, PIN entry and the local API. Fails (and leaves
 * nothing running) when the API token cannot be set up or the port cannot be bound; a missing
 * PIN pad or pcscd is logged and recovered from while running.
 */
export async function startAgent(config: AgentConfig, log: Logger): Promise<RunningAgent> {
  const profiles = defaultProfiles();
  const token = await ensureApiToken(config.api.tokenFile!);
  const readers = createReaderManager(config, profiles, log);
  const registry = new RegistryLink({ config, log: log.child({ component: 'registry' }) });
  const card = createCardOperations(config, readers, profiles, registry);

  let pad: PinPad | undefined;
  try {
    pad = await openPinPad(config.pin, profiles);
  } catch (error) {
    // Card reads still work without the PIN pad; PIN operations answer "PIN pad unavailable".
    log.error('PIN pad not available', { entry: config.pin.entry, error });
  }
  let api: ApiServer | undefined;
  const pin = new PinFlow({
    pad,
    minLength: config.pin.minLength,
    maxLength: config.pin.maxLength,
    timeoutMs: config.pin.timeoutMs,
    keypadVisible: () =>
      [...(api?.socketServer.sockets.sockets.values() ?? [])].some((s) => s.data.ownOrigin),
  });
  const hsmSteps = createHsmSteps(readers, card, log.child({ component: 'ministry' }));
  const actions = new CardActions({
    card,
    readers,
    pin,
    log: log.child({ component: 'card' }),
    revealPersonalData: config.api.revealPersonalData,
    preferredReader: config.readers.card,
    registry,
    terminalType: config.terminal.type,
    hsmSteps,
  });
  const desk = new DeskActions({
    card,
    readers,
    pin,
    registry,
    log: log.child({ component: 'desk' }),
    terminalType: config.terminal.type,
  });
  api = new ApiServer({
    host: config.api.host,
    port: config.api.port,
    allowedOrigins: config.api.allowedOrigins,
    allowedHosts: config.api.allowedHosts,
    legacyHisClients: config.api.legacyHisClients,
    token,
    uiDir: config.api.uiDir,
    readers,
    actions,
    pin,
    log,
    health: async () => {
      const list = readers.list();
      const link = await registry.health();
      const registryOk = link.state === 'disabled' || link.state === 'connected' || link.state === 'starting';
      return {
        status: list.some((r) => r.role === 'user') && registryOk ? 'ok' : 'degraded',
        terminal: config.terminal.id,
        terminalType: config.terminal.type,
        readers: list.length,
        pinEntry: pad ? pad.kind : 'none',
        registry: link,
      };
    },
    terminal: () => terminalView({ configured: config.terminal, registry }),
    enrol: registry.enabled
      ? async (code) => {
          const identity = await registry.enrolNow(code);
          return { ...enrolAnswer(identity), registry: await registry.health() };
        }
      : undefined,
    outbox: registry.enabled
      ? { view: () => registry.outbox(), unpark: (key) => registry.unpark(key) }
      : undefined,
    desk,
  });
  followReaders(readers, log.child({ component: 'readers' }));
  const address = await api.listen().catch(async (error: unknown) => {
    await pad?.close();
    await registry.close();
    throw error;
  });
  readers.start();
  // In the background: enrolment or an unreachable service must not hold up local card reads.
  registry.start();
  log.info('agent started', {
    terminal: config.terminal.id,
    type: config.terminal.type,
    api: `http://${address.host}:${address.port}`,
    pinEntry: config.pin.entry,
    cardService: config.cardService.url ?? 'none',
  });

  const running = api;
  let stopping: Promise<void> | undefined;
  return {
    api: running,
    readers,
    registry,
    address,
    stop: () => {
      stopping ??= (async () => {
        pin.cancel();
        await running.close();
        await hsmSteps.close();
        await readers.stop();
        await pad?.close();
        await registry.close();
        log.info('agent stopped');
      })();
      return stopping;
    },
  };
}

/**
 * Runs until SIGINT or SIGTERM, then shuts down: cancels a PIN entry, closes clients, releases
 * cards, closes the journal.
 *
 * A card that never answers leaves a thread of Node's pool parked in SCardTransmit (vpcd and many
 * drivers have no response timeout), and Node joins its pool at exit: `process.exit()` would then
 * hang for as long as the card stays in. So once everything is closed and flushed, a process
 * with a parked call ends the way an unhandled signal ends it: the signal raised again with its
 * default action, which ends the process without running exit hooks. Its parent sees it killed
 * by the signal it sent, as the signal's convention is.
 */
export async function runDaemon(config: AgentConfig, log: Logger): Promise<void> {
  const agent = await startAgent(config, log);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    const shutdown = (received: NodeJS.Signals): void => {
      log.info('shutting down', { signal: received });
      process.off('SIGINT', shutdown);
      process.off('SIGTERM', shutdown);
      agent.stop().then(
        () => resolve(received),
        (error: unknown) => {
          log.error('shutdown failed', { error });
          resolve(received);
        },
      );
    };
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);
  });
  const parked = agent.readers.parkedNativeCalls;
  if (parked > 0) {
    log.warn('a card never answered; ending without waiting for its reader call', { parked, signal });
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  }
}
