import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SSSE_AID } from '@sscard/card-core';
import { VpcdSlot } from '@sscard/card-emulator/bridge/vpcd-client';
import type { VirtualCard } from '@sscard/card-emulator/virtual-card';
import { createOperatorToken } from '@sscard/card-service/terminals/operator-tokens';
import type { Scope } from '@sscard/registry-protocol';
import { createLogger } from '@sscard/log';
import { type Pcscd, waitFor } from '@sscard/test-harness';
import { AgentConfigSchema } from '@sscard/terminal-agent/config/schema';
import { type RunningAgent, startAgent } from '@sscard/terminal-agent/daemon';
import { type AgentAnswer, agentPost } from './agent-post.js';
import type { RegistryUnderTest } from './registry-fixture.js';

/**
 * A bureau counter of the PIN reload and unblock tests: the agent enrolled with card-service as a
 * `bureau` terminal of 330300, the citizen's card in the private pcscd's first reader, its second
 * reader free for the counter's PSAM, and its local API at hand.
 */
export interface BureauCounter {
  agent: RunningAgent;
  /** The citizen's card. */
  slot: VpcdSlot;
  /** The PSAM's reader: a counter with a PSAM in it makes the MACs itself. */
  psamSlot: VpcdSlot;
  /** The agent's own origin, for a browser page at the counter. */
  base: string;
  /** POSTs `body` to the agent's local API as its client, with the terminal's API token. */
  post(path: string, body: unknown): Promise<AgentAnswer>;
  stop(): Promise<void>;
}

export async function startBureauCounter(options: {
  registry: RegistryUnderTest;
  terminalId: string;
  dataDir: string;
  pcscd: Pcscd;
  config?: Record<string, unknown>;
}): Promise<BureauCounter> {
  const { registry, terminalId, dataDir } = options;
  const config = AgentConfigSchema.parse({
    terminal: { id: terminalId, type: 'bureau', region: '330300', number: '330300000007' },
    api: { port: 0, tokenFile: join(dataDir, 'api-token') },
    pin: { entry: 'none' },
    cardService: await registry.agentCardService(terminalId, 'bureau', '330300'),
    ...options.config,
    dataDir,
  });
  const agent = await startAgent(config, createLogger({ level: 'error', write: () => {} }));
  const backoff = { initialMs: 50, maxMs: 300 };
  const slot = new VpcdSlot({ port: options.pcscd.vpcdPorts[0]!, backoff });
  const psamSlot = new VpcdSlot({ port: options.pcscd.vpcdPorts[1]!, backoff });
  let token: string;
  try {
    await agent.registry.ready();
    token = (await readFile(join(dataDir, 'api-token'), 'utf8')).trim();
    await waitFor('the vpcd readers', () => agent.readers.list().length === 2);
  } catch (e) {
    slot.close();
    psamSlot.close();
    await agent.stop();
    throw e;
  }
  const base = `http://127.0.0.1:${agent.address.port}`;
  return {
    agent,
    slot,
    psamSlot,
    base,
    post: agentPost(base, token),
    async stop() {
      slot.close();
      psamSlot.close();
      await agent.stop();
    },
  };
}

/** An operator token for a clerk (or anyone else) with `scopes`, as `sscard-service token create` makes one. */
export async function clerkToken(
  registry: RegistryUnderTest,
  name: string,
  scopes: Scope[],
): Promise<string> {
  const { token } = await createOperatorToken(
    registry.service.store,
    () => new Date(),
    { lifetimeDays: 90, maxLifetimeDays: 365, rotationOverlapSeconds: 3600 },
    { name, scopes },
    { kind: 'system', id: 'test' },
  );
  return token;
}

/** One APDU to a virtual card outside any reader: its status word. */
export function apdu(card: VirtualCard, hex: string): number {
  const response = card.transmit(Buffer.from(hex, 'hex'));
  return response.readUInt16BE(response.length - 2);
}

/** The card powered, its social security application selected. */
export function selected(card: VirtualCard): VirtualCard {
  card.powerOn();
  // A generation 3 card answers 611E: its FCI is waiting.
  const sw = apdu(card, `00A404000F${Buffer.from(SSSE_AID).toString('hex')}`);
  assert.ok(sw === 0x9000 || sw >> 8 === 0x61, sw.toString(16));
  return card;
}

/** The citizen tries three wrong PINs: the card blocks its PIN. */
export function blockPin(card: VirtualCard): void {
  selected(card);
  for (let i = 0; i < 3; i++) apdu(card, '0020000003999999');
  assert.equal(apdu(card, '0020000003999999'), 0x6983);
}

/** VERIFY of `pin` on the card outside any reader: 9000, 63Cx (tries left) or 6983 (blocked). */
export const verify = (card: VirtualCard, pin: string): number => apdu(selected(card), `0020000003${pin}`);
