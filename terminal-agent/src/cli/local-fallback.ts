import { defaultProfiles } from '@sscard/firmware-profiles';
import { CardActions } from '../api/card-actions.js';
import type { CardReadView } from '../api/card-view.js';
import { PinFlow } from '../api/pin-flow.js';
import type { AgentConfig, ClientConfig } from '../config/schema.js';
import { createCardOperations, createHsmSteps, createReaderManager } from '../daemon.js';
import { silentLogger } from '@sscard/log';
import type { ReaderManager } from '../readers/reader-manager.js';
import { enrolAnswer } from '../registry/credentials.js';
import { RegistryLink } from '../registry/registry-link.js';
import type { EnrolAnswer } from './print.js';

/**
 * The commands' work without a running agent: this process opens the readers and card-service
 * itself for one command, and closes them again.
 */

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

export async function withLocalReaders<T>(
  config: ClientConfig,
  work: (readers: ReaderManager) => Promise<T>,
): Promise<T> {
  const readers = createReaderManager(config, defaultProfiles());
  readers.on('error', () => {});
  readers.start();
  try {
    await settled(readers);
    return await work(readers);
  } finally {
    await readers.stop();
  }
}

/**
 * card-service for one command without a running agent: the stored credentials, no resends and
 * no enrolment. Without a terminal identity or a service URL the link is simply disabled.
 */
export async function withLocalRegistry<T>(
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

/** `iReadCardBas` (automatic contact first) on this process's own readers. */
export function readCardBasLocally(config: ClientConfig): Promise<{ code: number; output: string }> {
  return withLocalReaders(config, (readers) =>
    createCardOperations(config, readers, defaultProfiles()).readCardBas(3),
  );
}

/** A full read with verification and the registry's check, as the agent's `POST /v1/card/read` does. */
export function readCardLocally(config: ClientConfig, reader: string | undefined): Promise<CardReadView> {
  return withLocalReaders(config, (readers) =>
    withLocalRegistry(config, async (registry) => {
      const card = createCardOperations(config, readers, defaultProfiles(), registry);
      const actions = new CardActions({
        card,
        readers,
        pin: new PinFlow({ pad: undefined, minLength: 6, maxLength: 6, timeoutMs: 30_000 }),
        log: silentLogger,
        // The summary masks unless --reveal; --json is the operator's own full read.
        revealPersonalData: true,
        preferredReader: config.readers.card,
        registry,
        terminalType: config.terminal?.type,
        hsmSteps: createHsmSteps(readers, card, silentLogger),
      });
      return actions.readCard({ reader });
    }),
  );
}

/** Enrols with card-service from this process (the config must name the service). */
export async function enrolLocally(config: AgentConfig, code: string): Promise<EnrolAnswer> {
  const link = new RegistryLink({ config, log: silentLogger, oneShot: true });
  try {
    return enrolAnswer(await link.enrolNow(code));
  } finally {
    await link.close();
  }
}
