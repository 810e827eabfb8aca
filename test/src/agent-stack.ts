import { type CaPublicKey, fromHex } from '@sscard/card-core';
import {
  type CardDocument,
  demoCardDocuments,
  type IssuerKeyset,
  publicKeyset,
} from '@sscard/card-emulator/cards/index';
import { type Pcscd, startPcscd } from '@sscard/test-harness';
import { PcscBackend } from '@sscard/terminal-agent/readers/pcsc-backend';
import type { ReaderManagerEvents } from '@sscard/terminal-agent/readers/reader-manager';
import { ReaderManager } from '@sscard/terminal-agent/readers/reader-manager';

/**
 * A private pcscd and a ReaderManager on it, for the agent's integration tests. The PC/SC client
 * library reads PCSCLITE_CSOCK_NAME once per process, so each test file (its own process under
 * node --test) starts one daemon and keeps it; a test that needs a restart restarts this one.
 */
export interface AgentStack {
  pcscd: Pcscd;
  manager: ReaderManager;
  /** Every event the manager emitted, in order, for assertions that wait for one. */
  events: { name: keyof ReaderManagerEvents; payload: unknown }[];
  /** The first vpcd reader's card slot, and its second slot (the PSAM's unless `psamSlot: false`). */
  userReader(): string;
  psamReader(): string;
  stop(): Promise<void>;
}

export async function startAgentStack(
  options: { readers?: number; psamSlot?: boolean } = {},
): Promise<AgentStack> {
  const pcscd = await startPcscd({ readers: options.readers ?? 1 });
  process.env.PCSCLITE_CSOCK_NAME = pcscd.env.PCSCLITE_CSOCK_NAME;
  const manager = new ReaderManager({
    backends: [new PcscBackend({ backoff: { initialMs: 50, maxMs: 500 }, deadlineMs: 5_000 })],
    // vpcd's second slot of each reader holds the PSAM in these tests (DESIGN.md §4).
    roles: (name) => ({ role: options.psamSlot !== false && name.endsWith(' 01') ? 'psam' : 'user' }),
  });
  const events: AgentStack['events'] = [];
  for (const name of ['reader-added', 'reader-removed', 'card-inserted', 'card-removed', 'error'] as const) {
    manager.on(name, (payload: unknown) => events.push({ name, payload }));
  }
  manager.start();
  return {
    pcscd,
    manager,
    events,
    userReader: () => pcscd.readerNames[0]!,
    psamReader: () => pcscd.readerNames[1]!,
    async stop() {
      await manager.stop();
      await pcscd.stop();
    },
  };
}

/** The payment system CA public keys of a test keyset, as the agent's `caKeys` option takes them. */
export function caKeysOf(keyset: IssuerKeyset): CaPublicKey[] {
  return publicKeyset(keyset).caPublicKeys.map((k) => ({
    rid: fromHex(k.rid),
    index: Number.parseInt(k.index, 16),
    modulus: fromHex(k.modulus),
    exponent: fromHex(k.exponent),
  }));
}

/** The demo card of each generation, as `npm start` issues them. */
export function demoCardsByGeneration(): { gen2: CardDocument; gen3: CardDocument } {
  const docs = demoCardDocuments();
  return {
    gen2: docs.find((d) => d.card.specVersion === '2.00')!,
    gen3: docs.find((d) => d.card.specVersion === '3.00')!,
  };
}
